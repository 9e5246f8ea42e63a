"""Questions resting on a replaced text, found from their text, answers, category and source."""
# ruff: noqa: E501  (GIFT samples keep their real, long lines)

from datetime import date

from quizapp.banks.parsers.gift import parse_gift
from quizapp.banks.superseded import find_superseded

GIFT = """$CATEGORY: Luật An ninh mạng 24/2018/QH14

::A:: Theo Luật An ninh mạng năm 2018, lực lượng chuyên trách bảo vệ an ninh mạng được bố trí ở đâu? {
=Bộ Công an, Bộ Quốc phòng
~Bộ Thông tin và Truyền thông
}

::B:: Cơ quan nào quản lý nhà nước về an ninh mạng? {
=Chính phủ
~Quốc hội
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

::E:: Văn bản nào quy định về an toàn thông tin? {
=Luật An toàn thông tin mạng
~Luật Báo chí
}
"""


def test_found_from_the_text_the_category_and_the_answers():
    problems = find_superseded(parse_gift(GIFT), date(2026, 12, 4))
    found = {p.question: p.params["title"] for p in problems}
    assert all(p.severity == "warning" for p in problems)
    assert sorted(found.values()) == [
        "Luật An ninh mạng 2018 (24/2018/QH14)",  # A: its text
        "Luật An ninh mạng 2018 (24/2018/QH14)",  # B: its category only
        "Luật An toàn thông tin mạng 2015 (86/2015/QH13)",  # E: an answer
        "Nghị định 13/2023/NĐ-CP",  # D
    ]
    # C names the replacing law: it is about the replacement, not resting on the old text.
    assert not any("thay thế" in (p.question or "") for p in problems)


def test_nothing_before_the_replacement_took_effect():
    between = find_superseded(parse_gift(GIFT), date(2026, 3, 1))
    assert [p.params["title"] for p in between] == ["Nghị định 13/2023/NĐ-CP"]  # from 1/1/2026
    assert find_superseded(parse_gift(GIFT), date(2025, 12, 31)) == []
