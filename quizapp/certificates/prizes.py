"""Prize certificates, issued from a published prize list."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from quizapp.certificates.models import Certificate, CertificateRule
from quizapp.certificates.services import Issuer, _create, signature
from quizapp.timeutil import local_today


def issue_prizes(session: Session, rnd, prize_list, *, issuer: Issuer, now: datetime) -> int:
    """Prize certificates for a published prize list (when the contest has a prize rule);
    publishing again revokes those whose prize changed and issues the new ones."""
    from quizapp.auth.models import User

    rule = session.scalar(
        select(CertificateRule).where(
            CertificateRule.contest_id == rnd.contest_id,
            CertificateRule.kind == "prize",
            CertificateRule.active.is_(True),
            or_(CertificateRule.round_id.is_(None), CertificateRule.round_id == rnd.id),
        )
    )
    if rule is None:
        return 0
    wanted = {}
    for e in prize_list.entries:
        user = session.get(User, e["participant_id"])
        if user is not None and user.member is not None:
            key = f"round:{rnd.id}:member:{user.member_id}:prize:{e['prize']}"
            wanted[key] = (user, e)
    prefix = f"round:{rnd.id}:member:"
    for cert in session.scalars(
        select(Certificate).where(
            Certificate.kind == "prize",
            Certificate.status == "valid",
            Certificate.achievement_key.startswith(prefix),
        )
    ):
        if cert.achievement_key not in wanted:
            cert.status, cert.revoked_at = "revoked", now
            cert.revoked_reason = "Danh sách đạt giải đã được công bố lại"
            cert.achievement_key = f"{cert.achievement_key}:revoked:{cert.id}"
    session.flush()
    issued = 0
    for key, (user, e) in wanted.items():
        achievement = {
            "contest": rnd.contest.title,
            "round": rnd.title,
            "kind": "prize",
            "correct": e["correct"],
            "questions": e["questions"],
            "rank": e["rank"],
            "prize": e["prize_name"],
            "date": local_today(now).isoformat(),
            "title": rule.title,
            # The default text names the prize, the contest and the round.
            "body": rule.body or f"Đạt {e['prize_name']} {rnd.contest.title} – {rnd.title}",
            **signature(rnd.contest.owner_unit, rule),
        }
        member = user.member
        cert = _create(
            session,
            key=key,
            kind="prize",
            rule=rule,
            issuer_unit=rnd.contest.owner_unit,
            recipient_name=member.full_name,
            birth_year=member.birth_date.year if member.birth_date else None,
            achievement=achievement,
            issuer=issuer,
            now=now,
            contest_id=rnd.contest_id,
            round_id=rnd.id,
            user_id=user.id,
            member_id=member.id,
            recipient_unit_id=member.unit_id,
        )
        issued += cert is not None
    return issued
