"""Accounts: registration with consent, login sessions, organiser roles, reset codes."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from quizapp import events
from quizapp.audit.services import record
from quizapp.auth.models import (
    ApiToken,
    Consent,
    LoginSession,
    OrganiserRole,
    ResetCode,
    RosterClaim,
    User,
)
from quizapp.errors import Conflict, Forbidden, Invalid, NotFound
from quizapp.i18n import N_
from quizapp.orgs.members import (
    MemberData,
    create_member,
    get_managed_member,
    require_authority_over_account,
)
from quizapp.orgs.models import Member, Unit
from quizapp.policy import SYSTEM, Actor, can_act_on_account, can_manage
from quizapp.textutil import clean_name, normalise_email, normalise_phone
from quizapp.timeutil import age_on, local_today

GUARDIAN_AGE = 16  # under this age a parent's or guardian's consent is required
MIN_PASSWORD = 8
RESET_CODE_TTL = timedelta(hours=24)


def actor_for(user: User | None) -> Actor:
    """The user reduced to what policy needs; managed subtrees sorted (an ancestor before
    its descendants)."""
    if user is None:
        return Actor(user_id=None)
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
    events.logged_in.send(user, session=session, now=now)
    return login


def close_session(session: Session, session_id: str) -> None:
    session.execute(delete(LoginSession).where(LoginSession.id == session_id))


@dataclass(frozen=True)
class Registration:
    full_name: str
    birth_date: date | None
    phone: str
    password: str
    unit_id: int | None
    categories: tuple[str, ...]
    consent: bool
    email: str | None = None
    cccd: str | None = None
    guardian_name: str | None = None
    guardian_consent: bool = False


def registration_errors(session: Session, reg: Registration, *, now: datetime) -> dict[str, str]:
    """Every rule a registration breaks, by field (msgids). Fields the form could not read
    (None) are left to the form's own messages, so that one submission reports every field
    at once."""
    errors: dict[str, str] = {}
    if not reg.consent:
        errors["consent"] = N_("You must agree to the processing of your personal data.")
    today = local_today(now)
    if reg.birth_date is not None:
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
    if reg.email and email is None:  # reported, never dropped
        errors["email"] = N_("Enter a valid e-mail address, or leave the field empty.")
    if reg.cccd and not (reg.cccd.isdigit() and len(reg.cccd) == 12):
        errors["cccd"] = N_("A citizen ID has 12 digits.")
    if email and session.scalar(select(User.id).where(User.email == email)):
        errors["email"] = N_("An account with this e-mail address already exists.")
    return errors


def register_member(
    session: Session, reg: Registration, *, consent_version: str, pii_key: str, now: datetime
) -> User:
    """Self-registration: creates the roster member (or claims the roster entry with the same
    phone) and the account, and records consent. Raises Invalid with field errors
    (`registration_errors`)."""
    errors = registration_errors(session, reg, now=now)
    if errors:
        raise Invalid(errors)
    phone = normalise_phone(reg.phone)
    unit = session.get(Unit, reg.unit_id)
    email = normalise_email(reg.email) if reg.email else None
    minor = age_on(reg.birth_date, local_today(now)) < GUARDIAN_AGE
    # A roster entry with this phone and no account yet: ask to be linked to it.
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
        # The phone is on a roster: the account is linked to that member only when an
        # organiser confirms it is the same person (`confirm_claim`); nothing is overwritten.
        if session.scalar(select(User.id).where(User.member_id == member.id)):
            raise Invalid({"phone": N_("An account with this phone number already exists.")})
        return _claim_roster_entry(session, reg, member, phone, email, consent_version, now)
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


def _claim_roster_entry(
    session: Session,
    reg: Registration,
    member: Member,
    phone: str,
    email: str | None,
    consent_version: str,
    now: datetime,
) -> User:
    user = User(
        phone=phone,
        email=email,
        display_name=clean_name(reg.full_name) or member.full_name,
        password_hash=hash_password(reg.password),
        created_at=now,
    )
    session.add(user)
    session.flush()
    session.add(
        RosterClaim(
            user_id=user.id,
            member_id=member.id,
            full_name=clean_name(reg.full_name)[:200],
            birth_date=reg.birth_date,
            guardian_name=(reg.guardian_name or "").strip()[:200] or None
            if age_on(reg.birth_date, local_today(now)) < GUARDIAN_AGE
            else None,
            consent_version=consent_version,
            created_at=now,
        )
    )
    record(
        session,
        actor=Actor(user_id=user.id, name=user.display_name),
        action="member.claim",
        object_type="member",
        object_id=member.id,
        unit_path=member.unit.path,
        summary=user.display_name,
        now=now,
    )
    session.flush()
    return user


def pending_claim(session: Session, user_id: int) -> RosterClaim | None:
    return session.scalar(select(RosterClaim).where(RosterClaim.user_id == user_id))


def claims_for_member(session: Session, member_id: int) -> list[RosterClaim]:
    return list(
        session.scalars(
            select(RosterClaim).where(RosterClaim.member_id == member_id).order_by(RosterClaim.id)
        )
    )


def decide_claim(
    session: Session, claim_id: int, *, accept: bool, actor: Actor, now: datetime
) -> RosterClaim:
    """An organiser of the member's unit links the account to the roster entry (the
    registrant's consents are recorded then) or refuses it (the account stays, unlinked)."""
    claim = session.get(RosterClaim, claim_id)
    if claim is None:
        raise NotFound(N_("Request not found."))
    member = get_managed_member(session, claim.member_id, actor)
    require_authority_over_account(session, member, actor)
    summary = f"{claim.full_name} ({claim.birth_date.isoformat()}) → {member.full_name}"
    if accept:
        if session.scalar(select(User.id).where(User.member_id == member.id)):
            raise Conflict(N_("This member already has an account."))
        claim.user.member_id = member.id
        member.email = member.email or claim.user.email
        _record_consents(session, member, claim.full_name, claim.guardian_name, claim, now)
    record(
        session,
        actor=actor,
        action="member.claim_confirm" if accept else "member.claim_refuse",
        object_type="member",
        object_id=member.id,
        unit_path=member.unit.path,
        summary=summary,
        now=now,
    )
    session.delete(claim)
    session.flush()
    return claim


