"""The annual indicator report on a small hand-checkable tree: the report snapshot, the XLSX
read back with openpyxl (unit totals = children + direct roster), the PDF text read back
with pdftotext (codes, values, Vietnamese diacritics) and the CLI command."""

import io
import subprocess
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from quizapp.indicators import report as R
from quizapp.indicators import services as I
from quizapp.indicators.maths import Count, Status
from quizapp.policy import SYSTEM
from tests.factories import make_member, make_user
from tests.services.test_indicators import (  # noqa: F401  (tree is a fixture)
    YEAR,
    complete,
    on_roster_since,
    tree,
)

KEY = "an-giang-311"
NEW_MEMBERS = "1.3 / 2.3 – Đoàn viên kết nạp mới trong kỳ"


@pytest.fixture()
def figures(session, tree, now):  # noqa: F811
    """1.3: A 3 of 4 new members, B 0 of 1, C nobody, the province itself 1 of 1 (4 of 6);
    1.8: A attests (1 of the 3 communes); 1.4: A 30/50, B 10/20; 1.9: 3 articles a week."""
    a, b, province = tree["a"], tree["b"], tree["province"]
    members = [make_member(session, a, admitted_on=date(2026, 1, 5)) for _ in range(4)]
    members.append(make_member(session, b, admitted_on=date(2026, 2, 1)))
    members.append(make_member(session, province, admitted_on=date(2026, 3, 1)))
    for m in members:
        on_roster_since(session, m)
    for m in (*members[:3], members[5]):
        complete(session, tree["theory"], m, datetime(2026, 5, 1, tzinfo=UTC))
    enter = [
        ("1.8", a, I.EntryData(yes=True, evidence_url="https://facebook.com/doanxaa")),
        ("1.4", a, I.EntryData(numerator=30, denominator=50)),
        ("1.4", b, I.EntryData(numerator=10, denominator=20)),
        ("1.9", province, I.EntryData(value=3, comment="Có 4 tuần chưa đạt.")),
    ]
    for code, unit, data in enter:
        I.save_entry(session, KEY, code, YEAR, unit.id, data, actor=SYSTEM, now=now)
    I.confirm(session, KEY, YEAR, a.id, actor=SYSTEM, now=now)
    return tree


def line_of(report, code, label=None):
    return next(
        x for x in report.lines if x.indicator.code == code and (label is None or x.label == label)
    )


def test_report_snapshot_is_reused_until_refreshed(session, figures, now):
    first = R.report_snapshot(session, KEY, YEAR, now)
    assert first.reason == "report"
    I.take_snapshot(session, KEY, YEAR, now + timedelta(hours=1), reason="monthly")
    assert R.report_snapshot(session, KEY, YEAR, now + timedelta(hours=2)).id == first.id
    again = R.report_snapshot(session, KEY, YEAR, now + timedelta(hours=3), refresh=True)
    assert again.id != first.id and again.reason == "report"
    report = R.build_report(session, KEY, figures["province"].id, YEAR, actor=SYSTEM, now=now)
    assert report.snapshot_id == again.id
    # After an admin edits the definitions, the old report snapshot no longer fits them.
    row, _plan = I.get_plan(session, KEY)
    I.save_definition(session, KEY, row.source + "\n", actor=SYSTEM, now=now + timedelta(hours=4))
    fresh = R.report_snapshot(session, KEY, YEAR, now + timedelta(hours=5))
    assert fresh.id != again.id and fresh.definition_at == now + timedelta(hours=4)


def test_report_figures_come_from_the_snapshot(session, figures, now):
    province = figures["province"]
    report = R.build_report(session, KEY, province.id, YEAR, actor=SYSTEM, now=now)
    new = line_of(report, "1.3")
    assert new.total.count == Count(4, 6)
    assert new.children[figures["a"].id].count == Count(3, 4)
    assert new.children[figures["b"].id].count == Count(0, 1)
    assert new.children[figures["c"].id].value is None
    assert new.direct.count == Count(1, 1)  # the province's own new member
    # The target in force on 15/10/2026 is 2.3's 100% by 2030; the year is over: behind.
    assert (new.target.code, new.target.value) == ("2.3", 100)
    assert new.status is Status.BEHIND and new.gap == pytest.approx(100 - 400 / 6)
    assert line_of(report, "1.8").total.count == Count(1, 3)
    assert line_of(report, "1.8").self_reported and line_of(report, "1.4").self_reported
    assert not new.self_reported
    articles = line_of(report, "1.9")
    assert articles.measure == "number" and articles.total.value == 3.0
    assert articles.target.value == 5  # 2.9: five a week until 2030
    assert [c.code for c in report.children] == ["AG-B", "AG-A", "AG-C"]  # by name
    assert report.unit.confirmed_at is None
    confirmed = {c.code: c.confirmed_at for c in report.children}
    assert confirmed["AG-A"] is not None and confirmed["AG-B"] is None


