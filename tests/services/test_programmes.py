"""Study programmes on a real database with a frozen clock: sequential locking, retries and
waiting time, N of M, completion exactly once with its certificate, expiry and renewal,
automatic enrolment when the roster changes, and the organiser's figures."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from quizapp import events
from quizapp.auth.services import actor_for
from quizapp.certificates.models import Certificate
from quizapp.certificates.services import Issuer
from quizapp.certificates.signing import KeyStore
from quizapp.contests import attempts as A
from quizapp.contests import starting
from quizapp.errors import Conflict, Forbidden, Invalid, NotFound
from quizapp.orgs.members import MemberData, update_member
from quizapp.policy import SYSTEM
from quizapp.programmes import reports as R
from quizapp.programmes import services as S
from quizapp.programmes import study as ST
from quizapp.programmes.models import Completion, Enrolment
from tests.conftest import NOW
from tests.contest_helpers import make_bank
from tests.factories import make_member, make_unit, make_user


@pytest.fixture()
def issued(tmp_path, session):
    """The test's session signs certificates, as the app's sessions do (quizapp/events.py)."""
    issuer = Issuer(KeyStore(tmp_path / "keys", now=lambda: NOW), "https://quiz.example.vn")
    session.info[events.ISSUER] = lambda: issuer


def make_programme(session, unit, bank, now, *, lessons=2, publish=True, **kw):
    data = dict(
        title="Học tập lý luận chính trị dành cho đoàn viên mới",
        owner_unit_id=unit.id,
        starts_on=(now - timedelta(days=30)).date(),
        ends_on=(now + timedelta(days=365)).date(),
        populations=("member",),
    )
    data.update(kw)
    programme = S.create_programme(session, S.ProgrammeData(**data), actor=SYSTEM, now=now)
    for i in range(lessons):
        S.save_lesson(
            session,
            programme.id,
            S.LessonData(
                title=f"Bài {i + 1}",
                bank_id=bank.id,
                categories=("c1",) if i % 2 == 0 else ("c2",),
                questions=3,
                content="Nội dung **bài học**.",
                pass_mark=100,
            ),
            actor=SYSTEM,
            now=now,
        )
    if publish:
        S.set_status(session, programme.id, "published", actor=SYSTEM, now=now)
    return programme


@pytest.fixture()
def world(session, now):
    province = make_unit(session, "Tỉnh Đoàn", code="TD")
    commune = make_unit(session, "Đoàn xã Mỹ Hòa", parent=province, code="TD-MH")
    bank = make_bank(session, province, now)
    user = make_user(session, role="member", unit=commune)
    return dict(province=province, commune=commune, bank=bank, user=user)


def take(session, lesson, user, now, *, right=True):
    """Start the lesson's check, answer every question right (or wrong) and submit."""
    attempt = starting.start_attempt(
        session, lesson.round_id, user=user, actor=actor_for(user), now=now
    )
    for aq in attempt.questions:
        shown = aq.option_order.index(0) if right else aq.option_order.index(1)
        A.save_answer(session, attempt.id, aq.position, {"choices": [shown]}, user=user, now=now)
    return A.submit_attempt(session, attempt.id, user=user, now=now + timedelta(minutes=2))


def completions(session, programme):
    return session.scalar(
        select(func.count()).select_from(Completion).where(Completion.programme_id == programme.id)
    )


def test_publishing_enrols_the_audience_only(session, world, now):
    other_pop = make_member(session, world["commune"], categories=("youth",))
    outside = make_unit(session, "Tỉnh khác", code="TK")
    stranger = make_member(session, outside)
    programme = make_programme(session, world["province"], world["bank"], now)
    enrolled = set(
        session.scalars(select(Enrolment.member_id).where(Enrolment.programme_id == programme.id))
    )
    assert world["user"].member_id in enrolled
    assert other_pop.id not in enrolled and stranger.id not in enrolled
    assert programme.contest.kind == "programme"
    assert programme.contest not in starting.open_contests_for(session, world["user"], now)


def test_sequential_locking_and_completion_once_with_certificate(session, world, now, issued):
    programme = make_programme(session, world["province"], world["bank"], now)
    first, second = programme.lessons
    user = world["user"]
    with pytest.raises(Conflict, match="previous lesson"):
        starting.start_attempt(session, second.round_id, user=user, actor=actor_for(user), now=now)
    take(session, first, user, now)
    assert completions(session, programme) == 0
    take(session, second, user, now + timedelta(minutes=5))
    done = session.scalars(select(Completion)).one()
    assert done.cycle == 1 and done.expires_at is None
    assert done.completed_at == now + timedelta(minutes=7)
    assert done.scores == {"bai-1": 100.0, "bai-2": 100.0}
    cert = session.get(Certificate, done.certificate_id)
    assert cert.kind == "completion" and cert.status == "valid"
    assert cert.achievement["contest"] == programme.title
    # A completed programme refuses more checks: no second completion, no second certificate.
    with pytest.raises(Conflict):
        take(session, first, user, now + timedelta(minutes=10))
    assert completions(session, programme) == 1
    assert session.scalar(select(func.count()).select_from(Certificate)) == 1
    view = ST.overview(session, programme, user.member, now + timedelta(hours=1))
    assert view.status == "completed" and view.percent == 100
    # The organiser's progress list counts the lessons of the completed cycle (not "0/2").
    row = next(
        r
        for r in R.member_progress(session, programme, world["province"], now + timedelta(hours=1))
        if r.member_id == user.member_id
    )
    assert (row.status, row.passed) == ("completed", 2)


