"""Read-only pages of a contest run by a level above the organiser ("followed"): their own
members' participation, results, follow-up list and certificates. Every query is limited to
the follower's subtrees by `follow.get_followed_contest` (404 for anyone else)."""

from __future__ import annotations

from flask import Response, current_app, render_template, request
from flask_babel import gettext
from sqlalchemy import select

from quizapp.contests import follow as F
from quizapp.contests.blueprints import contests as bp
from quizapp.extensions import db
from quizapp.forms import db_int
from quizapp.i18n import N_
from quizapp.orgs.models import Unit
from quizapp.rights.access import common_path
from quizapp.rights.watch import logged
from quizapp.web import actor, now, organiser_required, paginate

MISSING_HEADERS = [N_("No."), N_("Full name"), N_("Member code"), N_("Unit")]


def _export(headers, rows, name: str, fmt: str, sheets=()) -> Response:
    """The table as CSV (UTF-8 with BOM) or XLSX, named `name` plus the extension."""
    from quizapp.exports import to_csv, to_xlsx

    headers = [gettext(h) for h in headers]  # msgids (exports.translated)
    if fmt == "xlsx":
        body = to_xlsx(headers, rows, name[:31], sheets=sheets)
        mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        body, mime = to_csv(headers, rows), "text/csv; charset=utf-8"
    return Response(
        body, mimetype=mime, headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'}
    )


@bp.get("/<int:contest_id>/follow")
@organiser_required
def follow(contest_id: int):
    """A followed contest: participation of the follower's members, contest and rounds, and
    their whole-contest results (?format=csv or xlsx exports them)."""
    contest, paths = F.get_followed_contest(db.session, contest_id, actor())
    ranking = F.subtree_contest_ranking(db.session, contest, paths, now())
    fmt = request.args.get("format")
    if fmt in ("csv", "xlsx"):
        from quizapp.contests import exports as X

        rows = X.contest_results_table(db.session, contest, ranking)
        where = common_path(paths)
        logged("follow.export", unit_path=where, people=len(rows), object_id=contest.id)
        return _export(X.CONTEST_RESULT_HEADERS, rows, f"ket-qua-{contest.slug}", fmt)
    units = db.session.scalars(select(Unit).where(Unit.path.in_(paths)).order_by(Unit.path)).all()
    logged("follow", unit_path=common_path(paths), people=len(ranking[:500]), object_id=contest.id)
    return render_template(
        "contests/follow.html",
        contest=contest,
        units=units,
        total=F.participation(db.session, contest, paths),
        ranking=ranking[:500],
        ranked=len(ranking),
        rounds=[(r, F.participation(db.session, contest, paths, r.id)) for r in contest.rounds],
    )


@bp.get("/<int:contest_id>/follow/rounds/<int:round_id>")
@organiser_required
def follow_round(contest_id: int, round_id: int):
    """The round's results of the follower's members (ranks of the whole round) and their
    units' participation; ?format=csv or xlsx exports the results (?table=units: the units)."""
    contest, paths = F.get_followed_contest(db.session, contest_id, actor())
    rnd = F.get_followed_round(db.session, contest, round_id)
    ranking, _actual = F.subtree_ranking(db.session, rnd, paths, now())
    cache = current_app.extensions["quizapp_cache"]
    nodes, totals, by_rate, by_mean = F.subtree_units(db.session, rnd, paths, cache=cache)
    fmt = request.args.get("format")
    if fmt in ("csv", "xlsx"):
        from quizapp.contests import exports as X

        name = f"{contest.slug}-tuan-{rnd.number}"
        if request.args.get("table") == "units":
            return _export(X.UNIT_HEADERS, X.unit_table(nodes, totals), f"don-vi-{name}", fmt)
        from quizapp.contests.units import Collective

        rows = X.results_table(db.session, rnd, ranking)
        collective = Collective(by_rate, by_mean)
        sheets = [
            (
                gettext("Collective ranking"),
                X.translated(X.COLLECTIVE_HEADERS),
                X.collective_table(collective),
            )
        ]
        logged(
            "follow_round.export", unit_path=common_path(paths), people=len(rows), object_id=rnd.id
        )
        return _export(X.RESULT_HEADERS, rows, f"ket-qua-{name}", fmt, sheets)
    logged(
        "follow_round", unit_path=common_path(paths), people=len(ranking[:500]), object_id=rnd.id
    )
    return render_template(
        "contests/follow_round.html",
        contest=contest,
        rnd=rnd,
        ranking=ranking[:500],
        total=len(ranking),
        counts=F.participation(db.session, contest, paths, rnd.id),
        nodes=nodes,
        totals=totals,
        by_rate=by_rate,
        by_mean=by_mean,
    )


@bp.get("/<int:contest_id>/follow/missing")
@organiser_required
def follow_missing(contest_id: int):
    """The follow-up list: the follower's roster members who have not taken part (in the
    contest, or in one round with ?round=), paginated; ?format=csv or xlsx exports it."""
    contest, paths = F.get_followed_contest(db.session, contest_id, actor())
    round_id = request.args.get("round", type=db_int)
    rnd = F.get_followed_round(db.session, contest, round_id) if round_id else None
    stmt = F.missing_stmt(contest, paths, round_id)
    fmt = request.args.get("format")
    if fmt in ("csv", "xlsx"):
        rows = [
            (i, m.full_name, m.code or "", m.unit.name)
            for i, m in enumerate(db.session.scalars(stmt), 1)
        ]
        suffix = f"-tuan-{rnd.number}" if rnd else ""
        logged(
            "follow_missing.export",
            unit_path=common_path(paths),
            people=len(rows),
            object_id=contest.id,
        )
        return _export(MISSING_HEADERS, rows, f"chua-tham-gia-{contest.slug}{suffix}", fmt)
    page = paginate(stmt)
    logged(
        "follow_missing", unit_path=common_path(paths), people=len(page.items), object_id=contest.id
    )
    return render_template(
        "contests/follow_missing.html",
        contest=contest,
        rnd=rnd,
        page=page,
        counts=F.participation(db.session, contest, paths, round_id),
    )


@bp.get("/<int:contest_id>/follow/certificates")
@organiser_required
def follow_certificates(contest_id: int):
    """The contest's certificates issued to the follower's members."""
    contest, paths = F.get_followed_contest(db.session, contest_id, actor())
    page = paginate(F.certificates_stmt(contest, paths))
    logged(
        "follow_certificates",
        unit_path=common_path(paths),
        people=len(page.items),
        object_id=contest.id,
    )
    return render_template("contests/follow_certificates.html", contest=contest, page=page)


@bp.get("/<int:contest_id>/follow/certificates/<int:cert_id>.pdf")
@organiser_required
def follow_certificate_pdf(contest_id: int, cert_id: int):
    """A member's certificate as PDF, for the unit to print and hand over."""
    from quizapp.certificates.views import pdf_response

    contest, paths = F.get_followed_contest(db.session, contest_id, actor())
    cert = F.get_followed_certificate(db.session, contest, paths, cert_id)
    logged("certificate.pdf", unit_path=common_path(paths), people=1, object_id=cert.id)
    return pdf_response(cert)
