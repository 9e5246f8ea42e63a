"""Templates compiled per language (quizapp.templating): plain `{{ _("…") }}` literals are
translated at compile time, with the same output as Jinja's run-time gettext."""

import re

from flask import render_template
from flask_babel import force_locale

from quizapp.templating import fold_translations

CATALOGUE = {
    "Log in": "Đăng nhập",
    "Score: 100%%": "Điểm: 100%%",
    "Hello %(name)s": "Chào %(name)s",
    "Braces": "{{ not syntax }}",
    "Two lines": "một\nhai",
    "Tags": "<b>đậm</b>",
    "Said %(x)s": 'Đã nói "%(x)s"',
}


def _gettext(msgid):
    return CATALOGUE.get(msgid, msgid)


def test_plain_literals_are_translated_when_compiled():
    out = fold_translations(
        """<a>{{ _("Log in") }}</a><a>{{_('Log in')}}</a><p>{{ _("Score: 100%%") }}</p>""",
        _gettext,
    )
    assert out == "<a>Đăng nhập</a><a>Đăng nhập</a><p>Điểm: 100%</p>"


def test_everything_else_is_left_to_the_run_time():
    kept = [
        '{{ _("Hello %(name)s") }}',  # a placeholder without arguments fails at run time
        '{{ _("Braces") }}',  # the translation would read as template syntax
        '{{ _("Two lines") }}',  # line numbers of errors would move
        '{{- _("Log in") -}}',  # whitespace control
        '{{ _("Log in")|upper }}',  # part of a larger expression
        "{{ _(label) }}",
        '{{ _("Say \\"hi\\"") }}',  # escapes inside the literal
        "{{ ngettext('a', 'b', n) }}",
        '{{ _("Said %(x)s", x=n) }}',  # a quote in the translation would end the literal
        "{{ _(label, x=n) }}",
        '{{ x._("Hello %(name)s", name=n) }}',
    ]
    for source in kept:
        assert fold_translations(source, _gettext) == source


def test_strings_with_arguments_are_looked_up_when_compiled():
    assert fold_translations('<p>{{ _("Hello %(name)s", name=n|upper) }}</p>', _gettext) == (
        '<p>{{ _fmt("Chào %(name)s", name=n|upper) }}</p>'
    )
    assert fold_translations("{{- _('Hello %(name)s' , name=n) -}}", _gettext) == (
        '{{- _fmt("Chào %(name)s", name=n) -}}'
    )


def test_strings_with_arguments_render_as_with_run_time_gettext(app):
    """Escaped arguments, a translation that is markup, `%%`, in both languages."""
    from flask_babel import get_translations

    source = (
        '{{ _("Hello, %(name)s.", name=v) }}|{{ _("Revoked on %(d)s. Reason: %(r)s", '
        'd="09/03/2026", r=v) }}|{{ _("%(n)s of %(total)s", n=1, total="<2>") }}'
    )
    for lang in ("vi", "en"):
        with app.test_request_context("/", headers={"Cookie": f"lang={lang}"}):
            folded = fold_translations(source, get_translations().ugettext)
            assert folded.count("_fmt(") == 3
            values = {"v": "<i>Lê & Lý</i>"}
            expected = app.jinja_env.from_string(source).render(values)
            assert app.jinja_env.from_string(folded).render(values) == expected
            assert "&lt;i&gt;Lê &amp; Lý&lt;/i&gt;" in expected and "&lt;2&gt;" in expected
            if lang == "vi":
                assert "Xin chào, &lt;i&gt;" in expected and "Thu hồi ngày 09/03/2026" in expected


def test_pages_are_the_same_as_with_run_time_gettext(client, app, monkeypatch):
    """Every page below, in both languages, is byte for byte what Jinja's run-time gettext
    renders (the translation is markup, not escaped, after `% {}`)."""
    import quizapp.templating as T

    paths = ["/", "/login", "/register", "/v/" + "a" * 24, "/verify"]

    def pages():
        app.jinja_env.cache.clear()
        out = {}
        for lang in ("vi", "en"):
            client.set_cookie("lang", lang)
            for path in paths:
                resp = client.get(path)
                html = re.sub(r'name="csrf_token"[^>]*', "", resp.get_data(as_text=True))
                out[lang, path] = (resp.status_code, html)
        return out

    compiled = pages()
    monkeypatch.setattr(T, "fold_translations", lambda source, gettext: source)
    at_run_time = pages()
    app.jinja_env.cache.clear()
    assert compiled == at_run_time
    assert "Đăng nhập" in compiled["vi", "/login"][1]


