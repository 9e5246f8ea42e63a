"""Organiser endpoints, scoped to the token holder's subtree (`orgs/scope.in_subtrees`, the
services' `get_managed_*`): units, contests, round results, participation per unit,
certificates (list, revoke), indicator values per unit and year. Every list is paginated
(`page`, `per_page`; the body says `total` and `pages`) and filterable as the pages are."""

from __future__ import annotations

from flask import current_app, request
from sqlalchemy import func, or_, select

from quizapp.api import BEARER, ID, bp, responses, spec
from quizapp.api.auth import api_actor, needs
from quizapp.api.participant import decimal_text, page_of, round_out, unit_ref
from quizapp.api.schemas import (
    ImportOut,
    ImportPage,
    ImportQuery,
    IndicatorPage,
    IndicatorQuery,
    IndicatorValueOut,
    OrgCertificateOut,
    OrgCertificatePage,
    OrgCertificateQuery,
    OrgContestOut,
    OrgContestPage,
    OrgContestQuery,
    PageQuery,
    ParticipationOut,
    ParticipationPage,
    PlanList,
    PlanOut,
    RankedOut,
    ResultsPage,
    ResultsQuery,
    RevokeCertificateRequest,
    UnitOut,
    UnitPage,
    UnitQuery,
)
from quizapp.audit.models import AuditEntry
from quizapp.auth.tokens import ORG_READ, ORG_WRITE
from quizapp.certificates import lookup
from quizapp.certificates import services as certificate_services
from quizapp.contests.models import Contest
from quizapp.errors import NotFound
from quizapp.extensions import db
from quizapp.i18n import N_
from quizapp.orgs.models import Unit
from quizapp.orgs.scope import in_subtrees
from quizapp.orgs.services import get_managed_unit
from quizapp.web import now, paginate

ORG = ["organiser"]


def _page(stmt, query) -> dict:
    page = paginate(stmt, per_page=query.per_page)
    return {
        "items": page.items,
        "page": page.page,
        "per_page": page.per_page,
        "total": page.total,
        "pages": page.pages,
    }


def _unit_out(u: Unit) -> UnitOut:
    return UnitOut(
        id=u.id,
        code=u.code,
        name=u.name,
        type=u.type_key,
        parent_id=u.parent_id,
        depth=u.depth,
        archived=u.archived_at is not None,
    )


@bp.get("/org/units")
@needs(ORG_READ)
@spec.validate(query=UnitQuery, resp=responses(UnitPage, 401, 403), tags=ORG, security=BEARER)
def units():
    """The units I organise (my subtrees), in tree order"""
    q = request.context.query
    stmt = select(Unit).where(in_subtrees(Unit.path, api_actor()))
    if not q.archived:
        stmt = stmt.where(Unit.archived_at.is_(None))
    if q.parent:
        stmt = stmt.where(Unit.parent_id == q.parent)
    if q.q.strip():
        like = f"%{q.q.strip()}%"
        stmt = stmt.where(or_(Unit.name.ilike(like), Unit.code.ilike(like)))
    page = _page(stmt.order_by(Unit.path, Unit.id), q)
    page["items"] = [_unit_out(u) for u in page["items"]]
    return UnitPage(**page)


@bp.get("/org/contests")
@needs(ORG_READ)
@spec.validate(
    query=OrgContestQuery, resp=responses(OrgContestPage, 401, 403), tags=ORG, security=BEARER
)
def org_contests():
    """The contests my units own (`followed=true`: those of the levels above open to my
    members, which I follow)"""
    q = request.context.query
    if q.followed:
        from quizapp.contests.follow import followed_contests

        moment = now()
        items = [
            OrgContestOut(
                id=c.id,
                slug=c.slug,
                title=c.title,
                status=c.status,
                kind=c.kind,
                owner_unit=unit_ref(c.owner_unit),
                followed=True,
                rounds=[round_out(r, moment, None) for r in c.rounds],
            )
            for c, _paths in followed_contests(db.session, api_actor())
            if not q.status or c.status == q.status
        ]
        return OrgContestPage(**page_of(items, q))
    stmt = (
        select(Contest)
        .join(Unit, Unit.id == Contest.owner_unit_id)
        .where(in_subtrees(Unit.path, api_actor()), Contest.kind == "contest")
    )
    if q.status:
        stmt = stmt.where(Contest.status == q.status)
    page = _page(stmt.order_by(Contest.created_at.desc(), Contest.id.desc()), q)
    moment = now()
    page["items"] = [
        OrgContestOut(
            id=c.id,
            slug=c.slug,
            title=c.title,
            status=c.status,
            kind=c.kind,
            owner_unit=unit_ref(c.owner_unit),
            followed=False,
            rounds=[round_out(r, moment, None) for r in c.rounds],
        )
        for c in page["items"]
    ]
    return OrgContestPage(**page)


