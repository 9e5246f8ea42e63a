"""Issuing (automatically on submission, or in bulk), revoking, re-issuing, looking up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from quizapp.audit.services import record
from quizapp.certificates.credential import CertificateFacts, credential, new_code, serial
from quizapp.certificates.models import Certificate, CertificateRule, SerialCounter
from quizapp.certificates.signing import KeyStore, sign_jws
from quizapp.contests.models import Attempt, Contest
from quizapp.contests.services import get_managed_contest
from quizapp.errors import Conflict, Invalid, NotFound
from quizapp.i18n import N_
from quizapp.orgs.models import Unit
from quizapp.policy import Actor, can_manage
from quizapp.privacy import public_birth_year
from quizapp.timeutil import local_today

KIND_TITLES = {
    "achievement": "Giấy chứng nhận thành tích",
    "participation": "Giấy chứng nhận tham gia",
    "prize": "Giấy chứng nhận đạt giải",
}


@dataclass(frozen=True)
class Issuer:
    """What issuing needs besides the session: the signing keys and the public address."""

    keys: KeyStore
    base_url: str


@dataclass(frozen=True)
class RuleData:
    kind: str
    threshold: int = 80
    layout: str = "classic"
    title: str = "GIẤY CHỨNG NHẬN"
    body: str = ""
    signatory_title: str = ""
    signatory_name: str = ""
    place: str = ""
    round_id: int | None = None
    active: bool = True


def save_rule(
    session: Session, contest_id: int, data: RuleData, *, actor: Actor, now: datetime
) -> CertificateRule:
    """Create or update the contest's rule of this kind; a change of look bumps the template
    version (cached PDFs are then rendered anew)."""
    contest = get_managed_contest(session, contest_id, actor)
    if data.kind not in ("achievement", "participation", "prize"):
        raise Invalid({"kind": N_("Choose the kind of certificate.")})
    if data.layout not in ("classic", "modern"):
        raise Invalid({"layout": N_("Choose a layout.")})
    if not 0 <= data.threshold <= 100:
        raise Invalid({"threshold": N_("The threshold is a percentage from 0 to 100.")})
    if data.round_id and data.round_id not in {r.id for r in contest.rounds}:
        raise Invalid({"round_id": N_("Choose a round of this contest.")})
    rule = session.scalar(
        select(CertificateRule).where(
            CertificateRule.contest_id == contest.id,
            CertificateRule.kind == data.kind,
            CertificateRule.round_id.is_(None)
            if data.round_id is None
            else CertificateRule.round_id == data.round_id,
        )
    )
    look = ("layout", "title", "body", "signatory_title", "signatory_name", "place")
    if rule is None:
        rule = CertificateRule(contest_id=contest.id, round_id=data.round_id, kind=data.kind)
        session.add(rule)
    elif any(getattr(rule, f) != getattr(data, f) for f in look):
        rule.template_version += 1
    for f in ("threshold", *look, "active"):
        setattr(rule, f, getattr(data, f))
    session.flush()
    record(
        session,
        actor=actor,
        action="certificate.rule",
        object_type="contest",
        object_id=contest.id,
        unit_path=contest.owner_unit.path,
        summary=f"{contest.title}: {data.kind}",
        now=now,
    )
    return rule


def _next_serial(session: Session, unit: Unit, year: int) -> str:
    """The unit's next serial of the year, from its counter (one indexed row updated; the
    transaction's rollback gives the number back). The first certificate of a unit and year
    starts the counter after the serials already issued (counted once)."""
    counter = SerialCounter.__table__
    where = (counter.c.unit_id == unit.id, counter.c.year == year)
    number = session.execute(
        update(counter).where(*where).values(last=counter.c.last + 1).returning(counter.c.last)
    ).scalar()
    if number is None:
        prefix = f"{unit.code}-{year}-"
        issued = session.scalar(
            select(func.count()).where(Certificate.serial.startswith(prefix, autoescape=True))
        )
        number = (issued or 0) + 1
        try:
            with session.begin_nested():
                session.execute(insert(counter).values(unit_id=unit.id, year=year, last=number))
        except IntegrityError:  # another request started it meanwhile
            return _next_serial(session, unit, year)
    return serial(unit.code, year, number)


def _achievement(attempt: Attempt, contest: Contest, rule: CertificateRule, now) -> dict:
    rnd = attempt.round
    return {
        "contest": contest.title,
        "round": rnd.title,
        "kind": rule.kind,
        "correct": attempt.correct_count,
        "questions": attempt.question_count,
        "score": format(attempt.score.normalize(), "f") if attempt.score is not None else None,
        "max_score": format(attempt.max_score.normalize(), "f") if attempt.max_score else None,
        "rank": None,
        "date": local_today(attempt.submitted_at or now).isoformat(),
        "title": rule.title,
        "body": rule.body,
        **signature(contest.owner_unit, rule),
    }


def signature(unit: Unit, own=None) -> dict:
    """The place and signatory a certificate prints, frozen when it is issued: those the
    certificate rule (or programme) `own` gives, else the issuing unit's settings."""
    return {
        "signatory_title": getattr(own, "signatory_title", "") or unit.signatory_title,
        "signatory_name": getattr(own, "signatory_name", "") or unit.signatory_name,
        "place": getattr(own, "place", "") or unit.locality,
    }


