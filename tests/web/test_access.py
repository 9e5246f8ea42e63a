"""Role × endpoint access matrix: organisers stay in their subtree, members out of /org."""

import pytest

from quizapp.audit.services import record
from quizapp.policy import SYSTEM
from tests.factories import make_member, make_unit

ORG_PAGES = [
    "/org",
    "/org/units",
    "/org/units/new",
    "/org/units/merge",
    "/org/members",
    "/org/members/new",
    "/org/import",
    "/org/audit",
    "/org/organisers",
    "/org/templates/members.xlsx",
    "/org/members/export.xlsx",
]


@pytest.fixture()
def world(session):
    province = make_unit(session, "Tỉnh Đoàn", code="P")
    a = make_unit(session, "Đoàn xã A", parent=province, code="A", type_key="commune")
    b = make_unit(session, "Đoàn xã B", parent=province, code="B", type_key="commune")
    a1 = make_unit(session, "Chi đoàn A1", parent=a, code="A1")
    b1 = make_unit(session, "Chi đoàn B1", parent=b, code="B1")
    ma = make_member(session, a1, "Thành viên A")
    mb = make_member(session, b1, "Thành viên B")
    record(
        session,
        actor=SYSTEM,
        action="test.a",
        object_type="unit",
        object_id=a.id,
        unit_path=a1.path,
        summary="nhật ký của A",
    )
    record(
        session,
        actor=SYSTEM,
        action="test.b",
        object_type="unit",
        object_id=b.id,
        unit_path=b1.path,
        summary="nhật ký của B",
    )
    session.commit()
    return dict(province=province, a=a, b=b, a1=a1, b1=b1, ma=ma, mb=mb)


@pytest.mark.parametrize("path", ORG_PAGES)
def test_guest_is_sent_to_login(client, world, path):
    resp = client.get(path)
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


@pytest.mark.parametrize("path", ORG_PAGES)
def test_member_gets_403_on_organiser_pages(client, login_as, world, path):
    login_as("member", world["a1"])
    assert client.get(path).status_code == 403


@pytest.mark.parametrize("path", ORG_PAGES)
def test_organiser_and_admin_reach_organiser_pages(client, login_as, world, path):
    login_as("organiser", world["a"])
    assert client.get(path).status_code == 200


def test_organiser_of_a_cannot_see_or_change_b(client, login_as, world):
    login_as("organiser", world["a"])
    b, b1, mb = world["b"], world["b1"], world["mb"]
    for path in (
        f"/org/units/{b.id}",
        f"/org/units/{b1.id}",
        f"/org/members?unit={b.id}",
        f"/org/members/{mb.id}",
        f"/org/members/export.xlsx?unit={b.id}",
    ):
        assert client.get(path).status_code == 404, path
    for path, data in (
        (f"/org/units/{b1.id}/archive", {}),
        (f"/org/members/{mb.id}/active", {"active": "0"}),
        (f"/org/members/{mb.id}/reset-code", {}),
        (f"/org/units/{b1.id}", {"code": "B1", "name": "Đổi tên", "type_key": "branch"}),
    ):
        assert client.post(path, data=data).status_code == 404, path
    listing = client.get("/org/members").get_data(as_text=True)
    assert "Thành viên A" in listing and "Thành viên B" not in listing
    log = client.get("/org/audit").get_data(as_text=True)
    assert "nhật ký của A" in log and "nhật ký của B" not in log
    units = client.get("/org/units").get_data(as_text=True)
    assert "Chi đoàn A1" in units and "Chi đoàn B1" not in units


def test_organiser_sees_and_changes_own_subtree(client, login_as, world, session):
    login_as("organiser", world["a"])
    a1, ma = world["a1"], world["ma"]
    assert client.get(f"/org/units/{a1.id}").status_code == 200
    assert "Thành viên A" in client.get(f"/org/members/{ma.id}").get_data(as_text=True)
    resp = client.post(
        f"/org/units/{a1.id}", data={"code": "A1", "name": "Chi đoàn A1 mới", "type_key": "branch"}
    )
    assert resp.status_code == 302
    session.expire_all()
    assert session.get(type(a1), a1.id).name == "Chi đoàn A1 mới"


def test_admin_sees_everything(client, login_as, world):
    login_as("admin")
    log = client.get("/org/audit").get_data(as_text=True)
    assert "nhật ký của A" in log and "nhật ký của B" in log
    assert client.get(f"/org/members/{world['mb'].id}").status_code == 200


def test_no_state_change_on_get(client, login_as, world):
    login_as("organiser", world["a"])
    for path in (
        f"/org/units/{world['a1'].id}/archive",
        "/logout",
        "/org/import/confirm",
        f"/org/members/{world['ma'].id}/active",
    ):
        assert client.get(path).status_code == 405, path
