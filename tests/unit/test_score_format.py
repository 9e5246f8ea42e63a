"""The one score format: the locale's decimal mark, at most two decimals rounded half up."""

from decimal import Decimal as D

import pytest
from babel import Locale

from quizapp.i18n import format_score


@pytest.mark.parametrize(
    ("value", "vi", "en"),
    [
        (D("6.1666"), "6,17", "6.17"),
        (D("6.165"), "6,17", "6.17"),  # half up, as schools round (not half even)
        (D("6.164"), "6,16", "6.16"),
        (D("10.0000"), "10", "10"),  # no trailing zeros
        (D("0.5000"), "0,5", "0.5"),
        (D("0"), "0", "0"),
        (7.25, "7,25", "7.25"),  # a float (an average) too
        (3, "3", "3"),
        (D("1234.5"), "1.234,5", "1,234.5"),  # the locale's grouping
    ],
)
def test_score_in_each_locale(value, vi, en):
    assert format_score(value, "vi") == vi
    assert format_score(value, "en") == en


def test_default_locale_is_vietnamese_and_accepts_a_babel_locale():
    assert format_score(D("6.17")) == "6,17"
    assert format_score(D("6.17"), Locale.parse("en")) == "6.17"


def test_no_score_is_empty():
    assert format_score(None) == ""
