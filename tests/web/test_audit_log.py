"""The audit log reads as text: values with their Vietnamese letters (no \\u escapes) and
dates in Vietnam's time, the date cell never wraps, action codes carry labels in the
interface language, a round edited after people started records before and after, and the
page filters by unit, person, action and dates within the organiser's subtree."""

import dataclasses
from datetime import timedelta
from pathlib import Path

from quizapp.audit.models import AuditEntry
from quizapp.audit.services import record
from quizapp.auth.services import actor_for
from quizapp.contests import services as C
from quizapp.contests import starting as S
from quizapp.policy import SYSTEM
from tests.contest_helpers import make_bank, make_contest
from tests.factories import make_unit, make_user


def _round_data(rnd) -> C.RoundData:
    fields = {f.name for f in dataclasses.fields(C.RoundData)}
    values = {k: getattr(rnd, k) for k in fields}
    values["blueprint"] = tuple(rnd.blueprint)
    values["fixed_keys"] = tuple(rnd.fixed_keys or ())
    return C.RoundData(**values)


def test_moving_a_started_rounds_closing_time_records_before_and_after(
    client, login_as, session, now
):
    province = make_unit(session, "Tỉnh Đoàn An Giang", code="AG")
    contest = make_contest(session, province, make_bank(session, province, now), now, count=3)
    rnd = contest.rounds[0]
    user = make_user(session, role="member", unit=province)
    S.start_attempt(session, rnd.id, user=user, actor=actor_for(user), now=now)
    old_close = rnd.closes_at
    new_close = old_close + timedelta(days=2)
    data = dataclasses.replace(_round_data(rnd), closes_at=new_close, title="Tuần thi thứ nhất")
    C.save_round(session, contest.id, data, actor=SYSTEM, now=now, round_id=rnd.id)
    entry = session.query(AuditEntry).filter_by(action="round.update").one()
    assert set(entry.before) == {"closes_at", "title"} == set(entry.after)
    assert entry.before["title"] == "Tuần thi thứ 1" and entry.after["title"] == "Tuần thi thứ nhất"
    session.commit()

    login_as("organiser", unit=province)
    html = client.get("/org/audit?action=round.update").get_data(as_text=True)
    assert "Sửa tuần thi" in html  # the code's label, in Vietnamese
    assert "\\u" not in html and "Tuần thi thứ nhất" in html
    # the moments as a person reads them: Vietnam's time, dd/mm/yyyy
    fmt = "%d/%m/%Y %H:%M"
    local = timedelta(hours=7)
    assert f"closes_at:</span> {(old_close + local).strftime(fmt)}" in html
    assert f"closes_at:</span> {(new_close + local).strftime(fmt)}" in html
    assert '<td class="nowrap">' in html


def test_the_date_cell_does_not_wrap(app):
    css = (Path(app.static_folder) / "css" / "app.css").read_text(encoding="utf-8")
    assert ".nowrap{white-space:nowrap}" in css


def test_labels_follow_the_interface_language_and_unknown_codes_show_as_they_are(
    client, login_as, session, now
):
    unit = make_unit(session, "Đoàn phường Long Xuyên", code="LX")
    kw = dict(actor=SYSTEM, object_type="x", object_id=1, unit_path=unit.path, now=now)
    record(session, action="unit.update", before={"name": "Cũ"}, after={"name": "Mới"}, **kw)
    record(session, action="mystery.code", summary="điều lạ", **kw)
    session.commit()
    login_as("organiser", unit=unit)
    html = client.get("/org/audit").get_data(as_text=True)
    assert "Sửa đơn vị" in html and "mystery.code" in html
    assert "name:</span> Cũ" in html and "name:</span> Mới" in html
    client.set_cookie("lang", "en")
    html = client.get("/org/audit").get_data(as_text=True)
    assert "Unit edited" in html and "mystery.code" in html


