"""Collective prizes: the units directly under the organising unit ranked by participation
rate against the roster (their whole subtree) and by mean score, with the rules stated on
the results page and the same rankings in the results export's own sheet."""

import io

from openpyxl import load_workbook

from tests.contest_helpers import make_bank, make_contest, play_round
from tests.factories import make_member, make_unit, make_user

RULE = "Tỷ lệ tham gia = số đoàn viên đã dự thi / số đoàn viên trong danh sách được dự thi"


def _tree(session, now):
    """Province → ward A (with branch A1), ward B, ward C (nobody on the roster).
    A: 2 of 4 took part (one in A1), 3/3 and 1/3; B: 1 of 2, 3/3. Both 50 %: B first on the
    mean score (100 % vs 66.7 %). By mean: B (100 %), then A."""
    province = make_unit(session, "Tỉnh Đoàn An Giang", code="AG")
    a = make_unit(session, "Phường A", parent=province, code="AG-A")
    a1 = make_unit(session, "Chi đoàn A1", parent=a, code="AG-A1")
    b = make_unit(session, "Xã B", parent=province, code="AG-B")
    make_unit(session, "Xã C", parent=province, code="AG-C")
    contest = make_contest(session, province, make_bank(session, province, now), now, count=3)
    rnd = contest.rounds[0]
    make_member(session, a)
    make_member(session, a1)
    make_member(session, b)
    for unit, right in ((a, 3), (a1, 1), (b, 3)):
        user = make_user(session, role="member", unit=unit)
        play_round(session, rnd, user, now, right=right)
    session.commit()
    return province, contest, rnd


def test_units_ranked_by_rate_then_mean_with_the_rules_stated(client, login_as, session, now):
    province, contest, rnd = _tree(session, now)
    login_as("organiser", unit=province)
    base = f"/org/contests/{contest.id}/rounds/{rnd.id}"
    html = client.get(f"{base}/results").get_data(as_text=True)
    section = html[html.index("Xếp hạng tập thể các đơn vị") :]
    assert RULE in section and "Bằng nhau thì xét điểm trung bình" in section
    by_rate = section[section.index("Theo tỷ lệ tham gia") : section.index("Theo điểm trung bình")]
    assert by_rate.index("Xã B") < by_rate.index("Phường A")  # 50 % each, B's mean is higher
    assert "Xã C" not in by_rate  # nobody on its roster: not ranked
    assert "<td>1</td><th scope=\"row\">Xã B</th><td>50%</td><td>1/2</td>" in by_rate
    assert "<td>2</td><th scope=\"row\">Phường A</th><td>50%</td><td>2/4</td>" in by_rate

    wb = load_workbook(io.BytesIO(client.get(f"{base}/results.xlsx").data))
    assert wb.sheetnames[1] == "Xếp hạng tập thể"
    rows = [[c.value for c in r] for r in wb.worksheets[1].iter_rows()]
    assert rows[0][:4] == ["Bảng xếp hạng", "Hạng", "Đơn vị", "Tỷ lệ tham gia (%)"]
    ranked = [(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows[1:] if r[1] is not None]
    assert ranked == [
        ("Theo tỷ lệ tham gia", 1, "Xã B", 50, 1, 2),
        ("Theo tỷ lệ tham gia", 2, "Phường A", 50, 2, 4),
        ("Theo điểm trung bình", 1, "Xã B", 50, 1, 2),
        ("Theo điểm trung bình", 2, "Phường A", 50, 2, 4),
    ]
    assert [r[6] for r in rows[3:5]] == [100, round(200 / 3, 2)]  # mean score (%)
    assert any(r[0] and r[0].startswith(RULE) for r in rows)  # the rules, under the table
