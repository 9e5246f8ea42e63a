"""Bank services on a real database: idempotent import, versions, retire, search, export."""

from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import func, select

from quizapp.banks import questions, services
from quizapp.banks.core import Choice, QType, Question
from quizapp.banks.models import BankQuestion, QuestionVersion
from quizapp.banks.parsers.gift import parse_gift
from quizapp.banks.parsers.native import dump_native, load_native
from quizapp.banks.serial import from_dict
from quizapp.errors import Invalid, NotFound
from quizapp.policy import SYSTEM, Actor
from quizapp.timeutil import local_today
from tests.factories import make_unit

GIFT = """
$CATEGORY: Luật An ninh mạng/Chương I

::Q1:: Luật An ninh mạng 2025 có hiệu lực từ ngày nào? {
=01/7/2026
~10/12/2025
~01/01/2026
}

::Q2:: Lực lượng chuyên trách bảo vệ an ninh mạng được bố trí tại Bộ Công an và Bộ Quốc phòng. {T}
"""


@pytest.fixture()
def unit(session):
    return make_unit(session, "Tỉnh Đoàn", code="TD")


@pytest.fixture()
def bank(session, unit, now):
    return services.create_bank(
        session, actor=SYSTEM, key="thu", title="Ngân hàng thử", owner_unit_id=unit.id, now=now
    )


def count(session, model):
    return session.scalar(select(func.count()).select_from(model))


def test_gift_import_is_idempotent_and_edits_become_versions(session, bank, now):
    parsed = parse_gift(GIFT)
    assert parsed.ok
    first = services.import_bank(session, parsed, bank=bank, actor=SYSTEM, now=now)
    assert sorted(first.created) == ["q1", "q2"]
    again = services.import_bank(session, parse_gift(GIFT), bank=bank, actor=SYSTEM, now=now)
    assert (again.created, again.versioned, again.unchanged) == ([], [], 2)
    assert count(session, QuestionVersion) == 2
    changed = parse_gift(GIFT.replace("~01/01/2026", "~01/01/2019"))
    third = services.import_bank(session, changed, bank=bank, actor=SYSTEM, now=now)
    assert third.versioned == ["q1"] and third.unchanged == 1
    q1 = session.scalar(select(BankQuestion).where(BankQuestion.key == "q1"))
    assert q1.current.number == 2 and q1.category.title == "Chương I"


def test_attempts_keep_the_version_they_were_served(session, bank, now):
    services.import_bank(session, parse_gift(GIFT), bank=bank, actor=SYSTEM, now=now)
    row = session.scalar(select(BankQuestion).where(BankQuestion.key == "q1"))
    served = row.current_version_id  # what an attempt stores
    old = from_dict(row.current.content)
    new = replace(old, choices=(Choice("01/7/2026", 100), Choice("15/8/2026", 0)))
    v2 = questions.edit_question(session, row.id, new, actor=SYSTEM, now=now)
    assert v2.number == 2 and row.current_version_id == v2.id
    assert questions.served_version(session, served) == replace(old, key="q1")
    questions.set_retired(session, [row.id], True, actor=SYSTEM, now=now)
    assert questions.served_version(session, served).choices[1].text == "10/12/2025"
    assert questions.edit_question(session, row.id, new, actor=SYSTEM, now=now) is None


def test_inconsistent_key_is_refused(session, bank, now):
    services.import_bank(session, parse_gift(GIFT), bank=bank, actor=SYSTEM, now=now)
    row = session.scalar(select(BankQuestion).where(BankQuestion.key == "q1"))
    bad = Question(type=QType.SINGLE, text="?", choices=(Choice("a", 0), Choice("b", 0)))
    with pytest.raises(questions.QuestionInvalid) as exc:
        questions.edit_question(session, row.id, bad, actor=SYSTEM, now=now)
    assert exc.value.problems


def test_file_with_errors_writes_nothing(session, bank, now):
    broken = GIFT + "\n::Q3:: Câu lỗi {=a ~b\n"
    parsed = parse_gift(broken)
    assert not parsed.ok
    with pytest.raises(Invalid):
        services.import_bank(session, parsed, bank=bank, actor=SYSTEM, now=now)
    assert count(session, BankQuestion) == 0


def test_search_ignores_diacritics_and_filters(session, bank, now):
    services.import_bank(session, parse_gift(GIFT), bank=bank, actor=SYSTEM, now=now)
    today = local_today(now)
    found = session.scalars(
        questions.questions_query(
            session, bank, questions.QuestionFilter(text="an ninh mang hieu luc"), today=today
        )
    ).all()
    assert [r.key for r in found] == ["q1"]
    tf = session.scalars(
        questions.questions_query(
            session, bank, questions.QuestionFilter(type="truefalse"), today=today
        )
    ).all()
    assert [r.key for r in tf] == ["q2"]
    questions.tag_questions(session, [tf[0].id], "Lực lượng", actor=SYSTEM, now=now)
    tagged = session.scalars(
        questions.questions_query(
            session, bank, questions.QuestionFilter(tag="luc luong"), today=today
        )
    ).all()
    assert [r.key for r in tagged] == ["q2"]


def test_superseded_documents_are_listed(session, unit, now):
    text = Path("tests/data/banks/sample.yaml").read_text(encoding="utf-8")
    parsed = load_native(text)
    assert parsed.ok
    result = services.import_bank(session, parsed, owner_unit_id=unit.id, actor=SYSTEM, now=now)
    bank = result.bank
    old = {d.key for d in parsed.documents if d.superseded_on and d.superseded_on <= now.date()}
    stats = questions.bank_stats(session, bank, local_today(now))
    expected = sum(1 for q in parsed.questions if q.source and q.source.document in old)
    assert stats["superseded"] == expected
    rows = session.scalars(
        questions.questions_query(
            session, bank, questions.QuestionFilter(superseded_only=True), today=local_today(now)
        )
    ).all()
    assert len(rows) == expected


def test_native_roundtrip_through_the_database(session, unit, now):
    text = Path("question_banks/quy-tac-ung-xu-mang-xa-hoi.yaml").read_text(encoding="utf-8")
    parsed = load_native(text)
    result = services.import_bank(session, parsed, owner_unit_id=unit.id, actor=SYSTEM, now=now)
    exported = services.export_bank(session, result.bank)
    assert dump_native(exported) == dump_native(parsed)


def test_organisers_outside_the_owner_cannot_change_or_see_private_banks(session, unit, bank, now):
    other = make_unit(session, "Tỉnh khác", code="TK")
    below = make_unit(session, "Chi đoàn", parent=unit, code="TD-1")
    outsider = Actor(user_id=None, managed_paths=(other.path,))
    inside = Actor(user_id=None, managed_paths=(below.path,))
    with pytest.raises(NotFound):
        services.get_bank(session, bank.id, outsider)
    assert services.get_bank(session, bank.id, inside) is bank  # shared with the subtree
    with pytest.raises(NotFound):
        services.get_bank(session, bank.id, inside, manage=True)
    bank.shared = False
    assert not services.can_use_bank(inside, bank)
