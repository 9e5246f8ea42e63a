"""The member's "My data" page (download, correct, withdraw consent, ask for deletion), the
organisers' page of deletion requests, and the log of who looked at personal data."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from quizapp.errors import NotFound
from quizapp.extensions import db
from quizapp.forms import db_int
from quizapp.orgs.forms import ConfirmForm
from quizapp.orgs.models import Unit
from quizapp.orgs.scope import managed_units, unit_choices
from quizapp.orgs.services import get_managed_unit
from quizapp.rights import access, export
from quizapp.rights import services as RS
from quizapp.rights.forms import (
    CorrectForm,
    DecisionForm,
    DeletionForm,
    ExportForm,
    WithdrawForm,
)
from quizapp.timeutil import from_local, parse_date
from quizapp.web import actor, now, organiser_required, paginate, run_service

bp = Blueprint("rights", __name__)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STATUSES = ("pending", "approved", "refused", "cancelled")


def _guardian(form) -> RS.Guardian:
    return RS.Guardian(
        bool(form.with_guardian.data),
        form.guardian_name.data or "",
        form.guardian_contact.data or "",
    )


def _page(status: int = 200, **forms):
    user = current_user
    correct = forms.get("correct") or CorrectForm(
        formdata=None, full_name=user.display_name, email=user.email or ""
    )
    data = export.collect(db.session, user_id=user.id, member_id=user.member_id)
    return (
        render_template(
            "rights/data.html",
            counts={k: len(v) for k, v in data.items()},
            section_labels=export.SECTION_LABELS,
            export_form=forms.get("export") or ExportForm(formdata=None, prefix="export"),
            correct_form=correct,
            withdraw_form=forms.get("withdraw") or WithdrawForm(formdata=None, prefix="withdraw"),
            delete_form=forms.get("delete") or DeletionForm(formdata=None, prefix="delete"),
            minor=RS.is_minor(user.member, now()),
            consents=RS.active_consents(db.session, user.member_id),
            withdrawn=RS.consent_withdrawn(db.session, user.member_id),
            pending=RS.pending_deletion(db.session, user.id),
            requests=RS.own_requests(db.session, user.id),
            hours=current_app.config["DATA_REQUEST_HOURS"],
            kind_labels=RS.KIND_LABELS,
            status_labels=RS.STATUS_LABELS,
        ),
        status,
    )


@bp.get("/account/data")
@login_required
def data():
    return _page()


@bp.post("/account/data/export")
@login_required
def download():
    form = ExportForm(prefix="export")
    if not form.validate_on_submit():
        return _page(400, export=form)
    ok, _done = run_service(
        form,
        lambda: RS.record_export(db.session, current_user, guardian=_guardian(form), now=now()),
    )
    if not ok:
        return _page(422, export=form)
    rows = export.collect(db.session, user_id=current_user.id, member_id=current_user.member_id)
    stamp = now().strftime("%Y%m%d")
    if form.fmt.data == "xlsx":
        body, mime, ext = export.to_xlsx(rows), XLSX, "xlsx"
    else:
        body, mime, ext = export.to_json(rows, generated_at=now()), "application/json", "json"
    return Response(
        body,
        mimetype=mime,
        headers={"Content-Disposition": f'attachment; filename="du-lieu-cua-toi-{stamp}.{ext}"'},
    )


@bp.post("/account/data/correct")
@login_required
def correct():
    form = CorrectForm()
    if not form.validate_on_submit():
        return _page(400, correct=form)
    ok, _done = run_service(
        form,
        lambda: RS.correct_profile(
            db.session,
            current_user,
            full_name=form.full_name.data or "",
            email=form.email.data or "",
            now=now(),
        ),
    )
    if not ok:
        return _page(422, correct=form)
    flash(_("Your details have been corrected."), "success")
    return redirect(url_for("rights.data"))


@bp.post("/account/data/withdraw")
@login_required
def withdraw():
    form = WithdrawForm(prefix="withdraw")
    if not form.validate_on_submit():
        return _page(400, withdraw=form)
    if not form.confirm.data:
        form.confirm.errors = [_("Tick the box to confirm that you withdraw your consent.")]
        return _page(422, withdraw=form)
    ok, _done = run_service(
        form,
        lambda: RS.withdraw_consent(db.session, current_user, guardian=_guardian(form), now=now()),
    )
    if not ok:
        return _page(422, withdraw=form)
    flash(_("Your consent has been withdrawn. You will not be able to take quizzes."), "success")
    return redirect(url_for("rights.data"))


@bp.post("/account/data/delete")
@login_required
def delete_request():
    form = DeletionForm(prefix="delete")
    if not form.validate_on_submit():
        return _page(400, delete=form)
    ok, _done = run_service(
        form,
        lambda: RS.request_deletion(
            db.session,
            current_user,
            confirmed=bool(form.confirm.data),
            keep_certificates=bool(form.keep_certificates.data),
            guardian=_guardian(form),
            period=timedelta(hours=current_app.config["DATA_REQUEST_HOURS"]),
            now=now(),
        ),
    )
    if not ok:
        return _page(422, delete=form)
    flash(_("Your request has been sent to the organisers of your unit."), "success")
    return redirect(url_for("rights.data"))


@bp.post("/account/data/requests/<int:request_id>/cancel")
@login_required
def cancel(request_id: int):
    if not ConfirmForm().validate_on_submit():
        return _page(400)
    RS.cancel_deletion(db.session, current_user, request_id, now=now())
    flash(_("Your request has been cancelled."), "success")
    return redirect(url_for("rights.data"))


# --- organisers ----------------------------------------------------------------------------


@bp.get("/org/data-requests")
@organiser_required
def requests():
    status = request.args.get("status", "pending")
    if status not in STATUSES:
        status = "pending"
    page = paginate(RS.visible_requests(actor(), status=status))
    return render_template(
        "rights/requests.html",
        page=page,
        status=status,
        statuses=STATUSES,
        hours=current_app.config["DATA_REQUEST_HOURS"],
        status_labels=RS.STATUS_LABELS,
        now=now(),
    )


def _drop_cached(done: RS.Deleted) -> None:
    """After the commit: the rankings computed with the person's name, and their revoked
    certificates' cached PDFs."""
    from quizapp.contests.results import ranking_changed

    cache = current_app.extensions["quizapp_cache"]
    folder = Path(current_app.config["CERT_CACHE_DIR"])
    rounds, codes = list(done.rounds), list(done.certificate_codes)

    def drop():
        for round_id in rounds:
            ranking_changed(cache, round_id)
        for code in codes:
            for path in folder.glob(f"{code}-*.pdf"):
                path.unlink(missing_ok=True)

    db.after_commit(drop)


