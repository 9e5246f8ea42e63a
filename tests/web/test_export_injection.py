"""Every export writes user input that looks like a formula as text (OWASP CSV injection):
a leading single quote, quoted in CSV; numbers stay numbers and empty cells stay empty."""

import csv
import io

import pytest
from openpyxl import load_workbook

from quizapp.banks.core import ParsedBank, QType, Question
from quizapp.banks.parsers.xlsx import dump_xlsx, parse_xlsx
from quizapp.exports import neutralise, to_csv, to_xlsx
from quizapp.orgs.roster import rows_xlsx
from tests.web.test_results import played  # noqa: F401  (fixture)

HOSTILE = ['=HYPERLINK("http://x","y")', "+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


def cells(data: bytes):
    ws = load_workbook(io.BytesIO(data)).worksheets[0]
    return [[c for c in row] for row in ws.iter_rows()]


def assert_text_not_formula(data: bytes, value: str):
    """`value` is in the workbook as the text "'" + value, never as a formula."""
    # XML reads a CR back as LF; the quote in front is what matters.
    want = {"'" + value, ("'" + value).replace("\r", "\n")}
    found = [c for row in cells(data) for c in row if c.value in want]
    assert found, value
    assert all(c.data_type == "s" for c in found)
    assert not any(c.data_type == "f" for row in cells(data) for c in row)


def csv_rows(data: bytes):
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


@pytest.mark.parametrize("value", HOSTILE)
def test_the_rule(value):
    assert neutralise(value) == "'" + value
    assert neutralise("Nguyễn Văn An") == "Nguyễn Văn An"
    assert neutralise("") == "" and neutralise(None) is None
    assert neutralise(-2) == -2 and neutralise(1.5) == 1.5


def test_generic_xlsx_and_csv_exports():
    rows = [[v, "", None, -2, 3.5] for v in HOSTILE]
    data = to_xlsx(["Họ và tên", "Ghi chú", "Trống", "Số", "Điểm"], rows, "Kết quả")
    for v in HOSTILE:
        assert_text_not_formula(data, v)
    body = [[c.value for c in row] for row in cells(data)[1:]]
    assert all(r[1] is None and r[2] is None for r in body)  # empty stays empty, no stray '
    assert all(r[3] == -2 and r[4] == 3.5 for r in body)  # numbers stay numbers
    raw = to_csv(["Họ và tên", "Ghi chú", "Số"], [[v, "", -2] for v in HOSTILE])
    text = raw.decode("utf-8-sig")
    for v in HOSTILE:
        assert '"' + "'" + v.replace('"', '""') + '"' in text  # quoted, with the quote
    assert all(r[1] == "" and r[2] == "-2" for r in csv_rows(raw)[1:])
    assert ",-2\r\n" in text  # the number is written bare


def test_roster_export_workbook():
    data = rows_xlsx("members", [["DV1", v, "", None] for v in HOSTILE])
    for v in HOSTILE:
        assert_text_not_formula(data, v)
    assert all(r[2].value is None for r in cells(data)[1:])


def test_question_bank_xlsx_export_and_its_round_trip():
    qs = tuple(
        Question(QType.TRUEFALSE, v, key=f"q{i}", answer=True) for i, v in enumerate(HOSTILE[:4])
    )
    data = dump_xlsx(ParsedBank(questions=qs))
    for v in HOSTILE[:4]:
        assert_text_not_formula(data, v)
    back = parse_xlsx(data)
    assert [q.text for q in back.questions] == HOSTILE[:4]  # the import drops the quote again


def test_roster_and_results_exports_through_the_pages(client, login_as, session, played):  # noqa: F811
    login_as("organiser", played["province"])
    c, rnd = played["contest"], played["rnd"]
    members = [u.member for u in played["users"]]
    for member, name in zip(members, HOSTILE, strict=False):
        member.full_name = name
    members[0].email = None
    session.commit()
    for path in (
        f"/org/contests/{c.id}/rounds/{rnd.id}/results.xlsx",
        f"/org/contests/{c.id}/results?format=xlsx",
        "/org/members/export.xlsx",
    ):
        data = client.get(path).data
        for name in HOSTILE[: len(members)]:
            assert_text_not_formula(data, name)
        assert not any(c.value == "'" for row in cells(data) for c in row), path
    for path in (
        f"/org/contests/{c.id}/rounds/{rnd.id}/results.csv",
        f"/org/contests/{c.id}/results?format=csv",
    ):
        table = csv_rows(client.get(path).data)
        flat = [v for row in table for v in row]
        for name in HOSTILE[: len(members)]:
            assert "'" + name in flat and name not in flat, path
        assert "'" not in flat, path


@pytest.mark.parametrize("value", ["'-", "'=1", "''+2", "'", "'a", "a'=", "=1"])
def test_unneutralise_gives_every_text_back(value):
    """A text that itself starts with a quote and a formula character round-trips too
    (found by the bank XLSX round-trip property test)."""
    from quizapp.exports import unneutralise

    assert unneutralise(neutralise(value)) == value
