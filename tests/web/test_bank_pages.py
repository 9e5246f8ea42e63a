"""Bank pages: GIFT import with an error line, preview, confirm, edit with versions, safety."""
# ruff: noqa: E501  (GIFT samples keep their real, long lines)

import io

import pytest
from sqlalchemy import select

from quizapp.banks import services
from quizapp.banks.models import BankQuestion
from quizapp.policy import SYSTEM
from tests.factories import make_unit

GOOD = """::Q1:: Luật An ninh mạng 2025 có hiệu lực từ ngày nào? {
=01/7/2026
~10/12/2025
~01/01/2026
}

::Q2:: [html]<p>Đoàn TNCS Hồ Chí Minh được thành lập năm 1931.</p><script>alert(1)</script><img src=x onerror=alert(2)> {T}
"""
BROKEN = GOOD + "\n::Q3:: Câu thiếu dấu đóng ngoặc {=a ~b\n"


@pytest.fixture()
def bank(session, now):
    province = make_unit(session, "Tỉnh Đoàn", code="TD")
    b = services.create_bank(
        session, actor=SYSTEM, key="thu", title="Ngân hàng thử", owner_unit_id=province.id, now=now
    )
    session.commit()
    return b


def upload(client, bank, text, name="cau-hoi.gift"):
    return client.post(
        "/org/banks/import",
        data={
            "file": (io.BytesIO(text.encode() if isinstance(text, str) else text), name),
            "format": "auto",
            "bank_id": str(bank.id),
            "owner_unit_id": str(bank.owner_unit_id),
        },
        content_type="multipart/form-data",
    )


def token_of(html):
    return html.split('name="token" type="hidden" value="')[1].split('"')[0]


def test_gift_import_shows_error_line_then_imports(client, login_as, bank, session):
    login_as("organiser", bank.owner_unit)
    page = upload(client, bank, BROKEN).get_data(as_text=True)
    assert "Lỗi: " in page or "Errors" in page
    assert "<td>9</td><td>Q3</td>" in page  # the line and title of the unclosed question
    assert 'action="/org/banks/import/confirm"' not in page
    page = upload(client, bank, GOOD).get_data(as_text=True)
    resp = client.post("/org/banks/import/confirm", data={"token": token_of(page)})
    assert resp.status_code == 302
    keys = set(session.scalars(select(BankQuestion.key).where(BankQuestion.bank_id == bank.id)))
    assert keys == {"q1", "q2"}
    again = upload(client, bank, GOOD).get_data(as_text=True)
    assert 'action="/org/banks/import/confirm"' not in again  # nothing new


def test_html_is_sanitised_on_every_page(client, login_as, bank, session):
    login_as("organiser", bank.owner_unit)
    client.post(
        "/org/banks/import/confirm",
        data={"token": token_of(upload(client, bank, GOOD).get_data(as_text=True))},
    )
    q2 = session.scalar(select(BankQuestion).where(BankQuestion.key == "q2"))
    for path in (f"/org/banks/{bank.id}", f"/org/banks/{bank.id}/questions/{q2.id}"):
        html = client.get(path).get_data(as_text=True)
        assert "<script>alert" not in html and "onerror" not in html, path
        assert "thành lập năm 1931" in html


def test_edit_creates_version_and_preview_renders(client, login_as, bank, session):
    login_as("organiser", bank.owner_unit)
    client.post(
        "/org/banks/import/confirm",
        data={"token": token_of(upload(client, bank, GOOD).get_data(as_text=True))},
    )
    q1 = session.scalar(select(BankQuestion).where(BankQuestion.key == "q1"))
    form = {
        "type": "single",
        "text": "Luật An ninh mạng 2025 có hiệu lực từ ngày nào?",
        "text_format": "plain",
        "difficulty": "easy",
        "mark": "1",
        "option_text": ["01/7/2026", "10/12/2025", "01/01/2027", ""],
        "option_weight": [],
        "option_feedback": ["", "Ngày thông qua", "", ""],
        "correct": "0",
        "category_id": "0",
        "tags": "hiệu lực",
    }
    preview = client.post(f"/org/banks/{bank.id}/preview", data=form).get_data(as_text=True)
    assert "01/01/2027" in preview and 'type="radio"' in preview
    resp = client.post(f"/org/banks/{bank.id}/questions/{q1.id}", data=form)
    assert resp.status_code == 302
    session.expire_all()
    q1 = session.get(BankQuestion, q1.id)
    assert q1.current.number == 2 and q1.difficulty == "easy"
    history = client.get(f"/org/banks/{bank.id}/questions/{q1.id}/history").get_data(as_text=True)
    assert "Phiên bản 2" in history and "01/01/2027" in history
    bad = client.post(f"/org/banks/{bank.id}/questions/{q1.id}", data={**form, "correct": ""})
    assert bad.status_code == 200 and "flash-error" in bad.get_data(as_text=True)


def test_search_without_diacritics(client, login_as, bank):
    login_as("organiser", bank.owner_unit)
    client.post(
        "/org/banks/import/confirm",
        data={"token": token_of(upload(client, bank, GOOD).get_data(as_text=True))},
    )
    html = client.get(f"/org/banks/{bank.id}?q=hieu+luc").get_data(as_text=True)
    assert "có hiệu lực từ ngày nào" in html and "thành lập năm 1931" not in html


