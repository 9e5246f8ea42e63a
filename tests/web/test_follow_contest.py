"""Following a contest down the tree (issue 21 point 2): a ward organiser reads the
province's contest for their own members only — participation against the roster, results,
the follow-up list, certificates — and nothing of another ward's, and cannot edit it."""

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from quizapp import events
from quizapp.auth.services import actor_for
from quizapp.banks.models import QuestionVersion
from quizapp.certificates import glue
from quizapp.certificates import services as C
from quizapp.certificates.models import Certificate
from quizapp.contests.follow import followed_contests
from quizapp.orgs.scope import ancestor_paths
from quizapp.policy import SYSTEM, Actor, follow_paths
from tests.contest_helpers import make_bank, make_contest, play_round
from tests.factories import make_member, make_unit, make_user


@pytest.fixture()
def world(app, session, now):
    session.info[events.ISSUER] = glue.issuer
    province = make_unit(session, "Tỉnh Đoàn An Giang", code="AG")
    lx = make_unit(session, "Đoàn phường Long Xuyên", parent=province, code="AG-LX")
    lx1 = make_unit(session, "Chi đoàn khu phố 1 Long Xuyên", parent=lx, code="AG-LX-1")
    ml = make_unit(session, "Đoàn phường Mỹ Long", parent=province, code="AG-ML")
    bank = make_bank(session, province, now)
    contest = make_contest(session, province, bank, now, count=3)
    C.save_rule(session, contest.id, C.RuleData(kind="participation"), actor=SYSTEM, now=now)
    rnd = contest.rounds[0]
    players = {
        "Nguyễn Văn An": lx,
        "Trần Thị Bình": lx1,
        "Lê Văn Cường": ml,  # another ward: never shown to Long Xuyên
    }
    with app.app_context():  # the submission hook signs certificates with the app's keys
        for i, (name, unit) in enumerate(players.items()):
            user = make_user(session, role="member", unit=unit, name=name)
            play_round(session, rnd, user, now + timedelta(minutes=i))
    idle = [
        make_member(session, lx, "Phạm Thị Dung"),
        make_member(session, lx1, "Hoàng Văn Em"),
        make_member(session, ml, "Võ Thị Phương"),  # Mỹ Long's: not on LX's list
    ]
    session.commit()
    return dict(province=province, lx=lx, lx1=lx1, ml=ml, contest=contest, rnd=rnd, idle=idle)


def test_follow_paths_policy():
    ward = Actor(user_id=1, managed_paths=("/1/2/",))
    assert follow_paths(ward, "/1/", None) == ("/1/2/",)
    assert follow_paths(ward, "/1/", ("/1/2/5/",)) == ("/1/2/5/",)  # only the eligible branch
    assert follow_paths(ward, "/1/", ("/1/3/",)) == ()  # open to another ward only
    assert follow_paths(ward, "/9/", None) == ()  # another province
    assert follow_paths(ward, "/1/2/", None) == ()  # their own contest: managed, not followed
    assert follow_paths(Actor(user_id=2, is_admin=True), "/1/", None) == ()


def test_ward_organiser_sees_the_province_contest_in_its_own_section(
    client, session, world, login_as
):
    user = login_as("organiser", unit=world["lx"])
    html = client.get("/org/contests").get_data(as_text=True)
    assert world["contest"].title in html
    # 2 of the 4 Long Xuyên roster members (the ward and its branch) took part
    assert "2/4" in html  # "2/4 đoàn viên trong danh sách đã tham gia"
    assert [c.id for c, _p in followed_contests(session, actor_for(user))] == [world["contest"].id]


