"""Participant pages: contest landing, start, one question per screen (or all on one page),
autosave endpoint, review and submit, result. Work without JavaScript too."""

from __future__ import annotations

import secrets

from flask import (
    abort,
    current_app,
    flash,
    g,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from quizapp.certificates.lookup import announced_rules
from quizapp.contests import attempts as A
from quizapp.contests import starting as S
from quizapp.contests.blueprints import take as take_blueprint
from quizapp.contests.models import Contest
from quizapp.errors import Conflict, DomainError, Invalid
from quizapp.extensions import db, limiter
from quizapp.forms import db_int
from quizapp.orgs.forms import ConfirmForm
from quizapp.policy import can_manage
from quizapp.web import actor, now, public_page, t

bp = take_blueprint
DEVICE_COOKIE = "quizapp_device"


def _device() -> str:
    """The id of the phone this request comes from ("" when it has none yet)."""
    return request.cookies.get(DEVICE_COOKIE, "")


def _new_device() -> str:
    """The phone's id, made now when it has none (a start records it with the attempt, so
    that the quiz page that follows has nothing to write)."""
    if "new_device" not in g:
        g.new_device = _device() or secrets.token_urlsafe(16)
    return g.new_device


def _with_device(response):
    if not request.cookies.get(DEVICE_COOKIE):
        response.set_cookie(
            DEVICE_COOKIE,
            _new_device(),
            max_age=400 * 24 * 3600,
            httponly=True,
            samesite="Lax",
            secure=current_app.config["SESSION_COOKIE_SECURE"],
        )
    return response


def _start_rate():
    return current_app.config.get("START_RATE_LIMIT", "20 per minute")


def _save_rate():
    return current_app.config.get("SAVE_RATE_LIMIT", "240 per minute")


def _user_key():
    """A logged-in phone's limits are its login session's (the id Flask-Login keeps in the
    signed session cookie, as `auth.views.logout` reads it), found without loading the user:
    the limit is checked before the request's first query, so that on SQLite it stays out of
    the write transaction, which begins with that query."""
    login = session.get("_user_id")
    return f"login:{login}" if login else request.remote_addr


@bp.get("/c/<slug>")
def landing(slug: str):
    contest = db.session.scalar(select(Contest).where(Contest.slug == slug))
    if (
        contest is None
        or contest.status == "draft"
        and not (current_user.is_authenticated and can_manage(actor(), contest.owner_unit.path))
    ):
        abort(404)
    if contest.kind == "programme":  # a study programme's checks live on its lesson pages
        return redirect(url_for("programmes.lesson_for_round", round_id=contest.rounds[0].id))
    moment = now()
    rounds = []
    for rnd in contest.rounds:
        mine = (
            A.my_attempts(db.session, rnd.id, current_user.id)
            if current_user.is_authenticated
            else []
        )
        rounds.append(
            {
                "round": rnd,
                "state": A.round_state(rnd, moment),
                "mine": mine,
                "left": max(0, rnd.attempts_allowed - len(mine)),
            }
        )
    reason = None
    if current_user.is_authenticated:
        reason = S.ineligible_reason(db.session, contest, current_user)
    html = render_template(
        "contests/landing.html",
        contest=contest,
        rounds=rounds,
        now=moment,
        reason=reason,
        start_form=ConfirmForm(),
        certificate_rules=announced_rules(db.session, contest),
    )
    if not current_user.is_authenticated:  # the same page for every visitor: shared
        # briefly: its countdowns and the moment a round opens must not lag
        return public_page(html, max_age=min(5, current_app.config["PUBLIC_CACHE_SECONDS"]))
    return _with_device(make_response(html))


@bp.post("/rounds/<int:round_id>/start")
@login_required
@limiter.limit(_start_rate, key_func=_user_key)
def start(round_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    preview = request.form.get("preview") == "1"
    try:
        attempt = S.start_attempt(
            db.session,
            round_id,
            user=current_user,
            actor=actor(),
            now=now(),
            device=_new_device(),
            preview=preview,
        )
    except DomainError as exc:
        db.session.rollback()
        if exc.status == 404:
            raise
        flash(t(exc.message, exc.params), "error")
        rnd = db.session.get(A.Round, round_id)
        return redirect(_round_page(rnd))
    return _with_device(redirect(url_for("take.attempt", attempt_id=attempt.id)))


def _round_page(rnd) -> str:
    """Where a round's participant goes back to: the contest, or a programme's lesson."""
    if rnd.contest.kind == "programme":
        return url_for("programmes.lesson_for_round", round_id=rnd.id)
    return url_for("take.landing", slug=rnd.contest.slug)


def _load(attempt_id: int):
    return A.load_attempt(db.session, attempt_id, current_user, now(), before_write=db.write_now)


def _remaining(attempt) -> int:
    return max(0, int((attempt.deadline_at - now()).total_seconds()))


@bp.route("/attempts/<int:attempt_id>", methods=["GET", "POST"])
@login_required
def attempt(attempt_id: int):
    device = _new_device()  # a phone opening the page for the first time gets its id now
    attempt = _load(attempt_id)
    if attempt.status != "in_progress":
        return redirect(url_for("take.result", attempt_id=attempt.id))
    # Opening the page on this phone takes the attempt over; the copy the service worker
    # keeps for offline use (templates/offline/sw.js) does not.
    keeping = request.headers.get("X-Quizapp-Keep") == "1"
    if attempt.device != device and not keeping:
        if request.method == "GET":
            db.write_now()
            attempt = _load(attempt_id)
        attempt.device = device
    if request.method == "POST":  # the page without JavaScript posts its answers
        if not ConfirmForm().validate_on_submit():
            abort(400)
        try:
            _save_posted_page(attempt)
        except Conflict as exc:  # time up: the automatic submission is kept
            flash(t(exc.message, exc.params), "error")
            return redirect(url_for("take.result", attempt_id=attempt.id))
        except Invalid as exc:
            db.session.rollback()
            flash(t(exc.message, exc.params), "error")
        target = request.form.get("go", "next")
        if target == "review":
            return redirect(url_for("take.review", attempt_id=attempt.id))
        return redirect(url_for("take.attempt", attempt_id=attempt.id, q=target))
    slots = A.attempt_view(db.session, attempt)
    one_page = attempt.round.contest.one_page or request.args.get("all") == "1"
    current = max(1, min(request.args.get("q", 1, type=db_int) or 1, len(slots)))
    response = make_response(
        render_template(
            "contests/attempt.html",
            attempt=attempt,
            slots=slots,
            current=current,
            one_page=one_page,
            remaining=_remaining(attempt),
            form=ConfirmForm(),
            certificate_rules=announced_rules(db.session, attempt.round.contest, attempt.round_id),
        )
    )
    return _with_device(response)


def _posted_answer(slot_type: str, position: int) -> dict | None:
    f = request.form
    name = f"a{position}"
    if slot_type in ("single", "multi"):
        return {"choices": f.getlist(name)}
    if slot_type == "truefalse":
        return {"value": f.get(name, "")}
    if slot_type == "matching":
        pairs = {k.split("-", 1)[1]: v for k, v in f.items() if k.startswith(f"{name}-")}
        return {"pairs": pairs}
    if slot_type in ("short", "numeric", "essay"):
        return {"text": f.get(name, "")}
    return None


def _save_posted_page(attempt) -> None:
    positions = [int(p) for p in request.form.getlist("position") if p.isdigit()]
    slots = {s.question.position: s for s in A.attempt_view(db.session, attempt)}
    for pos in positions:
        slot = slots.get(pos)
        if slot is None:
            continue
        posted = _posted_answer(slot.question.type, pos)
        flagged = request.form.get(f"flag{pos}") == "1"
        A.save_answer(
            db.session, attempt.id, pos, posted, user=current_user, now=now(), flagged=flagged
        )
    if request.form.get("prediction", "").strip().isdigit():
        A.save_answer(
            db.session,
            attempt.id,
            0,
            None,
            user=current_user,
            now=now(),
            prediction=int(request.form["prediction"]),
        )


MAX_SAVE_BODY = 64 * 1024  # an essay of MAX_TEXT * 20 characters with room to spare


def _save_body() -> dict | None:
    """The autosave's JSON object, or None for anything else: too long, not JSON, nested
    past the parser's depth, or not an object."""
    if (request.content_length or 0) > MAX_SAVE_BODY:
        return None
    try:
        data = request.get_json(silent=True)
    except RecursionError:
        return None
    return data if isinstance(data, dict) else None


def _whole_number(value) -> int | None:
    """A whole number between 0 and 10⁹ as JSON sends it (a number or a string of digits)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 9:
        return int(value)
    if isinstance(value, int) and 0 <= value <= 10**9:
        return value
    return None


def _refused(code: str, message: str, status: int, **extra):
    """A refused save, with a `code` the quiz page acts on (static/js/quiz.js): `login` (log in
    again; the answer stays queued on the phone), `device` (another phone has the attempt),
    `closed` (submitted: see the result), `invalid` (the answer does not fit), `bad`."""
    return jsonify({"ok": False, "code": code, "error": message, **extra}), status


@bp.post("/attempts/<int:attempt_id>/save")
@limiter.limit(_save_rate, key_func=_user_key)
def save(attempt_id: int):
    """JSON autosave: {"position": 3, "answer": {...}, "flagged": bool, "prediction": int}.
    One `attempts.save_answer` in the request's transaction (committed by the request).
    Every refusal says why in `code`, so that the page never drops an answer it could send
    later (a login that ended is a 401 here, not a redirect to the login page)."""
    if not current_user.is_authenticated:
        return _refused(
            "login",
            _("Your login has ended. Log in again: the answers not yet sent stay on this phone."),
            401,
            login=url_for("auth.login", next=url_for("take.attempt", attempt_id=attempt_id)),
        )
    data = _save_body()
    if data is None:
        return _refused("bad", _("Bad request."), 400)
    position = _whole_number(data.get("position") or 0)
    prediction = data.get("prediction")
    prediction = _whole_number(prediction) if prediction not in (None, "") else None
    if position is None or (prediction is None and data.get("prediction") not in (None, "")):
        return _refused("bad", _("Bad request."), 400)
    flagged = data.get("flagged")
    try:
        A.save_answer(
            db.session,
            attempt_id,
            position,
            data.get("answer"),
            user=current_user,
            now=now(),
            device=_device(),
            flagged=flagged if isinstance(flagged, bool) else None,
            prediction=prediction,
        )
    except A.OtherDevice as exc:
        return _refused("device", t(exc.message, exc.params), 409)
    except Conflict as exc:  # time up: the automatic submission made while refusing is kept
        return _refused(
            "closed",
            t(exc.message, exc.params),
            409,
            result=url_for("take.result", attempt_id=attempt_id),
        )
    except Invalid as exc:
        db.session.rollback()
        return _refused("invalid", t(exc.message, exc.params), 422)
    return jsonify({"ok": True, "position": position})


@bp.get("/attempts/<int:attempt_id>/review")
@login_required
def review(attempt_id: int):
    attempt = _load(attempt_id)
    if attempt.status != "in_progress":
        return redirect(url_for("take.result", attempt_id=attempt.id))
    slots = A.attempt_view(db.session, attempt)
    unanswered = [s.question.position for s in slots if not s.answer]
    flagged = [s.question.position for s in slots if s.flagged]
    return render_template(
        "contests/review.html",
        attempt=attempt,
        slots=slots,
        unanswered=unanswered,
        flagged=flagged,
        form=ConfirmForm(),
        remaining=_remaining(attempt),
        certificate_rules=announced_rules(db.session, attempt.round.contest, attempt.round_id),
    )


@bp.post("/attempts/<int:attempt_id>/submit")
@login_required
def submit(attempt_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    raw = request.form.get("prediction", "").strip()
    prediction = int(raw) if raw.isdigit() else None
    A.submit_attempt(db.session, attempt_id, user=current_user, now=now(), prediction=prediction)
    return redirect(url_for("take.result", attempt_id=attempt_id))


@bp.get("/attempts/<int:attempt_id>/result")
@login_required
def result(attempt_id: int):
    attempt = _load(attempt_id)
    if attempt.status == "in_progress":
        return redirect(url_for("take.attempt", attempt_id=attempt.id))
    if attempt.round.contest.kind == "programme":
        return redirect(url_for("programmes.check_result", attempt_id=attempt.id))
    rows = None
    if A.may_review_answers(attempt, now()):
        rows = A.review_rows(db.session, attempt)
    from quizapp.certificates.models import Certificate

    certificates = db.session.scalars(
        select(Certificate).where(
            Certificate.attempt_id == attempt.id, Certificate.status == "valid"
        )
    ).all()
    rnd = attempt.round
    return render_template(
        "contests/result.html",
        attempt=attempt,
        rows=rows,
        passed=A.passed(attempt),
        certificates=certificates,
        certificate_rules=announced_rules(db.session, rnd.contest, rnd.id),
        ranking=None if attempt.preview else _own_rank(rnd),
    )


def _own_rank(rnd):
    from quizapp.contests import results as R

    cache = current_app.extensions["quizapp_cache"]
    rank, total = R.participant_rank(db.session, rnd, current_user.id, now(), cache=cache)
    return {"rank": rank, "total": total}
