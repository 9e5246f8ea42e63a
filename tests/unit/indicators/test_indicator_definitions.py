"""Loading definition files: a valid file's dataclasses, and file + line for every defect."""

import ast
from datetime import date
from pathlib import Path

import pytest

from quizapp.indicators.definitions import (
    KIND_LABELS,
    Condition,
    DefinitionError,
    Entry,
    Kind,
    Mode,
    Window,
    load_plan,
    parse_plan,
)
from quizapp.indicators.maths import DayMonth
from quizapp.orgs.population import Population

VALID = """\
format: quizapp-indicators/1
plan:
  key: test-plan
  title: Kế hoạch thử
  issuer: Ủy ban nhân dân tỉnh
  number: 1/KH-UBND
  date: 2023-05-04
  report_due: 15/10
  year_start: 16/10
  reviews:
    - {date: 2030-10-15, label: Tổng kết}
    - {date: 2025-10-15, label: Sơ kết}
indicators:
  - codes: ["1.3", "2.3"]
    title: Đoàn viên mới học lý luận chính trị
    text:
      "1.3": Phần đầu trên 80% Đoàn viên kết nạp mới được học lý luận chính trị.
      "2.3": 100% Đoàn viên kết nạp mới được học lý luận chính trị.
    kind: computed
    each_period: true
    lines:
      - label: Đoàn viên kết nạp mới
        population: [member]
        admitted_in_period: true
        activity:
          mode: completion
          programmes: [ly-luan-chinh-tri-doan-vien-moi]
          window: cumulative
        targets:
          - {code: "2.3", value: 100, deadline: 2030-10-15}
          - {code: "1.3", value: 80, deadline: 2025-10-15}
  - codes: ["1.8"]
    title: Đội hình thanh niên tình nguyện
    text:
      "1.8": Phần đầu trên 80% Đoàn cấp huyện thiết lập đội hình.
    kind: unit_level
    unit_level:
      unit_types: [commune]
      condition: attested
      attestation: Đơn vị đã thiết lập đội hình.
    targets:
      - {code: "1.8", value: 80, deadline: 2025-10-15}
    note: Không còn cấp huyện.
  - codes: ["1.9"]
    title: Bài viết
    text:
      "1.9": Tỉnh Đoàn mỗi tuần có ít nhất 02 bài viết.
    kind: reported
    reported:
      entry: number
      prompt: Số bài viết bình quân mỗi tuần.
      unit: bài viết/tuần
      unit_types: [province]
    targets:
      - {code: "1.9", value: 2, deadline: 2025-10-15}
  - codes: ["1.10"]
    title: Trường có hoạt động
    text:
      "1.10": Trường học tổ chức cuộc thi.
    kind: unit_level
    unit_level:
      unit_types: [school]
      condition: activity
      population: [pupil]
      contests: [an-toan-tren-khong-gian-mang]
      min_participants: 5
    targets: []
    note: Không có mức đề ra.
"""


def parse(text: str) -> object:
    return parse_plan(text, "test-plan.yaml")


def line_with(text: str, needle: str, occurrence: int = 1) -> int:
    """1-based number of the line holding the n-th occurrence of `needle`."""
    seen = 0
    for number, line in enumerate(text.splitlines(), 1):
        if needle in line:
            seen += 1
            if seen == occurrence:
                return number
    raise AssertionError(f"{needle!r} not in the text")


def problems(text: str) -> list[tuple[int | None, str]]:
    with pytest.raises(DefinitionError) as info:
        parse(text)
    for p in info.value.problems:
        assert p.file == "test-plan.yaml"
    return [(p.line, p.render()) for p in info.value.problems]


def expect(text: str, needle: str, message: str, occurrence: int = 1) -> None:
    """The text has a problem containing `message`, on the line of `needle`."""
    found = problems(text)
    line = line_with(text, needle, occurrence)
    assert any(n == line and message in rendered for n, rendered in found), (line, found)
    assert any(rendered.startswith(f"test-plan.yaml:{line}: ") for _, rendered in found)


