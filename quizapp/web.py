"""Web glue: error → response mapping, security headers, locale, login loading, helpers."""

from __future__ import annotations

from datetime import date
from functools import wraps
from math import ceil

from babel import Locale
from flask import (
    Flask,
    abort,
    g,
    jsonify,
    render_template,
    request,
)
from flask_babel import get_locale, get_translations, gettext
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from quizapp.clock import utcnow
from quizapp.db import write_intent
from quizapp.errors import DomainError, Forbidden, Invalid, NotFound
from quizapp.extensions import db, login_manager
from quizapp.forms import db_int
from quizapp.policy import Actor
from quizapp.templating import format_translated, remembered_url_for
from quizapp.timeutil import format_date, format_datetime

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)


class App(Flask):
    """Flask, remembering which hooks and views are plain functions: Flask asks
    `inspect.iscoroutinefunction` of each of them on every request (fourteen times a page)."""

    def ensure_sync(self, func):
        known = self.__dict__.setdefault("_quizapp_sync", {})
        try:
            found = known.get(func)
        except TypeError:  # an unhashable callable: asked every time, as Flask does
            return super().ensure_sync(func)
        if found is None:
            found = known[func] = super().ensure_sync(func)
        return found


def select_locale() -> str:
    cookies = request.cookies
    # `in` first: Werkzeug's `get` of a missing key raises and catches an HTTP exception
    lang = cookies["lang"] if "lang" in cookies else "vi"  # noqa: SIM401
    return lang if lang in ("vi", "en") else "vi"


_LOCALES: dict[str, Locale] = {}


def babel_locale() -> Locale:
    """Flask-Babel's locale selector: the same choice as `select_locale`, as a Locale parsed
    once per process (Flask-Babel parses a returned string again on every request)."""
    lang = select_locale()
    locale = _LOCALES.get(lang)
    if locale is None:
        locale = _LOCALES[lang] = Locale.parse(lang)
    return locale


def select_timezone() -> str:
    return "Asia/Ho_Chi_Minh"


def t(message: str, params=None) -> str:
    """Translate a msgid carried by a domain error or a pure-core problem."""
    params = dict(params or {})
    text = gettext(message) if message else ""
    try:
        return text % params if params else text
    except (KeyError, ValueError, TypeError):
        return text


def now():
    """The request's clock (one value per request, injected into services)."""
    if "now" not in g:
        g.now = utcnow()
    return g.now


def actor() -> Actor:
    from quizapp.auth.services import actor_for

    if "actor" not in g:
        g.actor = actor_for(current_user if current_user.is_authenticated else None)
    return g.actor


def writes_on_get(view):
    """Mark a GET view that may write (e.g. submitting an expired attempt lazily); put it
    innermost, functools.wraps carries the mark to the outer decorators."""
    view.writes_on_get = True
    return view


def user_id_only(view):
    """Mark a view that reads nothing of the logged-in user but its id (the answer save):
    `current_user` is then an `auth.sessions.SessionUser`, loaded with one Core query. Put
    it innermost, like `writes_on_get`."""
    view.user_id_only = True
    return view


def actor_only(view):
    """Mark a page that reads of the logged-in user only its id, its name and what
    authorisation needs (`actor()`, the menu): `current_user` is then an
    `auth.sessions.SessionUser` holding the `Actor`, loaded with one Core query. Reading
    anything else of it loads the whole user, so the mark is about speed, never about
    correctness; but a service must not be handed `current_user` as a mapped object (a
    relationship or a comparison in a query). Put it innermost, like `writes_on_get`."""
    view.actor_only = True
    return view


def reads_first(view):
    """Mark a POST view that reads (checks, computes) before it writes: its first
    transaction takes no write lock; it calls `begin_writes()` when it is ready to write.
    Put it innermost, like `writes_on_get`."""
    view.reads_first = True
    return view


