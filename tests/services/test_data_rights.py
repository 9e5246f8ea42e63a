"""Data rights (Law 91/2025/QH15): an approved deletion pseudonymises the person and keeps
the records true (ranking, published prize list, item statistics, indicator figures computed
before and after), leaves none of their identifying values in any text column of any table,
and is requested, decided and audited as the law asks."""

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import JSON, String, Text, select

import quizapp.models  # noqa: F401
from quizapp import events
from quizapp.audit.models import AuditEntry
from quizapp.audit.services import record
from quizapp.auth.models import Consent, LoginSession
from quizapp.auth.services import actor_for, authenticate, open_session
from quizapp.certificates import services as cert_services
from quizapp.certificates.models import Certificate
from quizapp.certificates.services import Issuer
from quizapp.certificates.signing import KeyStore
from quizapp.contests import results as R
from quizapp.contests import starting
from quizapp.contests.item_analysis import item_analysis
from quizapp.contests.models import PrizeList
from quizapp.db import Base
from quizapp.errors import Conflict, Forbidden, Invalid, NotFound
from quizapp.indicators import compute as C
from quizapp.indicators import services as I
from quizapp.orgs.members import MemberData, update_member
from quizapp.policy import SYSTEM
from quizapp.rights import export
from quizapp.rights import services as RS
from quizapp.rights.models import DataRequest
from tests.conftest import NOW
from tests.contest_helpers import make_bank, make_contest, play_round
from tests.factories import make_unit, make_user

PERIOD = timedelta(hours=72)


@pytest.fixture()
def world(tmp_path, session, now):
    issuer = Issuer(KeyStore(tmp_path / "keys", now=lambda: NOW), "https://quiz.example.vn")
    session.info[events.ISSUER] = lambda: issuer
    I.load_shipped(session, now)
    province = make_unit(session, "Tỉnh Đoàn An Giang", code="AG", type_key="province")
    branch = make_unit(session, "Đoàn xã Mỹ Hòa", parent=province, code="AG-MH", type_key="commune")
    other = make_unit(session, "Đoàn xã Khác", parent=province, code="AG-K", type_key="commune")
    # a bank the plan counts (indicator 1.1: took part in a contest drawing on it)
    bank = make_bank(session, province, now, key="quy-tac-ung-xu-mang-xa-hoi")
    contest = make_contest(session, province, bank, now, count=5)
    cert_services.save_rule(
        session, contest.id, cert_services.RuleData(kind="participation"), actor=SYSTEM, now=now
    )
    rnd = contest.rounds[0]
    people = {}
    for right, name in [
        (5, "Lê Văn Đầu"),
        (4, "Trương Thị Bích Ngọc"),
        (3, "Phan Ba"),
        (1, "Võ Út"),
    ]:
        user = make_user(session, role="member", unit=branch, name=name)
        user.member.full_name = name
        play_round(session, rnd, user, now, right=right)
        people[name] = user
    target = people["Trương Thị Bích Ngọc"]
    target.member.code = "ĐV-AG-0771"
    target.member.email = target.email
    session.add(
        Consent(
            member_id=target.member_id,
            kind="self",
            text_version="2026-01",
            given_by=target.member.full_name,
            given_at=now,
        )
    )
    # an organiser corrected the name once: the old name is in the audit log
    update_member(
        session,
        target.member_id,
        MemberData(
            full_name="Trương Thị Bích Ngọc",
            unit_id=branch.id,
            categories=("member",),
            birth_date=date(2004, 5, 6),
            phone=target.member.phone,
            code="ĐV-AG-0771",
        ),
        actor=SYSTEM,
        pii_key="test-pii-key",
        now=now,
    )
    record(
        session,
        actor=SYSTEM,
        action="certificate.reissue",
        object_type="certificate",
        object_id=1,
        unit_path=branch.path,
        summary="Cấp lại cho Trương Thị Bích Ngọc",
        after={"name": "Trương Thị Bích Ngọc", "phone": target.phone},
        now=now,
    )
    open_session(session, target, user_agent="Điện thoại", now=now)
    R.set_prize_counts(
        session, rnd.id, {"first": 1, "second": 1, "third": 1}, actor=SYSTEM, now=now
    )
    R.publish_prizes(session, rnd.id, actor=SYSTEM, now=rnd.closes_at + timedelta(hours=1))
    organiser = make_user(session, role="organiser", unit=province)
    outsider = make_user(session, role="organiser", unit=other)
    session.flush()
    return dict(
        province=province,
        branch=branch,
        rnd=rnd,
        people=people,
        target=target,
        organiser=actor_for(organiser),
        outsider=actor_for(outsider),
    )