def test_valid_file():
    plan = parse(VALID)
    assert (plan.key, plan.number, plan.date) == ("test-plan", "1/KH-UBND", date(2023, 5, 4))
    assert plan.report_due == DayMonth(15, 10) and plan.year_start == DayMonth(16, 10)
    assert [r.label for r in plan.reviews] == ["Sơ kết", "Tổng kết"]
    assert plan.file == "test-plan.yaml"
    new_members, team, articles, schools = plan.indicators
    assert new_members.kind is Kind.COMPUTED and new_members.each_period
    assert new_members.label == "1.3 / 2.3" and new_members.code == "1.3"
    assert new_members.text_of("2.3").startswith("100%")
    assert new_members.line == line_with(VALID, 'codes: ["1.3"')
    (line,) = new_members.lines
    assert line.population == (Population.MEMBER,) and line.admitted_in_period
    assert line.activity.mode is Mode.COMPLETION and line.activity.window is Window.CUMULATIVE
    assert [t.code for t in line.targets] == ["1.3", "2.3"]  # sorted by deadline
    assert new_members.all_targets == line.targets
    assert team.unit_level.condition is Condition.ATTESTED and team.note
    assert articles.reported.entry is Entry.NUMBER and articles.reported.unit == "bài viết/tuần"
    assert articles.targets[0].value == 2
    assert schools.unit_level.min_participants == 5 and schools.targets == ()
    assert plan.indicator("2.3") is new_members
    with pytest.raises(KeyError):
        plan.indicator("9.9")
    assert set(KIND_LABELS) == set(Kind)


def test_defaults():
    text = VALID.replace("          window: cumulative\n", "").replace(
        "    each_period: true\n", ""
    )
    indicator = parse(text).indicators[0]
    assert indicator.lines[0].activity.window is Window.PERIOD
    assert not indicator.each_period


def test_not_yaml():
    text = VALID.replace("  title: Kế hoạch thử", "  title: [Kế hoạch thử")
    found = problems(text)
    assert len(found) == 1
    line, rendered = found[0]
    assert rendered.startswith("test-plan.yaml:") and "not valid YAML" in rendered
    assert line is not None and line >= line_with(text, "[Kế hoạch thử")


def test_empty_file():
    assert problems("") == [(1, "test-plan.yaml:1: The file is empty.")]


def test_wrong_format():
    text = VALID.replace("quizapp-indicators/1", "quizapp-indicators/9")
    expect(text, "format:", 'Unknown format "quizapp-indicators/9"')


def test_unknown_kind():
    text = VALID.replace("kind: computed", "kind: calculated")
    expect(text, "kind: calculated", "must be one of computed, unit_level, reported")


def test_unknown_field():
    text = VALID.replace("    each_period: true", "    each_periods: true")
    expect(text, "each_periods", 'Unknown field "each_periods"')


def test_missing_required_field_names_the_mapping():
    text = VALID.replace("    title: Bài viết\n", "")
    expect(text, 'codes: ["1.9"]', 'The field "title" is required.')


def test_empty_required_text():
    text = VALID.replace("  issuer: Ủy ban nhân dân tỉnh", "  issuer:")
    expect(text, "  issuer:", 'The field "issuer" is required.')


def test_unknown_population():
    text = VALID.replace("population: [member]", "population: [members]")
    expect(text, "population: [members]", "Unknown population category “members”.")


def test_population_twice():
    text = VALID.replace("population: [member]", "population: [member, member]")
    expect(text, "population: [member, member]", '"member" is listed twice')


def test_code_used_twice():
    text = VALID.replace('codes: ["1.9"]', 'codes: ["1.8"]').replace('"1.9"', '"1.8"')
    first = line_with(text, 'codes: ["1.8"]')
    expect(
        text,
        'codes: ["1.8"]',
        f"The indicator code 1.8 is used twice (first at line {first}).",
        occurrence=2,
    )


def test_target_code_not_of_the_indicator():
    text = VALID.replace('{code: "1.9", value: 2', '{code: "2.9", value: 2')
    expect(text, '{code: "2.9"', "The code 2.9 is not one of this indicator's codes (1.9).")


