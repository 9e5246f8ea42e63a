"""Marks and round numbers out of bounds are refused with a message at every page that
takes them (the bank editor, the YAML import, the round settings): never a 500."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from quizapp.contests.models import Round
from quizapp.timeutil import local_input
from tests.web.test_bank_pages import bank, token_of, upload  # noqa: F401  (fixture)
from tests.web.test_contest_pages import world  # noqa: F401  (fixture)

EDITOR = {
    "type": "truefalse",
    "text": "Đoàn TNCS Hồ Chí Minh được thành lập năm 1931.",
    "text_format": "plain",
    "difficulty": "easy",
    "correct": "true",
    "category_id": "0",
    "tags": "",
}
YAML = """format: quizapp-bank/1
bank: {key: thu, title: Ngân hàng thử}
questions:
  - key: q1
    type: truefalse
    text: Đoàn được thành lập năm 1931.
    answer: true
    mark: %s
"""


@pytest.mark.parametrize("mark", ["1e308", "inf", "nan", "0", "1001"])
def test_bank_editor_refuses_the_mark(client, login_as, bank, mark):  # noqa: F811
    login_as("organiser", bank.owner_unit)
    resp = client.post(f"/org/banks/{bank.id}/questions/new", data={**EDITOR, "mark": mark})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "không quá 1000" in page


@pytest.mark.parametrize("mark", ["1e308", ".inf", "0", "5000"])
def test_yaml_import_refuses_the_mark_with_its_line(client, login_as, bank, mark):  # noqa: F811
    login_as("organiser", bank.owner_unit)
    page = upload(client, bank, YAML % mark, name="ngan-hang.yaml").get_data(as_text=True)
    # The line of the question (the validator) or of the mark itself (the YAML reader).
    assert "<td>4</td>" in page or "<td>8</td>" in page
    assert "không quá 1000" in page or "phải là số" in page
    assert 'action="/org/banks/import/confirm"' not in page


@pytest.mark.parametrize(
    ("field", "value"),
    [("pass_mark", "1e308"), ("pass_mark", "inf"), ("time_limit", "1e23"), ("pass_mark", "101")],
)
def test_round_settings_refuse_numbers_out_of_bounds(
    client,
    login_as,
    world,  # noqa: F811
    session,
    now,
    field,
    value,
):
    from tests.contest_helpers import make_contest

    contest = make_contest(session, world["province"], world["bank"], now)
    session.commit()
    login_as("organiser", world["province"])
    before = session.scalar(select(func.count()).select_from(Round))
    data = {
        "title": "Tuần 9",
        "opens_at": local_input(now + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "closes_at": local_input(now + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M"),
        "time_limit": "10",
        "bank_id": world["bank"].id,
        "attempts_allowed": "1",
        "counting": "best",
        "pass_mark": "50",
        "review": "after_close",
        "blueprint-0-count": "1",
        "blueprint-0-category": "c1",
        field: value,
    }
    resp = client.post(f"/org/contests/{contest.id}/rounds/new", data=data)
    assert resp.status_code == 200
    assert session.scalar(select(func.count()).select_from(Round)) == before
