"""Web glue: error → response mapping, security headers, locale, login loading, helpers."""

from __future__ import annotations

import hashlib
import os
from datetime import date, datetime
from functools import wraps
from math import ceil

from babel import Locale
from flask import (
    Flask,
    abort,
    current_app,
    g,
    jsonify,
    make_response,
    render_template,
    request,
    session,
)
from flask_babel import get_locale, gettext, ngettext
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from quizapp.clock import utcnow
from quizapp.errors import DomainError, Forbidden, Invalid, NotFound
from quizapp.extensions import db, login_manager
from quizapp.forms import db_int
from quizapp.i18n import N_, Message, Phrase, format_score, from_data
from quizapp.policy import Actor
from quizapp.timeutil import format_date, format_datetime

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)


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
    """Translate a msgid carried by a domain error or a pure-core problem, or an
    `i18n.Message` (its own parameters)."""
    if isinstance(message, Message):
        return message.translated(gettext, get_locale())
    params = {
        k: v.translated(gettext, get_locale()) if isinstance(v, (Phrase, Message)) else v
        for k, v in (params or {}).items()
    }
    text = gettext(message) if message else ""
    try:
        return text % params if params else text
    except (KeyError, ValueError, TypeError):
        return text


def stored_message(data) -> str:
    """A message kept as data (`i18n.to_data`, e.g. a prize list's explanations) in the
    interface's language; a plain text (kept before messages were) as it is."""
    if isinstance(data, dict):
        return t(from_data(data))
    return data or ""


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


def public_page(body, *, max_age: int, last_modified: datetime | None = None):
    """A page that anonymous visitors share (a QR verification, a public ranking, a contest's
    landing page): `Cache-Control: public, max-age` for browsers and the reverse proxy's
    micro-cache (deploy/nginx.conf), an ETag of the body and, when known, Last-Modified; a
    revalidation that matches gets 304 without the body. `max_age` is how long a change (a
    revocation, a published prize list) may take to show. A browser with a session gets the
    page privately (`no-store`, set for every response to such a browser)."""
    response = make_response(body)
    if current_app.config["SESSION_COOKIE_NAME"] in request.cookies:
        return response
    response.cache_control.public = True
    response.cache_control.max_age = max_age
    response.vary.add("Cookie")  # the language is a cookie
    if last_modified is not None:
        response.last_modified = last_modified
    response.add_etag()
    return response.make_conditional(request)


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
    """Run a service call for a submitted form (the request commits it at its end); when the
    service refuses (Invalid), roll back what it flushed and put its field errors on the
    form. Returns (ok, result)."""
    try:
        result = call()
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
    return (
        request.path.startswith("/api/")
        or request.path.endswith(".json")
        or request.accept_mimetypes.best == "application/json"
    )


def _error_response(status: int, message: str, code: str | None = None):
    if request.path.startswith("/api/"):  # the JSON API answers with problem details
        from quizapp.api.problems import problem

        return problem(status, message, code=code), status
    if _wants_json():
        body = {"error": message, "status": status}
        if code:
            body["code"] = code
        return jsonify(body), status
    return render_template("errors/error.html", status=status, message=message), status