def test_an_organiser_reports_on_their_own_subtree_only(session, figures, now):
    from quizapp.auth.services import actor_for

    a = figures["a"]
    actor = actor_for(make_user(session, role="organiser", unit=a))
    with pytest.raises(I.NotFound):
        R.build_report(session, KEY, figures["province"].id, YEAR, actor=actor, now=now)
    report = R.build_report(session, KEY, a.id, YEAR, actor=actor, now=now)
    assert report.children == () and report.parent_name == "Tỉnh Đoàn An Giang"
    new = line_of(report, "1.3")
    assert new.total.count == new.direct.count == Count(3, 4)


def _xlsx(app, reports):
    with app.test_request_context():
        return R.render_report(reports, "xlsx")


def _table(ws, first_header):
    """Rows of the table whose header row starts with `first_header`, as dicts."""
    rows = list(ws.iter_rows(values_only=True))
    start = next(i for i, r in enumerate(rows) if r[0] == first_header)
    return rows, start


def test_xlsx_has_the_right_numbers(app, session, figures, now):
    reports = R.build_reports(session, figures["province"].id, YEAR, actor=SYSTEM, now=now)
    assert [r.plan.key for r in reports] == ["an-giang-311", "hcm-2639"]
    wb = load_workbook(io.BytesIO(_xlsx(app, reports)))
    assert wb.sheetnames == ["an-giang-311", "hcm-2639"]
    ws = wb["an-giang-311"]
    assert ws["A1"].value == "TỈNH ĐOÀN AN GIANG"
    assert ws["A2"].value == "Báo cáo kết quả thực hiện năm 2026"
    assert "16/10/2025" in ws["A4"].value and "15/10/2026" in ws["A4"].value
    rows, start = _table(ws, "Chỉ tiêu")
    assert rows[start][:4] == ("Chỉ tiêu", "Nội dung", "Đối tượng", "Cách tính")
    new = next(r for r in rows[start:] if r[0] == "1.3 / 2.3")
    assert new[2] == "Đoàn viên kết nạp mới trong kỳ" and new[3] == "Tính tự động"
    assert new[4:8] == (4, 6, pytest.approx(400 / 6), "%")
    assert new[8] == 100 and new[9].date() == date(2030, 10, 15)
    assert new[10] == pytest.approx(100 - 400 / 6) and new[11] == "Chậm tiến độ"
    attested = next(r for r in rows[start:] if r[0] == "1.8 / 2.8")
    assert attested[3] == "Tỷ lệ đơn vị (tự báo cáo)" and attested[4:6] == (1, 3)
    articles = next(r for r in rows[start:] if r[0] == "1.9 / 2.9")
    assert articles[6:9] == (3, "bài viết/tuần", 5)
    # The units below: one row per child unit, the direct roster, the total.
    rows, start = _table(ws, "Đơn vị")
    header = rows[start]
    col = header.index(NEW_MEMBERS)
    assert rows[start + 1][col : col + 3] == ("Số đạt", "Trên tổng số", "Thực hiện")
    body = {r[0]: r for r in rows[start + 2 :] if r[0]}
    assert body["Đoàn xã A"][1].startswith("Đã xác nhận")
    assert body["Đoàn phường B"][1] == "Chưa xác nhận"
    assert body["Đoàn xã A"][col : col + 3] == (3, 4, 75.0)
    assert body["Đoàn phường B"][col : col + 3] == (0, 1, 0.0)
    assert body["Đoàn xã C (không có ai)"][col : col + 3] == (0, 0, None)
    assert body["Trực tiếp tại đơn vị"][col : col + 3] == (1, 1, 100.0)
    assert body["Tổng cộng"][col : col + 3] == (4, 6, pytest.approx(400 / 6))
    # Every rate column: the total is the sum of the children and the direct roster.
    children = ["Đoàn xã A", "Đoàn phường B", "Đoàn xã C (không có ai)", "Trực tiếp tại đơn vị"]
    for c in range(2, len(header), 3):
        if body["Tổng cộng"][c + 1] is None:
            continue  # a reported number: nothing is summed
        for k in (c, c + 1):
            assert body["Tổng cộng"][k] == sum(body[name][k] or 0 for name in children)
    text = "\n".join(str(r[0]) for r in ws.iter_rows(values_only=True) if r[0])
    assert "Các chỉ tiêu do đơn vị tự báo cáo" in text
    assert "- 1.4 / 2.4 – Thanh niên sử dụng ứng dụng “Thanh niên Việt Nam” (tự báo cáo)" in text
    assert "Tỉnh Đoàn An Giang: nhận xét: Có 4 tuần chưa đạt." in text
    assert "Đoàn xã A: minh chứng: https://facebook.com/doanxaa" in text
    assert "không còn cấp huyện" in text  # the plan's note on the abolished district level


