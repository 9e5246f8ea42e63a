"""Participant endpoints: open contests, start an attempt, its questions (never the key),
save answers, submit, the result and rank, my certificates, my study programmes.

Each calls the service the pages call (`contests/starting.py`, `contests/attempts.py`,
`certificates/lookup.py`, `programmes/study.py`): the same rules, the same one-attempt
guarantee. Views never commit (web.py commits once per request)."""

from __future__ import annotations

import json as jsonlib
from math import ceil

from flask import current_app, g, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from quizapp.api import BEARER, ID, bp, responses, spec
from quizapp.api.auth import needs
from quizapp.api.problems import problem
from quizapp.api.schemas import (
    AttemptOut,
    CertificateOut,
    CertificatePage,
    ContestOut,
    ContestPage,
    CredentialOut,
    LessonOut,
    PageQuery,
    ProgrammeOut,
    ProgrammePage,
    QuestionOut,
    ResultOut,
    ReviewRow,
    RoundOut,
    SaveRequest,
    SaveResponse,
    SubmitRequest,
    UnitRef,
)
from quizapp.auth.models import ApiIdempotencyKey
from quizapp.auth.tokens import PARTICIPANT
from quizapp.certificates.models import Certificate
from quizapp.contests import attempts as A
from quizapp.contests import results as R
from quizapp.contests import starting as S
from quizapp.contests.take import DEVICE_COOKIE
from quizapp.errors import Conflict, Invalid, NotFound
from quizapp.extensions import db, limiter
from quizapp.i18n import N_
from quizapp.web import actor, now, t


def unit_ref(unit) -> UnitRef:
    return UnitRef(id=unit.id, code=unit.code, name=unit.name)


def page_of(items: list, query) -> dict:
    """One page of a list computed in full (the services return lists)."""
    total = len(items)
    start = (query.page - 1) * query.per_page
    return {
        "items": items[start : start + query.per_page],
        "page": query.page,
        "per_page": query.per_page,
        "total": total,
        "pages": max(1, ceil(total / query.per_page)),
    }


def device() -> str:
    """The device an attempt is taken on: an app's login (its token family) or the browser's
    device cookie, as the quiz page records it."""
    claims = g.get("api_claims")
    if claims is not None:
        return f"api:{claims.family}"
    return request.cookies.get(DEVICE_COOKIE, "")


def round_out(rnd, moment, used: int | None) -> RoundOut:
    return RoundOut(
        id=rnd.id,
        number=rnd.number,
        title=rnd.title,
        state=A.round_state(rnd, moment),
        opens_at=rnd.opens_at,
        closes_at=rnd.closes_at,
        time_limit_s=rnd.time_limit_s,
        attempts_allowed=rnd.attempts_allowed,
        attempts_used=used,
        pass_mark=rnd.pass_mark,
    )


@bp.get("/contests")
@needs(PARTICIPANT)
@spec.validate(
    query=PageQuery, resp=responses(ContestPage, 401, 403), tags=["participant"], security=BEARER
)
def contests():
    """Contests open to me, with their rounds and the attempts I have used"""
    query = request.context.query
    moment = now()
    items = [
        ContestOut(
            id=c.id,
            slug=c.slug,
            title=c.title,
            organiser=c.owner_unit.name,
            rounds=[
                round_out(r, moment, len(A.my_attempts(db.session, r.id, current_user.id)))
                for r in c.rounds
            ],
        )
        for c in S.open_contests_for(db.session, current_user, moment)
    ]
    return ContestPage(**page_of(items, query))


def _load(attempt_id: int):
    return A.load_attempt(db.session, attempt_id, current_user, now(), before_write=db.write_now)


def _attempt_out(attempt) -> AttemptOut:
    slots = A.attempt_view(db.session, attempt) if attempt.status == "in_progress" else []
    return AttemptOut(
        id=attempt.id,
        round_id=attempt.round_id,
        contest_id=attempt.round.contest_id,
        number=attempt.number,
        status=attempt.status,
        started_at=attempt.started_at,
        deadline_at=attempt.deadline_at,
        remaining_s=max(0, int((attempt.deadline_at - now()).total_seconds())),
        question_count=attempt.question_count,
        prediction_asked=bool(attempt.round.prediction),
        questions=[
            QuestionOut(
                position=s.question.position,
                type=s.question.type,
                text=s.question.text,
                text_format=s.question.text_format,
                options=list(s.question.options),
                lefts=list(s.question.lefts),
                rights=list(s.question.rights),
                mark=s.question.mark,
                answer=s.answer,
                flagged=s.flagged,
                saved=s.saved,
            )
            for s in slots
        ],
    )


def _start_rate():
    return current_app.config.get("START_RATE_LIMIT", "20 per minute")


def _save_rate():
    return current_app.config.get("SAVE_RATE_LIMIT", "240 per minute")


def _participant_key():
    """The pages' per-participant limits of starts and saves, per account here."""
    return (
        f"api-participant:{current_user.get_id()}"
        if current_user.is_authenticated
        else (request.remote_addr or "")
    )


