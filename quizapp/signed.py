"""Signed values checked once per process: the session cookie and the form token.

A logged-in browser sends the same signed session cookie with every request until something
changes the session (Flask re-signs it only then: our sessions are not "permanent"). Checking
its signature again each time (itsdangerous: base64, an HMAC key derivation and the HMAC,
Flask's tagged JSON) was a tenth of a logged-in ranking page. Likewise Flask-WTF signs the
session's form token again on every page with a form (the menu's log-out button), although
with `WTF_CSRF_TIME_LIMIT = None` any of its signatures is as good as a new one.

Both memos hold only what the signature check accepted, keyed on the exact signed string, and
are bounded. A session cookie's age is still checked against the session lifetime on every
request, as itsdangerous does."""

from __future__ import annotations

import time

from flask import Flask, current_app, g, session
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import generate_csrf
from itsdangerous import BadSignature

# Values a session can hold that a shallow copy separates from the memo's copy; a session
# with anything else (a list of flashed messages) is not remembered.
_IMMUTABLE = (str, int, float, bool, type(None))


class Memo:
    """A bounded dict: emptied when full (cheaper than LRU bookkeeping on a hit, and a miss
    only costs the check the memo saves)."""

    def __init__(self, size: int = 4096):
        self.size = size
        self._d: dict = {}

    def get(self, key):
        return self._d.get(key)

    def put(self, key, value) -> None:
        if len(self._d) >= self.size:
            self._d.clear()
        self._d[key] = value


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session with its serializer built once (Flask builds it again to
    open and to save each session) and each cookie's signature checked once."""

    def __init__(self, memo_size: int = 4096):
        self.memo = Memo(memo_size)

    def get_signing_serializer(self, app: Flask):
        key = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        made = getattr(self, "_made", None)
        if made is None or made[0] != key:
            made = self._made = (key, super().get_signing_serializer(app))
            self.memo = Memo(self.memo.size)  # a new key: nothing checked before counts
        return made[1]

    def open_session(self, app: Flask, request):
        s = self.get_signing_serializer(app)
        if s is None:
            return None
        val = request.cookies.get(self.get_cookie_name(app))
        if not val:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        hit = self.memo.get(val)
        if hit is not None:
            # itsdangerous's own test: expired when older than max_age, or from the future
            age = int(time.time()) - hit[1]
            if 0 <= age <= max_age:
                return self.session_class(hit[0])
        try:
            data, signed_at = s.loads(val, max_age=max_age, return_timestamp=True)
        except BadSignature:
            return self.session_class()
        if all(isinstance(v, _IMMUTABLE) for v in data.values()):
            self.memo.put(val, (dict(data), int(signed_at.timestamp())))
        return self.session_class(data)

    def save_session(self, app: Flask, session, response) -> None:
        # What Flask does for a session it will not write (nearly every request), without
        # first reading the seven cookie settings it only needs to write one.
        if not session.modified and not (
            session.permanent and app.config["SESSION_REFRESH_EACH_REQUEST"]
        ):
            if session.accessed:
                response.vary.add("Cookie")
            return
        super().save_session(app, session, response)


def remembered_csrf_token(app: Flask, memo_size: int = 4096):
    """`csrf_token()` for templates (forms built in a view sign their own through Flask-WTF,
    and then this returns that token for the rest of the request): the signed token of the
    session's raw token, signed once. Only with `WTF_CSRF_TIME_LIMIT = None` (a signature
    never ages); otherwise, or with Flask-WTF's own secret or field name, it is Flask-WTF's
    `generate_csrf`."""
    memo = Memo(memo_size)
    cfg = app.config

    def csrf_token():
        if (
            cfg.get("WTF_CSRF_TIME_LIMIT", 3600) is not None
            or cfg.get("WTF_CSRF_SECRET_KEY")
            or cfg.get("WTF_CSRF_FIELD_NAME", "csrf_token") != "csrf_token"
        ):
            return generate_csrf()
        if "csrf_token" in g:
            return g.csrf_token
        raw = session.get("csrf_token")
        key = (current_app.secret_key, raw)
        token = memo.get(key) if isinstance(raw, str) else None
        if token is None:
            token = generate_csrf()
            memo.put((current_app.secret_key, session["csrf_token"]), token)
        g.csrf_token = token  # what generate_csrf would remember for the rest of the request
        return token

    return csrf_token


def use_remembered_csrf_token(app: Flask) -> None:
    """Templates' `csrf_token()` is `remembered_csrf_token`. Flask-WTF also puts its own
    `csrf_token` (and `csrf_meta_tag`, a global too) in every page's context through a context
    processor, which would hide the global: that processor is removed."""
    app.jinja_env.globals["csrf_token"] = remembered_csrf_token(app)
    processors = app.template_context_processors[None]
    processors[:] = [p for p in processors if getattr(p, "__module__", "") != "flask_wtf.csrf"]
