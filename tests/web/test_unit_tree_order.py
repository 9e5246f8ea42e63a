"""Unit participation on the results page, in its export and in the unit pickers is listed in
tree order (each commune followed by its own branches), indented by depth with a cue for
screen readers; level order would put both "Chi đoàn 1" after both communes."""

import io
import re

import pytest
from openpyxl import load_workbook

from tests.contest_helpers import make_bank, make_contest
from tests.factories import make_unit


@pytest.fixture()
def tree(session, now):
    province = make_unit(session, "Tỉnh Đoàn An Giang", code="AG")
    xa = make_unit(session, "Xã Bình Hòa", parent=province, code="AG-BH")
    phuong = make_unit(session, "Phường Mỹ Long", parent=province, code="AG-ML")
    # created in an order that matches neither the names nor the tree
    make_unit(session, "Chi đoàn 2", parent=xa, code="AG-BH-2")
    make_unit(session, "Chi đoàn 1", parent=phuong, code="AG-ML-1")
    make_unit(session, "Chi đoàn 1", parent=xa, code="AG-BH-1")
    contest = make_contest(session, province, make_bank(session, province, now), now, count=3)
    session.commit()
    return province, contest, contest.rounds[0]


# (name, its commune) in tree order
EXPECTED = [
    ("Tỉnh Đoàn An Giang", ""),
    ("Phường Mỹ Long", "Tỉnh Đoàn An Giang"),
    ("Chi đoàn 1", "Phường Mỹ Long"),
    ("Xã Bình Hòa", "Tỉnh Đoàn An Giang"),
    ("Chi đoàn 1", "Xã Bình Hòa"),
    ("Chi đoàn 2", "Xã Bình Hòa"),
]


def test_results_page_lists_units_in_tree_order_indented(client, login_as, tree):
    province, contest, rnd = tree
    login_as("organiser", province)
    html = client.get(f"/org/contests/{contest.id}/rounds/{rnd.id}/results").get_data(as_text=True)
    cells = re.findall(r'<th scope="row" class="unit-cell depth-(\d)">(.*?)</th>', html)
    assert [c[1].rsplit("</span>", 1)[-1].strip() for c in cells] == [n for n, _ in EXPECTED]
    assert [int(c[0]) for c in cells] == [0, 1, 2, 1, 2, 2]  # CSS padding by depth
    # the cue a screen reader reads instead of the indentation
    assert cells[5][1] == '<span class="sr-only">Cấp 3, thuộc Xã Bình Hòa: </span>Chi đoàn 2'
    assert "thuộc Phường Mỹ Long" in cells[2][1]  # the same name, told apart
    assert "sr-only" not in cells[0][1]
    # the unit picker of the same page, in the same order, indented
    options = re.findall(r'<option value="\d+"[^>]*>([^<]*)</option>', html)
    tree_options = [o for o in options if "(AG" in o]
    assert tree_options == [
        "Tỉnh Đoàn An Giang (AG)",
        "— Phường Mỹ Long (AG-ML)",
        "— — Chi đoàn 1 (AG-ML-1)",
        "— Xã Bình Hòa (AG-BH)",
        "— — Chi đoàn 1 (AG-BH-1)",
        "— — Chi đoàn 2 (AG-BH-2)",
    ]


def test_unit_export_in_tree_order_with_parent_and_indent(client, login_as, tree):
    province, contest, rnd = tree
    login_as("organiser", province)
    data = client.get(f"/org/contests/{contest.id}/rounds/{rnd.id}/units.xlsx").data
    ws = load_workbook(io.BytesIO(data)).worksheets[0]
    rows = list(ws.iter_rows(min_row=2))
    assert [(r[0].value, r[1].value or "") for r in rows] == EXPECTED
    assert [r[0].alignment.indent for r in rows] == [0, 1, 2, 1, 2, 2]
    assert ws["B1"].value == "Trực thuộc"
    assert rows[0][1].value is None  # the top unit belongs to none: an empty cell
    csv = client.get(f"/org/contests/{contest.id}/rounds/{rnd.id}/units.csv").data
    lines = csv.decode("utf-8-sig").splitlines()[1:]
    assert [line.split(",")[0].strip('"') for line in lines] == [n for n, _ in EXPECTED]