def _figures(session, rnd, now):
    ranking, _actual = R.round_ranking(session, rnd, now)
    rows = [(r.rank, r.entry.participant_id, str(r.entry.score), r.tie) for r in ranking]
    prizes = session.scalar(select(PrizeList).where(PrizeList.round_id == rnd.id)).entries
    frozen = [
        {k: v for k, v in e.items() if k not in ("name", "why", "reason", "birth_date")}
        for e in prizes
    ]
    items = repr(item_analysis(session, rnd))
    _row, plan = I.get_plan(session, "an-giang-311")
    values = sorted(
        (v.unit_id, v.code, v.line, v.numerator, v.denominator)
        # the reporting year until an hour later (the attempts were submitted after `now`)
        for v in C.compute(session, plan, I.current_year(plan, now), now + timedelta(hours=1))
    )
    return rows, frozen, items, values


def _identifying(user):
    m = user.member
    return [
        v
        for v in (
            m.full_name,
            m.phone,
            m.email,
            m.code,
            user.email,
            user.display_name,
            "Trương Thị Bích Ngọc",
        )
        if v
    ]


def _found_anywhere(session, values):
    """Every text and JSON column of every table, read back and searched."""
    hits = []
    for table in Base.metadata.sorted_tables:
        cols = [c for c in table.columns if isinstance(c.type, String | Text | JSON)]
        if not cols:
            continue
        for row in session.execute(select(*cols)):
            for col, v in zip(cols, row, strict=True):
                if v is None:
                    continue
                text = v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)
                hits += [f"{table.name}.{col.name}: {x}" for x in values if x in text]
    return hits


def _ask(session, user, now, **kw):
    return RS.request_deletion(
        session,
        user,
        confirmed=True,
        keep_certificates=False,
        guardian=None,
        period=PERIOD,
        now=now,
        **kw,
    )


def test_approved_deletion_keeps_records_true_and_leaves_no_identifying_value(session, world, now):
    target, rnd = world["target"], world["rnd"]
    before = _figures(session, rnd, now)
    branch = world["branch"].id
    assert (branch, "1.1", 0, 4, 4) in before[3]  # the four who took part, the target too
    values = _identifying(target)
    phone, email = target.phone, target.email
    assert authenticate(session, phone, "correct horse") == target
    assert _found_anywhere(session, values)  # the search finds them before
    req = _ask(session, target, now)
    assert req.due_at == now + PERIOD and req.status == "pending"
    later = now + timedelta(hours=5)
    done = RS.decide_deletion(
        session, req.id, approve=True, reason="", actor=world["organiser"], now=later
    )
    assert done.rounds == [rnd.id] and len(done.certificate_codes) == 1
    session.expire_all()
    assert _figures(session, rnd, now) == before
    assert _found_anywhere(session, values) == []
    label = RS.pseudonym(target.member_id, target.id)
    assert target.member.full_name == label and target.display_name == label
    assert target.member.birth_date is None and target.member.phone is None
    # the published prize list keeps the place, with the pseudonym
    prizes = session.scalar(select(PrizeList).where(PrizeList.round_id == rnd.id)).entries
    assert [e["name"] for e in prizes if e["participant_id"] == target.id] == [label]
    # certificates revoked with the reason, the others' untouched
    certs = session.scalars(select(Certificate)).all()
    mine = [c for c in certs if c.user_id == target.id]
    assert mine and all(
        c.status == "revoked" and c.revoked_reason == RS.DELETION_REASON for c in mine
    )
    assert all(c.status == "valid" for c in certs if c.user_id != target.id)
    # no login any more
    assert session.scalar(select(LoginSession).where(LoginSession.user_id == target.id)) is None
    assert authenticate(session, phone, "correct horse") is None
    assert authenticate(session, email, "correct horse") is None
    assert not target.active
    # audited: request, decision, decider, time
    entries = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.object_type == "data_request", AuditEntry.object_id == str(req.id))
        .order_by(AuditEntry.id)
    ).all()
    assert [e.action for e in entries] == ["rights.deletion_request", "rights.deletion_approve"]
    assert entries[1].actor_id == world["organiser"].user_id and entries[1].at == later
    req = session.get(DataRequest, req.id)
    assert req.status == "approved" and req.decided_by_id == world["organiser"].user_id


def test_keeping_certificates_keeps_them_valid(session, world, now):
    target = world["target"]
    req = RS.request_deletion(
        session,
        target,
        confirmed=True,
        keep_certificates=True,
        guardian=None,
        period=PERIOD,
        now=now,
    )
    RS.decide_deletion(session, req.id, approve=True, reason="", actor=world["organiser"], now=now)
    certs = session.scalars(select(Certificate).where(Certificate.user_id == target.id)).all()
    assert certs and all(c.status == "valid" and c.jws for c in certs)
    assert target.member.phone is None and target.email is None


