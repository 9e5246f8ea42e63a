"""Organiser pages for question banks: list, import with preview, browse, edit, export."""

from __future__ import annotations

import secrets
from dataclasses import replace

from flask import (
    Blueprint,
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

from quizapp.banks import questions, services
from quizapp.banks.core import QType, Verified
from quizapp.banks.editing import (
    EditorData,
    EditorError,
    from_question,
    keep_item_formats,
    to_question,
)
from quizapp.banks.forms import (
    BankForm,
    BankImportForm,
    BulkForm,
    ConfirmBankImportForm,
    QuestionMetaForm,
)
from quizapp.banks.importing import parse_upload
from quizapp.banks.models import BankDocument
from quizapp.banks.parsers.gift import dump_gift
from quizapp.banks.parsers.native import dump_native
from quizapp.banks.parsers.xlsx import export_xlsx, template_xlsx
from quizapp.banks.serial import from_dict
from quizapp.clock import utcnow
from quizapp.errors import Invalid
from quizapp.extensions import db
from quizapp.forms import db_int, to_choices
from quizapp.i18n import N_
from quizapp.orgs.forms import ConfirmForm
from quizapp.orgs.models import PendingImport
from quizapp.orgs.scope import managed_units, unit_choices
from quizapp.spreadsheets import XlsxLimits
from quizapp.timeutil import local_today
from quizapp.web import actor, copy_errors, now, organiser_required, paginate, run_service, t

bp = Blueprint("banks", __name__, url_prefix="/org/banks")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TYPE_LABELS = {  # msgids, translated where shown
    QType.SINGLE: N_("One correct answer"),
    QType.MULTI: N_("Several correct answers"),
    QType.TRUEFALSE: N_("True or false"),
    QType.SHORT: N_("Short answer"),
    QType.NUMERIC: N_("Numeric answer"),
    QType.MATCHING: N_("Matching"),
    QType.DESCRIPTION: N_("Description (not graded)"),
    QType.ESSAY: N_("Essay (not graded)"),
}


def _manageable_banks():
    a = actor()
    from quizapp.policy import can_manage

    return [b for b in services.visible_banks(db.session, a) if can_manage(a, b.owner_unit.path)]


@bp.get("")
@organiser_required
def index():
    today = local_today(now())
    banks = [
        (b, questions.bank_stats(db.session, b, today))
        for b in services.visible_banks(db.session, actor())
    ]
    return render_template("banks/index.html", banks=banks)


@bp.route("/new", methods=["GET", "POST"])
@organiser_required
def new():
    form = BankForm()
    form.owner_unit_id.choices = unit_choices(managed_units(actor()))
    if form.validate_on_submit():
        ok, bank = run_service(
            form,
            lambda: services.create_bank(
                db.session,
                actor=actor(),
                key=form.title.data,
                title=form.title.data,
                description=form.description.data or "",
                owner_unit_id=form.owner_unit_id.data,
                shared=form.shared.data,
                now=now(),
            ),
        )
        if ok:
            return redirect(url_for("banks.show", bank_id=bank.id))
    return render_template("banks/new.html", form=form)


@bp.get("/template.xlsx")
@organiser_required
def template():
    return Response(
        template_xlsx(),
        mimetype=XLSX,
        headers={"Content-Disposition": 'attachment; filename="mau-cau-hoi.xlsx"'},
    )


@bp.route("/import", methods=["GET", "POST"])
@organiser_required
def import_file():
    form = BankImportForm()
    banks = _manageable_banks()
    form.bank_id.choices = to_choices(
        [(0, _("A new bank (YAML files only)"))] + [(b.id, b.title) for b in banks]
    )
    form.owner_unit_id.choices = unit_choices(managed_units(actor()))
    if request.method == "GET" and request.args.get("bank"):
        form.bank_id.data = request.args.get("bank", type=db_int)
    if form.validate_on_submit():
        upload = form.file.data
        content, filename = upload.read(), upload.filename or "bank"
        fmt, parsed = parse_upload(
            filename, content, form.format.data, XlsxLimits.from_config(current_app.config)
        )
        bank = (
            services.get_bank(db.session, form.bank_id.data, actor(), manage=True)
            if form.bank_id.data
            else None
        )
        if bank is None and parsed.meta is None:
            form.bank_id.errors = [_("Choose the bank to import into.")]
            return render_template("banks/import.html", form=form)
        if bank is None:
            try:
                bank = services.bank_named_in_file(db.session, parsed, actor())
            except Invalid as exc:
                copy_errors(form, exc)
                return render_template("banks/import.html", form=form)
        plan = services.plan_bank_import(db.session, parsed, bank, today=local_today(now()))
        db.session.rollback()
        confirm = None
        if plan.ok and (plan.created or plan.versioned or plan.moved):
            db.session.execute(
                delete(PendingImport).where(PendingImport.user_id == actor().user_id)
            )
            pending = PendingImport(
                token=secrets.token_urlsafe(24),
                user_id=actor().user_id,
                kind="bank",
                filename=filename,
                content=content,
                created_at=utcnow(),
                options={
                    "format": fmt,
                    "bank_id": bank.id if bank else None,
                    "owner_unit_id": form.owner_unit_id.data,
                },
            )
            db.session.add(pending)
            confirm = ConfirmBankImportForm(token=pending.token)
        return render_template(
            "banks/import_preview.html",
            plan=plan,
            filename=filename,
            fmt=fmt,
            bank=bank,
            confirm=confirm,
            new_title=parsed.meta.title if parsed.meta else None,
        )
    return render_template("banks/import.html", form=form)


@bp.post("/import/confirm")
@organiser_required
def confirm_import():
    form = ConfirmBankImportForm()
    if not form.validate_on_submit():
        abort(400)
    pending = db.session.scalar(
        select(PendingImport).where(
            PendingImport.token == form.token.data,
            PendingImport.user_id == actor().user_id,
            PendingImport.kind == "bank",
        )
    )
    if pending is None:
        flash(_("This import has expired. Upload the file again."), "error")
        return redirect(url_for("banks.import_file"))
    opts = pending.options or {}
    _fmt, parsed = parse_upload(
        pending.filename,
        pending.content,
        opts.get("format", "auto"),
        XlsxLimits.from_config(current_app.config),
    )
    bank = (
        services.get_bank(db.session, opts["bank_id"], actor(), manage=True)
        if opts.get("bank_id")
        else None
    )
    result = services.import_bank(
        db.session,
        parsed,
        bank=bank,
        owner_unit_id=opts.get("owner_unit_id"),
        actor=actor(),
        now=now(),
        filename=pending.filename,
    )
    db.session.delete(pending)
    flash(
        _(
            "Import finished: %(c)s new questions, %(v)s new versions, %(n)s unchanged.",
            c=len(result.created),
            v=len(result.versioned),
            n=result.unchanged,
        ),
        "success",
    )
    return redirect(url_for("banks.show", bank_id=result.bank.id))


def _filters() -> questions.QuestionFilter:
    a = request.args
    return questions.QuestionFilter(
        text=a.get("q", ""),
        category_id=a.get("category", type=db_int),
        tag=a.get("tag", ""),
        difficulty=a.get("difficulty", ""),
        type=a.get("type", ""),
        retired=a.get("retired") == "1",
        superseded_only=a.get("superseded") == "1",
    )


@bp.route("/<int:bank_id>", methods=["GET", "POST"])
@organiser_required
def show(bank_id: int):
    bank = services.get_bank(db.session, bank_id, actor())
    categories = questions.bank_categories(db.session, bank.id)
    bulk = BulkForm()
    bulk.category_id.choices = to_choices([(c.id, c.title) for c in categories])
    if request.method == "POST":
        ids = request.form.getlist("question_id", type=db_int)
        if bulk.validate_on_submit() and ids:
            _bulk(bulk, ids)
        return redirect(request.full_path)
    today = local_today(now())
    f = _filters()
    page = paginate(questions.questions_query(db.session, bank, f, today=today))
    superseded = questions.superseded_documents(db.session, bank.id, today)
    stats = questions.bank_stats(db.session, bank, today)
    from quizapp.banks.superseded import marked
    from quizapp.policy import can_manage

    return render_template(
        "banks/show.html",
        bank=bank,
        page=page,
        f=f,
        categories=categories,
        bulk=bulk,
        superseded=superseded,
        replaced=marked,
        today=today,
        stats=stats,
        types=TYPE_LABELS,
        from_dict=from_dict,
        can_edit=can_manage(actor(), bank.owner_unit.path),
    )


def _bulk(form: BulkForm, ids: list[int]) -> None:
    action = form.action.data
    if action in ("retire", "restore"):
        n = questions.set_retired(db.session, ids, action == "retire", actor=actor(), now=now())
    elif action == "move" and form.category_id.data:
        n = questions.move_questions(
            db.session, ids, form.category_id.data, actor=actor(), now=now()
        )
    elif action == "tag":
        n = questions.tag_questions(db.session, ids, form.tag.data or "", actor=actor(), now=now())
    else:
        n = 0
    flash(_("%(n)s questions changed.", n=n), "success")


def _editor(bank, row=None):
    """Shared GET/POST handling of the question editor (new and edit)."""
    categories = questions.bank_categories(db.session, bank.id)
    meta = QuestionMetaForm()
    meta.category_id.choices = to_choices(
        [(0, _("(no category)"))] + [(c.id, c.title) for c in categories]
    )
    docs = list(db.session.scalars(select(BankDocument).where(BankDocument.bank_id == bank.id)))
    errors: dict[str, str] = {}
    problems: list[str] = []
    if request.method == "POST" and meta.validate_on_submit():
        data = EditorData.from_form(request.form, request.form.getlist)
        try:
            q = to_question(data, key=row.key if row else None)
            if row is not None and row.current is not None:
                q = keep_item_formats(q, from_dict(row.current.content))
            category = meta.category_id.data or None
            if row is None:
                row = questions.add_question(
                    db.session, bank.id, q, actor=actor(), now=now(), category_id=category
                )
                saved = True
            else:
                saved = (
                    questions.edit_question(
                        db.session, row.id, q, actor=actor(), now=now(), category_id=category
                    )
                    is not None
                )
        except EditorError as exc:
            errors = {k: t(v) for k, v in exc.errors.items()}
        except questions.QuestionInvalid as exc:
            db.session.rollback()
            problems = [t(p.message, p.params) for p in exc.problems]
        else:
            flash(_("Saved as a new version.") if saved else _("No change to save."), "success")
            return redirect(url_for("banks.edit", bank_id=bank.id, question_id=row.id))
    else:
        if row is not None:
            data = from_question(
                replace(
                    from_dict(row.current.content),
                    verified=Verified(row.current.verified),
                    verified_note=row.current.verified_note,
                )
            )
            meta.category_id.data = row.category_id or 0
        else:
            qtype = request.args.get("type", "single")
            data = EditorData(
                type=qtype if qtype in {t.value for t in QType} else "single", text=""
            )
    today = local_today(now())
    doc = next((d for d in docs if d.key == data.source_document), None)
    return render_template(
        "banks/edit.html",
        bank=bank,
        row=row,
        data=data,
        meta=meta,
        errors=errors,
        problems=problems,
        docs=docs,
        types=TYPE_LABELS,
        superseded=doc is not None and not doc.in_force(today),
        doc=doc,
    )


@bp.route("/<int:bank_id>/questions/new", methods=["GET", "POST"])
@organiser_required
def new_question(bank_id: int):
    bank = services.get_bank(db.session, bank_id, actor(), manage=True)
    return _editor(bank)


@bp.route("/<int:bank_id>/questions/<int:question_id>", methods=["GET", "POST"])
@organiser_required
def edit(bank_id: int, question_id: int):
    row = questions.get_question(db.session, question_id, actor(), manage=True)
    if row.bank_id != bank_id:
        abort(404)
    return _editor(services.get_bank(db.session, bank_id, actor()), row)


@bp.post("/<int:bank_id>/preview")
@organiser_required
def preview(bank_id: int):
    """The question as a participant will see it, from the editor's unsaved fields."""
    services.get_bank(db.session, bank_id, actor())
    if not ConfirmForm().validate_on_submit():  # CSRF only: the fields are read below
        abort(400)
    data = EditorData.from_form(request.form, request.form.getlist)
    try:
        q = to_question(data)
    except EditorError as exc:
        return render_template(
            "banks/_preview_error.html", errors=[t(v) for v in exc.errors.values()]
        )
    return render_template("banks/_question.html", q=q, preview=True)


@bp.get("/<int:bank_id>/questions/<int:question_id>/history")
@organiser_required
def history(bank_id: int, question_id: int):
    from quizapp.banks.editing import version_diff

    row = questions.get_question(db.session, question_id, actor())
    versions = questions.versions(db.session, row.id)
    diffs = {
        v.id: version_diff(versions[i + 1].content, v.content) for i, v in enumerate(versions[:-1])
    }
    return render_template(
        "banks/history.html",
        bank=services.get_bank(db.session, bank_id, actor()),
        row=row,
        versions=versions,
        diffs=diffs,
    )


@bp.get("/<int:bank_id>/export.<fmt>")
@organiser_required
def export(bank_id: int, fmt: str):
    bank = services.get_bank(db.session, bank_id, actor())
    parsed = services.export_bank(db.session, bank)
    if fmt == "gift":
        body, mime = dump_gift(parsed), "text/plain; charset=utf-8"
    elif fmt == "yaml":
        body, mime = dump_native(parsed), "application/yaml; charset=utf-8"
    elif fmt == "xlsx":
        body, left_out = export_xlsx(parsed)
        if left_out and request.args.get("without") != "1":
            # Refused rather than silently shorter: the organiser sees what would be missing.
            return render_template(
                "banks/export_refused.html", bank=bank, left_out=left_out, types=TYPE_LABELS
            )
        mime = XLSX
    else:
        abort(404)
    return Response(
        body,
        mimetype=mime,
        headers={"Content-Disposition": f'attachment; filename="{bank.key}.{fmt}"'},
    )
