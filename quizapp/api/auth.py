"""Who calls the API: a bearer access token (apps) or the site's cookie session (the site's
own scripts). Bearer requests need no CSRF token (a browser never adds the header by
itself); cookie requests that write must send one (`X-CSRFToken`), as the pages do.

The token endpoints: POST /auth/token (phone or e-mail and password, rate-limited as the
login page), /auth/refresh (rotation), /auth/revoke."""

from __future__ import annotations

from functools import wraps

from flask import current_app, g, request
from flask_babel import gettext as _
from flask_login import current_user

from quizapp.api import BEARER, RequestInvalid, api_rate, bp, responses, spec
from quizapp.api.problems import problem
from quizapp.api.schemas import Me, RefreshRequest, RevokeResponse, TokenRequest, TokenResponse
from quizapp.auth import services as auth_services
from quizapp.auth import tokens
from quizapp.errors import DomainError, Forbidden, Invalid
from quizapp.extensions import csrf, db, limiter, login_manager
from quizapp.i18n import N_
from quizapp.policy import Actor
from quizapp.textutil import normalise_email, normalise_phone
from quizapp.web import actor, now, t

SAFE = ("GET", "HEAD", "OPTIONS")
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}  # tokens (RFC 6749 § 5.1)
CREDENTIAL_ENDPOINTS = ("api.token", "api.refresh", "api.revoke")


def bearer_token() -> str | None:
    auth = request.authorization
    if auth is not None and auth.type == "bearer" and auth.token:
        return auth.token
    return None


def _load_from_bearer(req):
    """Flask-Login's request loader: the account of a valid access token on an API request
    (the cookie's session is ignored there: see `web.init_web`)."""
    if req.blueprint != "api":
        return None
    token = bearer_token()
    if token is None:
        return None
    try:
        claims = tokens.read_access(token, secret=current_app.config["SECRET_KEY"], now=now())
    except tokens.TokenRefused as exc:
        g.api_token_error = exc.message
        return None
    user = tokens.user_of(db.session, claims, now())
    if user is None:
        g.api_token_error = N_("This access token was revoked. Log in again.")
        return None
    g.api_claims = claims
    return user


def scopes() -> frozenset[str]:
    """The scopes of this request: the token's, or for a cookie session every scope the
    account may hold."""
    if not current_user.is_authenticated:
        return frozenset()
    claims = g.get("api_claims")
    if claims is not None:
        return claims.scopes
    return frozenset(tokens.grantable(actor(), None))


def api_actor() -> Actor:
    """The actor of an organiser endpoint (its subtree from the account's roles now)."""
    return actor()


def authenticated() -> None:
    if not current_user.is_authenticated:
        err = g.get("api_token_error")
        raise tokens.TokenRefused(
            err or N_("Log in: send an access token (Authorization: Bearer).")
        )


def needs(scope: str):
    """The view needs an authenticated caller holding `scope` (401 without one, 403 without
    the scope). Checked before the request's body."""

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            authenticated()
            if scope not in scopes():
                raise Forbidden(
                    N_("This token does not allow this (scope %(scope)s needed)."), scope=scope
                )
            if scope != tokens.PARTICIPANT and not actor().is_organiser:
                raise Forbidden(N_("Only organisers can do this."))
            return view(*args, **kwargs)

        return wrapper

    return decorate


def _rate_key():
    """Per account when the caller is known (token or session), else per address."""
    if current_user.is_authenticated:  # loads the bearer's account if there is one
        return f"api-user:{current_user.id}"
    return request.remote_addr or ""


@bp.before_request
def _csrf_for_cookies():
    """CSRF applies to cookie-authenticated writes, not to bearer ones."""
    if (
        request.method not in SAFE
        and bearer_token() is None
        and request.endpoint not in CREDENTIAL_ENDPOINTS
        and current_app.config["SESSION_COOKIE_NAME"] in request.cookies
        and current_app.config.get("WTF_CSRF_ENABLED", True)
    ):
        csrf.protect()


