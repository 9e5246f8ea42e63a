"""Programme pages: the organiser builds and publishes a programme, a member studies it
without JavaScript (fails a check, retries, completes) and downloads the certificate, and
the organiser's progress, scoping and the follow-up export."""

import io
import subprocess
from datetime import timedelta, timezone

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from quizapp.contests.models import Attempt
from quizapp.programmes.models import Completion, Programme
from tests.contest_helpers import make_bank
from tests.factories import make_member, make_unit
from tests.services.test_programmes import make_programme


@pytest.fixture()
def world(session, now):
    province = make_unit(session, "Tỉnh Đoàn An Giang", code="AG")
    commune_a = make_unit(session, "Đoàn xã Mỹ Hòa Hưng", parent=province, code="AG-A")
    commune_b = make_unit(session, "Đoàn phường Long Xuyên", parent=province, code="AG-B")
    bank = make_bank(session, province, now)
    session.commit()
    return dict(province=province, a=commune_a, b=commune_b, bank=bank)


def answer_and_submit(client, session, attempt_id, *, right):
    attempt = session.get(Attempt, attempt_id)
    data = {"go": "review"}
    for aq in attempt.questions:
        data.setdefault("position", [])
        data["position"].append(str(aq.position))
        data[f"a{aq.position}"] = str(aq.option_order.index(0 if right else 1))
    assert client.post(f"/attempts/{attempt_id}", data=data).status_code == 302
    return client.post(f"/attempts/{attempt_id}/submit", data={})


def test_organiser_builds_and_publishes(client, login_as, world, session, now):
    login_as("organiser", world["province"])
    resp = client.post(
        "/org/programmes/new",
        data={
            "title": "Kỹ năng an toàn thông tin trên không gian mạng",
            "owner_unit_id": world["province"].id,
            "starts_on": f"{now.year}-01-01",
            "ends_on": f"{now.year}-12-31",
            "populations": ["member", "youth"],
            "order": "free",
            "renewal_months": "12",
            "certificate_title": "CHỨNG CHỈ",
        },
    )
    assert resp.status_code == 302
    programme = session.scalar(select(Programme))
    bad = client.post(
        f"/org/programmes/{programme.id}/lessons/new",
        data={
            "title": "Bài 1",
            "bank_id": world["bank"].id,
            "categories": ["c1"],
            "questions": "40",
            "pass_mark": "80",
            "time_limit": "10",
            "reading_minutes": "5",
        },
    )
    assert bad.status_code == 200 and "chỉ còn" in bad.get_data(as_text=True)
    for n, cat in ((1, "c1"), (2, "c2")):
        ok = client.post(
            f"/org/programmes/{programme.id}/lessons/new",
            data={
                "title": f"Bài {n}",
                "content": "### Mật khẩu\nDùng **mật khẩu mạnh**.",
                "bank_id": world["bank"].id,
                "categories": [cat],
                "questions": "3",
                "pass_mark": "80",
                "time_limit": "10",
                "reading_minutes": "5",
                "required": "y",
            },
        )
        assert ok.status_code == 302
    page = client.get(f"/org/programmes/{programme.id}").get_data(as_text=True)
    assert "Bài 1" in page and "Bài 2" in page and "12 tháng" in page
    resp = client.post(f"/org/programmes/{programme.id}/status", data={"status": "published"})
    assert resp.status_code == 302
    session.expire_all()
    assert session.get(Programme, programme.id).status == "published"
    listing = client.get("/org/programmes").get_data(as_text=True)
    assert "Kỹ năng an toàn thông tin" in listing and "Đã công bố" in listing