def test_text_missing_for_a_code():
    text = VALID.replace(
        '      "2.3": 100% Đoàn viên kết nạp mới được học lý luận chính trị.\n', ""
    )
    expect(text, '"1.3": Phần đầu', "The text of code 2.3 is missing.")


def test_text_for_an_unknown_code():
    text = VALID.replace('"1.9": Tỉnh Đoàn', '"1.9": Tỉnh Đoàn\n      "2.9": Tỉnh Đoàn')
    expect(text, '"2.9": Tỉnh Đoàn', 'Unknown field "2.9" in "text".')


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "value: 80, deadline: 2025-10-15}\n    note",
            "value: 120, deadline: 2025-10-15}\n    note",
            'The field "value" must be from 0 to 100, not 120.',
        ),
        ("value: 2,", "value: -1,", 'The field "value" must be at least 0, not -1.'),
        ("value: 2,", "value: two,", 'The field "value" must be a number, not "two".'),
        ("value: 2,", "value: true,", 'The field "value" must be a number, not "true".'),
    ],
)
def test_bad_target_values(old, new, message):
    text = VALID.replace(old, new)
    needle = new.split("\n")[0]
    expect(text, needle, message)


def test_bad_deadline():
    text = VALID.replace("value: 2, deadline: 2025-10-15", "value: 2, deadline: 2025-13-01")
    expect(text, "2025-13-01", 'The field "deadline" must be a date written YYYY-MM-DD.')


def test_two_targets_on_one_deadline():
    text = VALID.replace(
        '{code: "2.3", value: 100, deadline: 2030-10-15}',
        '{code: "2.3", value: 100, deadline: 2025-10-15}',
    )
    expect(text, '{code: "1.3", value: 80', "Two targets have the deadline 2025-10-15.")


@pytest.mark.parametrize("value", ["31/02", "29/02", "15-10", "mười lăm"])
def test_bad_day_month(value):
    text = VALID.replace("report_due: 15/10", f"report_due: {value}")
    expect(
        text,
        "report_due:",
        f'The field "report_due" must be a day and month written DD/MM, not "{value}".',
    )


def test_mode_needs_its_lists():
    text = VALID.replace("mode: completion", "mode: either")
    expect(text, "mode: either", 'The field "contests" is required for mode either.')
    text = VALID.replace(
        "programmes: [ly-luan-chinh-tri-doan-vien-moi]",
        "programmes: [ly-luan-chinh-tri-doan-vien-moi]\n          contests: [x]",
    )
    expect(text, "contests: [x]", 'The field "contests" is not used with mode completion.')


def test_bad_programme_key():
    text = VALID.replace("[ly-luan-chinh-tri-doan-vien-moi]", "[Lý luận]")
    expect(text, "[Lý luận]", 'The key "Lý luận" may hold only a-z, 0-9 and "-".')


def test_admitted_in_period_only_for_members():
    text = VALID.replace("population: [member]", "population: [member, youth]")
    expect(
        text, "admitted_in_period: true", "An admission date is only for union members and cadres."
    )


def test_kind_needs_its_section_and_refuses_the_others():
    text = VALID.replace("kind: reported", "kind: unit_level")
    expect(text, 'codes: ["1.9"]', 'The field "unit_level" is required for kind unit_level.')
    expect(text, "    reported:", 'The field "reported" is not used with kind unit_level.')
    assert line_with(text, "    reported:") == line_with(text, 'codes: ["1.9"]') + 5


def test_computed_targets_belong_to_lines():
    text = VALID.replace(
        '  - codes: ["1.8"]',
        '    targets: []\n  - codes: ["1.8"]',
    )
    expect(text, "    targets: []", 'The field "targets" is not used with kind computed')


def test_empty_lists():
    text = VALID.replace('          - {code: "2.3", value: 100, deadline: 2030-10-15}\n', "")
    text = text.replace('          - {code: "1.3", value: 80, deadline: 2025-10-15}\n', "")
    text = text.replace("        targets:\n  - codes", "        targets: []\n  - codes")
    expect(text, "        targets: []", '"targets" must not be empty.')


def test_attested_needs_the_statement():
    text = VALID.replace("      attestation: Đơn vị đã thiết lập đội hình.\n", "")
    expect(
        text, "condition: attested", 'The field "attestation" is required for condition attested.'
    )


