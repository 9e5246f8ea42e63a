"""The shipped plan files load, carry every indicator of both plans, and quote them verbatim."""

import re
from datetime import date
from pathlib import Path

import pytest

from quizapp.demo import UNIT_TYPES
from quizapp.indicators.definitions import (
    Condition,
    Entry,
    Kind,
    Mode,
    Window,
    load_plan,
    plan_files,
    shipped_plan,
    shipped_plans,
)
from quizapp.orgs.population import Population

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).resolve().parents[3]
SHIPPED_PROGRAMMES = {
    "ly-luan-chinh-tri-doan-vien-moi",
    "ky-nang-an-toan-thong-tin",
    "quy-tac-ung-xu-mang-xa-hoi",
}
SHIPPED_BANKS = {p.stem for p in (ROOT / "question_banks").glob("*.yaml")}
UNIT_TYPE_KEYS = {key for key, _name, _order in UNIT_TYPES}


def normalise(text: str) -> str:
    """The plan copies mark italics with * and break lines mid-sentence at page ends."""
    return " ".join(text.replace("*", "").split())


def an_giang_items() -> dict[str, str]:
    """Section II of the An Giang plan: {"1.1": text, …}, page breaks joined."""
    text = (DATA / "an-giang-311.txt").read_text(encoding="utf-8")
    section = text[text.index("II. CÁC CHỈ TIÊU CỤ THỂ") : text.index("III. NHIỆM VỤ")]
    items: dict[str, str] = {}
    last = None
    for para in (p.strip() for p in section.split("\n\n") if p.strip()):
        match = re.match(r"^(\d+\.\d+)\. (.*)$", para, re.S)
        if match:
            last = match.group(1)
            items[last] = match.group(2)
        elif last is not None and not re.match(r"^\d\. Chỉ tiêu", para):
            items[last] += " " + para
    return {code: normalise(t) for code, t in items.items()}


def hcm_items() -> dict[str, str]:
    """The dashes of section I.2 "Mục tiêu cụ thể" of the HCMC plan, as I.2.1 … I.2.4."""
    text = (DATA / "hcm-2639.txt").read_text(encoding="utf-8")
    section = text[text.index("2. Mục tiêu cụ thể") : text.index("II. NHIỆM VỤ")]
    dashes = [line[2:] for line in section.splitlines() if line.startswith("- ")]
    return {f"I.2.{n}": normalise(d).rstrip(";.") for n, d in enumerate(dashes, 1)}


PLAN_ITEMS = {"an-giang-311": an_giang_items(), "hcm-2639": hcm_items()}


@pytest.mark.parametrize("path", plan_files(), ids=lambda p: p.name)
def test_every_shipped_file_loads(path):
    plan = load_plan(path)
    assert plan.key == path.stem
    assert plan.indicators


def test_shipped_plans_lists_both():
    assert [p.key for p in shipped_plans()] == ["an-giang-311", "hcm-2639"]
    assert shipped_plan("hcm-2639").number == "2639/KH-UBND"
    with pytest.raises(KeyError):
        shipped_plan("nope")


def test_an_giang_has_every_indicator_of_the_plan():
    items = PLAN_ITEMS["an-giang-311"]
    expected = {f"{part}.{n}" for part in (1, 2) for n in range(1, 14)}
    assert set(items) == expected  # the parser of the plan text found all 26
    plan = shipped_plan("an-giang-311")
    assert sorted(plan.codes) == sorted(expected)
    assert len(plan.codes) == len(set(plan.codes))


def test_an_giang_pairs_the_2025_and_2030_items():
    plan = shipped_plan("an-giang-311")
    assert len(plan.indicators) == 13
    for n in range(1, 14):
        indicator = plan.indicator(f"1.{n}")
        assert indicator.codes == (f"1.{n}", f"2.{n}")
        assert plan.indicator(f"2.{n}") is indicator
        for target in indicator.all_targets:
            part = target.code.split(".")[0]
            assert target.deadline == {"1": date(2025, 10, 15), "2": date(2030, 10, 15)}[part]
        assert {t.code for t in indicator.all_targets} == set(indicator.codes)


def test_hcm_has_every_objective_of_the_plan():
    items = PLAN_ITEMS["hcm-2639"]
    assert len(items) == 4
    plan = shipped_plan("hcm-2639")
    assert plan.codes == ("I.2.1", "I.2.2", "I.2.3", "I.2.4")
    assert (plan.number, plan.date) == ("2639/KH-UBND", date(2019, 7, 2))
    for code in ("I.2.1", "I.2.3", "I.2.4"):
        assert [(t.value, t.deadline) for t in plan.indicator(code).all_targets] == [
            (85, date(2021, 12, 31)),
            (100, date(2025, 12, 31)),
        ]
    assert plan.indicator("I.2.2").all_targets == ()
    assert plan.indicator("I.2.2").note


@pytest.mark.parametrize("key", sorted(PLAN_ITEMS))
def test_texts_are_verbatim_and_under_their_own_code(key):
    items = PLAN_ITEMS[key]
    for indicator in shipped_plan(key).indicators:
        for item in indicator.items:
            assert item.text == items[item.code], item.code