def test_bank_pages_access(client, login_as, bank, session):
    other = make_unit(session, "Tỉnh khác", code="TK")
    session.commit()
    login_as("organiser", other)
    assert client.get(f"/org/banks/{bank.id}").status_code == 404
    assert client.get(f"/org/banks/{bank.id}/export.gift").status_code == 404
    assert "Ngân hàng thử" not in client.get("/org/banks").get_data(as_text=True)


def test_member_cannot_open_banks(client, login_as, bank):
    login_as("member", bank.owner_unit)
    assert client.get("/org/banks").status_code == 403


def test_exports(client, login_as, bank):
    login_as("organiser", bank.owner_unit)
    client.post(
        "/org/banks/import/confirm",
        data={"token": token_of(upload(client, bank, GOOD).get_data(as_text=True))},
    )
    gift = client.get(f"/org/banks/{bank.id}/export.gift").get_data(as_text=True)
    assert "::Q1::" in gift and "=01/7/2026" in gift
    assert client.get(f"/org/banks/{bank.id}/export.xlsx").data[:2] == b"PK"
    assert "format: quizapp-bank/1" in client.get(f"/org/banks/{bank.id}/export.yaml").get_data(
        as_text=True
    )


def test_a_shipped_bank_pages_through_its_questions(client, login_as, session, now):
    from pathlib import Path

    from quizapp.banks.parsers.native import load_native

    unit = make_unit(session, "Tỉnh Đoàn", code="AG")
    parsed = load_native(Path("question_banks/luat-an-ninh-mang-2025.yaml").read_text("utf-8"))
    result = services.import_bank(session, parsed, owner_unit_id=unit.id, actor=SYSTEM, now=now)
    session.commit()
    login_as("organiser", unit)
    first = client.get(f"/org/banks/{result.bank.id}")
    assert first.status_code == 200 and "?page=2" in first.get_data(as_text=True)
    last = client.get(f"/org/banks/{result.bank.id}?page=4").get_data(as_text=True)
    assert "anm25-dm-034" in last


def test_organiser_changes_verification_with_a_note_and_it_is_audited(
    client, login_as, bank, session
):
    from quizapp.audit.models import AuditEntry

    login_as("organiser", bank.owner_unit)
    client.post(
        "/org/banks/import/confirm",
        data={"token": token_of(upload(client, bank, GOOD).get_data(as_text=True))},
    )
    q1 = session.scalar(select(BankQuestion).where(BankQuestion.key == "q1"))
    assert q1.current.verified == "unverified"  # a GIFT import says nothing about it
    page = client.get(f"/org/banks/{bank.id}/questions/{q1.id}").get_data(as_text=True)
    assert 'name="verified"' in page and "Chưa xác minh" in page
    form = {
        "type": "single",
        "text": "Luật An ninh mạng 2025 có hiệu lực từ ngày nào?",
        "text_format": "plain",
        "difficulty": "medium",
        "mark": "1",
        "option_text": ["01/7/2026", "10/12/2025", "01/01/2026"],
        "correct": "0",
        "category_id": "0",
        "verified": "text",
    }
    no_note = client.post(f"/org/banks/{bank.id}/questions/{q1.id}", data=form)
    assert no_note.status_code == 200
    note = '"Luật này có hiệu lực thi hành từ ngày 01 tháng 7 năm 2026" (Điều 46)'
    resp = client.post(
        f"/org/banks/{bank.id}/questions/{q1.id}", data={**form, "verified_note": note}
    )
    assert resp.status_code == 302
    session.expire_all()
    q1 = session.get(BankQuestion, q1.id)
    assert (q1.current.verified, q1.current.verified_note, q1.current.number) == ("text", note, 2)
    entry = session.scalar(
        select(AuditEntry)
        .where(AuditEntry.action == "question.edit", AuditEntry.object_id == str(q1.id))
        .order_by(AuditEntry.id.desc())
    )
    assert entry.before["verified"] == "unverified"
    assert entry.after["verified"] == "text" and entry.after["verified_note"] == note
    listing = client.get(f"/org/banks/{bank.id}").get_data(as_text=True)
    assert "Đã xác minh" in listing


def test_a_question_on_the_2018_law_is_listed_in_the_preview(client, login_as, bank, session):
    """Issue 21: found from the question's text (no source field in GIFT), listed as a
    warning; the file can still be imported."""
    login_as("organiser", bank.owner_unit)
    gift = GOOD + "\n::Q3:: Theo Luật An ninh mạng năm 2018, ai quản lý nhà nước về an ninh mạng? {=Chính phủ ~Quốc hội}\n"
    page = upload(client, bank, gift).get_data(as_text=True)
    assert "Luật An ninh mạng 2018 (24/2018/QH14)" in page
    assert "Luật An ninh mạng 2025 (116/2025/QH15)" in page and "01/07/2026" in page
    row = page[page.index("Luật An ninh mạng 2018 (24/2018/QH14)") - 400 :]
    assert "Q3" in row and "Cảnh báo" in row
    assert 'action="/org/banks/import/confirm"' in page  # a warning does not block


def test_question_types_are_named_in_vietnamese(client, login_as, bank, session):
    login_as("organiser", bank.owner_unit)
    page = upload(client, bank, GOOD).get_data(as_text=True)
    client.post("/org/banks/import/confirm", data={"token": token_of(page)})
    listing = client.get(f"/org/banks/{bank.id}").get_data(as_text=True)
    assert "Một đáp án đúng" in listing and "Đúng hoặc sai" in listing
    assert "One correct answer" not in listing and "True or false" not in listing
