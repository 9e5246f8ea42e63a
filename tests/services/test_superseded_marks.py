"""Questions resting on a replaced law, found at import from their text, answers and
category, are marked on the version stored; the bank's list shows the mark and the contest
page warns about the versions frozen in the round that its blueprint can draw, naming the
law in words."""

from datetime import timedelta

from sqlalchemy import select

from quizapp.banks import questions, services
from quizapp.banks.models import BankCategory, BankQuestion
from quizapp.banks.parsers.gift import parse_gift
from quizapp.contests import services as contest_services
from quizapp.policy import SYSTEM
from quizapp.timeutil import local_today
from tests.contest_helpers import make_contest
from tests.factories import make_unit

LANM_2018 = "Luật An ninh mạng 2018 (24/2018/QH14)"
ND_13 = "Nghị định 13/2023/NĐ-CP"

GIFT = """$CATEGORY: Luật An ninh mạng 24/2018/QH14

::A:: Theo Luật An ninh mạng năm 2018, lực lượng chuyên trách được bố trí ở đâu? {
=Bộ Công an, Bộ Quốc phòng
~Bộ Thông tin và Truyền thông
}

::C:: Luật An ninh mạng 2025 thay thế Luật An ninh mạng 2018 từ ngày nào? {
=01/7/2026
~01/01/2026
}

$CATEGORY: Dữ liệu cá nhân

::D:: Nghị định số 13/2023/NĐ-CP quy định thời hạn thông báo vi phạm dữ liệu là bao lâu? {
=72 giờ
~24 giờ
}

::F:: Dữ liệu cá nhân nhạy cảm gồm những gì? {
=Dữ liệu về sức khỏe
~Họ và tên
}
"""


def _import(session, bank, text, now):
    services.import_bank(session, parse_gift(text), bank=bank, actor=SYSTEM, now=now)
    session.flush()
    rows = session.scalars(select(BankQuestion).where(BankQuestion.bank_id == bank.id))
    return {r.key.upper(): r for r in rows}


def test_marked_at_import_listed_and_warned_from_the_frozen_drawable_versions(
    session, clock, client, login_as
):
    clock.set(clock.now().replace(year=2026, month=9, day=1))  # both laws replaced by then
    now = clock.now()
    unit = make_unit(session, "Tỉnh Đoàn", code="TD")
    bank = services.create_bank(
        session, actor=SYSTEM, key="cu", title="Ngân hàng cũ", owner_unit_id=unit.id, now=now
    )
    rows = _import(session, bank, GIFT, now)
    marks = {k: r.current.superseded for k, r in rows.items()}
    # A: its text and category; C: about the 2025 law itself; D: its text; F: nothing
    assert marks == {"A": LANM_2018, "C": "", "D": ND_13, "F": ""}

    # the bank's list: the filter, the count and the mark in words
    today = local_today(now)
    only = questions.QuestionFilter(superseded_only=True)
    found = session.scalars(questions.questions_query(session, bank, only, today=today))
    assert sorted(r.key.upper() for r in found) == ["A", "D"]
    assert questions.bank_stats(session, bank, today)["superseded"] == 2
    session.commit()
    login_as("organiser", unit=unit)
    html = client.get(f"/org/banks/{bank.id}").get_data(as_text=True)
    assert f"dựa trên {LANM_2018}, đã được thay thế bằng Luật An ninh mạng 2025" in html

    # a round drawing only from "Dữ liệu cá nhân": D is named with its law, A is not
    personal = session.scalar(
        select(BankCategory).where(
            BankCategory.bank_id == bank.id, BankCategory.title == "Dữ liệu cá nhân"
        )
    )
    contest = make_contest(
        session,
        unit,
        bank,
        now,
        count=2,
        blueprint=({"count": 2, "category": personal.key, "difficulty": None},),
    )
    rnd = contest.rounds[0]
    assert contest_services.superseded_in_round(session, rnd, now) == [(ND_13, [rows["D"].key])]
    html = client.get(f"/org/contests/{contest.id}").get_data(as_text=True)
    assert f"{ND_13}: {rows['D'].key}" in html and LANM_2018 not in html

    # D rewritten on the 2025 law after the round was frozen: the round still serves the
    # frozen version, so the warning stays until the round is saved again
    rewritten = GIFT.replace(
        "Nghị định số 13/2023/NĐ-CP quy định", "Luật Bảo vệ dữ liệu cá nhân 91/2025 quy định"
    )
    rows = _import(session, bank, rewritten, now + timedelta(minutes=1))
    assert rows["D"].current.superseded == "" and rows["D"].current.number == 2
    assert contest_services.superseded_in_round(session, rnd, now) == [(ND_13, [rows["D"].key])]