def _create(
    session: Session,
    *,
    key: str,
    kind: str,
    rule: CertificateRule | None,
    issuer_unit: Unit,
    recipient_name: str,
    birth_year: int | None,
    achievement: dict,
    issuer: Issuer,
    now: datetime,
    **links,
) -> Certificate | None:
    """Insert a signed certificate unless `key` was already issued (None then)."""
    if session.scalar(select(Certificate.id).where(Certificate.achievement_key == key)):
        return None
    for _try in range(5):
        code = new_code()
        facts = CertificateFacts(
            code=code,
            serial=_next_serial(session, issuer_unit, local_today(now).year),
            kind=kind,
            issuer_name=issuer_unit.name,
            issuer_code=issuer_unit.code,
            recipient_name=recipient_name,
            # The signed credential is public (/v/<code>/credential.json): no year of birth
            # of someone who may be a minor (the PDF, the holder's own, keeps it).
            birth_year=public_birth_year(birth_year, local_today(now)),
            achievement_name=f"{achievement['contest']} – {achievement['round']}"
            if achievement.get("round")
            else achievement["contest"],
            achievement_description=_describe(achievement),
            issued_at=now,
            template_version=rule.template_version if rule else 1,
        )
        token = sign_jws(credential(facts, issuer.base_url), issuer.keys.current())
        cert = Certificate(
            serial=facts.serial,
            code=code,
            achievement_key=key,
            kind=kind,
            rule_id=rule.id if rule else None,
            issuer_unit_id=issuer_unit.id,
            recipient_name=recipient_name,
            birth_year=birth_year,
            achievement=achievement,
            issued_at=now,
            layout=rule.layout if rule else "classic",
            template_version=facts.template_version,
            jws=token,
            **links,
        )
        try:
            with session.begin_nested():
                session.add(cert)
                session.flush()
        except IntegrityError:
            if session.scalar(select(Certificate.id).where(Certificate.achievement_key == key)):
                return None  # issued meanwhile by another request
            continue  # serial taken by a concurrent issue: take the next one
        return cert
    raise Conflict(N_("Could not allocate a serial number; try again."))


def _describe(a: dict) -> str:
    if a.get("questions"):
        return f"Số câu trả lời đúng: {a.get('correct')}/{a.get('questions')}"
    return a.get("body") or ""


