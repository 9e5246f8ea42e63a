"""Accounts: registration with consent, login sessions, organiser roles, reset codes."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import bindparam, delete, or_, select
from sqlalchemy.orm import Session, joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from quizapp.audit.services import record
from quizapp.auth.models import Consent, LoginSession, OrganiserRole, ResetCode, User
from quizapp.db import Prepared
from quizapp.errors import Conflict, Forbidden, Invalid, NotFound
from quizapp.i18n import N_
from quizapp.orgs.members import (
    MemberData,
    _validate,
    create_member,
    get_managed_member,
    set_categories,
)
from quizapp.orgs.models import Member, Unit
from quizapp.policy import SYSTEM, Actor, can_manage
from quizapp.textutil import normalise_email, normalise_phone
from quizapp.timeutil import age_on, local_today

GUARDIAN_AGE = 16  # under this age a parent's or guardian's consent is required
MIN_PASSWORD = 8
RESET_CODE_TTL = timedelta(hours=24)


def actor_for(user: User | SessionUser | None) -> Actor:
    """The user reduced to what policy needs; managed subtrees sorted (an ancestor before
    its descendants), the same whichever way the user was loaded."""
    if user is None:
        return Actor(user_id=None)
    if isinstance(user, SessionUser) and user.actor is not None:
        return user.actor
    return Actor(
        user_id=user.id,
        is_admin=user.is_admin,
        managed_paths=tuple(sorted(u.path for u in user.managed_units)),
        name=user.display_name,
    )


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


def _check_password_strength(password: str, field: str = "password") -> None:
    if len(password or "") < MIN_PASSWORD:
        raise Invalid(
            {
                field: N_("Use at least %(n)s characters."),
            },
            n=MIN_PASSWORD,
        )


def find_login(session: Session, identifier: str) -> User | None:
    """The account for a phone number or an e-mail address."""
    phone = normalise_phone(identifier)
    email = normalise_email(identifier)
    if not phone and not email:
        return None
    conds = []
    if phone:
        conds.append(User.phone == phone)
    if email:
        conds.append(User.email == email)
    return session.scalar(select(User).where(or_(*conds)))


def authenticate(session: Session, identifier: str, password: str) -> User | None:
    user = find_login(session, identifier)
    if user is None or not user.active:
        # Spend the same time as a real check so that timing does not reveal accounts.
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    if user.member is not None and not user.member.active:
        return None
    return user if check_password_hash(user.password_hash, password or "") else None


_DUMMY_HASH = generate_password_hash("not-a-password", method="scrypt")


# Called at every login: hook(session, user, now). Study programmes enrol members who
# joined a programme's audience since (without auth depending on programmes).
LOGIN_HOOKS: list = []


def open_session(session: Session, user: User, *, user_agent: str, now: datetime) -> LoginSession:
    """Start a fresh server-side login session (a new identifier at every login)."""
    login = LoginSession(
        id=secrets.token_urlsafe(32),
        user_id=user.id,
        created_at=now,
        last_seen_at=now,
        user_agent=(user_agent or "")[:255],
    )
    session.add(login)
    user.last_login_at = now
    session.flush()
    for hook in LOGIN_HOOKS:
        hook(session, user, now)
    return login


def close_session(session: Session, session_id: str) -> None:
    session.execute(delete(LoginSession).where(LoginSession.id == session_id))


def _session_loads(with_roles: bool) -> tuple:
    user = joinedload(LoginSession.user)
    roles = user.joinedload if with_roles else user.lazyload
    return (roles(User.organiser_roles), user.joinedload(User.member).lazyload(Member.categories))


_LOADS = {True: _session_loads(True), False: _session_loads(False)}  # built once


class SessionUser:
    """The logged-in user read with one Core query instead of the ORM (views marked
    `quizapp.web.user_id_only` or `quizapp.web.actor_only`): the id and, for pages, the
    `Actor` (admin flag, managed subtrees, name) that authorisation and the menu read.
    Whatever else is read of it (a page's `current_user.member`, an error page) loads the
    whole user from the request's session on first use."""

    __slots__ = ("id", "actor", "_session", "_user")
    is_authenticated = True
    is_active = True
    is_anonymous = False

    def __init__(self, user_id: int, session: Session, actor: Actor | None = None) -> None:
        self.id, self.actor, self._session, self._user = user_id, actor, session, None

    def get_id(self) -> str:
        return str(self.id)

    @property
    def display_name(self) -> str:
        return self.actor.name if self.actor is not None else self.__getattr__("display_name")

    def __getattr__(self, name: str):
        if self._user is None:
            self._user = self._session.get(User, self.id)
        return getattr(self._user, name)


_SESSION_USER_ID = Prepared(
    select(LoginSession.user_id)
    .join(User, User.id == LoginSession.user_id)
    .where(LoginSession.id == bindparam("session_id"), User.active.is_(True))
)


def load_session_user_id(read, session: Session, session_id: str) -> SessionUser | None:
    """`load_session` for a view that needs only the user's id: one Core query instead of
    loading the login session and the user through the ORM (a third of an answer save).
    `read` and `session` as for `load_session_actor`."""
    rows = read(_SESSION_USER_ID, {"session_id": session_id})
    return SessionUser(rows[0].user_id, session) if rows else None


# One row per organiser role (one row with no path for a member); the roles of archived
# units are not management rights (`User.managed_units`).
_SESSION_ACTOR = Prepared(
    select(User.id, User.is_admin, User.display_name, Unit.path)
    .select_from(LoginSession)
    .join(User, User.id == LoginSession.user_id)
    .outerjoin(OrganiserRole, OrganiserRole.user_id == User.id)
    .outerjoin(Unit, (Unit.id == OrganiserRole.unit_id) & Unit.archived_at.is_(None))
    .where(LoginSession.id == bindparam("session_id"), User.active.is_(True))
)


def load_session_actor(read, session: Session, session_id: str) -> SessionUser | None:
    """`load_session` for a page that reads of the user only its id, its name and what
    authorisation needs: one Core query builds the `Actor` (half a millisecond less than
    the ORM's login session, user, member and roles on every logged-in page).
    `read(prepared, params)` returns the rows (`Database.read_once`: a page served from
    caches then opens no ORM transaction at all; or `db.session_reader(session)`); `session`
    loads the whole user if something else is read of it."""
    rows = read(_SESSION_ACTOR, {"session_id": session_id})
    if not rows:
        return None
    first = rows[0]
    actor = Actor(
        user_id=first.id,
        is_admin=first.is_admin,
        managed_paths=tuple(sorted(r.path for r in rows if r.path is not None)),
        name=first.display_name,
    )
    return SessionUser(first.id, session, actor)


def load_session(session: Session, session_id: str, *, with_roles: bool = True) -> User | None:
    """The user of a login session (every request of a logged-in browser).

    `with_roles`: join the organiser roles into the same query, for pages (every page's menu
    asks whether the user organises; a separate roles query cost a member a tenth of a cached
    page). Without it they are loaded when something reads them: an answer save, the busiest
    request, never does, and the join costs it 3 %. Population categories are always loaded
    on demand."""
    login = session.get(LoginSession, session_id, options=_LOADS[with_roles])
    if login is None or not login.user.active:
        return None
    return login.user


@dataclass(frozen=True)
class Registration:
    full_name: str
    birth_date: date
    phone: str
    password: str
    unit_id: int
    categories: tuple[str, ...]
    consent: bool
    email: str | None = None
    cccd: str | None = None
    guardian_name: str | None = None
    guardian_consent: bool = False


def register_member(
    session: Session, reg: Registration, *, consent_version: str, pii_key: str, now: datetime
) -> User:
    """Self-registration: creates the roster member (or claims the roster entry with the same
    phone) and the account, and records consent. Raises Invalid with field errors."""
    errors: dict[str, str] = {}
    if not reg.consent:
        errors["consent"] = N_("You must agree to the processing of your personal data.")
    today = local_today(now)
    if reg.birth_date >= today or reg.birth_date.year < 1900:
        errors["birth_date"] = N_("Enter a real date of birth.")
    minor = age_on(reg.birth_date, today) < GUARDIAN_AGE
    if minor and not (reg.guardian_consent and (reg.guardian_name or "").strip()):
        errors["guardian_name"] = N_(
            "Under 16: enter the name of your parent or guardian, who must agree too."
        )
    if len(reg.password or "") < MIN_PASSWORD:
        errors["password"] = N_("Use at least 8 characters.")
    phone = normalise_phone(reg.phone)
    if phone is None:
        errors["phone"] = N_("Enter a 10-digit phone number starting with 0.")
    unit = session.get(Unit, reg.unit_id) if reg.unit_id else None
    if unit is None or unit.archived:
        errors["unit_id"] = N_("Choose your unit.")
    if phone and session.scalar(select(User.id).where(User.phone == phone)):
        errors["phone"] = N_("An account with this phone number already exists. Log in instead.")
    email = normalise_email(reg.email) if reg.email else None
    if email and session.scalar(select(User.id).where(User.email == email)):
        errors["email"] = N_("An account with this e-mail address already exists.")
    if errors:
        raise Invalid(errors)
    # A roster entry with this phone and no account yet is the same person: claim it.
    member = session.scalar(select(Member).where(Member.phone == phone))
    data = MemberData(
        full_name=reg.full_name,
        unit_id=unit.id,
        categories=reg.categories,
        birth_date=reg.birth_date,
        phone=phone,
        email=email,
        cccd=reg.cccd,
    )
    if member is not None:
        if session.scalar(select(User.id).where(User.member_id == member.id)):
            raise Invalid({"phone": N_("An account with this phone number already exists.")})
        name, cats, _p, _e, hashed = _validate(session, data, pii_key=pii_key, exclude_id=member.id)
        member.full_name, member.birth_date = name, reg.birth_date
        member.email = member.email or email
        member.cccd_hash = member.cccd_hash or hashed
        set_categories(member, member.population | set(cats))
    else:
        member = create_member(session, data, actor=SYSTEM, pii_key=pii_key, now=now, audit=False)
    user = User(
        phone=phone,
        email=email,
        display_name=member.full_name,
        password_hash=hash_password(reg.password),
        member_id=member.id,
        created_at=now,
    )
    session.add(user)
    session.add(
        Consent(
            member_id=member.id,
            kind="self",
            text_version=consent_version,
            given_by=member.full_name,
            given_at=now,
        )
    )
    if minor:
        member.guardian_name = reg.guardian_name.strip()
        member.guardian_consent_at = now
        session.add(
            Consent(
                member_id=member.id,
                kind="guardian",
                text_version=consent_version,
                given_by=member.guardian_name,
                given_at=now,
            )
        )
    session.flush()
    return user


def needs_guardian_consent(member: Member | None, now: datetime) -> bool:
    """True when the member is under 16 and no guardian consent is on record (no quiz then)."""
    if member is None or member.birth_date is None:
        return False
    return (
        age_on(member.birth_date, local_today(now)) < GUARDIAN_AGE
        and member.guardian_consent_at is None
    )


def record_guardian_consent(
    session: Session,
    member_id: int,
    guardian_name: str,
    *,
    actor: Actor,
    consent_version: str,
    now: datetime,
) -> Member:
    member = get_managed_member(session, member_id, actor)
    if not guardian_name.strip():
        raise Invalid({"guardian_name": N_("Enter the name of the parent or guardian.")})
    member.guardian_name = guardian_name.strip()
    member.guardian_consent_at = now
    session.add(
        Consent(
            member_id=member.id,
            kind="guardian",
            text_version=consent_version,
            given_by=member.guardian_name,
            given_at=now,
            recorded_by_id=actor.user_id,
        )
    )
    record(
        session,
        actor=actor,
        action="member.guardian_consent",
        object_type="member",
        object_id=member.id,
        unit_path=member.unit.path,
        summary=member.full_name,
        after={"guardian_name": member.guardian_name},
        now=now,
    )
    return member


def issue_reset_code(session: Session, member_id: int, *, actor: Actor, now: datetime) -> str:
    """A one-time 8-digit code (valid 24 h) that lets a member choose a new password."""
    member = get_managed_member(session, member_id, actor)
    user = session.scalar(select(User).where(User.member_id == member.id))
    if user is None:
        raise Conflict(N_("This member has no account yet."))
    code = f"{secrets.randbelow(10**8):08d}"
    session.execute(
        delete(ResetCode).where(ResetCode.user_id == user.id, ResetCode.used_at.is_(None))
    )
    session.add(
        ResetCode(
            user_id=user.id,
            code_hash=hash_password(code),
            issued_by_id=actor.user_id,
            expires_at=now + RESET_CODE_TTL,
        )
    )
    record(
        session,
        actor=actor,
        action="member.reset_code",
        object_type="member",
        object_id=member.id,
        unit_path=member.unit.path,
        summary=member.full_name,
        now=now,
    )
    return code


def reset_password(
    session: Session, identifier: str, code: str, new_password: str, *, now: datetime
) -> User:
    """Use a reset code; ends every login session of the account."""
    _check_password_strength(new_password)
    user = find_login(session, identifier)
    codes = (
        []
        if user is None
        else session.scalars(
            select(ResetCode).where(
                ResetCode.user_id == user.id,
                ResetCode.used_at.is_(None),
                ResetCode.expires_at > now,
            )
        ).all()
    )
    match = next((c for c in codes if check_password_hash(c.code_hash, (code or "").strip())), None)
    if match is None:
        raise Invalid({"code": N_("The code is wrong or has expired. Ask your organiser.")})
    match.used_at = now
    user.password_hash = hash_password(new_password)
    session.execute(delete(LoginSession).where(LoginSession.user_id == user.id))
    session.flush()
    return user


def change_password(session: Session, user: User, old: str, new: str) -> None:
    if not check_password_hash(user.password_hash, old or ""):
        raise Invalid({"old_password": N_("The current password is wrong.")})
    _check_password_strength(new, "new_password")
    user.password_hash = hash_password(new)
    session.flush()


def grant_organiser(
    session: Session, user_id: int, unit_id: int, *, actor: Actor, now: datetime
) -> OrganiserRole:
    """Make a user organiser of a unit inside the actor's subtree."""
    unit = session.get(Unit, unit_id)
    if unit is None or not can_manage(actor, unit.path):
        raise Forbidden(N_("You can only appoint organisers inside your own units."))
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(N_("Account not found."))
    if session.scalar(
        select(OrganiserRole).where(
            OrganiserRole.user_id == user_id, OrganiserRole.unit_id == unit_id
        )
    ):
        raise Conflict(N_("This person already organises this unit."))
    role = OrganiserRole(user_id=user.id, unit_id=unit.id, granted_at=now)
    session.add(role)
    session.flush()
    record(
        session,
        actor=actor,
        action="organiser.grant",
        object_type="user",
        object_id=user.id,
        unit_path=unit.path,
        summary=f"{user.display_name} → {unit.code}",
        now=now,
    )
    return role


def revoke_organiser(session: Session, role_id: int, *, actor: Actor, now: datetime) -> None:
    role = session.get(OrganiserRole, role_id)
    if role is None or not can_manage(actor, role.unit.path):
        raise NotFound(N_("Role not found."))
    if role.user_id == actor.user_id and not actor.is_admin:
        raise Forbidden(N_("You cannot remove your own role."))
    record(
        session,
        actor=actor,
        action="organiser.revoke",
        object_type="user",
        object_id=role.user_id,
        unit_path=role.unit.path,
        summary=f"{role.user_id} ✕ {role.unit.code}",
        now=now,
    )
    session.delete(role)
    session.flush()


def create_account(
    session: Session,
    *,
    display_name: str,
    phone: str | None,
    email: str | None,
    password: str,
    is_admin: bool = False,
    member: Member | None = None,
    now: datetime,
) -> User:
    """An account created by the CLI or demo data (admins, organisers)."""
    _check_password_strength(password)
    user = User(
        display_name=display_name,
        phone=normalise_phone(phone) if phone else None,
        email=normalise_email(email) if email else None,
        is_admin=is_admin,
        password_hash=hash_password(password),
        member_id=member.id if member else None,
        created_at=now,
    )
    session.add(user)
    session.flush()
    return user
