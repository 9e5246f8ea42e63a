"""Plan indicators on a small hand-checkable tree (An Giang's shipped definitions): computed
lines (new members admitted on the first and last day, a member who moved during the year,
an expired completion, a unit with nobody), unit-level attestation, reported figures,
roll-up = sum of the leaves, snapshots, dashboard status and scoping."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, update

from quizapp.indicators import compute as C
from quizapp.indicators import dashboard as D
from quizapp.indicators import services as I
from quizapp.indicators.maths import Count, Status
from quizapp.orgs.members import MemberData, update_member
from quizapp.orgs.models import MemberUnitHistory
from quizapp.policy import SYSTEM
from quizapp.programmes.models import Completion
from tests.contest_helpers import make_bank
from tests.factories import make_member, make_unit, make_user
from tests.services.test_programmes import make_programme

YEAR = 2026  # 16/10/2025 - 15/10/2026
SINCE = datetime(2025, 1, 1, tzinfo=UTC)


def on_roster_since(session, member, when=SINCE):
    session.execute(
        update(MemberUnitHistory)
        .where(MemberUnitHistory.member_id == member.id)
        .values(start_at=when)
    )


def complete(session, programme, member, when, expires=None, cycle=1):
    session.add(
        Completion(
            programme_id=programme.id,
            member_id=member.id,
            unit_id=member.unit_id,
            cycle=cycle,
            completed_at=when,
            expires_at=expires,
            scores={},
        )
    )
    session.flush()


@pytest.fixture()
def tree(session, now):
    I.load_shipped(session, now)
    province = make_unit(session, "Tỉnh Đoàn An Giang", code="AG", type_key="province")
    a = make_unit(session, "Đoàn xã A", parent=province, code="AG-A", type_key="commune")
    b = make_unit(session, "Đoàn phường B", parent=province, code="AG-B", type_key="commune")
    c = make_unit(
        session, "Đoàn xã C (không có ai)", parent=province, code="AG-C", type_key="commune"
    )
    bank = make_bank(session, province, now, key="bank-indicators")
    theory = make_programme(
        session, province, bank, now, key="ly-luan-chinh-tri-doan-vien-moi", publish=False
    )
    safety = make_programme(
        session,
        province,
        bank,
        now,
        key="ky-nang-an-toan-thong-tin",
        publish=False,
        renewal_months=12,
    )
    return dict(province=province, a=a, b=b, c=c, theory=theory, safety=safety, bank=bank)


def values_by_unit(values, code, line=0):
    return {
        v.unit_id: (v.numerator, v.denominator) for v in values if v.code == code and v.line == line
    }


def test_new_members_admitted_in_the_year_and_a_move(session, tree, now):
    a, b = tree["a"], tree["b"]
    first = make_member(session, a, admitted_on=date(2025, 10, 16))
    last = make_member(session, a, admitted_on=date(2026, 10, 15))
    before = make_member(session, a, admitted_on=date(2025, 10, 15))
    mover = make_member(session, a, admitted_on=date(2026, 3, 1))
    for m in (first, last, before, mover):
        on_roster_since(session, m)
    update_member(
        session,
        mover.id,
        MemberData(
            full_name=mover.full_name,
            unit_id=b.id,
            categories=("member",),
            birth_date=mover.birth_date,
            admitted_on=mover.admitted_on,
        ),
        actor=SYSTEM,
        pii_key="test-pii-key",
        now=datetime(2026, 6, 1, tzinfo=UTC),
    )
    complete(session, tree["theory"], first, datetime(2026, 5, 1, tzinfo=UTC))
    complete(session, tree["theory"], before, datetime(2026, 5, 1, tzinfo=UTC))
    _row, plan = I.get_plan(session, "an-giang-311")
    values = C.compute(session, plan, YEAR, now)
    got = values_by_unit(values, "1.3")
    assert got[a.id] == (1, 2)  # first (completed) and last day (not yet); not the day before
    assert got[b.id] == (0, 1)  # the member who moved counts where they were at the end
    assert tree["c"].id not in got  # nobody to count: no value, not 0%
    assert got[tree["province"].id] == (1, 3)  # the roll-up is the sum of the leaves
    # In the previous year the mover was still in A (and only `before` was new then).
    earlier = values_by_unit(C.compute(session, plan, YEAR - 1, now), "1.3")
    assert earlier.get(b.id) is None


def test_expired_completion_does_not_count(session, tree, now):
    a = tree["a"]
    expired = make_member(session, a, categories=("cadre",))
    valid = make_member(session, a, categories=("cadre",))
    for m in (expired, valid):
        on_roster_since(session, m)
    complete(
        session,
        tree["safety"],
        expired,
        datetime(2025, 1, 10, tzinfo=UTC),
        expires=datetime(2026, 1, 10, tzinfo=UTC),
    )
    complete(
        session,
        tree["safety"],
        valid,
        datetime(2026, 2, 1, tzinfo=UTC),
        expires=datetime(2027, 2, 1, tzinfo=UTC),
    )
    _row, plan = I.get_plan(session, "an-giang-311")
    ind = plan.indicator("1.6")
    cadre_line = next(i for i, line in enumerate(ind.lines) if "cadre" in line.population)
    got = values_by_unit(C.compute(session, plan, YEAR, now), "1.6", cadre_line)
    assert got[a.id] == (1, 2)
    # The follow-up list names the one who does not count.
    rows = session.scalars(
        C.not_counted(session, plan, ind.lines[cadre_line], YEAR, now, tree["province"].path)
    ).all()
    assert [m.id for m in rows] == [expired.id]
    counted = session.scalars(
        C.not_counted(
            session, plan, ind.lines[cadre_line], YEAR, now, tree["province"].path, counted=True
        )
    ).all()
    assert [m.id for m in counted] == [valid.id]  # every figure traces back to people


def test_unit_level_attested_and_reported_figures(session, tree, now):
    a, b = tree["a"], tree["b"]
    organiser = make_user(session, role="organiser", unit=a)
    from quizapp.auth.services import actor_for

    actor = actor_for(organiser)
    I.save_entry(
        session, "an-giang-311", "1.8", YEAR, a.id, I.EntryData(yes=True), actor=actor, now=now
    )
    I.save_entry(
        session, "an-giang-311", "2.8", YEAR, b.id, I.EntryData(yes=False), actor=SYSTEM, now=now
    )
    I.save_entry(
        session,
        "an-giang-311",
        "1.4",
        YEAR,
        a.id,
        I.EntryData(numerator=30, denominator=50),
        actor=actor,
        now=now,
    )
    I.save_entry(
        session,
        "an-giang-311",
        "1.4",
        YEAR,
        b.id,
        I.EntryData(numerator=10, denominator=20),
        actor=SYSTEM,
        now=now,
    )
    I.save_entry(
        session,
        "an-giang-311",
        "1.9",
        YEAR,
        tree["province"].id,
        I.EntryData(value=3),
        actor=SYSTEM,
        now=now,
    )
    with pytest.raises(I.NotFound):  # commune A cannot enter for B
        I.save_entry(
            session, "an-giang-311", "1.8", YEAR, b.id, I.EntryData(yes=True), actor=actor, now=now
        )
    with pytest.raises(I.Invalid):
        I.save_entry(
            session,
            "an-giang-311",
            "1.4",
            YEAR,
            a.id,
            I.EntryData(numerator=60, denominator=50),
            actor=actor,
            now=now,
        )
    _row, plan = I.get_plan(session, "an-giang-311")
    values = C.compute(session, plan, YEAR, now)
    attested = values_by_unit(values, "1.8")
    assert attested[tree["province"].id] == (1, 3)  # A of the three communes
    assert attested[b.id] == (0, 1) and attested[tree["c"].id] == (0, 1)
    assert values_by_unit(values, "1.4")[tree["province"].id] == (40, 70)
    number = [v for v in values if v.code == "1.9"]
    assert [(v.unit_id, v.value) for v in number] == [(tree["province"].id, 3.0)]


def test_snapshot_dashboard_status_and_trend(session, tree, now):
    a = tree["a"]
    members = [make_member(session, a, admitted_on=date(2026, 1, 5)) for _ in range(4)]
    for m in members:
        on_roster_since(session, m)
    # Two snapshots along the year: 1 of 4 in February, 3 of 4 in July.
    complete(session, tree["theory"], members[0], datetime(2026, 1, 20, tzinfo=UTC))
    I.take_snapshot(session, "an-giang-311", YEAR, datetime(2026, 2, 1, tzinfo=UTC))
    for m in members[1:3]:
        complete(session, tree["theory"], m, datetime(2026, 6, 1, tzinfo=UTC))
    snap = I.take_snapshot(session, "an-giang-311", YEAR, datetime(2026, 7, 1, tzinfo=UTC))
    _row, plan = I.get_plan(session, "an-giang-311")
    view = D.dashboard(session, plan, snap, tree["province"], date(2026, 7, 1))
    line = next(v for v in view if v.indicator.code == "1.3")
    assert line.count == Count(3, 4) and line.actual == 75.0
    assert [x for _d, x in line.trend] == [25.0, 75.0]
    by_code = {t.code: t.assessment for t in line.targets}
    # 1.3/2.3 holds every year to the target in force: after 15/10/2025 that is 2.3's 100%.
    assert set(by_code) == {"2.3"}
    assert by_code["2.3"].status is Status.ON_TRACK and by_code["2.3"].projected == 100.0
    child = dict((u.code, (c, gap)) for u, c, _r, gap in line.children)
    assert child["AG-A"][0] == Count(3, 4)
    assert I.latest_snapshot(session, "an-giang-311", YEAR).id == snap.id


def test_definition_edits_are_validated_by_line(session, tree, now):
    row, _plan = I.get_plan(session, "an-giang-311")
    broken = row.source.replace("kind: unit_level", "kind: unit_levels", 1)
    with pytest.raises(I.Invalid) as err:
        I.save_definition(session, "an-giang-311", broken, actor=SYSTEM, now=now)
    assert "an-giang-311.yaml:" in err.value.field_errors["source"][0]
    admin_only = make_user(session, role="organiser", unit=tree["a"])
    from quizapp.auth.services import actor_for

    with pytest.raises(I.Forbidden):
        I.save_definition(session, "an-giang-311", row.source, actor=actor_for(admin_only), now=now)
    saved = I.save_definition(
        session, "an-giang-311", row.source + "\n", actor=SYSTEM, now=now + timedelta(seconds=1)
    )
    assert saved.updated_at == now + timedelta(seconds=1)
    assert session.scalar(select(I.PlanDefinition.key).where(I.PlanDefinition.key == "hcm-2639"))
