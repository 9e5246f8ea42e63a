"""Login accounts, server-side login sessions, organiser roles, consents and reset codes."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quizapp.clock import utcnow
from quizapp.db import Base
from quizapp.orgs.models import Member, Unit


class User(Base):
    """An account. Members log in with their roster record's phone or e-mail."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    email: Mapped[str | None] = mapped_column(String(200), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"), unique=True)
    locale: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    member: Mapped[Member | None] = relationship(lazy="joined")
    organiser_roles: Mapped[list[OrganiserRole]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", back_populates="user"
    )

    # The attributes Flask-Login reads, written out so that models stay free of Flask.
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return str(self.id)

    @property
    def managed_units(self) -> list[Unit]:
        return [r.unit for r in self.organiser_roles if not r.unit.archived]

    @property
    def is_organiser(self) -> bool:
        return self.is_admin or bool(self.organiser_roles)


class OrganiserRole(Base):
    """The user organises this unit and its whole subtree."""

    __tablename__ = "organiser_role"
    __table_args__ = (UniqueConstraint("user_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)

    unit: Mapped[Unit] = relationship(lazy="joined")
    user: Mapped[User] = relationship(back_populates="organiser_roles")


class LoginSession(Base):
    """Server-side session: the cookie carries only its random id, so logout really ends it."""

    __tablename__ = "login_session"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    user_agent: Mapped[str] = mapped_column(String(255), default="")

    user: Mapped[User] = relationship(lazy="joined")


class Consent(Base):
    """A recorded consent to the processing of personal data (own, or a guardian's)."""

    __tablename__ = "consent"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # "self" or "guardian"
    text_version: Mapped[str] = mapped_column(String(20))
    given_by: Mapped[str] = mapped_column(String(200))
    given_at: Mapped[datetime] = mapped_column(default=utcnow)
    withdrawn_at: Mapped[datetime | None]  # the person withdrew it (quizapp/rights)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


class ResetCode(Base):
    """A one-time password reset code issued by an organiser (stored hashed)."""

    __tablename__ = "reset_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(String(255))
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class RosterClaim(Base):
    """A new account whose phone number is already on a roster: it is linked to that member
    only when an organiser of the member's unit confirms it is the same person. What the
    registrant typed is kept beside the roster's record for the organiser to compare; nothing
    of the roster is overwritten."""

    __tablename__ = "roster_claim"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), unique=True
    )
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), index=True)
    full_name: Mapped[str] = mapped_column(String(200))
    birth_date: Mapped[date]
    guardian_name: Mapped[str | None] = mapped_column(String(200))
    consent_version: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(lazy="joined")


class ApiToken(Base):
    """A refresh token of an app's login (`quizapp/auth/tokens.py`), stored as the SHA-256 of
    the random token. A `family` is one login of one app: each refresh replaces the row by a
    new one of the same family (`replaced_at`); a replaced token shown again means it was
    copied, and the whole family is revoked. Access tokens name their family, so revoking it
    ends them at once."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    family: Mapped[str] = mapped_column(String(32), index=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[str] = mapped_column(String(100))
    client: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    replaced_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class ApiIdempotencyKey(Base):
    """An answer save sent through the API with a client key (`Idempotency-Key`): the same
    key sent again (an offline queue resending) is answered from here without saving again,
    so a resend never overwrites a newer answer."""

    __tablename__ = "api_idempotency_key"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(100))
    attempt_id: Mapped[int] = mapped_column(
        ForeignKey("attempt.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