def test_follower_reads_only_their_subtree(client, session, world, login_as):
    login_as("organiser", unit=world["lx"])
    c, r = world["contest"].id, world["rnd"].id
    page = client.get(f"/org/contests/{c}/follow").get_data(as_text=True)
    assert "Nguyễn Văn An" in page and "Trần Thị Bình" in page and "Lê Văn Cường" not in page
    body = client.get(f"/org/contests/{c}/follow?format=csv").get_data(as_text=True)
    assert "Nguyễn Văn An" in body and "Trần Thị Bình" in body and "Lê Văn Cường" not in body
    html = client.get(f"/org/contests/{c}/follow/rounds/{r}").get_data(as_text=True)
    assert "Nguyễn Văn An" in html and "Trần Thị Bình" in html
    assert "Lê Văn Cường" not in html and "Mỹ Long" not in html
    body = client.get(f"/org/contests/{c}/follow/rounds/{r}?format=csv").get_data(as_text=True)
    assert "Nguyễn Văn An" in body and "Trần Thị Bình" in body and "Lê Văn Cường" not in body
    certs = client.get(f"/org/contests/{c}/follow/certificates").get_data(as_text=True)
    assert "Nguyễn Văn An" in certs and "Trần Thị Bình" in certs and "Lê Văn Cường" not in certs


