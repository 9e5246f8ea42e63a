"""Indicator pages: the dashboard from a snapshot with drill-down, entering a reported
figure, confirming, the follow-up list and export, the definitions list, and scoping
(commune A never sees commune B)."""

import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from quizapp.indicators import services as I
from quizapp.indicators.models import Confirmation, IndicatorEntry, Snapshot
from tests.factories import make_member, make_unit

YEAR = 2027  # the current reporting year (16/10/2026 - 15/10/2027) at the tests' clock


@pytest.fixture()
def tree(session, now):
    I.load_shipped(session, now)
    province = make_unit(session, "Tỉnh Đoàn An Giang", code="AG", type_key="province")
    a = make_unit(session, "Đoàn xã Mỹ Hòa Hưng", parent=province, code="AG-A", type_key="commune")
    b = make_unit(
        session, "Đoàn phường Long Xuyên", parent=province, code="AG-B", type_key="commune"
    )
    for i in range(3):
        make_member(session, a, name=f"Đoàn Viên A{i}", categories=("cadre", "member"))
    make_member(session, b, name="Người Phường B", categories=("cadre",))
    session.commit()
    return dict(province=province, a=a, b=b)


def test_dashboard_drill_down_and_days_left(client, login_as, tree, session):
    login_as("organiser", tree["province"])
    page = client.get(f"/org/indicators?plan=an-giang-311&year={YEAR}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "1.6 / 2.6" in text and "1.3 / 2.3" in text and "Tỉnh Đoàn An Giang" in text
    assert "ngày" in text and "15/10" in text
    assert "Đoàn xã Mỹ Hòa Hưng" in text  # drill-down rows
    assert session.scalar(select(Snapshot.id))  # served from a snapshot taken on first visit
    child = client.get(f"/org/indicators?plan=an-giang-311&year={YEAR}&unit={tree['a'].id}")
    assert child.status_code == 200 and "Đoàn xã Mỹ Hòa Hưng" in child.get_data(as_text=True)


def test_dashboard_shows_the_furthest_behind_and_links_to_every_unit_below(
    client, login_as, tree, session
):
    """The dashboard lists the five units furthest behind per line; the whole table of
    units below is one click away, in the same order: largest gap first, units with no
    figure last."""
    login_as("organiser", tree["province"])
    communes = []
    for i in range(5):  # seven communes in all, five with a reported figure for 1.4
        unit = make_unit(
            session, f"Đoàn xã Số {i}", parent=tree["province"], code=f"AG-N{i}", type_key="commune"
        )
        session.commit()
        communes.append(unit.name)
        url = f"/org/indicators/entry?plan=an-giang-311&year={YEAR}&code=1.4&unit={unit.id}"
        resp = client.post(url, data={"numerator": str(20 * i + 5), "denominator": "100"})
        assert resp.status_code == 302
    client.post("/org/indicators/snapshot", data={"plan": "an-giang-311", "year": YEAR})
    text = client.get(f"/org/indicators?plan=an-giang-311&year={YEAR}").get_data(as_text=True)
    block = text[text.index('<span class="code">1.4 / 2.4') :]
    block = block[: block.index("</details>")]
    row = r'<th scope="row"><a href="[^"]+">([^<]+)</a>'
    assert "5 đơn vị trực thuộc còn thiếu nhiều nhất" in block
    assert re.findall(row, block) == communes  # 5%, 25%, 45%…: the furthest behind first
    assert "Xem cả 7 đơn vị trực thuộc" in block
    full = client.get(
        f"/org/indicators/units?plan=an-giang-311&year={YEAR}&code=1.4&line=0"
    ).get_data(as_text=True)
    assert re.findall(row, full) == [*communes, "Đoàn phường Long Xuyên", "Đoàn xã Mỹ Hòa Hưng"]
    assert "(5/100)" in full
    # Another organiser's scope, an unknown indicator: not found.
    assert client.get("/org/indicators/units?plan=an-giang-311&code=9.9").status_code == 404
    client.post("/logout")
    login_as("organiser", tree["a"])
    other = f"/org/indicators/units?plan=an-giang-311&code=1.4&unit={tree['province'].id}"
    assert client.get(other).status_code == 404


def test_commune_organiser_sees_only_their_subtree(client, login_as, tree):
    login_as("organiser", tree["a"])
    own = client.get(f"/org/indicators?plan=an-giang-311&year={YEAR}")
    assert own.status_code == 200 and "Người Phường B" not in own.get_data(as_text=True)
    assert client.get(f"/org/indicators?plan=an-giang-311&unit={tree['b'].id}").status_code == 404
    follow = client.get(
        f"/org/indicators/followup?plan=an-giang-311&year={YEAR}&code=1.6&line=0"
    ).get_data(as_text=True)
    assert "Đoàn Viên A0" in follow and "Người Phường B" not in follow
    counted = client.get(
        f"/org/indicators/followup?plan=an-giang-311&year={YEAR}&code=1.6&line=0&counted=1"
    ).get_data(as_text=True)
    assert "Đoàn Viên A0" not in counted and "Danh sách đã đạt" in counted
    resp = client.get(
        f"/org/indicators/followup.xlsx?plan=an-giang-311&year={YEAR}&code=1.6&line=0"
    )
    rows = list(load_workbook(io.BytesIO(resp.data)).active.iter_rows(values_only=True))
    assert rows[0][0] == "Họ và tên" and {r[0] for r in rows[1:]} == {
        f"Đoàn Viên A{i}" for i in range(3)
    }


def test_enter_a_reported_figure_then_confirm(client, login_as, tree, session):
    login_as("organiser", tree["a"])
    url = f"/org/indicators/entry?plan=an-giang-311&year={YEAR}&code=1.4&unit={tree['a'].id}"
    form = client.get(url)
    assert form.status_code == 200 and "Thanh niên Việt Nam" in form.get_data(as_text=True)
    bad = client.post(url, data={"numerator": "60", "denominator": "50"})
    assert bad.status_code == 200 and "không được lớn hơn tổng số" in bad.get_data(as_text=True)
    ok = client.post(
        url,
        data={
            "numerator": "35",
            "denominator": "50",
            "comment": "Theo số liệu ứng dụng",
            "evidence_url": "https://example.vn/bao-cao",
        },
    )
    assert ok.status_code == 302
    entry = session.scalar(select(IndicatorEntry))
    assert (entry.numerator, entry.denominator, entry.year) == (35, 50, YEAR)
    client.post(
        "/org/indicators/snapshot",
        data={"plan": "an-giang-311", "unit": tree["a"].id, "year": YEAR},
    )
    page = client.get(f"/org/indicators?plan=an-giang-311&year={YEAR}").get_data(as_text=True)
    assert "70.0%" in page and "(35/50)" in page
    client.post(
        "/org/indicators/confirm", data={"plan": "an-giang-311", "unit": tree["a"].id, "year": YEAR}
    )
    assert session.scalar(select(Confirmation.unit_id)) == tree["a"].id
    # The organiser of commune A cannot enter figures for commune B.
    other = f"/org/indicators/entry?plan=an-giang-311&year={YEAR}&code=1.4&unit={tree['b'].id}"
    assert client.get(other).status_code == 404


def test_definitions_list_says_how_each_indicator_is_measured(client, login_as, tree):
    login_as("organiser", tree["province"])
    text = client.get("/org/indicators/plans").get_data(as_text=True)
    for code in ("1.1 / 2.1", "1.13 / 2.13", "I.2.4"):
        assert code in text
    assert "Tính tự động" in text and "Đơn vị tự báo cáo" in text
    assert client.get("/org/indicators/plans/an-giang-311/edit").status_code == 403


def test_admin_edits_a_definition_with_line_errors(client, login_as, tree, session):
    login_as("admin")
    url = "/org/indicators/plans/hcm-2639/edit"
    source = session.get(I.PlanDefinition, "hcm-2639").source
    bad = client.post(url, data={"source": source.replace("kind: computed", "kind: counted", 1)})
    assert bad.status_code == 200 and "hcm-2639.yaml:" in bad.get_data(as_text=True)
    assert client.post(url, data={"source": source + "\n"}).status_code == 302


def test_provincial_organiser_chooses_the_unit_types(client, login_as, tree, session, now):
    login_as("organiser", tree["province"])
    page = client.get("/org/indicators/plans").get_data(as_text=True)
    assert "Đoàn xã, phường, đặc khu" in page  # 1.8: the level that replaced district unions
    resp = client.post(
        "/org/indicators/plans/an-giang-311/unit-types",
        data={"code": "1.8", "unit_types": ["commune", "grassroots"]},
    )
    assert resp.status_code == 302
    row = session.get(I.PlanDefinition, "an-giang-311")
    session.refresh(row)
    assert row.unit_types == {"1.8": ["commune", "grassroots"]}
    make_unit(session, "Đoàn cơ sở X", parent=tree["a"], code="AG-A-X", type_key="grassroots")
    snap = I.take_snapshot(session, "an-giang-311", YEAR, now)
    from quizapp.indicators.models import SnapshotValue

    total = session.scalar(
        select(SnapshotValue).where(
            SnapshotValue.snapshot_id == snap.id,
            SnapshotValue.unit_id == tree["province"].id,
            SnapshotValue.code == "1.8",
        )
    )
    assert total.denominator == 3  # two communes and the grassroots union
    client.post("/logout")
    login_as("organiser", tree["a"])
    refused = client.post(
        "/org/indicators/plans/an-giang-311/unit-types", data={"code": "1.8", "unit_types": []}
    )
    assert refused.status_code == 302
    session.refresh(row)
    assert row.unit_types == {"1.8": ["commune", "grassroots"]}  # a commune cannot change it


def test_report_downloads(client, login_as, tree):
    login_as("organiser", tree["a"])
    resp = client.get(f"/org/indicators/report.xlsx?plan=an-giang-311&year={YEAR}&all=1")
    assert resp.status_code == 200
    book = load_workbook(io.BytesIO(resp.data))
    assert set(book.sheetnames) >= {"an-giang-311", "hcm-2639"}
    assert any(
        "ĐOÀN XÃ MỸ HÒA HƯNG" in str(c.value)
        for row in book["an-giang-311"].iter_rows()
        for c in row
    )
    pdf = client.get(f"/org/indicators/report.pdf?plan=an-giang-311&year={YEAR}")
    assert pdf.status_code == 200 and pdf.data[:5] == b"%PDF-"
    other = client.get(
        f"/org/indicators/report.pdf?plan=an-giang-311&year={YEAR}&unit={tree['b'].id}"
    )
    assert other.status_code == 404