def begin_writes() -> None:
    """The request found it must write after all (a GET that reads first): its next
    transaction starts with the write intent (on SQLite, BEGIN IMMEDIATE). End the current
    read transaction first (commit or rollback) and read again what the writes depend on."""
    if "write_token" not in g:
        g.write_token = write_intent.set(True)


def switch_to_writes() -> None:
    """The request has read what it needs that may wait (the logged-in user) and writes from
    here. On SQLite the read transaction is committed (what it loaded stays loaded: the
    session does not expire on commit) so that the next one starts with BEGIN IMMEDIATE and
    the write lock is held only from here on; on PostgreSQL, which has no lock to upgrade,
    the same transaction goes on (no extra round trips)."""
    if db.engine.dialect.name == "sqlite" and db.session().in_transaction():
        db.session.commit()  # (an answer save reads with `Database.read_once`: nothing to end)
    begin_writes()


def writes_done() -> None:
    """The request's writes are committed: what it does next only reads, so its next
    transaction starts without the write intent (on SQLite, a plain BEGIN that takes no write
    lock, so that rendering a page never holds other writers up)."""
    token = g.pop("write_token", None)
    if token is not None:
        write_intent.reset(token)


def organiser_required(view):
    """Organisers and admins only: 401 (login) for guests, 403 for members."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not actor().is_organiser:
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def admin_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not actor().is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def copy_errors(form, exc: Invalid) -> None:
    """Put a service's field errors back on the form (unknown fields go to the form top)."""
    for field, messages in exc.field_errors.items():
        target = getattr(form, field, None)
        texts = [t(m, exc.params) for m in messages]
        if target is not None and hasattr(target, "errors"):
            target.errors = list(target.errors or []) + texts
        else:
            form.form_errors.extend(texts)


def run_service(form, call):
    """Run a service call for a submitted form and commit once; when the service refuses
    (Invalid), roll back and put its field errors on the form. Returns (ok, result)."""
    try:
        result = call()
        db.session.commit()
    except Invalid as exc:
        db.session.rollback()
        copy_errors(form, exc)
        return False, None
    return True, result


class Page:
    """One page of a query's results."""

    def __init__(self, items, total: int, page: int, per_page: int):
        self.items, self.total, self.page, self.per_page = items, total, page, per_page
        self.pages = max(1, ceil(total / per_page)) if per_page else 1

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def paginate(stmt, *, per_page: int | None = None) -> Page:
    from flask import current_app
    from sqlalchemy import func, select

    per_page = per_page or current_app.config["PAGE_SIZE"]
    page = max(1, request.args.get("page", 1, type=db_int) or 1)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    items = db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).all()
    return Page(items, total or 0, page, per_page)


def _wants_json() -> bool:
    return request.path.startswith("/api/") or (request.accept_mimetypes.best == "application/json")


def _error_response(status: int, message: str):
    if _wants_json():
        return jsonify({"error": message, "status": status}), status
    return render_template("errors/error.html", status=status, message=message), status


