"""Every page an organiser and a member can reach, on the full demo data (shipped banks,
demo contest): nothing answers 500, lists page, every link found on the way resolves."""

import html
import re

from sqlalchemy import select

from quizapp.auth.models import User


def _links(page: str) -> set[str]:
    return {
        html.unescape(h)
        for h in re.findall(r'href="(/[^"#]*)"', page)
        if not h.startswith("/static/") and not h.endswith((".pdf", ".zip", ".xlsx"))
    }


def _crawl(client, start: list[str], limit: int = 400) -> dict[str, int]:
    seen: dict[str, int] = {}
    todo = list(start)
    while todo and len(seen) < limit:
        url = todo.pop(0)
        if url in seen:
            continue
        resp = client.get(url)
        seen[url] = resp.status_code
        if resp.status_code == 200 and resp.mimetype == "text/html":
            todo.extend(sorted(_links(resp.get_data(as_text=True)) - set(seen)))
    return seen


def test_demo_site_has_no_broken_page(client, runner, session):
    for args in (
        ["seed-demo"],
        [
            "import-bank",
            "question_banks/luat-an-ninh-mang-2025.yaml",
            "question_banks/quy-tac-ung-xu-mang-xa-hoi.yaml",
            "--unit",
            "AG",
        ],
        ["seed-demo-contest"],
        ["import-bank", "question_banks/ly-luan-chinh-tri-doan-vien.yaml", "--unit", "AG"],
        [
            "import-programme",
            "question_banks/programmes/ly-luan-chinh-tri-doan-vien-moi.yaml",
            "--unit",
            "AG",
            "--publish",
        ],
        ["load-indicator-plans"],
    ):
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output
    client.post("/login", data={"identifier": "admin@quizapp.local", "password": "quizapp2026"})
    seen = _crawl(client, ["/org", "/org/members?page=2", "/org/audit?page=2"])
    broken = {u: s for u, s in seen.items() if s >= 500 or s == 404}
    assert not broken, broken
    assert len(seen) > 60
    client.post("/logout")
    # the Long Xuyên ward organiser follows the province's demo contest (issue 21)
    client.post("/login", data={"identifier": "longxuyen@quizapp.local", "password": "quizapp2026"})
    seen = _crawl(client, ["/org/contests"], limit=60)
    assert not {u: s for u, s in seen.items() if s >= 500 or s == 404}, seen
    assert any("/follow/missing" in u for u in seen)
    client.post("/logout")
    member = session.scalar(select(User).where(User.phone == "0912000001"))
    client.post("/login", data={"identifier": member.phone, "password": "quizapp2026"})
    seen = _crawl(client, ["/", "/me", "/me/certificates", "/me/programmes"])
    assert not {u: s for u, s in seen.items() if s >= 500 or s == 404}, seen
    assert any(u.startswith("/c/") for u in seen)  # the demo contest is offered
    assert any(u.startswith("/programmes/") for u in seen)  # and the new members' programme