@bp.post(f"/rounds/<{ID}:round_id>/attempts")
@limiter.limit(_start_rate, key_func=_participant_key)
@needs(PARTICIPANT)
@spec.validate(
    resp=responses(AttemptOut, 401, 403, 404, 409, status=201),
    tags=["participant"],
    security=BEARER,
)
def start(round_id: int):
    """Start an attempt, or continue the one in progress (on this device)

    The same checks and the same one-attempt guarantee as the contest page: starting twice,
    or fifty times at once, gives one attempt. Continuing takes the attempt over for this
    app (a save from another device is then refused with code `device`)."""
    attempt = S.start_attempt(
        db.session, round_id, user=current_user, actor=actor(), now=now(), device=device()
    )
    return _attempt_out(attempt), 201


@bp.get(f"/attempts/<{ID}:attempt_id>")
@needs(PARTICIPANT)
@spec.validate(resp=responses(AttemptOut, 401, 403, 404), tags=["participant"], security=BEARER)
def attempt(attempt_id: int):
    """An attempt and its questions (in display order, without the key) with my answers"""
    return _attempt_out(_load(attempt_id))


@bp.post(f"/attempts/<{ID}:attempt_id>/answers")
@limiter.limit(_save_rate, key_func=_participant_key)
@needs(PARTICIPANT)
@spec.validate(
    resp=responses(SaveResponse, 401, 403, 404, 409), tags=["participant"], security=BEARER
)
def save(attempt_id: int, json: SaveRequest):
    """Save one answer (or a flag, or the prediction)

    The rules of the quiz page's autosave. Saving the same answer twice stores the same
    answer; with a client key (`client_key` or the `Idempotency-Key` header) a save sent
    again is answered `replayed: true` without saving, so an offline queue that resends an
    old save never overwrites a newer answer. Refusals: 409 `closed` (time is up: the
    attempt was submitted with the answers saved before), 409 `device` (another device took
    the attempt over: start the round again to take it back), 422 `invalid`."""
    key = request.headers.get("Idempotency-Key") or json.client_key
    if key is not None and not 1 <= len(key) <= 100:
        raise Invalid({"client_key": N_("Use a key of 1 to 100 characters.")})
    if key:
        seen = db.session.scalar(
            select(ApiIdempotencyKey).where(
                ApiIdempotencyKey.user_id == current_user.id, ApiIdempotencyKey.key == key
            )
        )
        if seen is not None:
            if seen.attempt_id != attempt_id:
                raise Invalid({"client_key": N_("This key was used for another attempt.")})
            return SaveResponse(ok=True, position=seen.position, replayed=True)
    try:
        A.save_answer(
            db.session,
            attempt_id,
            json.position,
            json.answer,
            user=current_user,
            now=now(),
            device=device(),
            flagged=json.flagged,
            prediction=json.prediction,
        )
    except A.OtherDevice as exc:
        return problem(409, t(exc.message, exc.params), code="device")
    except Conflict as exc:  # time up: the automatic submission made while refusing is kept
        return problem(409, t(exc.message, exc.params), code="closed")
    if key:
        try:
            with db.session.begin_nested():
                db.session.add(
                    ApiIdempotencyKey(
                        user_id=current_user.id,
                        key=key,
                        attempt_id=attempt_id,
                        position=json.position,
                        created_at=now(),
                    )
                )
        except IntegrityError:  # the same save sent twice at once: the other one counted
            return SaveResponse(ok=True, position=json.position, replayed=True)
    return SaveResponse(ok=True, position=json.position, replayed=False)


@bp.post(f"/attempts/<{ID}:attempt_id>/submit")
@needs(PARTICIPANT)
@spec.validate(resp=responses(ResultOut, 401, 403, 404), tags=["participant"], security=BEARER)
def submit(attempt_id: int, json: SubmitRequest):
    """Submit and grade (submitting again changes nothing); the result"""
    attempt = A.submit_attempt(
        db.session, attempt_id, user=current_user, now=now(), prediction=json.prediction
    )
    return _result_out(attempt)


@bp.get(f"/attempts/<{ID}:attempt_id>/result")
@needs(PARTICIPANT)
@spec.validate(resp=responses(ResultOut, 401, 403, 404, 409), tags=["participant"], security=BEARER)
def result(attempt_id: int):
    """The result of a submitted attempt: score, pass, rank, certificates, review"""
    attempt = _load(attempt_id)
    if attempt.status == "in_progress":
        raise Conflict(N_("This attempt is still in progress."))
    return _result_out(attempt)


