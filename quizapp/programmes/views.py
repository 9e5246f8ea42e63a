"""Pages of study programmes: the member's programmes, lessons and check results, and the
organiser's builder and progress (with the follow-up export and the completion chart)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from quizapp.contests import attempts as A
from quizapp.contests import starting as S
from quizapp.errors import DomainError
from quizapp.extensions import db
from quizapp.i18n import N_
from quizapp.orgs.forms import ConfirmForm
from quizapp.programmes import study as ST
from quizapp.programmes.blueprint import bp
from quizapp.programmes.models import Lesson, Programme
from quizapp.web import now, t

STATUS_LABELS = {
    "not_started": N_("Not started"),
    "in_progress": N_("In progress"),
    "completed": N_("Completed"),
    "expired": N_("Expired"),
}


# --- members ------------------------------------------------------------------------------


def _member():
    member = current_user.member
    if member is None or not member.active:
        return None
    return member


@bp.get("/me/programmes")
@login_required
def mine():
    db.write_now()  # it may enrol the member or record a completion
    views = ST.my_programmes(db.session, _member(), now())
    return render_template("programmes/mine.html", views=views, has_member=_member() is not None)


def _published(programme_id: int) -> Programme:
    programme = db.session.get(Programme, programme_id)
    if programme is None or programme.status == "draft":
        abort(404)
    return programme


@bp.get("/programmes/<int:programme_id>")
@login_required
def show(programme_id: int):
    db.write_now()  # it may enrol the member or record a completion
    programme = _published(programme_id)
    member = _member()
    view = None
    if member is not None:
        ST.enrol_member(db.session, [member.id], now())
        view = ST.overview(db.session, programme, member, now())
    return render_template(
        "programmes/programme.html", programme=programme, view=view, form=ConfirmForm()
    )


@bp.post("/programmes/<int:programme_id>/enrol")
@login_required
def enrol(programme_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        ST.self_enrol(db.session, programme_id, member=_member(), now=now())
        flash(_("You are enrolled. Start with the first lesson."), "success")
    except DomainError as exc:
        db.session.rollback()
        if exc.status == 404:
            raise
        flash(t(exc.message, exc.params), "error")
    return redirect(url_for("programmes.show", programme_id=programme_id))


@bp.get("/programmes/<int:programme_id>/lessons/<int:lesson_id>")
@login_required
def lesson(programme_id: int, lesson_id: int):
    db.write_now()  # it may enrol the member or record a completion
    programme = _published(programme_id)
    item = db.session.get(Lesson, lesson_id)
    if item is None or item.programme_id != programme.id:
        abort(404)
    member = _member()
    view = ST.overview(db.session, programme, member, now()) if member else None
    running = None
    if member is not None:
        running = S._in_progress(db.session, item.round_id, current_user.id)
        if running is not None and A.expire_if_due(db.session, running, now()):
            running = None
    state = view.states[item.id] if view else None
    if state is not None and state.state == "locked" and not view.review:
        flash(_("Pass the check of the previous lesson first."), "error")
    index = programme.lessons.index(item)
    return render_template(
        "programmes/lesson.html",
        programme=programme,
        lesson=item,
        view=view,
        state=state,
        running=running,
        previous=programme.lessons[index - 1] if index else None,
        following=programme.lessons[index + 1] if index + 1 < len(programme.lessons) else None,
        form=ConfirmForm(),
    )


@bp.get("/programmes/rounds/<int:round_id>")
@login_required
def lesson_for_round(round_id: int):
    """Where the attempt pages send a member back to (the lesson of a check)."""
    item = ST.lesson_of_round(db.session, round_id)
    if item is None:
        abort(404)
    return redirect(url_for("programmes.lesson", programme_id=item.programme_id, lesson_id=item.id))


@bp.get("/programmes/checks/<int:attempt_id>")
@login_required
def check_result(attempt_id: int):
    db.write_now()  # it may enrol the member or record a completion
    attempt = A.get_attempt(db.session, attempt_id, current_user)
    A.expire_if_due(db.session, attempt, now())
    if attempt.status == "in_progress":
        return redirect(url_for("take.attempt", attempt_id=attempt.id))
    item = ST.lesson_of_round(db.session, attempt.round_id)
    if item is None:
        abort(404)
    programme = item.programme
    member = _member()
    view = ST.overview(db.session, programme, member, now()) if member else None
    passed = A.passed(attempt)
    return render_template(
        "programmes/check_result.html",
        attempt=attempt,
        lesson=item,
        programme=programme,
        view=view,
        passed=passed,
        rows=A.review_rows(db.session, attempt),
        certificate=_certificate(view),
        # A retry may draw the same questions: a failed check shows which answers were
        # wrong, not the key, while the member can still try again.
        hide_key=not passed and _may_retry(view, item),
    )


def _may_retry(view, item: Lesson) -> bool:
    return view is None or (view.may_study and view.states[item.id].state in ("open", "waiting"))


def _certificate(view):
    if view is None or view.completion is None or view.completion.certificate_id is None:
        return None
    from quizapp.certificates.models import Certificate

    return db.session.get(Certificate, view.completion.certificate_id)
