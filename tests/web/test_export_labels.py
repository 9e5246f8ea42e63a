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
    # the headers too: in English, the zone named as in Vietnamese
    assert table[0][:3] == ["Rank", "Full name", "Date of birth"]
    assert "Submitted at (Vietnam time, UTC+7)" in table[0]
    assert not any("ố" in h or "ờ" in h for h in table[0])  # no Vietnamese header left
    col = table[0].index("Population")
    row = next(r for r in table if "'" + HOSTILE in r)
    assert row[col] == "Union member; Youth"
    assert "" in row  # the e-mail: empty in CSV too
    for kind, english in (("prizes", "Why this order"), ("units", "Participation rate (%)")):
        other = client.get(url.replace("results.csv", f"{kind}.csv")).data.decode("utf-8-sig")
        assert english in next(csv.reader(io.StringIO(other))), kind
    client.post("/lang", data={"lang": "vi", "next": url})
    table = list(csv.reader(io.StringIO(client.get(url).data.decode("utf-8-sig"))))
    assert table[0][:3] == ["Hạng", "Họ và tên", "Ngày sinh"]
    assert "Đoàn viên; Thanh niên" in next(r for r in table if "'" + HOSTILE in r)


def test_contest_results_xlsx(client, login_as, session, played):  # noqa: F811
    prepare(session, played)
    login_as("organiser", played["province"])
    headers, rows = sheet(
        client.get(f"/org/contests/{played['contest'].id}/results?format=xlsx").data
    )
    population = headers.index("Đối tượng")
    assert "Đoàn viên; Thanh niên" in [r[population].value for r in rows]


def test_roster_export_in_each_language_reads_back(client, login_as, session, played):  # noqa: F811
    """The roster file names the categories in the interface's language, and the import
    reads both languages' names back to the same categories."""
    from quizapp.orgs.population import Population
    from quizapp.orgs.roster import MEMBER_COLUMNS, parse_roster

    member = played["users"][0].member
    for p in Population:
        if p.value not in member.population:
            member.categories.append(MemberCategory(category=p.value))
    member.full_name = HOSTILE
    session.commit()
    login_as("organiser", played["province"])
    column = list(MEMBER_COLUMNS).index("categories")
    for lang, first in (("en", "Union cadre; Union member"), ("vi", "Cán bộ Đoàn; Đoàn viên")):
        client.post("/lang", data={"lang": lang, "next": "/org/members"})
        data = client.get("/org/members/export.xlsx").data
        _headers, rows = sheet(data)
        row = next(r for r in rows if r[1].value == "'" + HOSTILE)
        assert row[column].value.startswith(first), lang
        parsed = parse_roster("members", "ds.xlsx", data)
        assert not parsed.problems, lang
        back = next(r for r in parsed.rows if r.full_name == HOSTILE)
        assert set(back.categories) == {p.value for p in Population}, lang