def issue_for_attempt(
    session: Session, attempt: Attempt, *, issuer: Issuer, now: datetime
) -> list[Certificate]:
    """Every certificate the submitted attempt earns under its contest's rules."""
    if attempt.preview or attempt.status != "submitted" or attempt.user_id is None:
        return []
    rnd = attempt.round
    contest = rnd.contest
    rules = session.scalars(
        select(CertificateRule).where(
            CertificateRule.contest_id == contest.id,
            CertificateRule.active.is_(True),
            or_(CertificateRule.round_id.is_(None), CertificateRule.round_id == rnd.id),
        )
    ).all()
    from quizapp.orgs.models import Member

    member = session.get(Member, attempt.member_id) if attempt.member_id else None
    if member is None:
        return []
    out = []
    for rule in rules:
        if rule.kind == "achievement":
            key = f"round:{rnd.id}:member:{member.id}:achievement"
            if not _meets(attempt, rule):
                _withdraw_if_unearned(session, key, attempt, rule, now)
                continue
        elif rule.kind == "participation":
            scope = f"round:{rnd.id}" if rule.round_id else f"contest:{contest.id}"
            key = f"{scope}:member:{member.id}:participation"
        else:
            continue  # prize certificates are issued from the frozen prize list
        cert = _create(
            session,
            key=key,
            kind=rule.kind,
            rule=rule,
            issuer_unit=contest.owner_unit,
            recipient_name=member.full_name,
            birth_year=member.birth_date.year if member.birth_date else None,
            achievement=_achievement(attempt, contest, rule, now),
            issuer=issuer,
            now=now,
            contest_id=contest.id,
            round_id=rnd.id,
            attempt_id=attempt.id,
            user_id=attempt.user_id,
            member_id=member.id,
            recipient_unit_id=member.unit_id,
        )
        if cert is not None:
            out.append(cert)
    return out


def _meets(attempt: Attempt, rule: CertificateRule) -> bool:
    return bool(attempt.max_score) and attempt.score * 100 >= attempt.max_score * rule.threshold


def _withdraw_if_unearned(
    session: Session, key: str, attempt: Attempt, rule: CertificateRule, now: datetime
) -> None:
    """After a regrade: revoke the achievement certificate this attempt earned if neither it
    nor another submitted attempt of the member in the round still reaches the threshold."""
    cert = session.scalar(
        select(Certificate).where(Certificate.achievement_key == key, Certificate.status == "valid")
    )
    if cert is None or cert.attempt_id != attempt.id:
        return
    others = session.scalars(
        select(Attempt).where(
            Attempt.round_id == attempt.round_id,
            Attempt.member_id == attempt.member_id,
            Attempt.status == "submitted",
            Attempt.preview.is_(False),
            Attempt.id != attempt.id,
        )
    )
    if any(_meets(a, rule) for a in others):
        return
    cert.status, cert.revoked_at = "revoked", now
    cert.revoked_reason = "Chấm lại sau khi sửa đáp án: kết quả không còn đạt ngưỡng"


def issue_for_contest(session: Session, contest_id: int, *, issuer: Issuer, now: datetime) -> int:
    """Issue what every submitted attempt of the contest has earned (idempotent)."""
    attempts = session.scalars(
        select(Attempt)
        .join(Attempt.round)
        .where(
            Attempt.status == "submitted",
            Attempt.preview.is_(False),
            Attempt.round.has(contest_id=contest_id),
        )
        .order_by(Attempt.submitted_at)
    ).all()
    return sum(len(issue_for_attempt(session, a, issuer=issuer, now=now)) for a in attempts)


def get_managed_certificate(session: Session, cert_id: int, actor: Actor) -> Certificate:
    cert = session.get(Certificate, cert_id)
    if cert is None or not can_manage(actor, cert.issuer_unit.path):
        raise NotFound(N_("Certificate not found."))
    return cert


def revoke(
    session: Session, cert_id: int, reason: str, *, actor: Actor, now: datetime
) -> Certificate:
    cert = get_managed_certificate(session, cert_id, actor)
    if not reason.strip():
        raise Invalid({"reason": N_("Give the reason for revoking.")})
    if cert.status == "revoked":
        raise Conflict(N_("This certificate is already revoked."))
    cert.status, cert.revoked_reason = "revoked", reason.strip()[:300]
    cert.revoked_at, cert.revoked_by_id = now, actor.user_id
    session.flush()
    record(
        session,
        actor=actor,
        action="certificate.revoke",
        object_type="certificate",
        object_id=cert.id,
        unit_path=cert.issuer_unit.path,
        summary=f"{cert.serial}: {cert.revoked_reason}",
        now=now,
    )
    return cert


