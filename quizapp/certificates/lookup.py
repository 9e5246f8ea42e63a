"""Reading certificates: the public lookup by code (no private data), organisers' lists,
a member's own certificates, the rules a participant is told."""

from __future__ import annotations

from datetime import date, datetime
from typing import NamedTuple

from sqlalchemy import Select, bindparam, or_, select
from sqlalchemy.orm import Session

from quizapp.certificates.models import Certificate, CertificateRule
from quizapp.certificates.services import _describe
from quizapp.orgs.models import Unit
from quizapp.orgs.scope import in_subtrees
from quizapp.policy import Actor
from quizapp.privacy import public_birth_year
from quizapp.timeutil import local_today


def _valid_code(code: str | None) -> str | None:
    code = (code or "").strip().lower()
    return code if 20 <= len(code) <= 32 and code.isalnum() else None


def lookup(session: Session, code: str) -> Certificate | None:
    code = _valid_code(code)
    if code is None:
        return None
    return session.scalar(select(Certificate).where(Certificate.code == code))


def is_known(session: Session, code: str | None) -> bool:
    """Whether `code` is a certificate's (valid or revoked)."""
    code = _valid_code(code)
    if code is None:
        return False
    return session.scalar(select(Certificate.id).where(Certificate.code == code)) is not None


# Built once: constructing the statement cost as much as running it (QR scans are the
# hottest public read).
_PUBLIC = (
    select(
        Certificate.code,
        Certificate.status,
        Certificate.serial,
        Certificate.kind,
        Certificate.recipient_name,
        Certificate.birth_year,
        Certificate.achievement,
        Certificate.revoked_reason,
        Certificate.revoked_at,
        Certificate.issued_at,
        Unit.name.label("issuer"),
    )
    .join(Unit, Unit.id == Certificate.issuer_unit_id)
    .where(Certificate.code == bindparam("code"))
)


def public_facts(session: Session, code: str, now: datetime) -> dict | None:
    """The public facts of the certificate with this code (the verification page and its
    JSON), in one query of the columns they show: no ORM object, no signed credential loaded
    (a Core statement takes a fifth of the time of the ORM lookup)."""
    code = _valid_code(code)
    if code is None:
        return None
    row = session.execute(_PUBLIC, {"code": code}).first()
    return _facts(row, row.issuer, local_today(now)) if row else None


def _facts(c, issuer: str, today: date) -> dict:
    """What anyone may see: never phone, e-mail, citizen ID or full date of birth, and no
    year of birth of someone who may be a minor today."""
    a = c.achievement
    revoked = c.status == "revoked"
    return {
        "code": c.code,
        "status": c.status,
        "serial": c.serial,
        "kind": c.kind,
        "issuer": issuer,
        "recipient": c.recipient_name,
        "birth_year": public_birth_year(c.birth_year, today),
        "contest": a.get("contest"),
        "round": a.get("round"),
        "result": _describe(a),
        "issued_on": a.get("date"),
        "revoked_reason": c.revoked_reason if revoked else None,
        "revoked_on": local_today(c.revoked_at).isoformat() if c.revoked_at else None,
        "changed_at": max(d for d in (c.issued_at, c.revoked_at) if d is not None),
    }


def certificates_query(
    actor: Actor,
    *,
    q: str = "",
    contest_id: int | None = None,
    round_id: int | None = None,
    status: str = "",
    unit: Unit | None = None,
) -> Select:
    """Certificates issued in the actor's subtree; `unit`: only recipients of that subtree."""
    stmt = select(Certificate).join(Unit, Unit.id == Certificate.issuer_unit_id)
    if not actor.is_admin:
        stmt = stmt.where(in_subtrees(Unit.path, actor))
    if unit is not None:
        recipients = select(Unit.id).where(Unit.path.startswith(unit.path))
        stmt = stmt.where(Certificate.recipient_unit_id.in_(recipients))
    if contest_id:
        stmt = stmt.where(Certificate.contest_id == contest_id)
    if round_id:
        stmt = stmt.where(Certificate.round_id == round_id)
    if status in ("valid", "revoked"):
        stmt = stmt.where(Certificate.status == status)
    if q.strip():
        like = f"%{q.strip()}%"
        stmt = stmt.where(
            or_(Certificate.recipient_name.ilike(like), Certificate.serial.ilike(like))
        )
    return stmt.order_by(Certificate.issued_at.desc(), Certificate.id.desc())


def my_certificates(session: Session, user_id: int) -> list[Certificate]:
    return list(
        session.scalars(
            select(Certificate)
            .where(Certificate.user_id == user_id)
            .order_by(Certificate.issued_at.desc())
        )
    )


class AnnouncedRule(NamedTuple):
    """A certificate rule as the contest, review and result pages state it."""

    kind: str  # achievement, participation, prize
    threshold: int  # percent of the maximum score (achievement)
    round_title: str | None  # a rule of one round only


def announced_rules(session: Session, contest, round_id: int | None = None) -> list[AnnouncedRule]:
    """The contest's active certificate rules (with `round_id`: those that apply to that
    round), contest-wide ones first."""
    stmt = select(CertificateRule).where(
        CertificateRule.contest_id == contest.id, CertificateRule.active.is_(True)
    )
    if round_id is not None:
        stmt = stmt.where(
            or_(CertificateRule.round_id.is_(None), CertificateRule.round_id == round_id)
        )
    titles = {r.id: r.title for r in contest.rounds}
    rules = sorted(session.scalars(stmt), key=lambda r: (r.round_id or 0, r.kind))
    return [
        AnnouncedRule(
            r.kind, r.threshold, titles.get(r.round_id) if round_id is None and r.round_id else None
        )
        for r in rules
    ]
