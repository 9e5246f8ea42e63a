"""The question-bank XLSX export carries every type the XLSX import reads, names the
questions it cannot carry, and re-importing it into the same bank changes nothing."""

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from quizapp.banks import services
from quizapp.banks.core import (
    Category,
    Choice,
    Difficulty,
    MatchPair,
    NumericAnswer,
    ParsedBank,
    QType,
    Question,
    Source,
)
from quizapp.banks.models import BankCategory, BankQuestion, QuestionVersion
from quizapp.banks.parsers.xlsx import TYPE_NAMES, export_xlsx, parse_xlsx
from quizapp.policy import SYSTEM
from quizapp.timeutil import local_today
from tests.factories import make_unit
from tests.web.test_bank_pages import upload

D = Decimal
CATEGORIES = (
    # keys as a YAML file or an organiser would give them, not the ones XLSX generates
    Category("ch1", "Chương I"),
    Category("ch1-d2", "Điều 2", parent="ch1"),
)
CARRIED = (
    Question(
        QType.SINGLE,
        "Luật An ninh mạng 2025 có hiệu lực từ ngày nào?",
        key="hieu-luc",
        title="Hiệu lực",
        choices=(Choice("01/7/2026", D(100)), Choice("10/12/2025", D(0)), Choice("=1+1", D(0))),
        explanation="Điều 45.",
        difficulty=Difficulty.HARD,
        tags=("luật", "2025"),
        category="ch1-d2",
        source=Source(document="Luật An ninh mạng 2025", article="Điều 45", quote="…"),
    ),
    Question(
        QType.MULTI,
        "Những lực lượng nào bảo vệ an ninh mạng?",
        key="luc-luong",
        choices=(
            Choice("Bộ Công an", D(50)),
            Choice("Bộ Quốc phòng", D(50)),
            Choice("Bộ Y tế", D(-100)),
        ),
        category="ch1",
    ),
    Question(
        QType.TRUEFALSE,
        "<p>Đoàn được thành lập năm <b>1931</b>.</p>",
        key="thanh-lap",
        text_format="html",
        answer=True,
    ),
)
NOT_CARRIED = (
    Question(QType.SHORT, "Thủ đô của Việt Nam?", key="thu-do", short_answers=("Hà Nội",)),
    Question(
        QType.NUMERIC, "Năm thành lập Đoàn?", key="nam", numeric=(NumericAnswer(value=D(1931)),)
    ),
    Question(
        QType.MATCHING,
        "Ghép năm với sự kiện",
        key="ghep",
        pairs=(MatchPair("1931", "Thành lập Đoàn"), MatchPair("1945", "Cách mạng Tháng Tám")),
    ),
    Question(  # a type XLSX reads, but with per-option feedback it has no column for
        QType.SINGLE,
        "Câu có phản hồi từng phương án",
        key="phan-hoi",
        choices=(Choice("Đúng", D(100), feedback="Chính xác"), Choice("Sai", D(0))),
    ),
    Question(  # seven options: the layout has six
        QType.SINGLE,
        "Câu bảy phương án",
        key="bay",
        choices=tuple(Choice(str(i), D(100 if i == 0 else 0)) for i in range(7)),
    ),
)


@pytest.fixture()
def bank(session, now):
    unit = make_unit(session, "Tỉnh Đoàn", code="TD")
    b = services.create_bank(
        session, actor=SYSTEM, key="thu", title="Ngân hàng thử", owner_unit_id=unit.id, now=now
    )
    services.import_bank(
        session,
        ParsedBank(questions=CARRIED + NOT_CARRIED, categories=CATEGORIES),
        bank=b,
        actor=SYSTEM,
        now=now,
    )
    return b


def count(session, model):
    return session.scalar(select(func.count()).select_from(model))


def snapshot(session, bank):
    rows = session.scalars(select(BankQuestion).where(BankQuestion.bank_id == bank.id)).all()
    return {r.key: (r.current_version_id, r.category_id, r.current.content) for r in rows}


def test_every_type_the_import_reads_is_carried_and_the_rest_is_named(session, bank):
    assert {q.type for q in CARRIED} == set(TYPE_NAMES)  # every type parse_xlsx reads
    data, left_out = export_xlsx(services.export_bank(session, bank))
    assert [q.key for q in left_out] == [q.key for q in NOT_CARRIED]
    back = parse_xlsx(data)
    assert not [p for p in back.problems if p.severity == "error"]
    assert [(q.key, q.type) for q in back.questions] == [(q.key, q.type) for q in CARRIED]


def test_reimporting_the_export_changes_nothing(session, bank, now):
    before = snapshot(session, bank)
    versions, categories = count(session, QuestionVersion), count(session, BankCategory)
    data, _left_out = export_xlsx(services.export_bank(session, bank))
    parsed = parse_xlsx(data)
    plan = services.plan_bank_import(session, parsed, bank, today=local_today(now))
    assert (plan.created, plan.versioned, plan.moved) == ([], [], [])
    assert plan.unchanged == len(CARRIED)
    services.import_bank(session, parsed, bank=bank, actor=SYSTEM, now=now, filename="x.xlsx")
    assert count(session, QuestionVersion) == versions
    assert count(session, BankCategory) == categories
    assert snapshot(session, bank) == before  # same versions, categories and content


def test_export_page_refuses_with_the_list_then_exports_without_them(
    client, login_as, session, bank
):
    session.commit()
    login_as("organiser", bank.owner_unit)
    page = client.get(f"/org/banks/{bank.id}/export.xlsx")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    for q in NOT_CARRIED:
        assert f"<td>{q.key}</td>" in html
    assert "hieu-luc" not in html
    data = client.get(f"/org/banks/{bank.id}/export.xlsx?without=1").data
    assert [q.key for q in parse_xlsx(data).questions] == [q.key for q in CARRIED]
    # uploaded back through the import page: nothing to confirm, nothing written
    before, versions = snapshot(session, bank), count(session, QuestionVersion)
    preview = upload(client, bank, data, name="thu.xlsx").get_data(as_text=True)
    assert 'action="/org/banks/import/confirm"' not in preview
    assert f"Không thay đổi: {len(CARRIED)}" in preview and "Câu hỏi mới: 0" in preview
    session.expire_all()
    assert snapshot(session, bank) == before and count(session, QuestionVersion) == versions