def test_who_decides_and_how(session, world, now):
    target = world["target"]
    with pytest.raises(Invalid):
        RS.request_deletion(
            session,
            target,
            confirmed=False,
            keep_certificates=False,
            guardian=None,
            period=PERIOD,
            now=now,
        )
    req = _ask(session, target, now)
    with pytest.raises(Conflict):
        _ask(session, target, now)
    # an organiser of another unit neither sees nor decides it
    outsider = world["outsider"]
    assert session.scalars(RS.visible_requests(outsider)).all() == []
    with pytest.raises(NotFound):
        RS.decide_deletion(session, req.id, approve=False, reason="x", actor=outsider, now=now)
    assert session.scalars(RS.visible_requests(world["organiser"])).all() == [req]
    with pytest.raises(Invalid):
        RS.decide_deletion(
            session, req.id, approve=False, reason=" ", actor=world["organiser"], now=now
        )
    RS.decide_deletion(
        session,
        req.id,
        approve=False,
        reason="Đang có khiếu nại về giải",
        actor=world["organiser"],
        now=now,
    )
    assert target.member.full_name == "Trương Thị Bích Ngọc"  # refused: nothing deleted
    with pytest.raises(Conflict):
        RS.decide_deletion(
            session, req.id, approve=True, reason="", actor=world["organiser"], now=now
        )


def test_nobody_decides_their_own_request(session, world, now):
    me = make_user(session, role="member", unit=world["branch"])
    session.add(quizapp.models.OrganiserRole(user_id=me.id, unit_id=world["branch"].id))
    session.flush()
    session.expire(me, ["organiser_roles"])
    req = _ask(session, me, now)
    with pytest.raises(Forbidden):
        RS.decide_deletion(session, req.id, approve=True, reason="", actor=actor_for(me), now=now)


def test_a_minor_asks_with_a_guardian(session, world, now):
    minor = make_user(session, role="member", unit=world["branch"])
    minor.member.birth_date = date(2012, 1, 1)
    with pytest.raises(Invalid) as err:
        _ask(session, minor, now)
    assert set(err.value.field_errors) == {"with_guardian", "guardian_name", "guardian_contact"}
    req = RS.request_deletion(
        session,
        minor,
        confirmed=True,
        keep_certificates=False,
        period=PERIOD,
        now=now,
        guardian=RS.Guardian(True, "Nguyễn Văn Cha", "0912345678"),
    )
    assert (req.guardian_name, req.guardian_contact) == ("Nguyễn Văn Cha", "0912345678")
    RS.decide_deletion(session, req.id, approve=True, reason="", actor=world["organiser"], now=now)
    assert _found_anywhere(session, ["Nguyễn Văn Cha", "0912345678"]) == []


def test_withdrawing_consent_stops_new_quizzes(session, world, now):
    target = world["target"]
    with pytest.raises(Conflict):  # nothing to withdraw for a roster member without consent
        RS.withdraw_consent(session, world["people"]["Phan Ba"], guardian=None, now=now)
    RS.withdraw_consent(session, target, guardian=None, now=now)
    assert RS.consent_withdrawn(session, target.member_id)
    assert RS.active_consents(session, target.member_id) == []
    with pytest.raises(Forbidden):
        starting.start_attempt(
            session, world["rnd"].id, user=target, actor=actor_for(target), now=now
        )


def test_correcting_the_profile(session, world, now):
    target = world["target"]
    with pytest.raises(Invalid):
        RS.correct_profile(session, target, full_name=" ", email="x", now=now)
    other = world["people"]["Phan Ba"]
    with pytest.raises(Invalid):
        RS.correct_profile(session, target, full_name="A B", email=other.email, now=now)
    RS.correct_profile(
        session, target, full_name="Trương  Thị Bích  Ngọc ", email="ngoc@example.vn", now=now
    )
    assert target.member.full_name == "Trương Thị Bích Ngọc" == target.display_name
    assert target.member.email == "ngoc@example.vn" == target.email


def test_the_export_holds_every_owned_table_with_rows(session, world, now):
    target = world["target"]
    data = export.collect(session, user_id=target.id, member_id=target.member_id)
    for table in (
        "user_account",
        "member",
        "consent",
        "attempt",
        "attempt_question",
        "certificate",
        "login_session",
        "audit_entry",
        "prize_places",
        "member_category",
        "member_unit_history",
    ):
        assert data.get(table), table
    assert all("password_hash" not in r for r in data["user_account"])
    assert all("id" not in r for r in data["login_session"])
    # nobody else's rows
    assert {r["user_id"] for r in data["attempt"]} == {target.id}
    assert {r["participant_id"] for r in data["prize_places"]} == {target.id}
    blob = export.to_json(data, generated_at=now).decode()
    assert "Trương Thị Bích Ngọc" in blob and "Lê Văn Đầu" not in blob.split('"prize_places"')[0]
    assert export.to_xlsx(data)[:2] == b"PK"