def _record_consents(session, member, given_by, guardian_name, claim, now) -> None:
    session.add(
        Consent(
            member_id=member.id,
            kind="self",
            text_version=claim.consent_version,
            given_by=given_by,
            given_at=claim.created_at,
            recorded_by_id=None,
        )
    )
    if guardian_name:
        member.guardian_name = guardian_name
        member.guardian_consent_at = claim.created_at
        session.add(
            Consent(
                member_id=member.id,
                kind="guardian",
                text_version=claim.consent_version,
                given_by=guardian_name,
                given_at=claim.created_at,
            )
        )


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
    require_authority_over_account(session, member, actor)
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


def change_password(
    session: Session, user: User, old: str, new: str, *, keep_session: str | None = None
) -> None:
    """Change the password; every other login session of the account ends (a thief who had
    the old password is logged out), the one in use (`keep_session`) stays."""
    if not check_password_hash(user.password_hash, old or ""):
        raise Invalid({"old_password": N_("The current password is wrong.")})
    _check_password_strength(new, "new_password")
    user.password_hash = hash_password(new)
    end_sessions(session, user.id, keep=keep_session)
    session.flush()


def end_sessions(session: Session, user_id: int, *, keep: str | None = None) -> None:
    """End every login session of an account but `keep`, and every app login (API)."""
    stmt = delete(LoginSession).where(LoginSession.user_id == user_id)
    if keep is not None:
        stmt = stmt.where(LoginSession.id != keep)
    session.execute(stmt)
    # The apps' logins (API refresh tokens, and with them their access tokens) end too.
    session.execute(delete(ApiToken).where(ApiToken.user_id == user_id))


def _require_authority_over_user(session: Session, user: User, actor: Actor) -> None:
    if not can_act_on_account(
        actor, is_admin=user.is_admin, role_paths=tuple(r.unit.path for r in user.organiser_roles)
    ):
        raise Forbidden(
            N_("This person's account holds a role at or above your level; ask a higher level.")
        )


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
    _require_authority_over_user(session, role.user, actor)
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
    user_id = role.user_id
    session.delete(role)
    end_sessions(session, user_id)  # the removed rights end with the sessions that held them
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