def test_failed_check_retry_with_waiting_time_and_attempt_limit(session, world, now):
    programme = make_programme(
        session, world["province"], world["bank"], now, lessons=1, publish=False
    )
    lesson = programme.lessons[0]
    S.save_lesson(
        session,
        programme.id,
        S.LessonData(
            title="Bài 1",
            bank_id=world["bank"].id,
            categories=("c1",),
            questions=3,
            pass_mark=100,
            max_attempts=2,
            retry_wait_s=3600,
        ),
        actor=SYSTEM,
        now=now,
        lesson_id=lesson.id,
    )
    S.set_status(session, programme.id, "published", actor=SYSTEM, now=now)
    user = world["user"]
    take(session, lesson, user, now, right=False)
    state = ST.overview(session, programme, user.member, now + timedelta(minutes=30)).states
    assert state[lesson.id].state == "waiting"
    with pytest.raises(Conflict, match="again from"):
        take(session, lesson, user, now + timedelta(minutes=30))
    take(session, lesson, user, now + timedelta(minutes=63), right=False)
    with pytest.raises(Conflict, match="all your attempts"):
        take(session, lesson, user, now + timedelta(hours=3))
    assert completions(session, programme) == 0


def test_n_of_m_free_order(session, world, now):
    programme = make_programme(
        session,
        world["province"],
        world["bank"],
        now,
        lessons=3,
        sequential=False,
        required_count=2,
    )
    user = world["user"]
    take(session, programme.lessons[2], user, now)  # free order: the last lesson first
    assert completions(session, programme) == 0
    take(session, programme.lessons[0], user, now + timedelta(minutes=10))
    assert completions(session, programme) == 1


def test_expiry_and_renewal(session, world, now):
    programme = make_programme(
        session,
        world["province"],
        world["bank"],
        now,
        lessons=1,
        renewal_months=12,
        ends_on=(now + timedelta(days=800)).date(),
    )
    lesson, user = programme.lessons[0], world["user"]
    take(session, lesson, user, now)
    first = session.scalars(select(Completion)).one()
    finished = now + timedelta(minutes=2)
    assert first.expires_at == finished.replace(year=finished.year + 1)
    soon = first.expires_at - timedelta(days=40)
    assert ST.overview(session, programme, user.member, soon).status == "completed"
    with pytest.raises(Conflict, match="Renewal opens"):
        take(session, lesson, user, soon)
    later = first.expires_at + timedelta(days=1)
    assert ST.overview(session, programme, user.member, later).status == "expired"
    take(session, lesson, user, later)
    second = session.scalars(select(Completion).where(Completion.cycle == 2)).one()
    assert second.completed_at > first.expires_at
    assert ST.overview(session, programme, user.member, later).status == "completed"


def test_members_joining_the_audience_later_are_enrolled(session, world, now):
    programme = make_programme(session, world["province"], world["bank"], now)
    newcomer = make_member(session, world["commune"], categories=("youth",))
    assert ST.enrolment_of(session, programme.id, newcomer.id) is None
    update_member(
        session,
        newcomer.id,
        MemberData(full_name=newcomer.full_name, unit_id=newcomer.unit_id, categories=("member",)),
        actor=SYSTEM,
        pii_key="k",
        now=now,
    )
    assert ST.enrol_member(session, [newcomer.id], now) == 1
    assert ST.enrolment_of(session, programme.id, newcomer.id) is not None
    assert ST.enrol_member(session, [newcomer.id], now) == 0  # idempotent


def test_admitted_in_period_audience(session, world, now):
    commune = world["commune"]
    first_day, last_day = (now - timedelta(days=30)).date(), (now + timedelta(days=365)).date()
    new = make_member(session, commune, admitted_on=first_day)
    last_day = make_member(session, commune, admitted_on=last_day)
    old = make_member(session, commune, admitted_on=first_day - timedelta(days=1))
    programme = make_programme(
        session, world["province"], world["bank"], now, admitted_in_period=True
    )
    ids = set(
        session.scalars(select(Enrolment.member_id).where(Enrolment.programme_id == programme.id))
    )
    assert {new.id, last_day.id} <= ids and old.id not in ids