@bp.errorhandler(DomainError)
def _domain_error(exc: DomainError):
    db.session.rollback()
    headers = {}
    code = getattr(exc, "code", None)
    if exc.status == 401:
        code = "invalid_token" if bearer_token() else "login"
        headers["WWW-Authenticate"] = (
            'Bearer error="invalid_token"' if bearer_token() else 'Bearer realm="api"'
        )
    errors = None
    if isinstance(exc, Invalid):
        errors = {f: [t(m, exc.params) for m in ms] for f, ms in exc.field_errors.items()}
        code = "invalid"
    return problem(
        exc.status, t(exc.message, exc.params), code=code, errors=errors, headers=headers
    )


@bp.errorhandler(RequestInvalid)
def _request_invalid(exc: RequestInvalid):
    db.session.rollback()
    return problem(
        422, _("The request does not fit its schema."), code="invalid", errors=exc.errors
    )


def init_auth(app) -> None:
    login_manager.request_loader(_load_from_bearer)
    csrf.exempt(bp)


# Every API request counts against the caller's limit (reported in X-RateLimit-* headers).
limiter.limit(api_rate, key_func=_rate_key)(bp)


# --- token endpoints ---------------------------------------------------------------------


def _login_rate():
    return current_app.config["LOGIN_RATE_LIMIT"]


def _login_account_rate():
    return current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"]


def _login_account_key():
    data = request.get_json(silent=True)
    typed = str(data.get("identifier", "")) if isinstance(data, dict) else ""
    return "login-account:" + (normalise_phone(typed) or normalise_email(typed) or typed[:100])


def _pair(pair: tokens.TokenPair) -> TokenResponse:
    return TokenResponse(
        access_token=pair.access_token,
        expires_in=pair.expires_in,
        refresh_token=pair.refresh_token,
        scope=" ".join(pair.scopes),
    )


@bp.post("/auth/token")
@limiter.limit(_login_rate)
@limiter.limit(_login_account_rate, key_func=_login_account_key)
@spec.validate(resp=responses(TokenResponse, 401), tags=["auth"])
def token(json: TokenRequest):
    """Log in: an access token and a refresh token

    The same accounts, checks and rate limits as the login page. `scope` narrows the token
    (organiser scopes are given to organisers only)."""
    user = auth_services.authenticate(db.session, json.identifier, json.password)
    if user is None:
        raise tokens.TokenRefused(N_("Wrong phone number/e-mail or password."))
    pair = tokens.issue(
        db.session,
        user,
        auth_services.actor_for(user),
        scope=json.scope,
        client=json.client or request.user_agent.string or "",
        secret=current_app.config["SECRET_KEY"],
        now=now(),
    )
    return _pair(pair), 200, NO_STORE


@bp.post("/auth/refresh")
@limiter.limit(_login_rate)
@spec.validate(resp=responses(TokenResponse, 401), tags=["auth"])
def refresh(json: RefreshRequest):
    """Refresh: a new access token and a new refresh token (the old one is used up)

    A refresh token presented a second time revokes its whole login."""
    try:
        pair = tokens.refresh(
            db.session, json.refresh_token, secret=current_app.config["SECRET_KEY"], now=now()
        )
    except tokens.TokenReused as exc:  # the revocation of its login is kept (committed)
        return problem(401, t(exc.message, exc.params), code="invalid_token")
    return _pair(pair), 200, NO_STORE


@bp.post("/auth/revoke")
@spec.validate(resp=responses(RevokeResponse), tags=["auth"])
def revoke(json: RefreshRequest):
    """Log out: revoke a refresh token's login (its access tokens end at once)"""
    return RevokeResponse(revoked=tokens.revoke_token(db.session, json.refresh_token, now=now()))


@bp.get("/me")
@needs(tokens.PARTICIPANT)
@spec.validate(resp=responses(Me, 401, 403), tags=["participant"], security=BEARER)
def me():
    """Who the token belongs to, with its scopes"""
    from quizapp.api.participant import unit_ref

    member = current_user.member
    return Me(
        id=current_user.id,
        display_name=current_user.display_name,
        scopes=sorted(scopes()),
        is_organiser=actor().is_organiser,
        is_admin=current_user.is_admin,
        unit=unit_ref(member.unit) if member else None,
        managed_units=[unit_ref(u) for u in current_user.managed_units],
    )