def reissue(
    session: Session, cert_id: int, new_name: str, *, actor: Actor, issuer: Issuer, now: datetime
) -> Certificate:
    """Correct the recipient's name: the old certificate is revoked and points to the new."""
    old = get_managed_certificate(session, cert_id, actor)
    if old.status == "revoked":
        raise Conflict(N_("This certificate is already revoked."))
    name = " ".join(new_name.split())
    if not name:
        raise Invalid({"name": N_("Enter the corrected name.")})
    key = old.achievement_key
    old.achievement_key = f"{key}:replaced:{old.id}"
    session.flush()
    new = _create(
        session,
        key=key,
        kind=old.kind,
        rule=old.rule,
        issuer_unit=old.issuer_unit,
        recipient_name=name,
        birth_year=old.birth_year,
        achievement=dict(old.achievement),
        issuer=issuer,
        now=now,
        contest_id=old.contest_id,
        round_id=old.round_id,
        attempt_id=old.attempt_id,
        user_id=old.user_id,
        member_id=old.member_id,
        recipient_unit_id=old.recipient_unit_id,
    )
    old.status, old.revoked_reason = "revoked", f"Cấp lại do sửa tên: {new.serial}"
    old.revoked_at, old.revoked_by_id, old.replaced_by_id = now, actor.user_id, new.id
    session.flush()
    record(
        session,
        actor=actor,
        action="certificate.reissue",
        object_type="certificate",
        object_id=old.id,
        unit_path=old.issuer_unit.path,
        summary=f"{old.serial} → {new.serial}",
        before={"name": old.recipient_name},
        after={"name": name},
        now=now,
    )
    return new


def issue_for_completion(
    session: Session, completion, programme, member, *, issuer: Issuer, now: datetime
) -> Certificate | None:
    """The certificate of completion ("chứng chỉ") of a study programme, once per cycle."""
    achievement = {
        "contest": programme.title,
        "round": None,
        "kind": "completion",
        "correct": None,
        "questions": None,
        "score": None,
        "max_score": None,
        "rank": None,
        "date": local_today(completion.completed_at).isoformat(),
        "title": programme.certificate_title,
        "body": f"Đã hoàn thành chương trình học tập “{programme.title}”",
        **signature(programme.owner_unit, programme),
        "expires": local_today(completion.expires_at).isoformat()
        if completion.expires_at
        else None,
    }
    return _create(
        session,
        key=f"programme:{programme.id}:member:{member.id}:completion:{completion.cycle}",
        kind="completion",
        rule=None,
        issuer_unit=programme.owner_unit,
        recipient_name=member.full_name,
        birth_year=member.birth_date.year if member.birth_date else None,
        achievement=achievement,
        issuer=issuer,
        now=now,
        contest_id=programme.contest_id,
        user_id=completion.user_id,
        member_id=member.id,
        recipient_unit_id=member.unit_id,
    )


REVOCATION_LIST_TYPE = "QuizappRevocationList"


def revocation_list(session: Session, *, issuer: Issuer, now: datetime) -> str:
    """Every revoked certificate of this site, as a JWS signed with the current key: the
    offline checker (`flask verify-certificate --revocations`) and other verifiers read it
    from /.well-known/revocations.json. Entries carry the credential's id and the day it was
    revoked, nothing about the person (like the status lists of Open Badges 3.0)."""
    base = issuer.base_url.rstrip("/")
    rows = session.execute(
        select(Certificate.code, Certificate.revoked_at)
        .where(Certificate.status == "revoked")
        .order_by(Certificate.id)
    ).all()
    payload = {
        "type": REVOCATION_LIST_TYPE,
        "issuer": base,
        "validFrom": now.isoformat(timespec="seconds"),
        "revoked": [
            {
                "id": f"{base}/v/{r.code}",
                "revokedOn": local_today(r.revoked_at).isoformat() if r.revoked_at else None,
            }
            for r in rows
        ],
    }
    return sign_jws(payload, issuer.keys.current())


def revoked_on(list_payload: dict, credential_id: str) -> str | None:
    """The day (ISO) a verified revocation list says the credential was revoked, or None
    when it is not on it. ValueError when the payload is not a revocation list."""
    if list_payload.get("type") != REVOCATION_LIST_TYPE or not isinstance(
        list_payload.get("revoked"), list
    ):
        raise ValueError("not a revocation list")
    for entry in list_payload["revoked"]:
        if isinstance(entry, dict) and entry.get("id") == credential_id:
            return entry.get("revokedOn") or "?"
    return None
