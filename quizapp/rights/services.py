"""The person's rights over their data: export, correction, consent withdrawal and deletion
(asked by the person, decided by an organiser of their unit; the pseudonymisation an approved
deletion applies is in `rights.pseudonymise`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from quizapp.audit.services import record
from quizapp.auth.models import (
    Consent,
    User,
)
from quizapp.errors import Conflict, Forbidden, Invalid, NotFound
from quizapp.i18n import N_
from quizapp.orgs.members import require_authority_over_account
from quizapp.orgs.models import Member
from quizapp.orgs.scope import in_subtrees
from quizapp.policy import Actor, can_manage
from quizapp.privacy import ADULT_AGE
from quizapp.rights.models import DataRequest
from quizapp.rights.pseudonymise import (  # noqa: F401 - part of this module's interface
    DELETION_REASON,
    REMOVED,
    Deleted,
    pseudonym,
    pseudonymise,
)
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


def is_minor(member: Member | None, now: datetime) -> bool:
    """Under ADULT_AGE (quizapp.privacy) with a known date of birth: a request about a minor's
    data is made together with their parent or guardian."""
    if member is None or member.birth_date is None:
        return False
    return age_on(member.birth_date, local_today(now)) < ADULT_AGE


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
