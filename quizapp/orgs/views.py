"""Organiser pages: the unit tree, members, roster import/export, organisers."""

from __future__ import annotations

from flask import (
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from quizapp.audit.services import visible_entries
from quizapp.errors import Conflict, Forbidden
from quizapp.extensions import db
from quizapp.forms import db_int, to_choices
from quizapp.orgs import services
from quizapp.orgs.blueprint import bp
from quizapp.orgs.forms import (
    ConfirmForm,
    MergeForm,
    MoveUnitForm,
    UnitForm,
)
from quizapp.orgs.models import Unit
from quizapp.orgs.scope import managed_units, unit_choices
from quizapp.web import actor, now, organiser_required, run_service, t

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _managed_units(include_archived: bool = False) -> list[Unit]:
    return managed_units(actor(), include_archived)


def _unit_choices(units=None) -> list[tuple[int, str]]:
    return unit_choices(units if units is not None else managed_units(actor()))


def _roots() -> list[Unit]:
    a = actor()
    if a.is_admin:
        return services.children_of(db.session, None)
    roots = [u for u in _managed_units() if u.path in a.managed_paths]
    return [u for u in roots if not any(u.path.startswith(o.path) and u is not o for o in roots)]


@bp.get("/org")
@organiser_required
def dashboard():
    roots = _roots()
    nodes = services.tree(db.session, roots)
    recent = db.session.scalars(visible_entries(actor()).limit(8)).all()
    return render_template("orgs/dashboard.html", nodes=nodes, recent=recent)


@bp.get("/org/units")
@organiser_required
def units():
    show_archived = request.args.get("archived") == "1"
    nodes = services.tree(db.session, _roots(), include_archived=show_archived)
    return render_template("orgs/units.html", nodes=nodes, show_archived=show_archived)


@bp.route("/org/units/new", methods=["GET", "POST"])
@organiser_required
def new_unit():
    form = UnitForm()
    form.type_key.choices = to_choices((t.key, t.name) for t in services.unit_types(db.session))
    choices = _unit_choices()
    if actor().is_admin:
        choices = to_choices([(0, _("(top level)"))]) + choices
    form.parent_id.choices = choices
    if request.method == "GET" and request.args.get("parent"):
        form.parent_id.data = request.args.get("parent", type=db_int)
    if form.validate_on_submit():
        ok, unit = run_service(
            form,
            lambda: services.create_unit(
                db.session,
                actor=actor(),
                code=form.code.data,
                name=form.name.data,
                type_key=form.type_key.data,
                parent_id=form.parent_id.data or None,
                now=now(),
            ),
        )
        if ok:
            flash(_("Unit %(name)s created.", name=unit.name), "success")
            return redirect(url_for("orgs.unit", unit_id=unit.id))
    return render_template("orgs/unit_new.html", form=form)


@bp.route("/org/units/<int:unit_id>", methods=["GET", "POST"])
@organiser_required
def unit(unit_id: int):
    u = services.get_managed_unit(db.session, unit_id, actor())
    form = UnitForm(obj=u)
    form.type_key.choices = to_choices((t.key, t.name) for t in services.unit_types(db.session))
    form.parent_id.choices = to_choices([(u.parent_id or 0, "")])
    move_form = MoveUnitForm(prefix="move")
    # Not the unit itself nor any unit of its own subtree (the service refuses those too).
    move_form.parent_id.choices = _unit_choices(
        [x for x in managed_units(actor()) if not u.contains(x) and not x.archived]
    )
    if form.validate_on_submit():
        ok, _result = run_service(
            form,
            lambda: services.update_unit(
                db.session,
                u.id,
                actor=actor(),
                code=form.code.data,
                name=form.name.data,
                type_key=form.type_key.data,
                now=now(),
                locality=form.locality.data or "",
                signatory_title=form.signatory_title.data or "",
                signatory_name=form.signatory_name.data or "",
            ),
        )
        if ok:
            flash(_("Changes saved."), "success")
            return redirect(url_for("orgs.unit", unit_id=u.id))
    path = services.ancestors(db.session, u)
    node = services.tree(db.session, [u], include_archived=True)
    successor = services.successor_of(db.session, u) if u.successor_id else None
    return render_template(
        "orgs/unit.html",
        unit=u,
        form=form,
        move_form=move_form,
        path=path,
        node=node[0] if node else None,
        successor=successor,
        confirm=ConfirmForm(),
    )


@bp.post("/org/units/<int:unit_id>/move")
@organiser_required
def move_unit(unit_id: int):
    form = MoveUnitForm(prefix="move")
    form.parent_id.choices = _unit_choices()
    if not form.validate_on_submit():
        abort(400)
    services.move_unit(db.session, unit_id, form.parent_id.data, actor=actor(), now=now())
    flash(_("Unit moved."), "success")
    return redirect(url_for("orgs.unit", unit_id=unit_id))


@bp.post("/org/units/<int:unit_id>/archive")
@organiser_required
def archive_unit(unit_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        services.archive_unit(db.session, unit_id, actor=actor(), now=now())
    except (Conflict, Forbidden) as exc:
        db.session.rollback()
        flash(t(exc.message, exc.params), "error")
    else:
        flash(_("Unit archived."), "success")
    return redirect(url_for("orgs.unit", unit_id=unit_id))


@bp.route("/org/units/merge", methods=["GET", "POST"])
@organiser_required
def merge():
    form = MergeForm()
    choices = _unit_choices()
    form.source_ids.choices = choices
    form.target_id.choices = choices
    if form.validate_on_submit():
        target = services.get_managed_unit(db.session, form.target_id.data, actor())
        if form.confirm.data.strip().lower() != target.code.lower():
            form.confirm.errors = [_("Type the code of the target unit exactly.")]
        else:
            ok, _result = run_service(
                form,
                lambda: services.merge_units(
                    db.session, form.source_ids.data, target.id, actor=actor(), now=now()
                ),
            )
            if ok:
                flash(_("Units merged into %(name)s.", name=target.name), "success")
                return redirect(url_for("orgs.unit", unit_id=target.id))
    return render_template("orgs/merge.html", form=form)


# --- public unit picker (registration) ---------------------------------------------------


def _unit_json(u: Unit) -> dict:
    return {
        "id": u.id,
        "code": u.code,
        "name": u.name,
        "type": u.type.name,
        "has_children": bool(services.children_of(db.session, u.id)),
    }


@bp.get("/api/units/children")
def api_children():
    parent = request.args.get("parent", type=db_int)
    return jsonify([_unit_json(u) for u in services.children_of(db.session, parent)])


@bp.get("/api/units/search")
def api_search():
    units = services.search_units(db.session, request.args.get("q", ""), limit=15)
    out = []
    for u in units:
        item = _unit_json(u)
        item["path"] = " › ".join(a.name for a in services.ancestors(db.session, u))
        out.append(item)
    return jsonify(out)