def test_member_studies_fails_once_completes_and_downloads(
    client, login_as, world, session, now, tmp_path
):
    programme = make_programme(session, world["province"], world["bank"], now)
    session.commit()
    user = login_as("member", world["a"])
    mine = client.get("/me/programmes").get_data(as_text=True)
    assert programme.title in mine and "Bài 1" in mine  # enrolled at login, next lesson shown
    first, second = programme.lessons
    locked = client.get(f"/programmes/{programme.id}/lessons/{second.id}").get_data(as_text=True)
    assert "Bắt đầu làm bài kiểm tra" not in locked
    page = client.get(f"/programmes/{programme.id}/lessons/{first.id}").get_data(as_text=True)
    assert "<strong>bài học</strong>" in page
    resp = client.post(f"/rounds/{first.round_id}/start", data={})
    attempt_id = int(resp.headers["Location"].rsplit("/", 1)[1])
    resp = answer_and_submit(client, session, attempt_id, right=False)
    result = client.get(f"/attempts/{attempt_id}/result")
    assert result.status_code == 302 and "/programmes/checks/" in result.headers["Location"]
    text = client.get(result.headers["Location"]).get_data(as_text=True)
    assert "Chưa đạt" in text and "đọc lại bài học" in text
    for lesson in (first, second):
        resp = client.post(f"/rounds/{lesson.round_id}/start", data={})
        attempt_id = int(resp.headers["Location"].rsplit("/", 1)[1])
        answer_and_submit(client, session, attempt_id, right=True)
    text = client.get(f"/programmes/checks/{attempt_id}").get_data(as_text=True)
    assert "Chúc mừng" in text
    completion = session.scalar(select(Completion).where(Completion.user_id == user.id))
    assert completion is not None and completion.certificate_id
    pdf = client.get(f"/certificates/{completion.certificate_id}.pdf")
    assert pdf.status_code == 200
    path = tmp_path / "c.pdf"
    path.write_bytes(pdf.data)
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True)
    assert "Đã hoàn thành chương trình học tập" in out.stdout and "CHỨNG CHỈ" in out.stdout


def test_progress_scoping_and_export(client, login_as, world, session, now):
    programme = make_programme(session, world["province"], world["bank"], now, lessons=1)
    for i in range(3):
        make_member(session, world["a"], phone=f"091800000{i}")
    make_member(session, world["b"], name="Người Xã Khác", phone="0918000009")
    from quizapp.orgs.models import Member
    from quizapp.programmes.study import enrol_member

    enrol_member(session, list(session.scalars(select(Member.id))), now)
    session.commit()
    login_as("organiser", world["a"])
    page = client.get(f"/org/programmes/{programme.id}/progress")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Người Xã Khác" not in text and "<svg" in text
    resp = client.get(f"/org/programmes/{programme.id}/progress/not-completed.xlsx")
    ws = load_workbook(io.BytesIO(resp.data)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:3] == ("Họ và tên", "Đơn vị", "Số điện thoại")
    assert len(rows) == 1 + 3 and all(r[1] == "Đoàn xã Mỹ Hòa Hưng" for r in rows[1:])
    assert {r[2] for r in rows[1:]} == {"0918000000", "0918000001", "0918000002"}
    # The commune's organiser cannot pick the other commune as scope.
    other = client.get(f"/org/programmes/{programme.id}/progress?unit={world['b'].id}")
    assert "Người Xã Khác" not in other.get_data(as_text=True)
    assert client.get(f"/org/programmes/{programme.id}/edit").status_code == 404


def test_members_cannot_reach_the_builder(client, login_as, world):
    login_as("member", world["a"])
    assert client.get("/org/programmes").status_code == 403


def test_draft_programmes_are_hidden(client, login_as, world, session, now):
    programme = make_programme(session, world["province"], world["bank"], now, publish=False)
    session.commit()
    login_as("member", world["a"])
    assert client.get(f"/programmes/{programme.id}").status_code == 404


def _pass_check(client, session, lesson):
    resp = client.post(f"/rounds/{lesson.round_id}/start", data={})
    assert resp.status_code == 302 and "/attempts/" in resp.headers["Location"], resp.headers
    attempt_id = int(resp.headers["Location"].rsplit("/", 1)[1])
    answer_and_submit(client, session, attempt_id, right=True)


