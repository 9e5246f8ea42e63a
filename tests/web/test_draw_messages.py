"""A draw the bank cannot supply is explained in the interface's language, item included."""

import pytest
from flask_babel import force_locale

from quizapp.errors import Invalid
from quizapp.web import t
from tests.contest_helpers import make_bank, make_contest
from tests.factories import make_unit


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("vi", "“1. toàn bộ ngân hàng câu hỏi / Khó” cần 50 câu hỏi"),
        ("en", "“1. whole bank / Hard” needs 50 questions"),
    ],
)
def test_the_draw_item_is_named_in_the_interface_language(app, session, now, locale, expected):
    province = make_unit(session, "Tỉnh Đoàn", code="TD")
    bank = make_bank(session, province, now)
    with pytest.raises(Invalid) as refused:
        make_contest(
            session,
            province,
            bank,
            now,
            blueprint=({"count": 50, "category": None, "difficulty": "hard"},),
        )
    exc = refused.value
    with app.test_request_context(), force_locale(locale):
        assert expected in t(exc.field_errors["blueprint"][0], exc.params)
