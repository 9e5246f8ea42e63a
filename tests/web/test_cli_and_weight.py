"""CLI commands (demo data, roster import) and the weight of the base page."""

import re

from sqlalchemy import func, select

from quizapp.auth.models import OrganiserRole, User
from quizapp.orgs.models import Member, MemberCategory, Unit
from tests.services.test_roster_import import GOOD, xlsx


def test_seed_demo_builds_a_2026_province(runner, session):
    result = runner.invoke(args=["seed-demo", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert "admin@quizapp.local" in result.output and "quizapp2026" in result.output
    units = session.scalars(select(Unit)).all()
    assert 12 <= len(units) <= 20
    assert {u.type_key for u in units} >= {"province", "commune", "grassroots", "branch"}
    assert session.scalar(select(func.count()).select_from(Member)) == 300
    cats = set(session.scalars(select(MemberCategory.category).distinct()))
    assert cats == {"cadre", "member", "association", "youth", "child", "teacher", "pupil"}
    assert session.scalar(select(func.count()).select_from(User).where(User.is_admin)) == 1
    assert session.scalar(select(func.count()).select_from(OrganiserRole)) == 4
    again = runner.invoke(args=["seed-demo", "--if-empty"])
    assert again.exit_code == 0 and session.scalar(select(func.count()).select_from(Unit)) == len(
        units
    )


def test_import_roster_command_reports_rows_and_is_all_or_nothing(runner, session, tmp_path):
    runner.invoke(args=["seed-demo", "--if-empty"])
    rows = [list(r) for r in GOOD]
    for r in rows:
        r[5] = "AG-LX-ML"
    rows[0][6] = "Không rõ"
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(xlsx(rows))
    result = runner.invoke(args=["import-roster", str(bad)])
    assert result.exit_code == 1
    assert "bad.xlsx: dòng 2, cột Đối tượng" in result.output
    before = session.scalar(select(func.count()).select_from(Member))
    rows[0][6] = "Đoàn viên"
    good = tmp_path / "good.xlsx"
    good.write_bytes(xlsx(rows))
    result = runner.invoke(args=["import-roster", str(good)])
    assert result.exit_code == 0, result.output
    assert session.scalar(select(func.count()).select_from(Member)) == before + 3


def test_base_page_weighs_under_60_kb(client):
    total = 0
    for path in ("/", "/register"):
        resp = client.get(path)
        html = resp.get_data(as_text=True)
        total = len(resp.data)
        for asset in re.findall(r'(?:href|src)="(/static/[^"]+)"', html):
            with client.get(asset) as static:
                total += len(static.data)
        assert total < 60 * 1024, (path, total)


def test_demo_contest_on_the_shipped_bank(runner, session):
    from quizapp.contests.models import Contest

    runner.invoke(args=["seed-demo", "--if-empty"])
    result = runner.invoke(
        args=["import-bank", "question_banks/luat-an-ninh-mang-2025.yaml", "--unit", "AG"]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["seed-demo-contest"])
    assert result.exit_code == 0 and "/c/" in result.output
    contest = session.scalar(select(Contest))
    assert contest.status == "published" and [r.question_count for r in contest.rounds] == [10, 10]
    assert runner.invoke(args=["seed-demo-contest"]).output == ""  # only once
