"""The person's rights over their data: export, correction, consent withdrawal and deletion
(asked by the person, decided by an organiser of their unit), and the pseudonymisation an
approved deletion applies."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, String, cast, delete, or_, select
from sqlalchemy.orm import Session

from quizapp.audit.models import AuditEntry
from quizapp.audit.services import record
from quizapp.auth.models import (
    ApiIdempotencyKey,
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
from quizapp.orgs.members import require_authority_over_account
from quizapp.orgs.models import Member
from quizapp.orgs.scope import in_subtrees
from quizapp.policy import Actor, can_manage
from quizapp.privacy import ADULT_AGE, DELETED_NAME
from quizapp.rights.models import DataRequest
from quizapp.textutil import clean_name, fold, normalise_email
from quizapp.timeutil import age_on, local_today

KIND_LABELS = {
    "export": N_("Download of my data"),
    "withdrawal": N_("Withdrawal of consent"),
    "deletion": N_("Deletion of my data"),
}
STATUS_LABELS = {
    "pending": N_("Waiting for a decision"),
    "approved": N_("Approved: data deleted"),
    "refused": N_("Refused"),
    "cancelled": N_("Cancelled"),
    "done": N_("Done"),
}
DELETION_REASON = "xóa dữ liệu theo yêu cầu"  # certificates revoked by a deletion
REMOVED = "[đã xóa]"  # what replaces a deleted value inside texts and audit entries


def pseudonym(member_id: int | None, user_id: int | None) -> str:
    """The name left in place of a deleted person's: the same for every record of theirs."""
    return f"{DELETED_NAME}{member_id}" if member_id else f"{DELETED_NAME}u{user_id}"


def is_minor(member: Member | None, now: datetime) -> bool:
    """Under ADULT_AGE (quizapp.privacy) with a known date of birth: a request about a minor's
    data is made together with their parent or guardian."""
    if member is None or member.birth_date is None:
        return False
    return age_on(member.birth_date, local_today(now)) < ADULT_AGE


@dataclass(frozen=True)
class Deleted:
    """What an approved deletion leaves for the web layer to do after the commit: drop the
    rounds' computed rankings (they name the person) and the cached PDFs of the revoked
    certificates (files named by code)."""

    rounds: list[int]
    certificate_codes: list[str]


@dataclass(frozen=True)
class Guardian:
    """Who makes a minor's request with them (as typed on the form)."""

    with_guardian: bool = False
    name: str = ""
    contact: str = ""


def _guardian(member: Member | None, guardian: Guardian | None, now) -> tuple[str | None, ...]:
    if not is_minor(member, now):
        return None, None
    g = guardian or Guardian()
    errors = {}
    if not g.with_guardian:
        errors["with_guardian"] = N_(
            "Under 18: make this request together with your parent or guardian."
        )
    if not clean_name(g.name):
        errors["guardian_name"] = N_("Enter the name of the parent or guardian.")
    if not " ".join(g.contact.split()):
        errors["guardian_contact"] = N_("Enter the parent's or guardian's phone number or e-mail.")
    if errors:
        raise Invalid(errors)
    return clean_name(g.name)[:200], " ".join(g.contact.split())[:200]


def _unit_path(member: Member | None) -> str:
    return member.unit.path if member is not None else "/"


def _done(session, user: User, kind: str, guardian, now) -> DataRequest:
    name, contact = _guardian(user.member, guardian, now)
    req = DataRequest(
        kind=kind,
        status="done",
        member_id=user.member_id,
        user_id=user.id,
        unit_path=_unit_path(user.member),
        guardian_name=name,
        guardian_contact=contact,
        requested_at=now,
        decided_at=now,
    )
    session.add(req)
    session.flush()
    return req


def record_export(session: Session, user: User, *, guardian: Guardian | None, now) -> DataRequest:
    """The person downloads their data: recorded (with the guardian for a minor)."""
    return _done(session, user, "export", guardian, now)


# --- correction ----------------------------------------------------------------------------

