"""The README's curl example of the API (issue 22), replayed line by line against the app: the
lines are read from README.md and interpreted (curl's -X, -H, -d and URL; `VAR=$(curl … | jq -r
PATH)`, `VAR=$(jq -r PATH <<<"$OTHER")`), so a README that drifts from the API fails here."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from quizapp import events
from quizapp.auth.models import User
from quizapp.auth.services import hash_password
from quizapp.certificates import glue
from quizapp.certificates import services as C
from quizapp.policy import SYSTEM
from tests.contest_helpers import make_bank, make_contest
from tests.factories import make_member, make_unit

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_lines() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## API for apps") :]
    block = section[section.index("```bash\n") + 8 :]
    block = block[: block.index("```")]
    return [line.strip() for line in block.replace("\\\n", " ").splitlines() if line.strip()]


def jq(value, path: str) -> str:
    path = path.strip("'\"")
    for name, index in re.findall(r"\.([A-Za-z_]+)|\[(\d+)\]", path):
        value = value[name] if name else value[int(index)]
    return str(value)


class Shell:
    def __init__(self, client):
        self.client, self.vars, self.responses = client, {}, []

    def curl(self, command: str):
        command = re.sub(r"\$([A-Z]+)", lambda m: self.vars[m.group(1)], command)
        args = shlex.split(command, comments=True)
        assert args[0] == "curl", command
        method, headers, data, url = "GET", {}, None, None
        it = iter(args[1:])
        for arg in it:
            if arg == "-s":
                continue
            if arg == "-X":
                method = next(it)
            elif arg == "-H":
                key, value = next(it).split(":", 1)
                headers[key.strip()] = value.strip()
            elif arg == "-d":
                data = next(it)
            else:
                url = arg
        parts = urlsplit(url)
        resp = self.client.open(
            parts.path + (f"?{parts.query}" if parts.query else ""),
            method=method,
            headers=headers,
            data=data,
        )
        assert resp.status_code < 400, (command, resp.status_code, resp.get_data(as_text=True))
        body = resp.get_json()
        self.responses.append((method, parts.path, body))
        return body

    def run(self, line: str) -> None:
        plain = re.fullmatch(r"([A-Z]+)=(\S+)", line)
        assign = re.fullmatch(r"([A-Z]+)=\$\((.*)\)\s*(#.*)?", line)
        if plain:
            self.vars[plain.group(1)] = plain.group(2)
        elif assign:
            name, inner = assign.group(1), assign.group(2)
            here = re.fullmatch(r'jq -r (\S+) <<<"\$([A-Z]+)"', inner)
            if here:
                self.vars[name] = jq(json.loads(self.vars[here.group(2)]), here.group(1))
            elif " | jq -r " in inner:
                command, path = inner.split(" | jq -r ")
                self.vars[name] = jq(self.curl(command), path)
            else:
                self.vars[name] = json.dumps(self.curl(inner))
        else:
            self.curl(line)


@pytest.fixture()
def demo_member(app, session, now):
    """The README's demo member (0912000001 / quizapp2026) and an open round."""
    session.info[events.ISSUER] = glue.issuer
    province = make_unit(session, "Tỉnh Đoàn An Giang", code="AG")
    branch = make_unit(session, "Chi đoàn khu phố Mỹ Long", parent=province, code="AG-ML")
    contest = make_contest(session, province, make_bank(session, province, now), now, count=3)
    C.save_rule(session, contest.id, C.RuleData(kind="participation"), actor=SYSTEM, now=now)
    member = make_member(session, branch, "Nguyễn Thị Mai", phone="0912000001")
    session.add(
        User(
            display_name=member.full_name,
            phone=member.phone,
            password_hash=hash_password("quizapp2026"),
            member_id=member.id,
            created_at=now,
        )
    )
    session.commit()


def test_the_readme_example_runs(client, demo_member):
    lines = readme_lines()
    assert sum(line.count("curl ") for line in lines) >= 9
    shell = Shell(client)
    for line in lines:
        shell.run(line)
    saves = [body for method, path, body in shell.responses if path.endswith("/answers")]
    assert [s["replayed"] for s in saves] == [False, True]
    submitted = next(body for _m, path, body in shell.responses if path.endswith("/submit"))
    assert submitted["status"] == "submitted" and len(submitted["certificates"]) == 1
    verified = next(body for _m, path, body in shell.responses if "/certificates/" in path)
    assert verified["status"] == "valid"
    refreshed = json.loads(shell.vars["TOKENS"])
    assert refreshed["refresh_token"] != shell.vars["REFRESH"]  # rotated