def _pdftotext(data: bytes, tmp_path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    out = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True
    )
    return " ".join(out.stdout.decode("utf-8").split())


def test_pdf_text_keeps_codes_values_and_diacritics(app, session, figures, now, tmp_path):
    reports = R.build_reports(
        session, figures["province"].id, YEAR, actor=SYSTEM, now=now, keys=[KEY]
    )
    with app.test_request_context():
        data = R.render_report(reports, "pdf")
    assert data.startswith(b"%PDF")
    text = _pdftotext(data, tmp_path)
    for expected in (
        "TỈNH ĐOÀN AN GIANG",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập – Tự do – Hạnh phúc",
        "Tỉnh Đoàn An Giang, ngày {d.day:02d} tháng {d.month:02d} năm {d.year}".format(
            d=now.astimezone(ZoneInfo("Asia/Ho_Chi_Minh"))
        ),
        "Báo cáo kết quả thực hiện năm 2026",
        "Kỳ báo cáo: từ ngày 16/10/2025 đến ngày 15/10/2026",
        "1.3 / 2.3",
        "1.6 / 2.6",
        "1.13 / 2.13",
        "Đoàn viên kết nạp mới trong kỳ",
        "66,7%",
        "4/6",
        "75,0%",
        "3/4",
        "33,3",
        "Chậm tiến độ",
        "Đoàn xã A",
        "Đoàn phường B",
        "Đoàn xã C (không có ai)",
        "Trực tiếp tại đơn vị",
        "Tổng cộng",
        "3 bài viết/tuần",
        "(tự báo cáo)",
        "Các chỉ tiêu do đơn vị tự báo cáo",
        "không còn cấp huyện",
    ):
        assert expected in text, expected


def test_cli_writes_both_files(runner, session, figures, tmp_path):
    for fmt in ("xlsx", "pdf"):
        out = tmp_path / f"report.{fmt}"
        args = ["indicators-report", "--unit", "AG", "--year", str(YEAR), "--format", fmt]
        result = runner.invoke(args=[*args, "--plan", KEY, "-o", str(out)])
        assert result.exit_code == 0, result.output
        assert out.stat().st_size > 1000 and str(out) in result.output
    assert out.read_bytes().startswith(b"%PDF")
    wb = load_workbook(tmp_path / "report.xlsx")
    assert wb.sheetnames == [KEY] and wb[KEY]["A1"].value == "TỈNH ĐOÀN AN GIANG"
    missing = runner.invoke(args=["indicators-report", "--unit", "NOPE", "--year", "2026"])
    assert missing.exit_code != 0 and "NOPE" in missing.output


def test_xlsx_unit_names_that_look_like_formulas_stay_text(app, session, figures, now):
    figures["a"].name = '=HYPERLINK("http://x","y")'
    figures["b"].name = "@SUM(A1)"
    session.flush()
    reports = R.build_reports(session, figures["province"].id, YEAR, actor=SYSTEM, now=now)
    wb = load_workbook(io.BytesIO(_xlsx(app, reports)))
    found = [c for ws in wb for row in ws.iter_rows() for c in row if c.value]
    assert any(c.value == '\'=HYPERLINK("http://x","y")' for c in found)
    assert any(c.value == "'@SUM(A1)" for c in found)
    assert not any(c.data_type == "f" or c.value == "'" for c in found)