SELF_CORRECTABLE = ("full_name", "email")  # the rest through the organiser of their unit


def correct_profile(
    session: Session, user: User, *, full_name: str, email: str, now: datetime
) -> User:
    """The member corrects their own name and e-mail; the phone number (their login and
    roster identity), date of birth, unit and citizen ID are corrected by their organiser."""
    member = user.member
    name = clean_name(full_name)
    errors = {}
    if not name:
        errors["full_name"] = N_("Enter your full name.")
    mail = normalise_email(email) if email.strip() else None
    if email.strip() and mail is None:
        errors["email"] = N_("Enter a valid e-mail address.")
    if mail and mail != user.email:
        taken = session.scalar(select(User.id).where(User.email == mail, User.id != user.id))
        if taken is None and member is not None:
            taken = session.scalar(
                select(Member.id).where(Member.email == mail, Member.id != member.id)
            )
        if taken is not None:
            errors["email"] = N_("This e-mail address is already used by another account.")
    if errors:
        raise Invalid(errors)
    before = {"full_name": user.display_name, "email": user.email}
    user.display_name = name
    user.email = mail
    if member is not None:
        before["full_name"] = member.full_name
        member.full_name, member.name_folded, member.email = name, fold(name), mail
    session.flush()
    record(
        session,
        actor=Actor(user_id=user.id, name=user.display_name),
        action="rights.correct",
        object_type="member" if member is not None else "user",
        object_id=member.id if member is not None else user.id,
        unit_path=_unit_path(member),
        summary="",
        before=before,
        after={"full_name": name, "email": mail},
        now=now,
    )
    return user


# --- consent -------------------------------------------------------------------------------


def active_consents(session: Session, member_id: int | None) -> list[Consent]:
    if member_id is None:
        return []
    return list(
        session.scalars(
            select(Consent)
            .where(Consent.member_id == member_id, Consent.withdrawn_at.is_(None))
            .order_by(Consent.given_at)
        )
    )


def consent_withdrawn(session: Session, member_id: int | None) -> bool:
    """True when the member gave consent and has withdrawn every consent since: they take
    no more quizzes (a roster member with no consent on record is processed on their unit's
    own basis, not on consent)."""
    if member_id is None:
        return False
    rows = session.scalars(select(Consent.withdrawn_at).where(Consent.member_id == member_id))
    stamps = list(rows)
    return bool(stamps) and all(s is not None for s in stamps)


def withdraw_consent(
    session: Session, user: User, *, guardian: Guardian | None, now: datetime
) -> DataRequest:
    member = user.member
    consents = active_consents(session, user.member_id)
    if not consents:
        raise Conflict(N_("There is no consent of yours to withdraw."))
    req = _done(session, user, "withdrawal", guardian, now)
    for c in consents:
        c.withdrawn_at = now
    member.guardian_consent_at = None
    session.flush()
    record(
        session,
        actor=Actor(user_id=user.id),
        action="rights.withdraw",
        object_type="data_request",
        object_id=req.id,
        unit_path=req.unit_path,
        summary=f"#{req.id}",
        now=now,
    )
    return req


# --- deletion ------------------------------------------------------------------------------


def pending_deletion(session: Session, user_id: int) -> DataRequest | None:
    return session.scalar(
        select(DataRequest).where(
            DataRequest.user_id == user_id,
            DataRequest.kind == "deletion",
            DataRequest.status == "pending",
        )
    )


def pending_for_member(session: Session, member_id: int) -> DataRequest | None:
    return session.scalar(
        select(DataRequest).where(
            DataRequest.member_id == member_id,
            DataRequest.kind == "deletion",
            DataRequest.status == "pending",
        )
    )


def own_requests(session: Session, user_id: int) -> list[DataRequest]:
    return list(
        session.scalars(
            select(DataRequest)
            .where(DataRequest.user_id == user_id)
            .order_by(DataRequest.requested_at.desc(), DataRequest.id.desc())
        )
    )