def test_completed_programme_keeps_every_lesson_open_across_completion_and_renewal(
    client, login_as, world, session, now, clock
):
    """Issue 20: after completion lessons 2–4 showed "Chưa mở" and refused to open, because
    the lesson states counted only checks taken after the completion. Walked with the
    test clock: before completion, at completion, a month later, in the renewal window
    and after expiry."""
    programme = make_programme(
        session,
        world["province"],
        world["bank"],
        now,
        lessons=4,
        renewal_months=12,
        ends_on=(now + timedelta(days=800)).date(),
    )
    session.commit()
    login_as("member", world["a"])
    lessons = programme.lessons
    show = f"/programmes/{programme.id}"

    def lesson_page(lesson):
        return client.get(f"{show}/lessons/{lesson.id}").get_data(as_text=True)

    # Before completion: the sequential lock holds.
    assert "Chưa mở" in client.get(show).get_data(as_text=True)
    assert "<strong>bài học</strong>" not in lesson_page(lessons[1])
    for lesson in lessons:
        _pass_check(client, session, lesson)
        clock.advance(minutes=5)
    completion = session.scalar(select(Completion))
    assert completion is not None and completion.cycle == 1

    # Just after completion and a month later: every lesson open for reading, none locked.
    for _moment in range(2):
        page = client.get(show).get_data(as_text=True)
        assert "Chưa mở" not in page and "100%" in page
        assert page.count("✔ Đạt") == 4
        for lesson in lessons:
            text = lesson_page(lesson)
            assert "<strong>bài học</strong>" in text, lesson.title
            assert "Hãy đạt bài kiểm tra của bài học trước" not in text
            assert "Bạn đã hoàn thành chương trình này" in text
        # The lock: no new check while the completion is valid and renewal has not opened.
        refused = client.post(f"/rounds/{lessons[2].round_id}/start", data={})
        assert "/attempts/" not in refused.headers.get("Location", "")
        clock.advance(days=30)

    # In the renewal window: the checks go in order again, the lessons stay readable.
    clock.set(completion.expires_at - timedelta(days=10))
    page = client.get(show).get_data(as_text=True)
    assert "Đã hoàn thành" in page and "Chưa mở" not in page and "Mở để xem lại" in page
    text = lesson_page(lessons[2])
    assert "<strong>bài học</strong>" in text
    assert "Hãy đạt bài kiểm tra của bài học trước" in text
    refused = client.post(f"/rounds/{lessons[2].round_id}/start", data={})
    assert "/attempts/" not in refused.headers.get("Location", "")
    _pass_check(client, session, lessons[0])

    # After expiry: renewing (lesson 1 passed in the window) until the second cycle is done.
    clock.set(completion.expires_at + timedelta(days=1))
    page = client.get(show).get_data(as_text=True)
    assert '<span class="tag">Đang học</span>' in page and "Mở để xem lại" in page
    assert "<strong>bài học</strong>" in lesson_page(lessons[3])
    for lesson in lessons[1:]:
        _pass_check(client, session, lesson)
        clock.advance(minutes=5)
    session.expire_all()
    cycles = session.scalars(select(Completion.cycle).order_by(Completion.cycle)).all()
    assert cycles == [1, 2]
    page = client.get(show).get_data(as_text=True)
    assert "Chưa mở" not in page and page.count("✔ Đạt") == 4


def test_failed_check_marks_wrong_answers_without_the_key_while_a_retry_remains(
    client, login_as, world, session, now, clock
):
    """Issue 20: a failed check showed the whole answer key before a retry that can draw the
    same questions. It now marks each answer right or wrong; the key comes once no retry
    is left (here after the second and last attempt)."""
    programme = make_programme(session, world["province"], world["bank"], now, lessons=1)
    lesson = programme.lessons[0]
    lesson.max_attempts = 2
    session.commit()
    login_as("member", world["a"])

    def fail():
        resp = client.post(f"/rounds/{lesson.round_id}/start", data={})
        attempt_id = int(resp.headers["Location"].rsplit("/", 1)[1])
        answer_and_submit(client, session, attempt_id, right=False)
        attempt = session.get(Attempt, attempt_id)
        return attempt, client.get(f"/programmes/checks/{attempt_id}").get_data(as_text=True)

    attempt, text = fail()
    assert "Chưa đạt" in text and "lần làm lại có thể gặp lại các câu hỏi này" in text
    assert text.count("Chưa đúng") == attempt.question_count
    assert text.count("bạn đã chọn") == attempt.question_count
    assert "Đáp án đúng:" not in text
    for n in range(12):  # the right options ("Đúng n") are listed, none marked as right
        assert f"✔ Đúng {n}" not in text
    clock.advance(minutes=5)
    attempt, text = fail()  # the last attempt: nothing left to protect
    assert "lần làm lại" not in text and text.count("✔ Đúng") == attempt.question_count


