"""Results exports read as an Excel user expects: population labels as the pages name them,
in the interface's language; submit times in Vietnam's time with the zone in the header;
empty cells empty and a formula-looking name kept as text."""

import csv
import io
from datetime import timedelta

from openpyxl import load_workbook

from quizapp.orgs.models import MemberCategory
from quizapp.timeutil import to_local
from tests.web.test_results import played  # noqa: F401  (fixture)

HOSTILE = '=HYPERLINK("http://x","y")'
HEADER = "Nộp bài lúc (giờ Việt Nam, UTC+7)"


def sheet(data: bytes):
    ws = load_workbook(io.BytesIO(data)).worksheets[0]
    rows = [list(r) for r in ws.iter_rows()]
    return [c.value for c in rows[0]], rows[1:]


def prepare(session, played):  # noqa: F811
    member = played["users"][0].member
    member.full_name = HOSTILE
    member.email = None
    if "youth" not in member.population:
        member.categories.append(MemberCategory(category="youth"))
    assert member.population == {"member", "youth"}
    session.commit()


def test_round_results_xlsx(client, login_as, session, played, now):  # noqa: F811
    prepare(session, played)
    login_as("organiser", played["province"])
    c, rnd = played["contest"], played["rnd"]
    headers, rows = sheet(client.get(f"/org/contests/{c.id}/rounds/{rnd.id}/results.xlsx").data)
    assert HEADER in headers
    name, email, population, submitted = (
        headers.index(h) for h in ("Họ và tên", "Email", "Đối tượng", HEADER)
    )
    row = next(r for r in rows if r[name].value == "'" + HOSTILE)
    assert row[name].data_type == "s"  # text, never a formula
    assert not any(cell.data_type == "f" for r in rows for cell in r)
    assert row[email].value is None  # empty, not a stray quote
    assert row[population].value == "Đoàn viên; Thanh niên"
    best = to_local(now + timedelta(seconds=100))  # the counted (best) attempt
    assert row[submitted].value == best.strftime("%d/%m/%Y %H:%M:%S")


def test_labels_follow_the_interface_language(client, login_as, session, played):  # noqa: F811
    prepare(session, played)
    login_as("organiser", played["province"])
    c, rnd = played["contest"], played["rnd"]
    url = f"/org/contests/{c.id}/rounds/{rnd.id}/results.csv"
    client.post("/lang", data={"lang": "en", "next": url})
    table = list(csv.reader(io.StringIO(client.get(url).data.decode("utf-8-sig"))))
    col = table[0].index("Đối tượng")
    row = next(r for r in table if "'" + HOSTILE in r)
    assert row[col] == "Union member; Youth"
    assert "" in row  # the e-mail: empty in CSV too
    client.post("/lang", data={"lang": "vi", "next": url})
    table = list(csv.reader(io.StringIO(client.get(url).data.decode("utf-8-sig"))))
    assert "Đoàn viên; Thanh niên" in next(r for r in table if "'" + HOSTILE in r)


def test_contest_results_xlsx(client, login_as, session, played):  # noqa: F811
    prepare(session, played)
    login_as("organiser", played["province"])
    headers, rows = sheet(
        client.get(f"/org/contests/{played['contest'].id}/results?format=xlsx").data
    )
    population = headers.index("Đối tượng")
    assert "Đoàn viên; Thanh niên" in [r[population].value for r in rows]