def test_one_template_per_language(app):
    """The same template name gives each language its own compiled template, and a
    force_locale block inside a request gets its language and gives the page its own back."""
    with app.test_request_context("/", headers={"Cookie": "lang=en"}):
        english = render_template("certificates/verify.html", facts=None)
        with force_locale("vi"):
            vietnamese = render_template("certificates/verify.html", facts=None)
        again = render_template("certificates/verify.html", facts=None)
    assert "<h1>Verify a certificate</h1>" in english
    assert "<h1>Xác thực giấy chứng nhận</h1>" in vietnamese
    assert "Verify a certificate" not in vietnamese
    assert again == english


def test_pages_in_both_languages(client):
    vi = client.get("/v/" + "a" * 24).get_data(as_text=True)
    client.set_cookie("lang", "en")
    en = client.get("/v/" + "a" * 24).get_data(as_text=True)
    assert "<h1>Xác thực giấy chứng nhận</h1>" in vi and "Đăng nhập" in vi
    assert "<h1>Verify a certificate</h1>" in en and ">Log in<" in en


def test_remembered_addresses_follow_the_mount_point(app):
    """The menu's addresses are remembered per mount point (SCRIPT_NAME), never shared."""
    with app.test_request_context("/", base_url="http://localhost/quiz/"):
        mounted = render_template("certificates/verify.html", facts=None)
    with app.test_request_context("/"):
        root = render_template("certificates/verify.html", facts=None)
    with app.test_request_context("/", base_url="http://localhost/quiz/"):
        again = render_template("certificates/verify.html", facts=None)
    assert 'href="/quiz/login"' in mounted and 'href="/quiz/static/css/app.css' in mounted
    assert 'href="/login"' in root and "/quiz/" not in root
    assert again == mounted


def test_a_dict_reads_as_jinja_reads_it(app):
    """Keys first for a plain dict (no exception raised and caught), yet a dict's methods win
    over keys of the same name, and missing keys are undefined, as in Jinja."""
    from jinja2 import Environment

    data = {"issuer": "Tỉnh Đoàn", "items": "a key", "n": 0}
    source = "{{ d.issuer }}|{{ d.items()|list|length }}|{{ d.n }}|{{ d.absent is undefined }}"
    with app.test_request_context("/"):
        ours = app.jinja_env.from_string(source).render(d=data)
    jinja = Environment(autoescape=True).from_string(source).render(d=data)
    assert ours == jinja == "Tỉnh Đoàn|3|0|True"

    class Mapping(dict):
        issuer = "an attribute"

    with app.test_request_context("/"):  # a subclass may have attributes: Jinja's order
        assert app.jinja_env.from_string("{{ d.issuer }}").render(d=Mapping(data)) == (
            "an attribute"
        )


def test_globals_set_after_a_template_was_loaded_are_seen(app):
    """Render contexts start from the globals merged at each render (not Jinja's ChainMap
    copied key by key): later globals still count, render variables and a template's own
    globals still win over the environment's."""
    env = app.jinja_env
    with app.test_request_context("/"):
        template = env.from_string("{{ late }}|{{ t_only }}|{{ shadow }}", {"t_only": "own"})
        env.globals["shadow"] = "global"
        env.globals["late"] = "later"
        try:
            assert template.render() == "later|own|global"
            assert template.render(shadow="variable") == "later|own|variable"
        finally:
            del env.globals["late"], env.globals["shadow"]


def test_each_context_processor_runs_once_per_page(app, client, monkeypatch):
    """Flask puts its default processor on every blueprint too; a blueprint's page ran it
    twice."""
    calls: dict = {}
    for name, funcs in list(app.template_context_processors.items()):

        def counted(f):
            def run():
                calls[f] = calls.get(f, 0) + 1
                return f()

            return run

        monkeypatch.setitem(app.template_context_processors, name, [counted(f) for f in funcs])
    assert client.get("/login").status_code == 200  # a page of the auth blueprint
    assert calls and set(calls.values()) == {1}