@bp.route("/org/data-requests/<int:request_id>", methods=["GET", "POST"])
@organiser_required
def decide(request_id: int):
    req = RS.get_managed_request(db.session, request_id, actor())
    form = DecisionForm()
    if request.method == "POST" and form.validate_on_submit():
        approve = form.decision.data == "approve"
        if form.decision.data not in ("approve", "refuse"):
            form.decision.errors = [_("Choose approve or refuse.")]
        elif approve and not form.confirm.data:
            form.confirm.errors = [_("Tick the box to confirm that you understand.")]
        else:
            ok, done = run_service(
                form,
                lambda: RS.decide_deletion(
                    db.session,
                    req.id,
                    approve=approve,
                    reason=form.reason.data or "",
                    actor=actor(),
                    now=now(),
                ),
            )
            if ok:
                _drop_cached(done)
                flash(
                    _("The data has been deleted.") if approve else _("The request was refused."),
                    "success",
                )
                return redirect(url_for("rights.requests"))
        req = RS.get_managed_request(db.session, request_id, actor())
    return render_template(
        "rights/decide.html",
        req=req,
        form=form,
        now=now(),
        certificates=_certificate_count(req),
        status_labels=RS.STATUS_LABELS,
    )


def _certificate_count(req) -> int:
    from sqlalchemy import func

    from quizapp.certificates.models import Certificate

    return (
        db.session.scalar(
            select(func.count())
            .select_from(Certificate)
            .where(Certificate.member_id == req.member_id, Certificate.status == "valid")
        )
        or 0
    )


def _day(field: str, label: str):
    text = request.args.get(field, "").strip()
    try:
        return parse_date(text)
    except ValueError:
        flash(_("%(field)s: enter a date as dd/mm/yyyy.", field=label), "error")
        return None


@bp.get("/org/data-access")
@organiser_required
def access_log():
    who = actor()
    unit_id = request.args.get("unit", type=db_int)
    unit = None
    if unit_id:
        try:
            unit = get_managed_unit(db.session, unit_id, who)
        except NotFound:
            flash(_("Unit: choose one of your units."), "error")
    person = request.args.get("who", type=db_int)
    what = request.args.get("what", "").strip()
    since, until = _day("since", _("From")), _day("until", _("To"))
    stmt = access.visible_access(
        who,
        unit_path=unit.path if unit else None,
        actor_id=person,
        what=what if what in access.WHAT_LABELS else "",
        since=from_local(datetime(since.year, since.month, since.day)) if since else None,
        until=from_local(datetime(until.year, until.month, until.day) + timedelta(days=1))
        if until
        else None,
    )
    page = paginate(stmt)
    paths = {e.unit_path for e in page.items}
    names = dict(db.session.execute(select(Unit.path, Unit.name).where(Unit.path.in_(paths))).all())
    return render_template(
        "rights/access_log.html",
        page=page,
        unit_names=names,
        unit=unit,
        person=person,
        what=what,
        since=since,
        until=until,
        units=unit_choices(managed_units(who)),
        people=access.people_choices(db.session, who),
        labels=access.WHAT_LABELS,
    )