@pytest.mark.parametrize("key", sorted(PLAN_ITEMS))
def test_every_target_value_is_written_in_its_item(key):
    """90% in 1.6 for cadres, "02" articles in 1.9: each figure comes from the plan's text."""
    for indicator in shipped_plan(key).indicators:
        for target in indicator.all_targets:
            text = indicator.text_of(target.code)
            value = int(target.value)
            assert target.value == value
            if indicator.reported is not None and indicator.reported.entry is Entry.NUMBER:
                assert f"{value:02d} " in text, (target.code, value)
            else:
                assert f"{value}%" in text, (target.code, value)


def test_indicator_1_6_has_four_lines():
    indicator = shipped_plan("an-giang-311").indicator("1.6")
    assert indicator.kind is Kind.COMPUTED
    got = [(line.population, [(t.code, t.value) for t in line.targets]) for line in indicator.lines]
    assert got == [
        ((Population.CADRE,), [("1.6", 90), ("2.6", 100)]),
        ((Population.MEMBER, Population.ASSOCIATION), [("1.6", 80), ("2.6", 90)]),
        ((Population.YOUTH,), [("1.6", 70), ("2.6", 80)]),
        ((Population.CHILD,), [("1.6", 70), ("2.6", 80)]),
    ]
    for line in indicator.lines:
        assert line.activity.mode is Mode.COMPLETION
        assert line.activity.programmes == ("ky-nang-an-toan-thong-tin",)


def test_indicator_1_3_counts_new_members_completing_political_theory():
    (line,) = shipped_plan("an-giang-311").indicator("1.3").lines
    assert line.population == (Population.MEMBER,)
    assert line.admitted_in_period
    assert line.activity.mode is Mode.COMPLETION
    assert line.activity.programmes == ("ly-luan-chinh-tri-doan-vien-moi",)
    assert line.activity.window is Window.CUMULATIVE
    assert [(t.value, t.deadline) for t in line.targets] == [
        (80, date(2025, 10, 15)),
        (100, date(2030, 10, 15)),
    ]


def test_district_level_is_replaced_by_communes_with_a_note():
    for plan in shipped_plans():
        for indicator in plan.indicators:
            texts = " ".join(item.text for item in indicator.items)
            if "cấp huyện" in texts:
                assert indicator.kind is Kind.UNIT_LEVEL
                assert indicator.unit_level.unit_types == ("commune",)
                assert "cấp huyện" in indicator.note and "01/7/2025" in indicator.note


def test_kinds_as_mapped():
    kinds = {
        code: plan.indicator(code).kind
        for plan in shipped_plans()
        for code in plan.codes
        if code[0] != "2"
    }
    assert kinds == {
        "1.1": Kind.COMPUTED,
        "1.2": Kind.COMPUTED,
        "1.3": Kind.COMPUTED,
        "1.4": Kind.REPORTED,
        "1.5": Kind.REPORTED,
        "1.6": Kind.COMPUTED,
        "1.7": Kind.REPORTED,
        "1.8": Kind.UNIT_LEVEL,
        "1.9": Kind.REPORTED,
        "1.10": Kind.REPORTED,
        "1.11": Kind.UNIT_LEVEL,
        "1.12": Kind.UNIT_LEVEL,
        "1.13": Kind.REPORTED,
        "I.2.1": Kind.UNIT_LEVEL,
        "I.2.2": Kind.UNIT_LEVEL,
        "I.2.3": Kind.UNIT_LEVEL,
        "I.2.4": Kind.COMPUTED,
    }


def test_every_key_refers_to_shipped_content_and_unit_types():
    for plan in shipped_plans():
        for indicator in plan.indicators:
            programmes, banks, types = set(), set(), set()
            for line in indicator.lines:
                programmes |= set(line.activity.programmes)
                banks |= set(line.activity.contests)
            if indicator.unit_level is not None:
                programmes |= set(indicator.unit_level.programmes)
                banks |= set(indicator.unit_level.contests)
                types |= set(indicator.unit_level.unit_types)
            if indicator.reported is not None:
                types |= set(indicator.reported.unit_types)
            assert programmes <= SHIPPED_PROGRAMMES, indicator.code
            assert banks <= SHIPPED_BANKS, indicator.code
            assert types <= UNIT_TYPE_KEYS, indicator.code


def test_not_computed_indicators_say_why():
    for plan in shipped_plans():
        for indicator in plan.indicators:
            assert indicator.title
            if indicator.kind is not Kind.COMPUTED:
                assert indicator.note, indicator.code
            if indicator.unit_level and indicator.unit_level.condition is Condition.ATTESTED:
                assert indicator.unit_level.attestation


def test_plans_report_on_15_october():
    for plan in shipped_plans():
        assert str(plan.report_due) == "15/10"
        period = plan.period(2026)
        assert (period.start, period.end) == (date(2025, 10, 16), date(2026, 10, 15))
        assert plan.period_of(date(2026, 10, 16)).year == 2027
        assert plan.days_until_due(date(2026, 10, 14)) == 1
