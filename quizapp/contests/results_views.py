"""Organiser pages of a contest's results: ranking, prizes, unit participation, dashboard,
exports, item analysis and key correction (routes of the contests blueprint)."""

from __future__ import annotations

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

from quizapp.cache import cached
from quizapp.contests import services
from quizapp.contests.blueprints import contests as bp
from quizapp.contests.prediction import with_answer
from quizapp.errors import Invalid
from quizapp.extensions import db
from quizapp.forms import db_int
from quizapp.i18n import N_
from quizapp.orgs.forms import ConfirmForm
from quizapp.orgs.scope import managed_units, unit_choices
from quizapp.orgs.treeorder import tree_order
from quizapp.rights.watch import logged
from quizapp.web import actor, now, organiser_required, select_locale, t


@bp.route("/<int:contest_id>/rounds/<int:round_id>/results", methods=["GET", "POST"])
@organiser_required
def results(contest_id: int, round_id: int):
    from quizapp.contests import results as R
    from quizapp.contests import units as U
    from quizapp.orgs.population import LABELS

    rnd = R.get_managed_round(db.session, round_id, actor())
    if rnd.contest_id != contest_id:
        abort(404)
    if request.method == "POST":
        if not ConfirmForm().validate_on_submit():
            abort(400)
        try:
            if request.form.get("action") == "prediction_answer":
                raw = request.form.get("prediction_answer", "").strip()
                if raw and not raw.isdigit():
                    raise Invalid({"prediction_answer": N_("Enter a whole number.")})
                R.set_prediction_answer(
                    db.session, rnd.id, int(raw) if raw else None, actor=actor(), now=now()
                )
                flash(_("Actual number saved."), "success")
            elif request.form.get("action") == "publish":
                R.publish_prizes(db.session, rnd.id, actor=actor(), now=now())
                flash(_("Prize list published."), "success")
            else:
                counts = {p: request.form.get(p, 0, type=db_int) or 0 for p in R.PRIZES}
                R.set_prize_counts(db.session, rnd.id, counts, actor=actor(), now=now())
                flash(_("Prize counts saved."), "success")
            R.ranking_changed_on_commit(
                db, current_app.extensions["quizapp_cache"], rnd.id
            )  # new prizes
        except Invalid as exc:
            db.session.rollback()
            flash(t(exc.message, exc.params), "error")
        return redirect(url_for("contests.results", contest_id=contest_id, round_id=round_id))
    unit_id = request.args.get("unit", type=db_int)
    from quizapp.orgs.services import get_managed_unit

    unit = get_managed_unit(db.session, unit_id, actor()) if unit_id else None
    population = request.args.get("population", "")
    # The whole round's figures are computed once per period and shared (seconds for a
    # large round, each); a filtered ranking is computed for the page that asks.
    cache = current_app.extensions["quizapp_cache"]
    whole = R.cached_ranking(db.session, rnd, now(), cache=cache)
    ranking, total, actual = whole.top, whole.total, whole.actual
    if unit or population:
        ranking, actual = R.round_ranking(db.session, rnd, now(), unit=unit, population=population)
        total, ranking = len(ranking), ranking[: R.RESULTS_SHOWN]
    nodes, totals, collective = U.cached_participation(db.session, rnd, cache=cache)
    items, test, questions, keys = R.cached_item_analysis(db.session, rnd, cache=cache)
    logged(
        "results",
        unit_path=unit.path if unit else rnd.contest.owner_unit.path,
        people=len(ranking),
        object_id=rnd.id,
    )
    return render_template(
        "contests/results.html",
        rnd=rnd,
        contest=rnd.contest,
        ranking=ranking,
        total=total,
        actual=actual,
        proposed=whole.proposed,
        published=R.published_prizes(db.session, rnd.id),
        confirm=ConfirmForm(),
        units=unit_choices(managed_units(actor())),
        unit=unit,
        population=population,
        labels=LABELS,
        prize_names=R.PRIZE_LABELS,
        closed=now() >= rnd.closes_at,
        nodes=tree_order(nodes),
        unit_names={n.id: n.name for n in nodes},
        totals=totals,
        collective=collective,
        items=items[:100],
        test=test,
        questions=questions,
        keys=keys,
        regraded_after=_regraded_after(rnd),
    )


def _regraded_after(rnd) -> bool:
    from quizapp.contests import regrade
    from quizapp.contests import results as R

    published = R.published_prizes(db.session, rnd.id)
    fixes = regrade.round_corrections(db.session, rnd.id).values()
    return bool(published and any(f.created_at > published.published_at for f in fixes))