def test_follow_up_list_is_exactly_the_roster_members_who_did_not_take_part(
    client, session, world, login_as
):
    login_as("organiser", unit=world["lx"])
    c = world["contest"].id
    html = client.get(f"/org/contests/{c}/follow/missing").get_data(as_text=True)
    assert "Phạm Thị Dung" in html and "Hoàng Văn Em" in html
    for name in ("Võ Thị Phương", "Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường"):
        assert name not in html
    body = client.get(f"/org/contests/{c}/follow/missing?format=csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert sorted(row[1] for row in rows[1:]) == ["Hoàng Văn Em", "Phạm Thị Dung"]
    xlsx = client.get(f"/org/contests/{c}/follow/missing?format=xlsx")
    assert xlsx.status_code == 200 and xlsx.data.startswith(b"PK")  # a zip: the XLSX
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    assert sorted(r[1] for r in sheet.iter_rows(min_row=2, values_only=True)) == [
        "Hoàng Văn Em",
        "Phạm Thị Dung",
    ]
    one_round = client.get(f"/org/contests/{c}/follow/missing?round={world['rnd'].id}")
    assert one_round.status_code == 200 and "Phạm Thị Dung" in one_round.get_data(as_text=True)


def test_branch_organiser_sees_only_the_branch(client, session, world, login_as):
    login_as("organiser", unit=world["lx1"])
    c, r = world["contest"].id, world["rnd"].id
    html = client.get(f"/org/contests/{c}/follow/rounds/{r}").get_data(as_text=True)
    assert "Trần Thị Bình" in html and "Nguyễn Văn An" not in html
    missing = client.get(f"/org/contests/{c}/follow/missing").get_data(as_text=True)
    assert "Hoàng Văn Em" in missing and "Phạm Thị Dung" not in missing


def test_follower_cannot_edit_manage_or_read_keys(client, session, world, login_as):
    login_as("organiser", unit=world["lx"])
    c, r = world["contest"].id, world["rnd"].id
    for url in (
        f"/org/contests/{c}",
        f"/org/contests/{c}/edit",
        f"/org/contests/{c}/rounds/{r}",
        f"/org/contests/{c}/rounds/{r}/results",
        f"/org/contests/{c}/rounds/{r}/results.csv",
        f"/org/contests/{c}/results",
    ):
        assert client.get(url).status_code in (403, 404), url
    version_id = session.scalar(select(QuestionVersion.id))
    assert client.get(f"/org/contests/{c}/rounds/{r}/questions/{version_id}/key").status_code in (
        403,
        404,
    )


def test_a_contest_open_to_another_ward_is_not_followed(client, session, world, login_as, now):
    bank = make_bank(session, world["province"], now, key="bank-ml")
    other = make_contest(session, world["province"], bank, now)
    other.eligibility, other.unit_ids = "units", [world["ml"].id]
    session.commit()
    user = login_as("organiser", unit=world["lx"])
    assert client.get(f"/org/contests/{other.id}/follow").status_code == 404
    assert client.get(f"/org/contests/{other.id}/follow/missing").status_code == 404
    assert [c.id for c, _p in followed_contests(session, actor_for(user))] == [world["contest"].id]


def test_units_of_the_subtree_in_tree_order_with_a_collective_ranking(
    client, session, world, login_as, now
):
    lx2 = make_unit(session, "Chi đoàn khu phố 2 Long Xuyên", parent=world["lx"], code="AG-LX-2")
    make_member(session, lx2, "Đặng Văn Giang")  # on the roster, did not take part
    with client.application.app_context():
        user = make_user(session, role="member", unit=lx2, name="Bùi Thị Hoa")
        play_round(session, world["rnd"], user, now + timedelta(minutes=9), right=1)
    session.commit()
    login_as("organiser", unit=world["lx"])
    c, r = world["contest"].id, world["rnd"].id
    html = client.get(f"/org/contests/{c}/follow/rounds/{r}").get_data(as_text=True)
    assert "Mỹ Long" not in html
    ward, b1, b2 = (html.index(n) for n in ("Đoàn phường Long Xuyên", "khu phố 1", "khu phố 2"))
    assert ward < b1 < b2  # tree order
    # khu phố 1: 1 of 2 (50 %) with full marks; khu phố 2: 1 of 2 (50 %) with 1/3: ties by
    # name on participation, khu phố 1 first on the mean score
    ranking = html[html.index("<h3>") :]
    assert ranking.index("khu phố 1") < ranking.index("khu phố 2")
    body = client.get(f"/org/contests/{c}/follow/rounds/{r}?format=csv&table=units").get_data(
        as_text=True
    )
    lines = body.splitlines()
    assert len(lines) == 4 and "Mỹ Long" not in body  # header, the ward and its two branches


def test_follower_downloads_their_members_certificates_only(client, session, world, login_as):
    login_as("organiser", unit=world["lx"])
    c = world["contest"].id
    certs = {x.recipient_name: x.id for x in session.scalars(select(Certificate))}
    assert set(certs) == {"Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường"}
    own = client.get(f"/org/contests/{c}/follow/certificates/{certs['Nguyễn Văn An']}.pdf")
    assert own.status_code == 200 and own.data.startswith(b"%PDF")
    other = client.get(f"/org/contests/{c}/follow/certificates/{certs['Lê Văn Cường']}.pdf")
    assert other.status_code == 404
    assert client.get(f"/certificates/{certs['Lê Văn Cường']}.pdf").status_code in (403, 404)


def test_ancestor_paths():
    assert ancestor_paths("/1/7/12/") == ["/1/", "/1/7/"]
    assert ancestor_paths("/1/") == []


def test_index_names_the_section_and_hides_a_draft(client, session, world, login_as, now):
    draft = make_contest(
        session,
        world["province"],
        make_bank(session, world["province"], now, key="bank-nhap"),
        now,
        publish=False,
    )
    draft.title = "Cuộc thi nháp của Tỉnh Đoàn"
    session.commit()
    login_as("organiser", unit=world["lx"])
    html = client.get("/org/contests").get_data(as_text=True)
    assert "Cuộc thi của cấp trên" in html and "Chưa có cuộc thi nào" not in html
    assert "Cuộc thi nháp của Tỉnh Đoàn" not in html
    assert client.get(f"/org/contests/{draft.id}/follow").status_code == 404


def test_a_contest_open_to_one_branch_is_followed_for_that_branch_only(
    client, session, world, login_as
):
    contest = world["contest"]
    contest.eligibility, contest.unit_ids = "units", [world["lx1"].id, world["ml"].id]
    session.commit()
    login_as("organiser", unit=world["lx"])
    c, r = contest.id, world["rnd"].id
    page = client.get(f"/org/contests/{c}/follow").get_data(as_text=True)
    assert "1/2" in page  # the branch's roster only: Trần Thị Bình took part, Hoàng Văn Em not
    html = client.get(f"/org/contests/{c}/follow/rounds/{r}").get_data(as_text=True)
    assert "Trần Thị Bình" in html and "Nguyễn Văn An" not in html
    missing = client.get(f"/org/contests/{c}/follow/missing").get_data(as_text=True)
    assert "Hoàng Văn Em" in missing and "Phạm Thị Dung" not in missing
