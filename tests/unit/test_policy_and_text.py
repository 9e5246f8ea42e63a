"""Pure helpers: policy, text folding, phones, dates."""

from datetime import date

import pytest

from quizapp.policy import Actor, can_manage, can_manage_strictly_below
from quizapp.textutil import fold, normalise_phone
from quizapp.timeutil import age_on, format_datetime, parse_date, utc


def test_organiser_manages_own_subtree_only():
    a = Actor(user_id=1, managed_paths=("/1/5/",))
    assert can_manage(a, "/1/5/") and can_manage(a, "/1/5/9/")
    assert not can_manage(a, "/1/6/") and not can_manage(a, "/1/")
    assert not can_manage(a, "/1/50/")  # a prefix of digits is not a subtree
    assert not can_manage_strictly_below(a, "/1/5/") and can_manage_strictly_below(a, "/1/5/9/")
    assert can_manage(Actor(user_id=2, is_admin=True), "/3/")
    assert not can_manage(Actor(user_id=3), "/1/")


def test_fold_strips_vietnamese_diacritics():
    assert fold("  Đoàn  phường LONG Xuyên ") == "doan phuong long xuyen"
    assert fold("An ninh mạng") == "an ninh mang"


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("0912 345 678", "0912345678"),
        ("+84912345678", "0912345678"),
        ("84912345678", "0912345678"),
        ("912345678", "0912345678"),
        ("0912.345.678", "0912345678"),
        ("12345", None),
        ("abc", None),
        ("", None),
    ],
)
def test_phone_normalisation(raw, expected):
    assert normalise_phone(raw) == expected


def test_dates_vietnamese_order_and_timezone():
    assert parse_date("05/09/2008") == date(2008, 9, 5)
    assert parse_date("2008-09-05") == date(2008, 9, 5)
    assert parse_date("") is None
    with pytest.raises(ValueError):
        parse_date("31/02/2020")
    with pytest.raises(ValueError):
        parse_date("hôm qua")
    # 17:30 UTC is 00:30 the next day in Vietnam
    assert format_datetime(utc(2026, 7, 1, 17, 30)) == "02/07/2026 00:30"
    assert age_on(date(2010, 11, 21), date(2026, 11, 20)) == 15
    assert age_on(date(2010, 11, 20), date(2026, 11, 20)) == 16