def _result_out(attempt) -> ResultOut:
    rows = None
    if attempt.status == "submitted" and A.may_review_answers(attempt, now()):
        rows = [
            ReviewRow(
                position=aq.position,
                text=q.text,
                fraction=float(aq.fraction) if aq.fraction is not None else None,
                score=decimal_text(aq.score),
            )
            for aq, q in A.review_rows(db.session, attempt)
        ]
    rank, ranked = (
        (None, 0)
        if attempt.preview
        else R.participant_rank(
            db.session,
            attempt.round,
            current_user.id,
            now(),
            cache=current_app.extensions["quizapp_cache"],
        )
    )
    certificates = db.session.scalars(
        select(Certificate).where(
            Certificate.attempt_id == attempt.id, Certificate.status == "valid"
        )
    ).all()
    return ResultOut(
        attempt_id=attempt.id,
        round_id=attempt.round_id,
        status=attempt.status,
        score=decimal_text(attempt.score),
        max_score=decimal_text(attempt.max_score),
        correct_count=attempt.correct_count,
        question_count=attempt.question_count,
        passed=A.passed(attempt),
        submitted_at=attempt.submitted_at,
        submitted_by=attempt.submitted_by,
        rank=rank,
        ranked=ranked,
        certificates=[certificate_out(c) for c in certificates],
        review=rows,
    )


def decimal_text(value) -> str | None:
    """A score as the API writes it: a decimal string ("7.5"), exact."""
    return None if value is None else format(value.normalize(), "f")


def certificate_out(c: Certificate) -> CertificateOut:
    from quizapp.certificates.services import _describe

    a = c.achievement or {}
    return CertificateOut(
        id=c.id,
        code=c.code,
        serial=c.serial,
        kind=c.kind,
        status=c.status,
        issued_at=c.issued_at,
        contest=a.get("contest"),
        round=a.get("round"),
        result=_describe(a),
        verify_url=url_for("certificates.verify", code=c.code, _external=True),
        credential_url=url_for("api.my_credential", cert_id=c.id, _external=True),
        pdf_url=url_for("api.my_certificate_pdf", cert_id=c.id, _external=True),
    )


@bp.get("/me/certificates")
@needs(PARTICIPANT)
@spec.validate(
    query=PageQuery,
    resp=responses(CertificatePage, 401, 403),
    tags=["participant"],
    security=BEARER,
)
def my_certificates():
    """My certificates (valid and revoked), newest first"""
    from quizapp.certificates.lookup import my_certificates as mine

    items = [certificate_out(c) for c in mine(db.session, current_user.id)]
    return CertificatePage(**page_of(items, request.context.query))


def _my_certificate(cert_id: int) -> Certificate:
    cert = db.session.get(Certificate, cert_id)
    if cert is None or cert.user_id != current_user.id:
        raise NotFound(N_("Certificate not found."))
    return cert


@bp.get(f"/me/certificates/<{ID}:cert_id>/credential")
@needs(PARTICIPANT)
@spec.validate(resp=responses(CredentialOut, 401, 403, 404), tags=["participant"], security=BEARER)
def my_credential(cert_id: int):
    """A certificate's signed credential (JWS and its Open Badges 3.0 payload)"""
    from quizapp.certificates.signing import b64url_decode

    cert = _my_certificate(cert_id)
    payload = jsonlib.loads(b64url_decode(cert.jws.split(".")[1]))
    return CredentialOut(status=cert.status, jws=cert.jws, credential=payload)


@bp.get(f"/me/certificates/<{ID}:cert_id>.pdf")
@needs(PARTICIPANT)
@spec.validate(resp=responses(None, 401, 403, 404), tags=["participant"], security=BEARER)
def my_certificate_pdf(cert_id: int):
    """A valid certificate's PDF (PDF/A-3b with the signed credential attached)"""
    from quizapp.certificates.views import pdf_response

    cert = _my_certificate(cert_id)
    if cert.status != "valid":
        raise NotFound(N_("Certificate not found."))
    return pdf_response(cert)


@bp.get("/me/programmes")
@needs(PARTICIPANT)
@spec.validate(
    query=PageQuery,
    resp=responses(ProgrammePage, 401, 403),
    tags=["participant"],
    security=BEARER,
)
def my_programmes():
    """My study programmes: progress and each lesson's state and check

    A lesson's check is taken as a round: POST /rounds/{check_round_id}/attempts (the
    programme's order of lessons and waits apply)."""
    from quizapp.programmes import study

    items = []
    for ov in study.my_programmes(db.session, current_user.member, now()):
        lessons = []
        for lesson in ov.programme.lessons:
            st = ov.states.get(lesson.id)
            lessons.append(
                LessonOut(
                    id=lesson.id,
                    number=lesson.position,
                    title=lesson.title,
                    state=st.state if st else "locked",
                    attempts=st.attempts if st else 0,
                    best=decimal_text(st.best) if st and st.best is not None else None,
                    passed_at=st.passed_at if st else None,
                    check_round_id=lesson.round_id,
                )
            )
        items.append(
            ProgrammeOut(
                id=ov.programme.id,
                title=ov.programme.title,
                enrolled=ov.enrolled,
                status=ov.status,
                percent=ov.percent,
                may_study=ov.may_study,
                lessons=lessons,
            )
        )
    return ProgrammePage(**page_of(items, request.context.query))