@bp.get("/org/imports")
@needs(ORG_READ)
@spec.validate(query=ImportQuery, resp=responses(ImportPage, 401, 403), tags=ORG, security=BEARER)
def imports():
    """Roster imports: my uploads waiting for confirmation, and those applied in my subtree

    Applied imports are read from the audit log (what the import wrote), as /org/audit
    shows them."""
    from quizapp.audit.services import visible_entries
    from quizapp.orgs.models import PendingImport

    q = request.context.query
    actor = api_actor()
    pending = db.session.scalars(
        select(PendingImport)
        .where(PendingImport.user_id == actor.user_id)
        .order_by(PendingImport.created_at.desc())
    ).all()
    stmt = (
        visible_entries(actor, action=f"import.{q.kind}")
        if q.kind
        else visible_entries(actor).where(AuditEntry.action.in_(("import.members", "import.units")))
    )
    page = _page(stmt, q)
    page["items"] = [
        ImportOut(
            status="done",
            kind=e.action.split(".", 1)[1],
            filename=e.object_id,
            at=e.at,
            by=e.actor.display_name if e.actor else None,
            created=(e.after or {}).get("created"),
            updated=(e.after or {}).get("updated"),
            unchanged=(e.after or {}).get("unchanged"),
        )
        for e in page["items"]
    ]
    return ImportPage(
        pending=[
            ImportOut(
                status="pending",
                kind=p.kind,
                filename=p.filename,
                at=p.created_at,
                by=None,
                created=None,
                updated=None,
                unchanged=None,
            )
            for p in pending
            if q.kind in ("", p.kind)
        ],
        **page,
    )


def _round_in_scope(round_id: int):
    """The round and the subtrees read: (round, None) for the contest's own organisers (all
    of it), (round, paths) for an organiser below who follows it (their members only, as
    the follow-up pages: contests/follow.py); 404 for anyone else."""
    from quizapp.contests import follow
    from quizapp.contests.models import Round
    from quizapp.contests.results import get_managed_round

    actor = api_actor()
    try:
        return get_managed_round(db.session, round_id, actor), None
    except NotFound:
        rnd = db.session.get(Round, round_id)
        if rnd is None:
            raise
        contest, paths = follow.get_followed_contest(db.session, rnd.contest_id, actor)
        return follow.get_followed_round(db.session, contest, round_id), paths


@bp.get(f"/org/rounds/<{ID}:round_id>/results")
@needs(ORG_READ)
@spec.validate(
    query=ResultsQuery, resp=responses(ResultsPage, 401, 403, 404), tags=ORG, security=BEARER
)
def round_results(round_id: int):
    """A round's ranking (optionally of one unit's subtree), as the results page

    An organiser below the contest's owner who follows it reads their own members' lines
    (with their ranks in the whole round)."""
    from quizapp.contests.results import round_ranking

    q = request.context.query
    rnd, paths = _round_in_scope(round_id)
    unit = get_managed_unit(db.session, q.unit, api_actor()) if q.unit else None
    if paths is None:
        ranking, _actual = round_ranking(db.session, rnd, now(), unit=unit)
    else:
        from quizapp.contests.follow import subtree_ranking

        ranking, _actual = subtree_ranking(db.session, rnd, (unit.path,) if unit else paths, now())
    rows = [
        RankedOut(
            rank=r.rank,
            tie=r.tie,
            name=r.entry.name,
            unit=r.entry.unit,
            unit_id=r.entry.unit_id,
            score=decimal_text(r.entry.score),
            max_score=decimal_text(r.entry.max_score),
            correct=r.entry.correct,
            questions=r.entry.questions,
            duration_s=r.entry.duration_s,
            submitted_at=r.entry.submitted_at,
            prediction=r.entry.prediction,
        )
        for r in ranking
    ]
    return ResultsPage(round_id=rnd.id, **page_of(rows, q))


@bp.get(f"/org/rounds/<{ID}:round_id>/participation")
@needs(ORG_READ)
@spec.validate(
    query=PageQuery, resp=responses(ParticipationPage, 401, 403, 404), tags=ORG, security=BEARER
)
def round_participation(round_id: int):
    """Participation per unit of a round, rolled up the tree (as the results page)

    A follower reads the units of their own subtree."""
    from quizapp.contests.units import cached_participation

    rnd, paths = _round_in_scope(round_id)
    cache = current_app.extensions["quizapp_cache"]
    if paths is None:
        nodes, totals, _collective = cached_participation(db.session, rnd, cache=cache)
    else:
        from quizapp.contests.follow import subtree_units

        nodes, totals, _by_rate, _by_mean = subtree_units(db.session, rnd, paths, cache=cache)
    rows = []
    for n in nodes:
        tally = totals.get(n.id)
        rows.append(
            ParticipationOut(
                unit_id=n.id,
                parent_id=n.parent_id,
                name=n.name,
                depth=n.depth,
                eligible=tally.eligible if tally else 0,
                participants=tally.participants if tally else 0,
                passed=tally.passed if tally else 0,
                rate=tally.rate if tally else None,
                pass_rate=tally.pass_rate if tally else None,
                mean=tally.mean if tally else None,
                median=tally.median if tally else None,
            )
        )
    return ParticipationPage(round_id=rnd.id, **page_of(rows, request.context.query))