def test_completion_certificate_prints_the_units_place_and_signatory_on_whole_lines(
    client, login_as, world, session, now, tmp_path
):
    """Issue 20: the completion certificate gave the union's name as the place, wrapped the
    year onto a line of its own and had no signatory's name. The programme gives none: the
    issuing unit's settings are printed."""
    from tests.web.test_certificates import pdf_lines

    province = world["province"]
    province.locality = "Long Xuyên"
    province.signatory_title = "TM. BAN THƯỜNG VỤ TỈNH ĐOÀN"
    province.signatory_name = "Lê Văn Phúc"
    programme = make_programme(
        session,
        province,
        world["bank"],
        now,
        lessons=1,
        title="Bồi dưỡng kỹ năng chuyển đổi số cho cán bộ Đoàn cơ sở năm 2026",
    )
    session.commit()
    login_as("member", world["a"])
    _pass_check(client, session, programme.lessons[0])
    completion = session.scalar(select(Completion))
    lines = pdf_lines(client.get(f"/certificates/{completion.certificate_id}.pdf").data, tmp_path)
    day = now.astimezone(timezone(timedelta(hours=7)))
    assert f"Long Xuyên, ngày {day.day:02d} tháng {day.month:02d} năm {day.year}" in lines, lines
    assert not any(line.startswith(province.name + ",") for line in lines)
    assert "Lê Văn Phúc" in lines and "TM. BAN THƯỜNG VỤ TỈNH ĐOÀN" in lines
    assert str(day.year) not in lines and "2026”" not in lines
    assert not any(line.strip("“”") in ("2026", "năm 2026") for line in lines), lines


def test_expiry_and_renewal_on_my_programmes_and_in_the_organisers_report(
    client, login_as, world, session, now, clock
):
    """Issue 21 point 8: a programme whose completion is valid for 12 months shows its
    expiry and offers renewal (the checks again) on the member's own list, and the
    organiser's report lists each member's validity and who is due to renew."""
    from quizapp.timeutil import format_date

    programme = make_programme(
        session,
        world["province"],
        world["bank"],
        now,
        lessons=1,
        renewal_months=12,
        ends_on=(now + timedelta(days=800)).date(),
    )
    session.commit()
    member = login_as("member", world["a"])
    _pass_check(client, session, programme.lessons[0])
    completion = session.scalar(select(Completion))
    expires = format_date(completion.expires_at)
    opens = format_date(completion.expires_at - timedelta(days=30))
    lesson = programme.lessons[0].title

    clock.set(completion.completed_at + timedelta(days=30))  # valid, renewal not open yet
    mine = client.get("/me/programmes").get_data(as_text=True)
    assert f"có giá trị đến ngày {expires}; mở gia hạn từ ngày {opens}." in mine
    assert f"Gia hạn: {lesson}" not in mine

    clock.set(completion.expires_at - timedelta(days=10))  # in the renewal window
    mine = client.get("/me/programmes").get_data(as_text=True)
    assert f"có giá trị đến ngày {expires}: đã mở gia hạn." in mine
    assert f"Gia hạn: {lesson}" in mine

    clock.set(completion.expires_at + timedelta(days=1))  # expired: renewal is due
    mine = client.get("/me/programmes").get_data(as_text=True)
    assert f"đã hết hạn ngày {expires}: hãy làm lại các bài kiểm tra để gia hạn." in mine
    assert f"Gia hạn: {lesson}" in mine

    client.post("/logout")
    login_as("organiser", world["province"])
    report = client.get(f"/org/programmes/{programme.id}/progress").get_data(as_text=True)
    assert '<th scope="col">Có giá trị đến</th>' in report
    row = report[report.index(member.member.full_name) :]
    assert f"<td>{expires} (đã hết hạn: cần gia hạn)</td>" in row[: row.index("</tr>")]
