"""What public pages show of a person: masked Vietnamese names and no minor's full name or
year of birth (quizapp/privacy.py)."""

import unicodedata
from datetime import date

import pytest

from quizapp.privacy import is_minor, mask_name, public_birth_year, public_name


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("Nguyễn Văn An", "Nguyễn V. A."),
        ("Nguyễn Thị Hồng Nhung", "Nguyễn T. H. N."),
        ("Đặng Hữu Phước", "Đặng H. P."),
        ("Ông Ích Khiêm", "Ông Í. K."),  # diacritics kept on the initials
        ("Lê Ánh", "Lê Á."),
        ("Ánh", "Á."),  # a single name
        ("  Trần   Quốc  Ưng ", "Trần Q. Ư."),
        ("Tôn Nữ Thị Ninh", "Tôn Nữ T. N."),  # compound family names stay whole
        ("Tôn Thất Thuyết", "Tôn Thất T."),
        ("Âu Dương Phong", "Âu Dương P."),
        ("Nguyễn Phúc Vĩnh Lộc", "Nguyễn Phúc V. L."),
        ("Tôn Nữ", "Tôn N."),  # two words: a family name and a given name
        ("", ""),
    ],
)
def test_mask_name(name, masked):
    assert mask_name(name) == masked
    assert mask_name(masked) == masked  # masking twice changes nothing


def test_mask_name_of_decomposed_text_keeps_the_accented_initial():
    decomposed = unicodedata.normalize("NFD", "Nguyễn Ánh Ơn")
    assert mask_name(decomposed) == "Nguyễn Á. Ơ."


def test_minors_on_the_ranking_date():
    on = date(2026, 12, 20)
    assert is_minor(date(2008, 12, 21), on)  # 18 tomorrow
    assert not is_minor(date(2008, 12, 20), on)  # 18 today
    assert is_minor(None, on)  # unknown: treated as a minor


def test_public_name_never_shows_a_minor_in_full():
    on = date(2026, 12, 20)
    adult, minor = date(1990, 5, 1), date(2010, 5, 1)
    assert public_name("Nguyễn Văn An", adult, full_names=True, on=on) == "Nguyễn Văn An"
    assert public_name("Nguyễn Văn An", minor, full_names=True, on=on) == "Nguyễn V. A."
    assert public_name("Nguyễn Văn An", None, full_names=True, on=on) == "Nguyễn V. A."
    assert public_name("Nguyễn Văn An", adult, full_names=False, on=on) == "Nguyễn V. A."


def test_birth_year_shown_only_when_surely_an_adult():
    today = date(2026, 12, 4)
    assert public_birth_year(2007, today) == 2007  # 19 this year: 18 at least
    assert public_birth_year(2008, today) is None  # 18 this year: maybe still 17
    assert public_birth_year(2012, today) is None
    assert public_birth_year(None, today) is None


def test_published_prize_lists_of_before_keep_no_date_of_birth_and_are_masked():
    from quizapp.privacy import public_prizes

    entries = [
        {"name": "Lê Văn Tám", "birth_date": "1990-01-01", "why": ""},
        {"name": "Trần Thị Bé", "why": "Lê Văn Tám trước Trần Thị Bé: nộp bài sớm hơn"},
    ]  # the second as lists were published before the date of birth was kept
    shown = public_prizes(entries, full_names=True, on=date(2026, 12, 20))
    assert [e["name"] for e in shown] == ["Lê Văn Tám", "Trần T. B."]
    assert shown[1]["why"] == "Lê Văn Tám trước Trần T. B.: nộp bài sớm hơn"
    assert entries[1]["name"] == "Trần Thị Bé"  # copies: the published list is untouched


def test_published_explanations_kept_as_messages_name_the_public_names():
    from quizapp.i18n import Message, from_data, in_vietnamese, to_data
    from quizapp.privacy import public_prizes

    why = Message(
        "%(first)s before %(second)s: %(decided)s",
        first="Lê Văn Tám",
        second="Trần Thị Bé",
        decided=Message("submitted earlier"),
    )
    entries = [
        {"name": "Lê Văn Tám", "birth_date": "1990-01-01", "reason": None},
        {"name": "Trần Thị Bé", "birth_date": "2012-05-01", "reason": to_data(why)},
    ]
    shown = public_prizes(entries, full_names=True, on=date(2026, 12, 20))
    assert [e["name"] for e in shown] == ["Lê Văn Tám", "Trần T. B."]
    assert (
        in_vietnamese(from_data(shown[1]["reason"]))
        == "Lê Văn Tám trước Trần T. B.: nộp bài sớm hơn"
    )
    assert entries[1]["reason"]["params"]["second"] == "Trần Thị Bé"  # the list is untouched


def test_a_deleted_persons_pseudonym_is_shown_as_it_is():
    from quizapp.privacy import DELETED_NAME

    name = f"{DELETED_NAME}42"
    assert public_name(name, None, full_names=False, on=date(2026, 11, 20)) == name
