"""The personal-data pages end to end: a member downloads their data (JSON and XLSX),
corrects their name, asks for deletion (a minor with a guardian); their unit's organiser sees
the request with its due date and approves it (the member is logged out for good); an
organiser of another unit sees nothing; organisers' views and exports of personal data are
logged (one row each) and listed per subtree."""

import io
import json
from datetime import date, timedelta

from openpyxl import load_workbook
from sqlalchemy import func, select

from quizapp.auth.models import User
from quizapp.rights.models import DataAccess, DataRequest
from tests.factories import make_member, make_unit, make_user


def _tree(session):
    province = make_unit(session, "Tỉnh Đoàn An Giang", code="AG")
    a = make_unit(session, "Đoàn xã A", parent=province, code="AG-A", type_key="commune")
    b = make_unit(session, "Đoàn xã B", parent=province, code="AG-B", type_key="commune")
    session.commit()
    return province, a, b


def test_member_downloads_corrects_and_asks_for_deletion(app, client, session, login_as, now):
    province, a, b = _tree(session)
    member = login_as("member", a, name="Đỗ Thị Hạnh")
    page = client.get("/account/data").get_data(as_text=True)
    assert "Tải về" in page and "Xóa dữ liệu của tôi" in page
    resp = client.post("/account/data/export", data={"export-fmt": "json"})
    assert resp.status_code == 200 and "attachment" in resp.headers["Content-Disposition"]
    body = json.loads(resp.data)
    assert body["tables"]["user_account"][0]["id"] == member.id
    assert "password_hash" not in body["tables"]["user_account"][0]
    resp = client.post("/account/data/export", data={"export-fmt": "xlsx"})
    sheets = load_workbook(io.BytesIO(resp.data)).sheetnames
    assert "user_account" in sheets and "member" in sheets
    # correct the name
    resp = client.post("/account/data/correct", data={"full_name": "Đỗ Thị Hồng Hạnh", "email": ""})
    assert resp.status_code == 302
    session.expire_all()
    assert session.get(User, member.id).member.full_name == "Đỗ Thị Hồng Hạnh"
    # deletion needs the confirmation
    resp = client.post("/account/data/delete", data={})
    assert resp.status_code == 422
    resp = client.post("/account/data/delete", data={"delete-confirm": "y"})
    assert resp.status_code == 302
    req = session.scalar(select(DataRequest).where(DataRequest.kind == "deletion"))
    assert req.status == "pending" and req.due_at == now + timedelta(hours=72)
    page = client.get("/account/data").get_data(as_text=True)
    assert "đang chờ" in page.lower()

    # an organiser of another commune sees nothing and cannot decide
    client.post("/logout")
    login_as("organiser", b)
    assert "Đỗ Thị Hồng Hạnh" not in client.get("/org/data-requests").get_data(as_text=True)
    assert client.get(f"/org/data-requests/{req.id}").status_code == 404
    client.post("/logout")
    # the province organiser decides
    login_as("organiser", province)
    listing = client.get("/org/data-requests").get_data(as_text=True)
    assert "Đỗ Thị Hồng Hạnh" in listing
    resp = client.post(f"/org/data-requests/{req.id}", data={"decision": "approve"})
    assert resp.status_code == 200  # the irreversibility box was not ticked
    session.expire_all()
    assert session.get(DataRequest, req.id).status == "pending"
    resp = client.post(f"/org/data-requests/{req.id}", data={"decision": "approve", "confirm": "y"})
    assert resp.status_code == 302
    session.expire_all()
    gone = session.get(User, member.id)
    assert gone.display_name.startswith("Người dùng đã xóa #")
    assert session.get(DataRequest, req.id).status == "approved"
    client.post("/logout")
    resp = client.post("/login", data={"identifier": member.email, "password": "correct horse"})
    assert resp.status_code == 200  # refused: the account is gone


def test_a_minor_asks_with_a_guardian(app, client, session, login_as, now):
    _province, a, _b = _tree(session)
    minor = login_as("member", a)
    minor.member.birth_date = date(2013, 5, 1)
    session.commit()
    page = client.get("/account/data").get_data(as_text=True)
    assert "cha, mẹ hoặc người giám hộ" in page
    assert client.post("/account/data/export", data={"export-fmt": "json"}).status_code == 422
    resp = client.post(
        "/account/data/delete",
        data={
            "delete-confirm": "y",
            "delete-with_guardian": "y",
            "delete-guardian_name": "Trần Văn Ba",
            "delete-guardian_contact": "0987654321",
        },
    )
    assert resp.status_code == 302
    req = session.scalar(select(DataRequest).where(DataRequest.kind == "deletion"))
    assert (req.guardian_name, req.guardian_contact) == ("Trần Văn Ba", "0987654321")