def request_deletion(
    session: Session,
    user: User,
    *,
    confirmed: bool,
    keep_certificates: bool,
    guardian: Guardian | None,
    period: timedelta,
    now: datetime,
) -> DataRequest:
    """The person asks for their data to be deleted; an organiser of their unit decides
    within `period`. An account without a roster record has nobody to decide: refused."""
    if user.member is None:
        raise Conflict(N_("Your account is not on a unit's roster: ask the site's administrator."))
    if not confirmed:
        raise Invalid({"confirm": N_("Tick the box to confirm that you ask for deletion.")})
    name, contact = _guardian(user.member, guardian, now)
    if pending_deletion(session, user.id) is not None:
        raise Conflict(N_("You have already asked for deletion; it is waiting for a decision."))
    req = DataRequest(
        kind="deletion",
        status="pending",
        member_id=user.member_id,
        user_id=user.id,
        unit_path=_unit_path(user.member),
        keep_certificates=keep_certificates,
        guardian_name=name,
        guardian_contact=contact,
        requested_at=now,
        due_at=now + period,
    )
    session.add(req)
    session.flush()
    record(
        session,
        actor=Actor(user_id=user.id),
        action="rights.deletion_request",
        object_type="data_request",
        object_id=req.id,
        unit_path=req.unit_path,
        summary=f"#{req.id}",
        after={"keep_certificates": keep_certificates, "due_at": req.due_at},
        now=now,
    )
    return req


def cancel_deletion(session: Session, user: User, request_id: int, *, now: datetime) -> None:
    req = session.get(DataRequest, request_id)
    if req is None or req.user_id != user.id or req.kind != "deletion":
        raise NotFound(N_("Request not found."))
    if req.status != "pending":
        raise Conflict(N_("This request has already been decided."))
    req.status, req.decided_at = "cancelled", now
    session.flush()
    record(
        session,
        actor=Actor(user_id=user.id),
        action="rights.deletion_cancel",
        object_type="data_request",
        object_id=req.id,
        unit_path=req.unit_path,
        summary=f"#{req.id}",
        now=now,
    )


def visible_requests(actor: Actor, *, status: str = "pending") -> Select:
    """Deletion requests of people in the actor's subtrees (all for an admin), the most
    urgent first."""
    stmt = select(DataRequest).where(
        DataRequest.kind == "deletion", in_subtrees(DataRequest.unit_path, actor)
    )
    if status:
        stmt = stmt.where(DataRequest.status == status)
    if status == "pending":
        return stmt.order_by(DataRequest.due_at, DataRequest.id)
    return stmt.order_by(DataRequest.requested_at.desc(), DataRequest.id.desc())


def get_managed_request(session: Session, request_id: int, actor: Actor) -> DataRequest:
    req = session.get(DataRequest, request_id)
    if (
        req is None
        or req.kind != "deletion"
        or req.member is None
        or not can_manage(actor, req.member.unit.path)
    ):
        raise NotFound(N_("Request not found."))
    return req


def decide_deletion(
    session: Session,
    request_id: int,
    *,
    approve: bool,
    reason: str,
    actor: Actor,
    now: datetime,
) -> Deleted:
    """An organiser of the person's unit (or above) approves or refuses. Approving
    pseudonymises the person at once and irreversibly."""
    req = get_managed_request(session, request_id, actor)
    if req.status != "pending":
        raise Conflict(N_("This request has already been decided."))
    if req.user_id is not None and req.user_id == actor.user_id:
        raise Forbidden(N_("Another organiser must decide on your own request."))
    require_authority_over_account(session, req.member, actor)
    reason = " ".join(reason.split())[:300]
    if not approve and not reason:
        raise Invalid({"reason": N_("Give the reason for refusing.")})
    req.status = "approved" if approve else "refused"
    req.decided_at, req.decided_by_id, req.decision_reason = now, actor.user_id, reason
    session.flush()
    done = Deleted([], [])
    if approve:
        done = pseudonymise(
            session,
            member_id=req.member_id,
            keep_certificates=req.keep_certificates,
            actor=actor,
            now=now,
        )
    record(
        session,
        actor=actor,
        action="rights.deletion_approve" if approve else "rights.deletion_refuse",
        object_type="data_request",
        object_id=req.id,
        unit_path=req.unit_path,
        summary=f"#{req.id}" + (f": {reason}" if reason else ""),
        after={"keep_certificates": req.keep_certificates} if approve else None,
        now=now,
    )
    return done


