"""The pseudonymisation an approved deletion applies: the person's identifying values
replaced or cleared everywhere (records, audit texts, published prize lists), the figures,
rankings and prize places kept true."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String, cast, delete, or_, select
from sqlalchemy.orm import Session

from quizapp.audit.models import AuditEntry
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
from quizapp.errors import NotFound
from quizapp.i18n import N_
from quizapp.orgs.models import Member
from quizapp.policy import Actor
from quizapp.privacy import DELETED_NAME
from quizapp.rights.models import DataRequest
from quizapp.textutil import fold

DELETION_REASON = "xóa dữ liệu theo yêu cầu"  # certificates revoked by a deletion
REMOVED = "[đã xóa]"  # what replaces a deleted value inside texts and audit entries


def pseudonym(member_id: int | None, user_id: int | None) -> str:
    """The name left in place of a deleted person's: the same for every record of theirs."""
    return f"{DELETED_NAME}{member_id}" if member_id else f"{DELETED_NAME}u{user_id}"


@dataclass(frozen=True)
class Deleted:
    """What an approved deletion leaves for the web layer to do after the commit: drop the
    rounds' computed rankings (they name the person) and the cached PDFs of the revoked
    certificates (files named by code)."""

    rounds: list[int]
    certificate_codes: list[str]


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
