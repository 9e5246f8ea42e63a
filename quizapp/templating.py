"""Templates compiled once per language: every plain `{{ _("text") }}` is translated when the
template is compiled instead of on every render.

Four fifths of the templates' translated strings are such literals (627 of 770). At run time
each one went through Jinja's call machinery, the i18n extension, Flask-Babel's locale lookup
and the catalogue: a fifth of a small page's time (the QR verification page, the public
ranking). The result is the same text: Jinja's new-style gettext returns the translation as
markup (not escaped) after `% {}`, and that is what is written into the source here.

A string with arguments, `{{ _("Hello %(name)s", name=n) }}`, is looked up when compiled too
and only formatted at run time (`format_translated`, registered as `_fmt`).

A string is left to the run time when it is not a plain literal (`_(var)`, `{{- _("x") -}}`
without arguments, inside a larger expression), or when its translation holds a newline, a
brace, a backslash or (with arguments) a double quote: it would change line numbers, read as
template syntax, or end the string literal it is written into."""

from __future__ import annotations

import re
import weakref
from collections import ChainMap

from flask.templating import Environment
from flask_babel import get_locale, get_translations
from jinja2 import Template, pass_eval_context
from jinja2.runtime import new_context
from markupsafe import Markup

_LITERAL = re.compile(r"""\{\{ *_\( *(?:"([^"\\\n{}]*)"|'([^'\\\n{}]*)') *\) *\}\}""")


# `{{ _("literal", name=value, …) }}`: only the call's start is rewritten, to
# `_fmt("translation",`; its arguments and the rest of the expression stay as they are.
_WITH_ARGS = re.compile(r"""(\{\{-? *)_\( *(?:"([^"\\\n{}]*)"|'([^'\\\n{}]*)') *,""")


@pass_eval_context
def format_translated(eval_ctx, text: str, **variables) -> str:
    """What Jinja's new-style gettext does after looking the translation up: markup under
    autoescape (the arguments are escaped by `%`, the translation is not), then `%`."""
    # the translation is our catalogue's, markup as in Jinja's own gettext
    return (Markup(text) if eval_ctx.autoescape else text) % variables  # noqa: S704


def fold_translations(source: str, gettext) -> str:
    """`source` with each plain `{{ _("literal") }}` replaced by its translation, and each
    `{{ _("literal", name=value) }}` by `{{ _fmt("translation", name=value) }}`."""

    def replace(match: re.Match) -> str:
        msgid = match.group(1) if match.group(1) is not None else match.group(2)
        try:
            text = gettext(msgid) % {}
        except (KeyError, ValueError, TypeError):
            return match.group(0)  # a placeholder without arguments fails at run time, as before
        if "\n" in text or "{" in text or "}" in text:
            return match.group(0)
        return text

    def replace_call(match: re.Match) -> str:
        msgid = match.group(2) if match.group(2) is not None else match.group(3)
        text = gettext(msgid)
        if any(c in text for c in '\n{}\\"'):  # it must read as the same string literal
            return match.group(0)
        return f'{match.group(1)}_fmt("{text}",'

    return _WITH_ARGS.sub(replace_call, _LITERAL.sub(replace, source))


_DICT_ATTRIBUTES = frozenset(dir(dict))


class FlatGlobalsTemplate(Template):
    """A template whose render context starts from its globals merged by two dict copies.
    Jinja keeps a template's globals as a ChainMap over the environment's (so that globals
    set later are seen) and copies it into each render's context key by key in Python: 19 µs
    a page, more than the verification page's query. The merge here is made at each render
    too, so later globals are still seen."""

    def new_context(self, vars=None, shared=False, locals=None):  # noqa: A002 - Jinja's
        g = self.globals
        if not shared and type(g) is ChainMap and len(g.maps) == 2:
            flat = dict(g.maps[1])
            flat.update(g.maps[0])
            return new_context(self.environment, self.name, self.blocks, vars, False, flat, locals)
        return super().new_context(vars, shared, locals)


class LocalizedEnvironment(Environment):
    """Flask's Jinja environment, caching one compiled template per name and language.

    The language is the one Flask-Babel gives when the template is looked up, so a
    `force_locale` block (a certificate in its recipient's language) gets templates in that
    language, and the page around it keeps its own. Without a request or app context (no
    locale) templates compile as they are and translate at run time.

    The cache is a dict (Jinja's `cache_size=-1`): templates times languages are a small,
    fixed set, and Jinja's LRU cache moved each hit to the back of a deque by searching it
    (twice per page: the page and base.html)."""

    template_class = FlatGlobalsTemplate

    def __init__(self, *args, **options):
        options.setdefault("cache_size", -1)
        super().__init__(*args, **options)

    def getattr(self, obj, attribute):
        # `facts.issuer` on a dict: Jinja tries the attribute first, and a plain dict has
        # none but its methods, so every such lookup raised and caught an AttributeError (9 of
        # the verification page's 139 µs of rendering). Same result, the key looked up first.
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)

    def _load_template(self, name, globals):  # noqa: A002 - Jinja's signature
        locale = get_locale() if self.loader is not None else None
        if locale is None:
            return super()._load_template(name, globals)
        # the locale's parts, not str(locale): Babel builds that string on every call
        key = (
            weakref.ref(self.loader),
            name,
            locale.language,
            locale.territory,
            locale.script,
            locale.variant,
        )
        template = self.cache.get(key) if self.cache is not None else None
        if template is not None and (not self.auto_reload or template.is_up_to_date):
            if globals:
                template.globals.update(globals)
            return template
        source, filename, uptodate = self.loader.get_source(self, name)
        source = fold_translations(source, get_translations().ugettext)
        code = self.compile(source, name, filename)
        template = self.template_class.from_code(self, code, self.make_globals(globals), uptodate)
        if self.cache is not None:
            self.cache[key] = template
        return template


def remembered_url_for(app):
    """Jinja's `url_for`, remembering the addresses that take no values (the menu's, the home
    page's) and the static files': every page builds the same seven routes again otherwise.
    Relative endpoints ('.index') and calls with values are built each time."""
    from flask.globals import _cv_request

    build = app.url_for
    memo: dict = {}

    def url_for(endpoint: str, **values):
        ctx = _cv_request.get(None)
        if (
            ctx is None
            or endpoint.startswith(".")
            or (values and (endpoint != "static" or values.keys() != {"filename"}))
        ):
            return build(endpoint, **values)
        key = (ctx.request.script_root, endpoint, values.get("filename"))
        url = memo.get(key)
        if url is None:
            url = memo[key] = build(endpoint, **values)
        return url

    return url_for
