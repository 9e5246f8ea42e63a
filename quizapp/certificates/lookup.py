"""Reading certificates: the public lookup by code (no private data), organisers' lists,
a member's own certificates."""

from __future__ import annotations

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from quizapp.certificates.models import Certificate
from quizapp.certificates.services import _describe
from quizapp.orgs.models import Unit
from quizapp.policy import Actor


def lookup(session: Session, code: str) -> Certificate | None:
    code = (code or "").strip().lower()
    if not (20 <= len(code) <= 32 and code.isalnum()):
        return None
    return session.scalar(select(Certificate).where(Certificate.code == code))


def public_facts(cert: Certificate) -> dict:
    """What anyone may see: never phone, e-mail, citizen ID or full date of birth."""
    a = cert.achievement
    return {
        "status": cert.status,
        "serial": cert.serial,
        "kind": cert.kind,
        "issuer": cert.issuer_unit.name,
        "recipient": cert.recipient_name,
        "birth_year": cert.birth_year,
        "contest": a.get("contest"),
        "round": a.get("round"),
        "result": _describe(a),
        "issued_on": a.get("date"),
        "revoked_reason": cert.revoked_reason if cert.status == "revoked" else None,
        "revoked_on": cert.revoked_at.date().isoformat() if cert.revoked_at else None,
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
        stmt = stmt.where(or_(*[Unit.path.startswith(p) for p in actor.managed_paths]))
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