def init_web(app: Flask) -> None:
    from quizapp.auth.sessions import load_session, load_session_actor, load_session_user_id

    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = None  # sessions are server-side (LoginSession)

    @login_manager.user_loader
    def _load(session_id: str):
        view = app.view_functions.get(request.endpoint)
        if getattr(view, "user_id_only", False):
            return load_session_user_id(db.read_once, db.session, session_id)
        if getattr(view, "actor_only", False):
            return load_session_actor(db.read_once, db.session, session_id)
        # GET renders a page whose menu reads the roles; other requests (form posts that
        # redirect) rarely do, and load them lazily if they do.
        return load_session(db.session, session_id, with_roles=request.method == "GET")

    @app.errorhandler(DomainError)
    def _domain_error(exc: DomainError):
        db.session.rollback()
        return _error_response(exc.status, t(exc.message, exc.params))

    @app.errorhandler(CSRFError)
    def _csrf_error(exc):
        return _error_response(
            400,
            gettext("The form expired or was sent from elsewhere. Reload the page and try again."),
        )

    for status, message in (
        (400, "The request could not be understood."),
        (403, "You do not have permission to see this page."),
        (404, "This page does not exist."),
        (405, "This action is not allowed here."),
        (413, "The file is too large."),
        (429, "Too many attempts. Wait a minute and try again."),
        (500, "Something went wrong on our side. Try again in a moment."),
    ):
        app.register_error_handler(status, _make_handler(status, message))

    session_cookie = app.config["SESSION_COOKIE_NAME"]

    @app.before_request
    def _touch_session():
        g.now = utcnow()
        if session_cookie not in request.cookies:
            # No session, no login (there is no remember-me cookie nor request loader):
            # Flask-Login need not look for one when a page asks for `current_user`.
            g._login_user = login_manager.anonymous_user()
        view = app.view_functions.get(request.endpoint)
        if getattr(view, "reads_first", False):
            return
        if request.method not in ("GET", "HEAD", "OPTIONS") or getattr(
            view, "writes_on_get", False
        ):
            g.write_token = write_intent.set(True)

    @app.teardown_request
    def _reset_write_intent(_exc):
        token = g.pop("write_token", None)
        if token is not None:
            write_intent.reset(token)

    security = [
        ("Content-Security-Policy", CSP),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "same-origin"),
        ("Permissions-Policy", "geolocation=(), microphone=(), camera=()"),
    ]
    if app.config["SESSION_COOKIE_SECURE"]:
        security.append(("Strict-Transport-Security", "max-age=31536000; includeSubDomains"))

    @app.after_request
    def _headers(response):
        # Headers a view set itself win. One pass over the response's few headers (six
        # `setdefault` calls scanned them twelve times: a tenth of a bare request).
        h = response.headers
        present = {key.lower() for key, _value in h.items()}
        h.extend([(k, v) for k, v in security if k.lower() not in present])
        # Pages of a logged-in browser are private. Asked of the cookie, not of current_user,
        # which would load the login session on requests that never needed it.
        if "cache-control" not in present and (
            session_cookie in request.cookies
            or getattr(g.get("_login_user"), "is_authenticated", False)
        ):
            h["Cache-Control"] = "no-store"
        return response

    from markupsafe import Markup

    from quizapp.banks.sanitize import render_text
    from quizapp.banks.serial import from_dict

    # render_text escapes plain text and sanitises HTML/Markdown, so its output is safe.
    app.jinja_env.filters["rich"] = lambda text, fmt="plain": Markup(render_text(text, fmt))  # noqa: S704
    app.jinja_env.filters["question"] = from_dict
    app.jinja_env.filters["vndate"] = format_date
    app.jinja_env.filters["vnisodate"] = _iso_date
    app.jinja_env.filters["vndatetime"] = format_datetime
    app.jinja_env.globals["t"] = t
    app.jinja_env.globals["_fmt"] = format_translated  # see templating.fold_translations
    app.jinja_env.globals["url_for"] = remembered_url_for(app)
    app.jinja_env.globals["actor"] = actor
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
        newstyle=True,
    )

    @app.context_processor
    def _ctx():
        return {"lang": select_locale()}


def _translations():
    """Flask-Babel's translations for the current locale, found once per request and locale.

    Flask-Babel resolves the domain, the locale and its identifier on every string (20 per
    page, a fifth of a small page's time). The memo is keyed on the identity of the locale
    object Flask-Babel returns, so a `force_locale` block (certificate PDFs in the recipient's
    language) gets its own translations and the page around it gets its own back."""
    if not g:
        return get_translations()
    locale = get_locale()
    memo = g.get("_quizapp_translations")
    if memo is None or memo[0] is not locale:
        memo = g._quizapp_translations = (locale, get_translations())
    return memo[1]


def _iso_date(iso: str | None) -> str:
    return format_date(date.fromisoformat(iso)) if iso else ""


def _make_handler(status: int, message: str):
    def handler(exc):
        if status == 500:
            db.session.rollback()
        return _error_response(status, gettext(message))

    return handler


__all__ = ["Forbidden", "NotFound", "actor", "copy_errors", "now", "paginate", "t"]