def _org_certificate(c) -> OrgCertificateOut:
    return OrgCertificateOut(
        id=c.id,
        serial=c.serial,
        code=c.code,
        kind=c.kind,
        status=c.status,
        recipient=c.recipient_name,
        recipient_unit_id=c.recipient_unit_id,
        contest_id=c.contest_id,
        round_id=c.round_id,
        issued_at=c.issued_at,
        revoked_at=c.revoked_at,
        revoked_reason=c.revoked_reason,
    )


@bp.get("/org/certificates")
@needs(ORG_READ)
@spec.validate(
    query=OrgCertificateQuery,
    resp=responses(OrgCertificatePage, 401, 403, 404),
    tags=ORG,
    security=BEARER,
)
def org_certificates():
    """Certificates issued in my subtree (valid and revoked), filterable as the page"""
    q = request.context.query
    actor = api_actor()
    unit = get_managed_unit(db.session, q.unit, actor) if q.unit else None
    stmt = lookup.certificates_query(
        actor, q=q.q, contest_id=q.contest, round_id=q.round, status=q.status, unit=unit
    )
    page = _page(stmt, q)
    page["items"] = [_org_certificate(c) for c in page["items"]]
    return OrgCertificatePage(**page)


@bp.post(f"/org/certificates/<{ID}:cert_id>/revoke")
@needs(ORG_WRITE)
@spec.validate(resp=responses(OrgCertificateOut, 401, 403, 404, 409), tags=ORG, security=BEARER)
def revoke_certificate(cert_id: int, json: RevokeCertificateRequest):
    """Revoke a certificate of my subtree, with the reason (audited)"""
    cert = certificate_services.revoke(
        db.session, cert_id, json.reason, actor=api_actor(), now=now()
    )
    return _org_certificate(cert)


@bp.get("/org/indicators")
@needs(ORG_READ)
@spec.validate(query=PageQuery, resp=responses(PlanList, 401, 403), tags=ORG, security=BEARER)
def plans():
    """The indicator plans"""
    from quizapp.indicators import services as I

    available = I.plans(db.session)
    if not available:  # as the dashboard: the shipped plans are stored on first use
        db.write_now()
        I.load_shipped(db.session, now())
        available = I.plans(db.session)
    items = [
        PlanOut(key=row.key, title=plan.title, current_year=I.current_year(plan, now()))
        for row, plan in available
    ]
    return PlanList(**page_of(items, request.context.query))


@bp.get(f"/org/indicators/<plan_key>/<{ID}:year>")
@needs(ORG_READ)
@spec.validate(
    query=IndicatorQuery,
    resp=responses(IndicatorPage, 401, 403, 404),
    tags=ORG,
    security=BEARER,
)
def indicator_values(plan_key: str, year: int):
    """Indicator values per unit of my subtree for a reporting year (the latest snapshot)

    Each value counts the unit's whole subtree. `unit`: that unit and its children only."""
    from quizapp.indicators import services as I
    from quizapp.indicators.models import SnapshotValue

    q = request.context.query
    actor = api_actor()
    I.get_plan(db.session, plan_key)  # 404 for an unknown plan
    if not 2000 <= year <= 2100:
        raise NotFound(N_("Plan not found."))
    snap = I.latest_snapshot(db.session, plan_key, year)
    if snap is None:
        return IndicatorPage(
            plan=plan_key,
            year=year,
            as_of=None,
            items=[],
            page=q.page,
            per_page=q.per_page,
            total=0,
            pages=1,
        )
    stmt = (
        select(SnapshotValue, Unit)
        .join(Unit, Unit.id == SnapshotValue.unit_id)
        .where(SnapshotValue.snapshot_id == snap.id, in_subtrees(Unit.path, actor))
    )
    if q.unit:
        unit = get_managed_unit(db.session, q.unit, actor)
        stmt = stmt.where(or_(Unit.id == unit.id, Unit.parent_id == unit.id))
    if q.code:
        stmt = stmt.where(SnapshotValue.code == q.code)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = db.session.execute(
        stmt.order_by(Unit.path, SnapshotValue.code, SnapshotValue.line)
        .limit(q.per_page)
        .offset((q.page - 1) * q.per_page)
    ).all()
    items = [
        IndicatorValueOut(
            unit_id=u.id,
            unit_code=u.code,
            unit_name=u.name,
            code=v.code,
            line=v.line,
            numerator=v.numerator,
            denominator=v.denominator,
            rate=(v.numerator * 100 / v.denominator) if v.denominator else None,
            value=v.value,
        )
        for v, u in rows
    ]
    return IndicatorPage(
        plan=plan_key,
        year=year,
        as_of=snap.as_of,
        items=items,
        page=q.page,
        per_page=q.per_page,
        total=total,
        pages=max(1, -(-total // q.per_page)),
    )