class DatabaseInt(IntegerConverter):
    """`<int:…>` in every route: a number the database's integer columns can hold (a larger
    one is a 404, where PostgreSQL would refuse the query with "integer out of range")."""

    def __init__(self, map, *args, **kwargs):  # noqa: A002 - werkzeug's parameter name
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def init_web(app: Flask) -> None:
    from quizapp.auth.sessions import load_session

    app.url_map.converters["int"] = DatabaseInt  # before any blueprint adds its routes

    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = None  # sessions are server-side (LoginSession)

    @login_manager.user_loader
    def _load(session_id: str):
        if request.blueprint == "api" and request.authorization is not None:
            # An API request with a bearer token is its token's (quizapp/api/auth.py), never
            # the browser session's: a cookie must not stand in for a token nor its scopes.
            return None
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
            code="csrf",  # the quiz page asks to log in again and keeps its answers
        )

    app.register_error_handler(HTTPException, _http_error)

    session_cookie = app.config["SESSION_COOKIE_NAME"]

    @app.before_request
    def _request_time():
        g.now = utcnow()

    @app.before_request
    def _refuse_nul():
        """No text a person types holds a NUL character, and PostgreSQL refuses one in a text
        value: a query string or form field with one is a bad request, not a 500."""
        for values in (request.args, request.form):
            if any("\x00" in v for _key, vs in values.lists() for v in vs):
                abort(400)

    @app.after_request
    def _commit(response):
        """One unit of work per request: whatever the request changed is committed here,
        once, when it ends without an exception (a read-only request ends its transaction
        with COMMIT too); an exception rolls back (the error handlers, the teardown)."""
        db.session.commit()
        return response

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
        # Pages of a browser with a session are private. Asked of the cookie, not of
        # current_user, which would load the login session on requests that never needed it.
        if "cache-control" not in present and (
            session_cookie in request.cookies or session.modified
        ):
            h["Cache-Control"] = "no-store"
        return response

    static_versions: dict[tuple[str, float], str] = {}

    @app.url_defaults
    def _static_version(endpoint, values):
        """Static addresses carry a hash of the file's content (`?v=…`): browsers and nginx
        keep them for a year (SEND_FILE_MAX_AGE_DEFAULT, deploy/nginx.conf), and a changed
        file gets a new address."""
        if endpoint != "static" or "filename" not in values:
            return
        path = os.path.join(app.static_folder, values["filename"])
        try:
            key = (path, os.path.getmtime(path))
        except OSError:
            return
        version = static_versions.get(key)
        if version is None:
            with open(path, "rb") as fh:
                version = static_versions[key] = hashlib.sha256(fh.read()).hexdigest()[:12]
        values["v"] = version

    from markupsafe import Markup

    from quizapp.banks.sanitize import render_text
    from quizapp.banks.serial import from_dict

    # render_text escapes plain text and sanitises HTML/Markdown, so its output is safe.
    app.jinja_env.filters["rich"] = lambda text, fmt="plain": Markup(render_text(text, fmt))  # noqa: S704
    app.jinja_env.filters["question"] = from_dict
    app.jinja_env.filters["vndate"] = format_date
    app.jinja_env.filters["vnisodate"] = _iso_date
    app.jinja_env.filters["vndatetime"] = format_datetime
    app.jinja_env.filters["score"] = score_text
    app.jinja_env.filters["message"] = stored_message
    app.jinja_env.globals["t"] = t
    app.jinja_env.globals["actor"] = actor

    @app.context_processor
    def _ctx():
        return {"lang": select_locale()}


def score_text(value) -> str:
    """A score in the interface's language ("6,17" in Vietnamese): the `score` filter."""
    return format_score(value, get_locale())


def _iso_date(iso: str | None) -> str:
    return format_date(date.fromisoformat(iso)) if iso else ""


# Every HTTP error a visitor can meet, in the interface's language (the 429 page says
# when to try again: `_too_many`); other statuses get the general message.
ERROR_MESSAGES = {
    400: N_("The request could not be understood."),
    401: N_("Log in to see this page."),
    403: N_("You do not have permission to see this page."),
    404: N_("This page does not exist."),
    405: N_("This action is not allowed here."),
    409: N_("This was changed in the meantime. Reload the page and try again."),
    410: N_("This page is no longer available."),
    413: N_("The file is too large."),
    415: N_("This kind of content is not accepted here."),
    500: N_("Something went wrong on our side. Try again in a moment."),
}
GENERAL_ERROR = N_("The request could not be completed. Try again in a moment.")


def _http_error(exc: HTTPException):
    status = exc.code or 500
    if status == 429:
        return _too_many()
    if status >= 500:
        db.session.rollback()
    return _error_response(status, gettext(ERROR_MESSAGES.get(status, GENERAL_ERROR)))


def _too_many():
    """A rate limit was reached: say when to try again, in the page and in `Retry-After`.
    The wait stated is the limit's window, the longest it can take (the exact reset is a
    reading of the system clock, which the app reads only through its own); with
    RATELIMIT_HEADERS_ENABLED Flask-Limiter sharpens the header to its exact reset."""
    from quizapp.extensions import limiter

    limit = limiter.current_limit
    seconds = int(limit.limit.get_expiry()) if limit is not None else 60
    if seconds < 120:
        message = gettext("Too many attempts. Try again in %(n)s seconds.", n=seconds)
    else:
        minutes = ceil(seconds / 60)
        message = ngettext(
            "Too many attempts. Try again in %(num)s minute.",
            "Too many attempts. Try again in %(num)s minutes.",
            minutes,
        )
    response, status = _error_response(429, message)
    response = make_response(response, status)
    response.headers["Retry-After"] = str(seconds)
    return response


__all__ = ["Forbidden", "NotFound", "actor", "copy_errors", "now", "paginate", "t"]
