"""Organiser pages for members: the roster one by one, import and export of roster files,
password reset codes, guardian consent, organiser roles (routes of the orgs blueprint)."""

from __future__ import annotations

import secrets

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy import delete, select

from quizapp.audit.services import count
from quizapp.auth import services as auth_services
from quizapp.auth.models import OrganiserRole, User
from quizapp.clock import utcnow
from quizapp.errors import Conflict, DomainError, Invalid, NotFound
from quizapp.extensions import db
from quizapp.forms import db_int
from quizapp.orgs import importing, services
from quizapp.orgs import members as roster
from quizapp.orgs import pending as pending_files
from quizapp.orgs.blueprint import bp
from quizapp.orgs.forms import (
    ConfirmForm,
    ConfirmImportForm,
    GuardianForm,
    ImportForm,
    MemberForm,
    OrganiserForm,
)
from quizapp.orgs.models import Member, PendingImport
from quizapp.orgs.population import LABELS
from quizapp.orgs.roster import template_xlsx
from quizapp.orgs.scope import managed_units, unit_choices
from quizapp.orgs.views import XLSX
from quizapp.rights import services as rights
from quizapp.rights.access import actor_path
from quizapp.rights.watch import logged
from quizapp.spreadsheets import XlsxLimits
from quizapp.web import actor, now, organiser_required, paginate, run_service, t

# --- members -----------------------------------------------------------------------------


@bp.get("/org/members")
@organiser_required
def members():
    unit_id = request.args.get("unit", type=db_int)
    unit = services.get_managed_unit(db.session, unit_id, actor()) if unit_id else None
    q = request.args.get("q", "")
    category = request.args.get("category", "")
    inactive = request.args.get("inactive") == "1"
    stmt = roster.members_query(
        actor(), unit=unit, q=q, category=category, include_inactive=inactive
    )
    page = paginate(stmt)
    logged(
        "members",
        unit_path=unit.path if unit else actor_path(actor()),
        people=len(page.items),
        object_id=unit.id if unit else "",
    )
    return render_template(
        "orgs/members.html",
        page=page,
        unit=unit,
        q=q,
        category=category,
        inactive=inactive,
        labels=LABELS,
        units=unit_choices(managed_units(actor())),
    )