def test_filters_by_unit_person_action_and_dates_within_the_subtree(
    client, login_as, session, now, app
):
    ward = make_unit(session, "Đoàn phường Mỹ Bình", code="MB")
    school = make_unit(session, "Đoàn trường THPT Long Xuyên", parent=ward, code="MB-LX")
    other = make_unit(session, "Đoàn xã Mỹ Khánh", code="MK")
    alice = make_user(session, role="organiser", unit=ward, name="Nguyễn Thị Lan")
    bob = make_user(session, role="organiser", unit=school, name="Trần Văn Bình")
    stranger = make_user(session, role="organiser", unit=other, name="Lê Văn Xa")
    session.flush()

    def add(who, unit, action, days, summary):
        record(
            session,
            actor=actor_for(who),
            action=action,
            object_type="x",
            object_id=1,
            unit_path=unit.path,
            summary=summary,
            now=now - timedelta(days=days),
        )

    add(alice, ward, "unit.update", 10, "mục-A")
    add(bob, school, "member.create", 5, "mục-B")
    add(bob, school, "unit.update", 1, "mục-C")
    add(stranger, other, "unit.update", 1, "mục-X")
    session.commit()
    client.post(
        "/login", data={"identifier": alice.email or alice.phone, "password": "correct horse"}
    )

    def shown(query=""):
        html = client.get(f"/org/audit{query}").get_data(as_text=True)
        return {s for s in ("mục-A", "mục-B", "mục-C", "mục-X") if s in html}, html

    everything, html = shown()
    assert everything == {"mục-A", "mục-B", "mục-C"}  # never another subtree
    assert "Lê Văn Xa" not in html  # nor its people among the choices
    assert shown(f"?unit={school.id}")[0] == {"mục-B", "mục-C"}
    assert shown(f"?who={alice.id}")[0] == {"mục-A"}
    assert shown("?action=unit.update")[0] == {"mục-A", "mục-C"}
    day = lambda d: (now + timedelta(hours=7) - timedelta(days=d)).date().isoformat()  # noqa: E731
    assert shown(f"?since={day(6)}&until={day(2)}")[0] == {"mục-B"}
    assert shown(f"?since={day(1)}")[0] == {"mục-C"}
    # another subtree's unit: refused with a message, never shown; a bad date: named
    found, html = shown(f"?unit={other.id}")
    assert "mục-X" not in found and "Đơn vị: hãy chọn một đơn vị do bạn quản lý." in html
    found, html = shown("?since=31/02/2026")
    assert "Từ ngày: hãy nhập ngày theo dạng dd/mm/yyyy." in html and len(found) == 3
    # stranger's id as the person: nothing of theirs
    assert shown(f"?who={stranger.id}")[0] == set()


def test_the_filters_stay_on_every_page(client, session, now, app):
    app.config["PAGE_SIZE"] = 2
    unit = make_unit(session, "Đoàn phường Bình Khánh", code="BK")
    organiser = make_user(session, role="organiser", unit=unit)
    for i in range(5):
        record(
            session,
            actor=SYSTEM,
            action="unit.update" if i % 2 else "unit.move",
            object_type="x",
            object_id=i,
            unit_path=unit.path,
            summary=f"dòng-{i}",
            now=now - timedelta(minutes=i),
        )
    session.commit()
    client.post(
        "/login",
        data={"identifier": organiser.email or organiser.phone, "password": "correct horse"},
    )
    first = client.get("/org/audit?action=unit.move").get_data(as_text=True)
    assert "dòng-0" in first and "dòng-2" in first and "dòng-4" not in first
    assert "action=unit.move" in first and "page=2" in first
    second = client.get("/org/audit?action=unit.move&page=2").get_data(as_text=True)
    assert "dòng-4" in second and "dòng-1" not in second


def test_changing_a_rounds_prize_counts_records_before_and_after(session, now):
    from quizapp.contests import results as R

    province = make_unit(session, "Tỉnh Đoàn An Giang", code="AG")
    contest = make_contest(session, province, make_bank(session, province, now), now, count=3)
    rnd = contest.rounds[0]
    counts = {"first": 1, "second": 2, "third": 3, "consolation": 10}
    R.set_prize_counts(session, rnd.id, counts, actor=SYSTEM, now=now)
    entry = session.query(AuditEntry).filter_by(action="round.prizes").one()
    assert entry.before == {"consolation": 5} and entry.after == {"consolation": 10}
    assert entry.summary.endswith("Tuần thi thứ 1")
