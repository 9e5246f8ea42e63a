"""Retention purge (quizapp/ops/retention.py, `flask --app wsgi purge`), on the test clock."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from quizapp.audit.models import AuditEntry
from quizapp.audit.services import record
from quizapp.auth.models import LoginSession, ResetCode, User
from quizapp.auth.services import actor_for
from quizapp.ops.retention import (
    ACCESS_LOG,
    ACCOUNTS,
    RESET_CODES,
    SESSIONS,
    UPLOADS,
    Policy,
    purge,
)
from quizapp.orgs.models import Member, PendingImport
from quizapp.rights.models import DataAccess
from tests.contest_helpers import make_bank, make_contest, play_round
from tests.factories import make_unit, make_user


def _old(user, now, *, days=800, login_days=None):
    user.created_at = now - timedelta(days=days)
    user.last_login_at = None if login_days is None else now - timedelta(days=login_days)
    return user


def _login(session, user, at, sid):
    session.add(LoginSession(id=sid, user_id=user.id, created_at=at, last_seen_at=at))


def _world(session, now):
    unit = make_unit(session, "Xã Retention")
    users = {}
    users["idle"] = _old(make_user(session, role="member", unit=unit), now)
    users["idle_no_member"] = _old(make_user(session, role="admin"), now)
    users["idle_no_member"].is_admin = False
    users["recent_login"] = _old(make_user(session, role="member", unit=unit), now, login_days=10)
    users["young"] = _old(make_user(session, role="member", unit=unit), now, days=100)
    users["organiser"] = _old(make_user(session, role="organiser", unit=unit), now)
    users["admin"] = _old(make_user(session, role="admin"), now)
    users["audited"] = _old(make_user(session, role="member", unit=unit), now)
    record(
        session,
        actor=actor_for(users["audited"]),
        action="member.claim",
        object_type="member",
        object_id=1,
        now=now - timedelta(days=790),
    )
    bank = make_bank(session, unit, now)
    contest = make_contest(session, unit, bank, now, count=3)
    users["player"] = make_user(session, role="member", unit=unit)
    play_round(session, contest.rounds[0], users["player"], now, right=1)
    _old(users["player"], now)
    # an old session of the idle account: removed with the sessions, counted there
    _login(session, users["idle"], now - timedelta(days=795), "s-idle")
    _login(session, users["young"], now - timedelta(days=31), "s-old")
    _login(session, users["young"], now - timedelta(days=29), "s-fresh")
    for hours, token in ((25, "old-upload"), (23, "fresh-upload")):
        session.add(
            PendingImport(
                token=token,
                user_id=users["organiser"].id,
                kind="roster",
                filename="ds.xlsx",
                content=b"sealed",
                created_at=now - timedelta(hours=hours),
            )
        )
    for days, code in ((8, "old"), (6, "fresh")):
        session.add(
            ResetCode(
                user_id=users["young"].id, code_hash=code, expires_at=now - timedelta(days=days)
            )
        )
    session.flush()
    return users


def test_purge_removes_what_the_periods_allow_and_nothing_else(session, now):
    users = _world(session, now)
    ids = {name: u.id for name, u in users.items()}
    idle_member_id = users["idle"].member_id
    idle_phone = users["idle"].phone
    dry = purge(session, Policy(), now=now, dry_run=True)
    assert dry == {SESSIONS: 2, UPLOADS: 1, RESET_CODES: 1, ACCESS_LOG: 0, ACCOUNTS: 2}
    assert session.scalar(select(func.count()).select_from(LoginSession)) == 3  # unchanged

    removed = purge(session, Policy(), now=now)
    assert removed == dry
    session.expire_all()
    left = set(session.scalars(select(User.id)))
    assert ids["idle"] not in left and ids["idle_no_member"] not in left
    for kept in ("recent_login", "young", "organiser", "admin", "audited", "player"):
        assert ids[kept] in left, kept
    assert set(session.scalars(select(LoginSession.id))) == {"s-fresh"}
    assert set(session.scalars(select(PendingImport.token))) == {"fresh-upload"}
    assert set(session.scalars(select(ResetCode.code_hash))) == {"fresh"}
    # the roster's record of the person stays: only the login went
    assert session.get(Member, idle_member_id) is not None

    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "retention.purge")).one()
    assert entry.actor_id is None and entry.at == now
    assert entry.after == {SESSIONS: 2, UPLOADS: 1, RESET_CODES: 1, ACCESS_LOG: 0, ACCOUNTS: 2}
    assert idle_phone not in f"{entry.summary} {entry.after} {entry.object_id}"

    assert purge(session, Policy(), now=now) == {
        SESSIONS: 0,
        UPLOADS: 0,
        RESET_CODES: 0,
        ACCESS_LOG: 0,
        ACCOUNTS: 0,
    }
    assert (
        session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "retention.purge")
        )
        == 1
    )  # nothing removed, nothing audited


def test_zero_keeps_forever(session, now):
    _world(session, now)
    policy = Policy(
        idle_account_days=0, session_days=0, upload_hours=0, reset_code_days=0, access_log_days=0
    )
    assert purge(session, policy, now=now) == {}
    longer = Policy(idle_account_days=900, session_days=60, upload_hours=48, reset_code_days=30)
    assert purge(session, longer, now=now) == {
        SESSIONS: 1,
        UPLOADS: 0,
        RESET_CODES: 0,
        ACCESS_LOG: 0,
        ACCOUNTS: 0,
    }


def test_purge_command_follows_the_clock(app, runner, session, clock, now):
    unit = make_unit(session, "Xã Cron")
    user = make_user(session, role="member", unit=unit)
    user.created_at = now
    _login(session, user, now, "s-cron")
    session.commit()
    app.config["RETENTION_SESSION_DAYS"] = 30

    out = runner.invoke(args=["purge"]).output
    assert "removed 0 login sessions (older than 30 days)" in out

    clock.advance(days=31)
    out = runner.invoke(args=["purge", "--dry-run"]).output
    assert "would remove 1 login sessions (older than 30 days)" in out
    assert session.get(LoginSession, "s-cron") is not None

    result = runner.invoke(args=["purge"])
    assert result.exit_code == 0, result.output
    assert "removed 1 login sessions" in result.output
    assert "removed 0 accounts that never took part (older than 730 days)" in result.output
    session.expire_all()
    assert session.get(LoginSession, "s-cron") is None
    assert session.get(User, user.id) is not None


def test_automatic_enrolment_is_not_taking_part_self_enrolment_is(session, now):
    from quizapp.programmes.models import Enrolment
    from tests.services.test_programmes import make_programme

    unit = make_unit(session, "Xã Học Tập")
    bank = make_bank(session, unit, now)
    programme = make_programme(session, unit, bank, now, publish=False)
    auto = _old(make_user(session, role="member", unit=unit), now)
    chose = _old(make_user(session, role="member", unit=unit), now)
    for user, source in ((auto, "auto"), (chose, "self")):
        session.add(
            Enrolment(
                programme_id=programme.id, member_id=user.member_id, source=source, enrolled_at=now
            )
        )
    session.flush()
    ids = (auto.id, chose.id)
    assert purge(session, Policy(), now=now)[ACCOUNTS] >= 1
    session.expire_all()
    left = set(session.scalars(select(User.id).where(User.id.in_(ids))))
    assert left == {chose.id}
    # the member's enrolments stay with the roster record
    assert session.scalar(select(func.count()).select_from(Enrolment)) == 2


def test_access_log_entries_older_than_the_period_go(session, now):
    unit = make_unit(session, "Xã Nhật ký")
    organiser = make_user(session, role="organiser", unit=unit)
    for days in (800, 731, 729, 1):
        session.add(
            DataAccess(
                at=now - timedelta(days=days),
                actor_id=organiser.id,
                what="members",
                unit_path=unit.path,
                people=3,
            )
        )
    session.flush()
    assert purge(session, Policy(), now=now)[ACCESS_LOG] == 2
    ages = sorted((now - a).days for a in session.scalars(select(DataAccess.at)))
    assert ages == [1, 729]
    assert purge(session, Policy(access_log_days=0), now=now).get(ACCESS_LOG) is None