@bp.get("/<int:contest_id>/rounds/<int:round_id>/<any(results, prizes, units):kind>.<fmt>")
@organiser_required
def export_results(contest_id: int, round_id: int, kind: str, fmt: str):
    """Results, the prize list or unit participation as XLSX or CSV (UTF-8 with BOM)."""
    from quizapp.contests import exports as X
    from quizapp.contests import results as R
    from quizapp.contests import units as U
    from quizapp.exports import to_csv, to_xlsx

    rnd = R.get_managed_round(db.session, round_id, actor())
    if rnd.contest_id != contest_id or fmt not in ("xlsx", "csv"):
        abort(404)
    indents = None
    if kind == "results":
        ranking, actual = R.round_ranking(db.session, rnd, now())
        headers, rows = X.translated(X.RESULT_HEADERS), X.results_table(db.session, rnd, ranking)
    elif kind == "prizes":
        published = R.published_prizes(db.session, rnd.id)
        if published is not None:
            entries, actual = published.entries, published.actual
        else:
            cache = current_app.extensions["quizapp_cache"]
            shown = R.cached_ranking(db.session, rnd, now(), cache=cache)  # as shown
            entries, actual = shown.proposed, shown.actual
        headers, rows = X.translated(X.PRIZE_HEADERS), X.prize_table(entries)
    else:
        cache = current_app.extensions["quizapp_cache"]
        nodes, totals, _collective = U.cached_participation(db.session, rnd, cache=cache)
        headers, rows = X.translated(X.UNIT_HEADERS), X.unit_table(nodes, totals)
        indents = X.unit_indents(nodes)
    if kind != "units" and rnd.prediction:
        headers, rows = with_answer(headers, rows, t(rnd.prediction_subject.label()), actual)
    if kind != "units":  # participation per unit names nobody
        logged(
            f"{kind}.export",
            unit_path=rnd.contest.owner_unit.path,
            people=len(rows),
            object_id=rnd.id,
        )
    name = f"{kind}-{rnd.contest.slug}-tuan-{rnd.number}.{fmt}"
    if fmt == "csv":
        body, mime = to_csv(headers, rows), "text/csv; charset=utf-8"
    else:
        sheets = []
        if kind in ("results", "units"):  # the collective rankings of the units, with rules
            cache = current_app.extensions["quizapp_cache"]
            collective = U.cached_participation(db.session, rnd, cache=cache)[2]
            sheets.append(
                (
                    _("Collective ranking"),
                    X.translated(X.COLLECTIVE_HEADERS),
                    X.collective_table(collective),
                )
            )
        title = _("Round %(n)s", n=rnd.number)
        body = to_xlsx(headers, rows, title, indents=indents, sheets=sheets)
        mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(
        body, mimetype=mime, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@bp.route(
    "/<int:contest_id>/rounds/<int:round_id>/questions/<int:version_id>/key",
    methods=["GET", "POST"],
)
@organiser_required
def correct_key(contest_id: int, round_id: int, version_id: int):
    """Fix a question's key for this round: preview every changed score, then regrade."""
    from quizapp.banks.serial import from_dict
    from quizapp.contests import regrade
    from quizapp.contests import results as R

    rnd = R.get_managed_round(db.session, round_id, actor())
    if rnd.contest_id != contest_id:
        abort(404)
    version = regrade.round_version(db.session, rnd, version_id)
    q = from_dict(version.content)
    fix = regrade.round_corrections(db.session, rnd.id).get(version_id)
    mode = request.form.get("mode", "rekey")
    if q.type.value == "truefalse":
        correct = [request.form.get("answer") == "true"] if request.method == "POST" else []
    else:
        correct = [int(i) for i in request.form.getlist("correct") if i.isdigit()]
    reason = request.form.get("reason", "")
    changes = None
    if request.method == "POST":
        if not ConfirmForm().validate_on_submit():
            abort(400)
        try:
            if request.form.get("action") == "apply":
                done = regrade.apply(
                    db.session, rnd, version_id, mode, correct, reason, actor=actor(), now=now()
                )
                R.ranking_changed_on_commit(
                    db, current_app.extensions["quizapp_cache"], rnd.id
                )  # new scores
                flash(
                    _("Regraded: %(n)s scores changed. Publish the prize list again.", n=len(done)),
                    "success",
                )
                return redirect(
                    url_for("contests.results", contest_id=contest_id, round_id=round_id)
                )
            changes = regrade.preview(db.session, rnd, version_id, mode, correct)
        except Invalid as exc:
            db.session.rollback()
            flash(t(exc.message, exc.params), "error")
    return render_template(
        "contests/correct_key.html",
        rnd=rnd,
        contest=rnd.contest,
        q=q,
        version=version,
        fix=fix,
        mode=mode,
        correct=correct,
        reason=reason,
        changes=changes,
        confirm=ConfirmForm(),
    )


@bp.get("/<int:contest_id>/rounds/<int:round_id>/dashboard")
@organiser_required
def dashboard(contest_id: int, round_id: int):
    """Live figures of a round, refreshed every 30 s (cached as long)."""
    from markupsafe import Markup

    from quizapp.contests import dashboard as D
    from quizapp.contests import results as R
    from quizapp.contests import units as U

    rnd = R.get_managed_round(db.session, round_id, actor())
    if rnd.contest_id != contest_id:
        abort(404)
    cache = current_app.extensions["quizapp_cache"]
    snap = D.snapshot(db.session, rnd, now(), cache)

    def board() -> Markup:  # counts, charts and units: drawn once per snapshot and language
        nodes, totals, _collective = U.cached_participation(
            db.session, rnd, cache=cache, ttl=D.CACHE_SECONDS
        )
        html = render_template(
            "contests/_dashboard_board.html",
            snap=snap,
            hours=Markup(D.bar_chart(snap.per_hour, title=_("Submissions per hour"))),  # noqa: S704
            histogram=Markup(D.bar_chart(snap.histogram, title=_("Score distribution"))),  # noqa: S704
            children=[n for n in nodes if n.parent_id == rnd.contest.owner_unit_id],
            totals=totals,
        )
        return Markup(html)  # noqa: S704 - rendered by Jinja with autoescape

    key = f"dashboard-board:{rnd.id}:{snap.taken_at.isoformat()}:{select_locale()}"
    return render_template(
        "contests/dashboard.html",
        rnd=rnd,
        contest=rnd.contest,
        age=max(0, int((now() - snap.taken_at).total_seconds())),
        board=cached(cache, key, D.CACHE_SECONDS, board),
    )


@bp.get("/<int:contest_id>/rounds/<int:round_id>/attempts/<int:attempt_id>.pdf")
@organiser_required
def attempt_pdf(contest_id: int, round_id: int, attempt_id: int):
    """One participant's attempt (questions, chosen and correct answers) for disputes."""
    from flask_babel import force_locale

    from quizapp.contests import attempts as A
    from quizapp.contests import results as R
    from quizapp.contests.models import Attempt
    from quizapp.orgs.models import Member
    from quizapp.pdf import html_to_pdf

    rnd = R.get_managed_round(db.session, round_id, actor())
    attempt = db.session.get(Attempt, attempt_id)
    if (
        rnd.contest_id != contest_id
        or attempt is None
        or attempt.round_id != rnd.id
        or attempt.status != "submitted"
    ):
        abort(404)
    member = db.session.get(Member, attempt.member_id) if attempt.member_id else None
    logged("attempt.pdf", unit_path=rnd.contest.owner_unit.path, people=1, object_id=attempt.id)
    with force_locale("vi"):
        html = render_template(
            "contests/attempt_pdf.html",
            rnd=rnd,
            attempt=attempt,
            member=member,
            rows=A.review_rows(db.session, attempt),
            printed=now(),
        )
    return Response(
        html_to_pdf(html),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="bai-lam-{attempt.id}.pdf"'},
    )


@bp.route("/<int:contest_id>/results", methods=["GET", "POST"])
@organiser_required
def contest_results(contest_id: int):
    """The ranking of the whole contest (all rounds), its prize list, with exports."""
    from quizapp.contests import exports as X
    from quizapp.contests import results as R
    from quizapp.exports import to_csv, to_xlsx

    contest = services.get_managed_contest(db.session, contest_id, actor())
    if request.method == "POST":
        if not ConfirmForm().validate_on_submit():
            abort(400)
        try:
            if request.form.get("action") == "publish":
                R.publish_contest_prizes(db.session, contest, actor=actor(), now=now())
                flash(_("Prize list published."), "success")
            else:
                counts = {p: request.form.get(p, 0, type=db_int) or 0 for p in R.PRIZES}
                R.set_contest_prize_counts(db.session, contest, counts, actor=actor(), now=now())
                flash(_("Prize counts saved."), "success")
        except Invalid as exc:
            db.session.rollback()
            flash(t(exc.message, exc.params), "error")
        return redirect(url_for("contests.contest_results", contest_id=contest.id))
    ranking = R.contest_ranking(db.session, contest, now())
    fmt = request.args.get("format")
    if fmt in ("xlsx", "csv"):
        headers = X.translated(X.CONTEST_RESULT_HEADERS)
        rows = X.contest_results_table(db.session, contest, ranking)
        name = f"ket-qua-{contest.slug}.{fmt}"
        logged(
            "contest_results.export",
            unit_path=contest.owner_unit.path,
            people=len(rows),
            object_id=contest.id,
        )
        body = to_csv(headers, rows) if fmt == "csv" else to_xlsx(headers, rows, "Cuộc thi")
        mime = (
            "text/csv; charset=utf-8"
            if fmt == "csv"
            else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        return Response(
            body, mimetype=mime, headers={"Content-Disposition": f'attachment; filename="{name}"'}
        )
    logged(
        "contest_results",
        unit_path=contest.owner_unit.path,
        people=len(ranking[:500]),
        object_id=contest.id,
    )
    return render_template(
        "contests/contest_results.html",
        contest=contest,
        ranking=ranking[:500],
        total=len(ranking),
        proposed=R.prize_list(ranking, contest.prizes or {}),
        published=R.published_contest_prizes(db.session, contest.id),
        prize_names=R.PRIZE_LABELS,
        confirm=ConfirmForm(),
        closed=bool(contest.rounds) and all(now() >= r.closes_at for r in contest.rounds),
    )