def test_views_and_exports_of_personal_data_are_logged(app, client, session, login_as):
    province, a, b = _tree(session)
    for i in range(3):
        make_member(session, a, f"Người A {i}")
    make_member(session, b, "Người B")
    session.commit()
    org = login_as("organiser", a)
    before = session.scalar(select(func.count()).select_from(DataAccess))
    assert client.get("/org/members").status_code == 200
    assert client.get("/org/members/export.xlsx").status_code == 200
    rows = session.scalars(select(DataAccess).order_by(DataAccess.id)).all()[before:]
    assert [(r.what, r.people, r.actor_id, r.unit_path) for r in rows] == [
        ("members", 3, org.id, a.path),
        ("members.export", 3, org.id, a.path),
    ]
    page = client.get("/org/data-access").get_data(as_text=True)
    assert "Xuất danh sách đoàn viên ra tệp" in page and "Danh sách đoàn viên" in page
    assert page.count("<tr>") >= 3
    client.post("/logout")
    # B's organiser does not see A's log; the province's does
    login_as("organiser", b)
    assert "<tbody>" not in client.get("/org/data-access").get_data(as_text=True)
    client.post("/logout")
    login_as("organiser", province)
    page = client.get(f"/org/data-access?unit={a.id}").get_data(as_text=True)
    assert page.count('class="num">3<') == 2
    member = make_user(session, role="member", unit=a)
    session.commit()
    assert client.get(f"/org/members/{member.member_id}").status_code == 200
    last = session.scalars(select(DataAccess).order_by(DataAccess.id.desc())).first()
    assert (last.what, last.people, last.object_id) == ("member", 1, str(member.member_id))


def test_a_deleted_persons_certificate_verifies_as_revoked(app, client, session, login_as, now):
    from quizapp import events
    from quizapp.certificates import glue
    from quizapp.certificates import services as C
    from quizapp.certificates.models import Certificate
    from quizapp.policy import SYSTEM
    from quizapp.rights import services as RS
    from tests.contest_helpers import make_bank, make_contest, play_round

    session.info[events.ISSUER] = glue.issuer
    province, a, _b = _tree(session)
    contest = make_contest(session, province, make_bank(session, province, now), now, count=3)
    C.save_rule(session, contest.id, C.RuleData(kind="participation"), actor=SYSTEM, now=now)
    user = make_user(session, role="member", unit=a, name="Lâm Thị Mỹ Dung")
    user.member.full_name = "Lâm Thị Mỹ Dung"
    with app.app_context():
        play_round(session, contest.rounds[0], user, now, right=2)
    cert = session.scalar(select(Certificate).where(Certificate.user_id == user.id))
    assert "Lâm Thị Mỹ Dung" in client.get(f"/v/{cert.code}").get_data(as_text=True)
    req = RS.request_deletion(
        session,
        user,
        confirmed=True,
        keep_certificates=False,
        guardian=None,
        period=timedelta(hours=72),
        now=now,
    )
    session.commit()
    login_as("organiser", province)
    resp = client.post(f"/org/data-requests/{req.id}", data={"decision": "approve", "confirm": "y"})
    assert resp.status_code == 302
    client.post("/logout")
    page = client.get(f"/v/{cert.code}").get_data(as_text=True)
    assert "Đã thu hồi" in page and "xóa dữ liệu theo yêu cầu" in page
    assert "Lâm Thị Mỹ Dung" not in page
    assert client.get(f"/v/{cert.code}/credential.json").status_code == 404
    # offline verifiers learn it from the signed revocation list
    from quizapp.certificates.signing import b64url_decode

    jws = client.get("/.well-known/revocations.json").get_json()["jws"]
    listed = json.loads(b64url_decode(jws.split(".")[1]))["revoked"]
    assert any(e["id"].endswith(f"/v/{cert.code}") for e in listed)


def test_withdrawing_consent_from_the_page(app, client, session, login_as, now):
    from quizapp.auth.models import Consent

    province, a, _b = _tree(session)
    member = login_as("member", a)
    page = client.get("/account/data").get_data(as_text=True)
    assert "Chưa có sự đồng ý nào của bạn được ghi nhận" in page
    session.add(
        Consent(
            member_id=member.member_id,
            kind="self",
            text_version="2026-01",
            given_by=member.member.full_name,
            given_at=now,
        )
    )
    session.commit()
    assert "Rút lại sự đồng ý" in client.get("/account/data").get_data(as_text=True)
    assert client.post("/account/data/withdraw", data={}).status_code == 422
    assert client.post("/account/data/withdraw", data={"withdraw-confirm": "y"}).status_code == 302
    session.expire_all()
    assert session.scalar(select(Consent.withdrawn_at)) == now
    assert "Bạn đã rút lại sự đồng ý." in client.get("/account/data").get_data(as_text=True)
    client.post("/account/data/delete", data={"delete-confirm": "y"})
    client.post("/logout")
    # the organiser's member page says both
    login_as("organiser", province)
    page = client.get(f"/org/members/{member.member_id}").get_data(as_text=True)
    assert "đã rút lại sự đồng ý" in page and "đã yêu cầu xóa dữ liệu cá nhân" in page
