"""Bearer tokens of the JSON API (`quizapp/api/`): an app logs a member in once and holds

- an **access token**, short-lived (ACCESS_TTL), signed with the app's secret (itsdangerous):
  user id, scopes, expiry and the family of the refresh token it came with. Nothing is
  stored per access token; each request checks the signature, the expiry and, in the same
  query that loads the user, that its family is still alive, so a revocation ends it at once;
- a **refresh token**, random (256 bits), stored as its SHA-256 (`ApiToken`), valid for
  REFRESH_TTL, used once: a refresh replaces it with a new one of the same family. A
  replaced token presented again was copied (OAuth 2.0 Security BCP, refresh token
  rotation): the whole family is revoked.

Scopes: `participant` (everyone with an account), `organiser:read` and `organiser:write`
(organisers and admins only). A token's scopes only narrow what the account may do: the
organiser's subtree is read from the account's roles on every request.

Services take `now` and never commit (the request does)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import and_, delete, exists, select, update
from sqlalchemy.orm import Session

from quizapp.auth.models import ApiIdempotencyKey, ApiToken, User
from quizapp.errors import DomainError, Invalid
from quizapp.i18n import N_
from quizapp.policy import Actor

ACCESS_TTL = timedelta(minutes=15)
REFRESH_TTL = timedelta(days=30)
PARTICIPANT, ORG_READ, ORG_WRITE = "participant", "organiser:read", "organiser:write"
SCOPES = (PARTICIPANT, ORG_READ, ORG_WRITE)
_SALT = "quizapp-api-access"


class TokenRefused(DomainError):
    """A missing, expired, revoked or forged token (401)."""

    status = 401


class TokenReused(TokenRefused):
    """A replaced refresh token presented again: its family was revoked (a write the caller
    must keep, not roll back)."""


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int  # seconds the access token lives
    scopes: tuple[str, ...]
    family: str


@dataclass(frozen=True)
class AccessClaims:
    user_id: int
    scopes: frozenset[str]
    family: str
    expires_at: datetime


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _epoch(moment: datetime) -> int:
    return int((moment - EPOCH).total_seconds())


def grantable(actor: Actor, requested: str | None) -> tuple[str, ...]:
    """The scopes an account may hold, narrowed to those requested (space-separated; None:
    all it may hold). Asking for a scope the account may not hold is refused."""
    allowed = [PARTICIPANT] + ([ORG_READ, ORG_WRITE] if actor.is_organiser else [])
    if requested is None or not requested.strip():
        return tuple(allowed)
    wanted = requested.split()
    if any(s not in allowed for s in wanted):
        raise Invalid({"scope": N_("This account cannot be given the scope asked for.")})
    return tuple(s for s in SCOPES if s in wanted)


def _access(secret: str, user_id: int, scopes, family: str, now: datetime) -> str:
    payload = {"u": user_id, "s": " ".join(scopes), "f": family, "e": _epoch(now + ACCESS_TTL)}
    return URLSafeSerializer(secret, salt=_SALT).dumps(payload)


def _new_row(session: Session, user_id: int, family: str, scopes, client: str, now) -> str:
    token = secrets.token_urlsafe(32)
    session.add(
        ApiToken(
            family=family,
            user_id=user_id,
            token_hash=_hash(token),
            scopes=" ".join(scopes),
            client=client[:100],
            created_at=now,
            expires_at=now + REFRESH_TTL,
        )
    )
    return token


IDEMPOTENCY_TTL = timedelta(days=1)


def _purge(session: Session, user_id: int, now: datetime) -> None:
    """Forget what an account no longer needs, at each login and refresh (so nothing grows
    without a cron job): its expired refresh tokens, and its answer-save keys older than a
    day (an offline queue resends within the round, far sooner)."""
    session.execute(delete(ApiToken).where(ApiToken.user_id == user_id, ApiToken.expires_at <= now))
    session.execute(
        delete(ApiIdempotencyKey).where(
            ApiIdempotencyKey.user_id == user_id,
            ApiIdempotencyKey.created_at < now - IDEMPOTENCY_TTL,
        )
    )


def issue(
    session: Session,
    user: User,
    actor: Actor,
    *,
    scope: str | None,
    client: str,
    secret: str,
    now: datetime,
) -> TokenPair:
    """A new login of an app (a new family) for an authenticated account."""
    scopes = grantable(actor, scope)
    _purge(session, user.id, now)
    family = secrets.token_hex(16)
    refresh_token = _new_row(session, user.id, family, scopes, client or "", now)
    session.flush()
    return TokenPair(
        _access(secret, user.id, scopes, family, now),
        refresh_token,
        int(ACCESS_TTL.total_seconds()),
        scopes,
        family,
    )


def refresh(session: Session, refresh_token: str, *, secret: str, now: datetime) -> TokenPair:
    """Rotate: the presented refresh token is replaced by a new one of the same family and a
    new access token is given. A replaced token presented again revokes its family."""
    row = session.scalar(
        select(ApiToken).where(ApiToken.token_hash == _hash(refresh_token or "")).with_for_update()
    )
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        raise TokenRefused(N_("This refresh token is not valid. Log in again."))
    if row.replaced_at is not None:
        revoke_family(session, row.user_id, row.family, now=now)
        raise TokenReused(N_("This refresh token was already used. Log in again."))
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        raise TokenRefused(N_("This refresh token is not valid. Log in again."))
    row.replaced_at = now
    _purge(session, user.id, now)
    scopes = tuple(row.scopes.split())
    if not user.is_organiser:  # the organiser's roles were removed since
        scopes = tuple(s for s in scopes if s == PARTICIPANT)
    token = _new_row(session, user.id, row.family, scopes, row.client, now)
    session.flush()
    return TokenPair(
        _access(secret, user.id, scopes, row.family, now),
        token,
        int(ACCESS_TTL.total_seconds()),
        scopes,
        row.family,
    )


def revoke_token(session: Session, refresh_token: str, *, now: datetime) -> bool:
    """Revoke the family of a refresh token (logging an app out); False if unknown."""
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _hash(refresh_token or "")))
    if row is None:
        return False
    revoke_family(session, row.user_id, row.family, now=now)
    return True


def revoke_family(session: Session, user_id: int, family: str, *, now: datetime) -> int:
    """Revoke one login of an app: its refresh tokens and, at their next request, its access
    tokens. Returns how many rows were revoked (0: not this account's, or already)."""
    result = session.execute(
        update(ApiToken)
        .where(
            ApiToken.user_id == user_id, ApiToken.family == family, ApiToken.revoked_at.is_(None)
        )
        .values(revoked_at=now)
    )
    session.flush()
    return result.rowcount or 0


def revoke_all(session: Session, user_id: int, *, now: datetime) -> None:
    """End every app login of an account (a password change, a removed role)."""
    session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def _live(now: datetime):
    return and_(
        ApiToken.revoked_at.is_(None), ApiToken.replaced_at.is_(None), ApiToken.expires_at > now
    )


def active_logins(session: Session, user_id: int, now: datetime) -> list[ApiToken]:
    """The account's app logins still alive (one row per family: its current token)."""
    return list(
        session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user_id, _live(now))
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def read_access(token: str, *, secret: str, now: datetime) -> AccessClaims:
    """The claims of a well-signed, unexpired access token (raises TokenRefused)."""
    try:
        data = URLSafeSerializer(secret, salt=_SALT).loads(token)
        claims = AccessClaims(
            int(data["u"]),
            frozenset(str(data["s"]).split()),
            str(data["f"]),
            EPOCH + timedelta(seconds=int(data["e"])),
        )
    except (BadSignature, KeyError, TypeError, ValueError, OverflowError):
        raise TokenRefused(N_("This access token is not valid.")) from None
    if claims.expires_at <= now:
        raise TokenRefused(N_("This access token has expired. Refresh it."))
    return claims


def user_of(session: Session, claims: AccessClaims, now: datetime, *, options=()) -> User | None:
    """The active account of an access token whose family is still alive (one query)."""
    alive = exists().where(
        ApiToken.family == claims.family,
        ApiToken.user_id == claims.user_id,
        ApiToken.revoked_at.is_(None),
        ApiToken.expires_at > now,
    )
    user = session.scalar(
        select(User).options(*options).where(User.id == claims.user_id, User.active, alive)
    )
    if user is not None and user.member is not None and not user.member.active:
        return None
    return user