def test_self_enrolment_for_open_programmes(session, world, now):
    programme = make_programme(
        session, world["province"], world["bank"], now, self_enrol=True, populations=()
    )
    user = world["user"]
    assert ST.enrolment_of(session, programme.id, user.member_id) is None
    with pytest.raises(Forbidden):
        take(session, programme.lessons[0], user, now)
    ST.self_enrol(session, programme.id, member=user.member, now=now)
    take(session, programme.lessons[0], user, now)
    assert ST.enrolment_of(session, programme.id, user.member_id).source == "self"


def test_builder_rules(session, world, now):
    with pytest.raises(Invalid) as err:
        S.create_programme(
            session,
            S.ProgrammeData(
                title="",
                owner_unit_id=world["province"].id,
                starts_on=date(2026, 2, 1),
                ends_on=date(2026, 1, 1),
            ),
            actor=SYSTEM,
            now=now,
        )
    assert {"title", "ends_on"} <= set(err.value.field_errors)
    programme = make_programme(session, world["province"], world["bank"], now, publish=False)
    with pytest.raises(Invalid):  # more questions than the category holds
        S.save_lesson(
            session,
            programme.id,
            S.LessonData(title="Bài 3", bank_id=world["bank"].id, categories=("c1",), questions=50),
            actor=SYSTEM,
            now=now,
        )
    # The checks' window follows the study period.
    S.update_programme(
        session,
        programme.id,
        S.ProgrammeData(
            title=programme.title,
            owner_unit_id=programme.owner_unit_id,
            starts_on=date(now.year, 1, 1),
            ends_on=date(now.year + 1, 6, 30),
        ),
        actor=SYSTEM,
        now=now,
    )
    assert programme.lessons[0].round.closes_at.year == now.year + 1
    organiser = make_user(session, role="organiser", unit=world["commune"])
    with pytest.raises(NotFound):
        S.get_managed_programme(session, programme.id, actor_for(organiser))


def test_organiser_progress_on_a_roster_of_hundreds(session, world, now, issued):
    province = world["province"]
    communes = [
        make_unit(session, f"Đoàn xã {i}", parent=province, code=f"TD-X{i}") for i in range(3)
    ]
    members = [make_member(session, communes[i % 3]) for i in range(300)]
    programme = make_programme(session, province, world["bank"], now, lessons=1)
    lesson = programme.lessons[0]
    # 20 members of commune 0 complete, 10 of commune 1 start and fail.
    users = []
    for m in members[:90]:
        u = make_user(session, role="organiser", unit=province)  # account without a member
        u.member_id = m.id
        users.append(u)
    session.flush()
    done = [u for u, m in zip(users, members[:90], strict=True) if m.unit_id == communes[0].id][:20]
    failed = [u for u, m in zip(users, members[:90], strict=True) if m.unit_id == communes[1].id][
        :10
    ]
    for u in done:
        take(session, lesson, u, now)
    for u in failed:
        take(session, lesson, u, now, right=False)
    rows = R.unit_progress(session, programme, province, now)
    by_code = {r.unit.code: r for r in rows}
    assert by_code["TD-X0"].completed == 20 and by_code["TD-X0"].enrolled == 100
    assert by_code["TD-X1"].in_progress == 10 and by_code["TD-X1"].completed == 0
    assert by_code["TD-X2"].not_started == 100
    assert [r.unit.code for r in rows][0] in ("TD-X1", "TD-X2")  # lagging units first
    total = R.totals(rows)
    assert total.enrolled == 300 + 1 and total.completed == 20  # + the world's member
    missing = R.member_progress(session, programme, province, now, status="not_completed")
    assert len(missing) == 301 - 20


def test_roster_import_enrols_the_newcomers(session, world, now):
    from quizapp.orgs.importing import apply_import
    from quizapp.orgs.models import Member
    from tests.services.test_roster_import import HEADERS, KEY, xlsx

    programme = make_programme(session, world["province"], world["bank"], now)
    rows = [
        ["DV9", "Phạm Thu Hà", "01/02/2007", "0912999001", "", "TD-MH", "Đoàn viên", "", ""],
        ["", "Võ Văn Tư", "", "0912999002", "", "TD-MH", "Thanh niên", "", ""],
    ]
    apply_import(
        session, "members", "ds.xlsx", xlsx(rows, HEADERS), actor=SYSTEM, pii_key=KEY, now=now
    )
    ha = session.scalar(select(Member).where(Member.code == "DV9"))
    tu = session.scalar(select(Member).where(Member.phone == "0912999002"))
    assert ST.enrolment_of(session, programme.id, ha.id) is not None
    assert ST.enrolment_of(session, programme.id, tu.id) is None  # youth: not the audience


def test_login_enrols_members_who_joined_the_audience(session, world, now):
    from quizapp.auth.services import open_session

    programme = make_programme(session, world["province"], world["bank"], now)
    late = make_user(session, role="member", unit=world["commune"])
    assert ST.enrolment_of(session, programme.id, late.member_id) is None
    open_session(session, late, user_agent="test", now=now)
    assert ST.enrolment_of(session, programme.id, late.member_id) is not None