def test_activity_fields_not_used_when_attested():
    text = VALID.replace("condition: activity", "condition: attested\n      attestation: Có.")
    expect(
        text, "population: [pupil]", 'The field "population" is not used with condition attested.'
    )


def test_min_participants_at_least_one():
    text = VALID.replace("min_participants: 5", "min_participants: 0")
    expect(text, "min_participants: 0", 'The field "min_participants" must be at least 1, not 0.')


def test_reported_number_needs_unit():
    text = VALID.replace("      unit: bài viết/tuần\n", "")
    expect(text, "entry: number", 'The field "unit" is required for entry number.')


def test_reported_percentage_needs_both_labels():
    text = VALID.replace("entry: number", "entry: percentage")
    found = [r for _, r in problems(text)]
    assert any('"numerator" is required for entry percentage' in r for r in found)
    assert any('"denominator" is required for entry percentage' in r for r in found)
    assert any('"unit" is not used with entry percentage' in r for r in found)


def test_yes_no_has_no_targets():
    text = VALID.replace("entry: number", "entry: yes_no").replace(
        "      unit: bài viết/tuần\n", ""
    )
    line = line_with(text, '      - {code: "1.9"') - 1  # the "targets:" key above the item
    message = f'test-plan.yaml:{line}: The field "targets" is not used with entry yes_no.'
    assert (line, message) in problems(text)


def test_no_targets_needs_a_note():
    text = VALID.replace("    note: Không có mức đề ra.\n", "")
    expect(text, 'codes: ["1.10"]', "An indicator without targets needs a note saying why.")


def test_every_problem_is_reported_at_once():
    text = (
        VALID.replace("kind: calculated", "")
        .replace("population: [member]", "population: [nobody]")
        .replace("min_participants: 5", "min_participants: 0")
        .replace("report_due: 15/10", "report_due: 15/13")
    )
    found = problems(text)
    assert len(found) == 3
    assert [n for n, _ in found] == sorted(n for n, _ in found)  # in file order
    error = DefinitionError([])
    assert str(error) == ""


def test_file_name_must_be_the_key(tmp_path):
    path = tmp_path / "other.yaml"
    path.write_text(VALID, encoding="utf-8")
    with pytest.raises(DefinitionError) as info:
        load_plan(path)
    assert str(info.value) == (
        f"other.yaml:{line_with(VALID, 'key: test-plan')}: "
        "The file name must be the plan key: test-plan.yaml."
    )
    good = tmp_path / "test-plan.yaml"
    good.write_text(VALID, encoding="utf-8")
    assert load_plan(good).key == "test-plan"


def test_not_utf8(tmp_path):
    path = tmp_path / "test-plan.yaml"
    path.write_bytes(VALID.encode("utf-16"))
    with pytest.raises(DefinitionError, match=r"test-plan.yaml: The file is not UTF-8 text."):
        load_plan(path)


def test_not_a_mapping():
    text = VALID.replace(
        "    reported:\n      entry: number", "    reported: [number]\n    x:\n      entry: number"
    )
    expect(text, "reported: [number]", '"reported" must be a mapping (key: value).')


@pytest.mark.parametrize("module", ["core", "definitions", "maths", "schema", "yamlread"])
def test_pure_modules_import_neither_flask_nor_sqlalchemy(module):
    source = Path(__file__).resolve().parents[3] / "quizapp" / "indicators" / f"{module}.py"
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        for name in names:
            assert name.split(".")[0] not in {"flask", "flask_login", "sqlalchemy"}, name


def test_a_defect_in_an_alias_is_reported_once():
    text = VALID.replace(
        "        activity:\n          mode: completion",
        "        activity: &study\n          mode: complete",
    ).replace(
        '  - codes: ["1.8"]',
        "      - label: Khác\n        population: [cadre]\n        activity: *study\n"
        '        targets: [{code: "1.3", value: 80, deadline: 2025-10-15}]\n'
        '  - codes: ["1.8"]',
    )
    found = problems(text)
    assert [line for line, _ in found] == [line_with(text, "mode: complete")]