# --- pseudonymisation ----------------------------------------------------------------------


def _scrub_text(text, values: list[str], label: str):
    """`text` with every identifying value replaced (JSON values walked)."""
    if isinstance(text, str):
        for v in values:
            if v in text:  # whole words only: "Phan Ba" is not a part of "Phan Bao"
                text = re.sub(rf"(?<!\w){re.escape(v)}(?!\w)", lambda _m: label, text)
        return text
    if isinstance(text, dict):
        return {k: _scrub_text(v, values, label) for k, v in text.items()}
    if isinstance(text, list):
        return [_scrub_text(v, values, label) for v in text]
    return text


def _blank_strings(value):
    """Every text inside an audit entry's before/after about the person replaced: values
    they held in the past (a name corrected since) are not known any more."""
    if isinstance(value, str):
        return REMOVED
    if isinstance(value, dict):
        return {k: _blank_strings(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_blank_strings(v) for v in value]
    return value


def _scrub_audit(session, member: Member, user: User | None, values: list[str], label: str):
    about = [(AuditEntry.object_type == "member") & (AuditEntry.object_id == str(member.id))]
    if user is not None:
        about.append(
            AuditEntry.object_type.in_(("user", "account")) & (AuditEntry.object_id == str(user.id))
        )
    for e in session.scalars(select(AuditEntry).where(or_(*about))):
        e.summary = label
        e.before, e.after = _blank_strings(e.before), _blank_strings(e.after)
    # other entries that name them (an import, a certificate, a roster claim…): the known
    # values, raw and as JSON writes them (non-ASCII escaped)
    needles = set()
    for v in values:
        needles.add(v)
        needles.add(json.dumps(v)[1:-1])
    conds = []
    for n in needles:
        conds += [
            AuditEntry.summary.contains(n, autoescape=True),
            cast(AuditEntry.before, String).contains(n, autoescape=True),
            cast(AuditEntry.after, String).contains(n, autoescape=True),
        ]
    if not conds:
        return
    for e in session.scalars(select(AuditEntry).where(or_(*conds))):
        e.summary = _scrub_text(e.summary, values, label)[:300]
        e.before = _scrub_text(e.before, values, REMOVED)
        e.after = _scrub_text(e.after, values, REMOVED)


def _scrub_prize_lists(session, user_id: int | None, values: list[str], label: str) -> list[int]:
    """Published prize lists keep every place, score and explanation; the person's name in
    them becomes the pseudonym (and their date of birth goes)."""
    from quizapp.contests.models import PrizeList

    if user_id is None:
        return []
    rounds = []
    for pl in session.scalars(select(PrizeList)):
        entries = pl.entries or []
        if not any(e.get("participant_id") == user_id for e in entries):
            continue
        new = []
        for e in entries:
            e = dict(e)
            if e.get("participant_id") == user_id:
                e["name"], e["birth_date"] = label, None
            if "reason" in e:  # a message: the names are among its parameters
                e["reason"] = _scrub_text(e["reason"], values, label)
            else:  # a list published before: the Vietnamese text
                e["why"] = _scrub_text(e.get("why") or "", values, label)
            new.append(e)
        pl.entries = new
        if pl.round_id is not None:
            rounds.append(pl.round_id)
    return rounds


def pseudonymise(
    session: Session, *, member_id: int, keep_certificates: bool, actor: Actor, now: datetime
) -> Deleted:
    """Irreversibly replace or clear what identifies the member and their account, keeping
    every row that counts (attempts and answers, enrolments, completions, unit history,
    population categories), so counts, rankings, item statistics and indicator figures stay
    as they were."""
    from quizapp.certificates.models import Certificate
    from quizapp.contests.models import Attempt

    member = session.get(Member, member_id)
    if member is None:
        raise NotFound(N_("Member not found."))
    user = session.scalar(select(User).where(User.member_id == member.id))
    label = pseudonym(member.id, user.id if user else None)
    values: set[str] = {
        member.full_name,
        member.phone or "",
        member.email or "",
        member.code or "",
        member.guardian_name or "",
        member.cccd_hash or "",
    }
    if user is not None:
        values |= {user.display_name, user.phone or "", user.email or ""}
        for claim in session.scalars(select(RosterClaim).where(RosterClaim.user_id == user.id)):
            values |= {claim.full_name, claim.guardian_name or ""}
    for c in session.scalars(select(Consent).where(Consent.member_id == member.id)):
        values.add(c.given_by)
    reqs = list(session.scalars(select(DataRequest).where(DataRequest.member_id == member.id)))
    for r in reqs:
        values |= {r.guardian_name or "", r.guardian_contact or ""}
    # Certificates: revoked with the reason (or kept whole, as the person chose).
    certs = list(
        session.scalars(
            select(Certificate).where(
                or_(
                    Certificate.member_id == member.id,
                    Certificate.user_id == (user.id if user else -1),
                )
            )
        )
    )
    for cert in certs:
        if keep_certificates and cert.status == "valid":
            continue
        values.add(cert.recipient_name)
    # a short value (a one-letter name) would eat into unrelated texts
    values_list = sorted((v for v in values if v and len(v) >= 3), key=len, reverse=True)

    for cert in certs:
        if keep_certificates and cert.status == "valid":
            continue
        if cert.status == "valid":
            cert.status, cert.revoked_reason = "revoked", DELETION_REASON
            cert.revoked_at, cert.revoked_by_id = now, actor.user_id
        cert.recipient_name = label
        cert.revoked_reason = _scrub_text(cert.revoked_reason, values_list, label)
        cert.jws = ""  # the signed credential names the person; a revoked one proves nothing

    rounds = _scrub_prize_lists(session, user.id if user else None, values_list, label)
    _scrub_audit(session, member, user, values_list, label)

    for c in session.scalars(select(Consent).where(Consent.member_id == member.id)):
        c.given_by = label if c.kind == "self" else REMOVED
        c.withdrawn_at = c.withdrawn_at or now
    for r in reqs:
        r.guardian_name = r.guardian_contact = None
        r.decision_reason = _scrub_text(r.decision_reason, values_list, label)
    if user is not None:
        session.execute(delete(RosterClaim).where(RosterClaim.user_id == user.id))
        session.execute(delete(LoginSession).where(LoginSession.user_id == user.id))
        session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
        session.execute(delete(ApiIdempotencyKey).where(ApiIdempotencyKey.user_id == user.id))
        session.execute(delete(ResetCode).where(ResetCode.user_id == user.id))
        session.execute(delete(OrganiserRole).where(OrganiserRole.user_id == user.id))
        user.display_name, user.phone, user.email = label, None, None
        user.password_hash = "!deleted"  # noqa: S105 - matches no password: no login
        user.active, user.locale = False, None
        session.expire(user, ["organiser_roles"])
    session.execute(delete(RosterClaim).where(RosterClaim.member_id == member.id))
    member.full_name, member.name_folded = label, fold(label)
    member.birth_date = member.phone = member.email = member.code = member.cccd_hash = None
    member.guardian_name, member.guardian_consent_at = None, None
    session.flush()
    rounds += list(
        session.scalars(select(Attempt.round_id).where(Attempt.member_id == member.id).distinct())
    )
    codes = [c.code for c in certs if not (keep_certificates and c.status == "valid")]
    return Deleted(sorted(set(rounds)), codes)