@bp.get("/org/members/export.xlsx")
@organiser_required
def export_members():
    unit_id = request.args.get("unit", type=db_int)
    unit = services.get_managed_unit(db.session, unit_id, actor()) if unit_id else None
    stmt = roster.members_query(
        actor(), unit=unit, q=request.args.get("q", ""), category=request.args.get("category", "")
    )
    data = roster.export_rows(db.session, stmt, _)
    logged(
        "members.export",
        unit_path=unit.path if unit else actor_path(actor()),
        people=count(db.session, stmt),
        object_id=unit.id if unit else "",
    )
    name = f"danh-sach-{unit.code if unit else 'tat-ca'}.xlsx"
    return Response(
        data, mimetype=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


def _member_form(member: Member | None = None) -> MemberForm:
    form = MemberForm(obj=member)
    form.unit_id.choices = unit_choices(managed_units(actor()))
    if request.method == "GET" and member is not None:
        form.categories.data = sorted(member.population)
    if request.method == "GET" and member is None and request.args.get("unit"):
        form.unit_id.data = request.args.get("unit", type=db_int)
    return form


def _member_data(form: MemberForm) -> roster.MemberData:
    return roster.MemberData(
        full_name=form.full_name.data,
        unit_id=form.unit_id.data,
        categories=tuple(form.categories.data),
        code=form.code.data or None,
        birth_date=form.birth_date.data,
        phone=form.phone.data or None,
        email=form.email.data or None,
        admitted_on=form.admitted_on.data,
        cccd=form.cccd.data or None,
    )


@bp.route("/org/members/new", methods=["GET", "POST"])
@organiser_required
def new_member():
    form = _member_form()
    if form.validate_on_submit():
        ok, m = run_service(
            form,
            lambda: roster.create_member(
                db.session,
                _member_data(form),
                actor=actor(),
                pii_key=current_app.config["PII_HASH_KEY"],
                now=now(),
            ),
        )
        if ok:
            flash(_("Member %(name)s added.", name=m.full_name), "success")
            return redirect(url_for("orgs.members", unit=m.unit_id))
    return render_template("orgs/member_form.html", form=form, member=None)


@bp.route("/org/members/<int:member_id>", methods=["GET", "POST"])
@organiser_required
def member(member_id: int):
    m = roster.get_managed_member(db.session, member_id, actor())
    form = _member_form(m)
    if form.validate_on_submit():
        ok, _result = run_service(
            form,
            lambda: roster.update_member(
                db.session,
                m.id,
                _member_data(form),
                actor=actor(),
                pii_key=current_app.config["PII_HASH_KEY"],
                now=now(),
            ),
        )
        if ok:
            flash(_("Changes saved."), "success")
            return redirect(url_for("orgs.member", member_id=m.id))
    account = db.session.scalar(select(User).where(User.member_id == m.id))
    logged("member", unit_path=m.unit.path, people=1, object_id=m.id)
    return render_template(
        "orgs/member_form.html",
        form=form,
        member=m,
        account=account,
        claims=auth_services.claims_for_member(db.session, m.id),
        confirm=ConfirmForm(),
        guardian_form=GuardianForm(),
        needs_guardian=auth_services.needs_guardian_consent(m, now()),
        deletion=rights.pending_for_member(db.session, m.id),
        consent_withdrawn=rights.consent_withdrawn(db.session, m.id),
    )


@bp.post("/org/members/<int:member_id>/active")
@organiser_required
def set_active(member_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    active = request.form.get("active") == "1"
    roster.set_member_active(db.session, member_id, active, actor=actor(), now=now())
    flash(_("Member reactivated.") if active else _("Member deactivated."), "success")
    return redirect(url_for("orgs.member", member_id=member_id))


@bp.post("/org/members/<int:member_id>/claims/<int:claim_id>")
@organiser_required
def decide_claim(member_id: int, claim_id: int):
    """Confirm (or refuse) that a new account whose phone is on the roster is this member."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    accept = request.form.get("accept") == "1"
    claim = auth_services.decide_claim(
        db.session, claim_id, accept=accept, actor=actor(), now=now()
    )
    if claim.member_id != member_id:
        abort(404)
    flash(
        _("The account is linked to this member.") if accept else _("Request refused."), "success"
    )
    return redirect(url_for("orgs.member", member_id=member_id))


@bp.post("/org/members/<int:member_id>/reset-code")
@organiser_required
def reset_code(member_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        code = auth_services.issue_reset_code(db.session, member_id, actor=actor(), now=now())
    except Conflict as exc:
        db.session.rollback()
        flash(t(exc.message, exc.params), "error")
        return redirect(url_for("orgs.member", member_id=member_id))
    m = roster.get_managed_member(db.session, member_id, actor())
    return render_template("orgs/reset_code.html", member=m, code=code)


@bp.post("/org/members/<int:member_id>/guardian")
@organiser_required
def guardian(member_id: int):
    roster.get_managed_member(db.session, member_id, actor())  # 404 outside the subtree
    form = GuardianForm()
    if not form.validate_on_submit():
        flash(_("Enter the name of the parent or guardian."), "error")
    else:
        auth_services.record_guardian_consent(
            db.session,
            member_id,
            form.guardian_name.data,
            actor=actor(),
            consent_version=current_app.config["CONSENT_TEXT_VERSION"],
            now=now(),
        )
        flash(_("Guardian consent recorded."), "success")
    return redirect(url_for("orgs.member", member_id=member_id))


# --- import ------------------------------------------------------------------------------


@bp.get("/org/templates/<kind>.xlsx")
@organiser_required
def template(kind: str):
    if kind not in ("members", "units"):
        abort(404)
    name = "mau-danh-sach-doan-vien.xlsx" if kind == "members" else "mau-danh-sach-don-vi.xlsx"
    return Response(
        template_xlsx(kind),
        mimetype=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.route("/org/import", methods=["GET", "POST"])
@organiser_required
def import_roster():
    form = ImportForm()
    if form.validate_on_submit():
        upload = form.file.data
        content = upload.read()
        filename = upload.filename or "roster"
        plan = importing.plan_import(
            db.session,
            form.kind.data,
            filename,
            content,
            actor=actor(),
            pii_key=current_app.config["PII_HASH_KEY"],
            limits=XlsxLimits.from_config(current_app.config),
        )
        db.session.rollback()  # planning writes nothing; make sure of it
        pending = None
        if plan.ok and (plan.creates or plan.updates):
            # Keep the file until the organiser confirms; old uploads are cleared here too.
            db.session.execute(
                delete(PendingImport).where(PendingImport.user_id == actor().user_id)
            )
            pending = PendingImport(
                token=secrets.token_urlsafe(24),
                user_id=actor().user_id,
                kind=form.kind.data,
                filename=filename,
                content=pending_files.seal(current_app.config["PII_HASH_KEY"], content),
                created_at=utcnow(),
            )
            db.session.add(pending)
        confirm = ConfirmImportForm(token=pending.token) if pending else None
        return render_template(
            "orgs/import_preview.html", plan=plan, filename=filename, confirm=confirm
        )
    return render_template("orgs/import.html", form=form)


@bp.post("/org/import/confirm")
@organiser_required
def confirm_import():
    form = ConfirmImportForm()
    if not form.validate_on_submit():
        abort(400)
    pending = db.session.scalar(
        select(PendingImport).where(
            PendingImport.token == form.token.data, PendingImport.user_id == actor().user_id
        )
    )
    content = (
        pending_files.unseal(current_app.config["PII_HASH_KEY"], pending.content)
        if pending is not None
        else None
    )
    if content is None:
        raise NotFound("This import has expired. Upload the file again.")
    kind, filename = pending.kind, pending.filename
    try:
        plan = importing.apply_import(
            db.session,
            kind,
            filename,
            content,
            actor=actor(),
            pii_key=current_app.config["PII_HASH_KEY"],
            now=now(),
        )
        db.session.delete(pending)
    except Invalid:
        db.session.rollback()
        plan = importing.plan_import(
            db.session,
            kind,
            filename,
            content,
            actor=actor(),
            pii_key=current_app.config["PII_HASH_KEY"],
            limits=XlsxLimits.from_config(current_app.config),
        )
        return render_template(
            "orgs/import_preview.html", plan=plan, filename=filename, confirm=None
        ), 422
    flash(
        _(
            "Import finished: %(c)s created, %(u)s updated, %(n)s unchanged.",
            c=len(plan.creates),
            u=len(plan.updates),
            n=plan.unchanged,
        ),
        "success",
    )
    return redirect(url_for("orgs.members") if kind == "members" else url_for("orgs.units"))


# --- organisers --------------------------------------------------------------------------


@bp.route("/org/organisers", methods=["GET", "POST"])
@organiser_required
def organisers():
    form = OrganiserForm()
    form.unit_id.choices = unit_choices(managed_units(actor()))
    if form.validate_on_submit():
        user = auth_services.find_login(db.session, form.identifier.data)
        if user is None:
            form.identifier.errors = [_("No account with this phone number or e-mail.")]
        else:
            try:
                auth_services.grant_organiser(
                    db.session, user.id, form.unit_id.data, actor=actor(), now=now()
                )
            except DomainError as exc:
                db.session.rollback()
                form.form_errors.append(t(exc.message, exc.params))
            else:
                flash(_("%(name)s is now an organiser.", name=user.display_name), "success")
                return redirect(url_for("orgs.organisers"))
    unit_ids = [u.id for u in managed_units(actor())]
    roles = db.session.scalars(
        select(OrganiserRole)
        .where(OrganiserRole.unit_id.in_(unit_ids))
        .order_by(OrganiserRole.unit_id)
    ).all()
    return render_template("orgs/organisers.html", form=form, roles=roles, confirm=ConfirmForm())


@bp.post("/org/organisers/<int:role_id>/revoke")
@organiser_required
def revoke(role_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    auth_services.revoke_organiser(db.session, role_id, actor=actor(), now=now())
    flash(_("Role removed."), "success")
    return redirect(url_for("orgs.organisers"))
