"""Issue 25: authority never flows up the tree, object-level reads, redirects, sessions."""

from __future__ import annotations

import io

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from quizapp.audit.models import AuditEntry
from quizapp.auth.models import LoginSession, OrganiserRole, ResetCode
from quizapp.auth.services import actor_for
from quizapp.banks import services as bank_services
from quizapp.contests import attempts as A
from quizapp.contests import starting as S
from quizapp.orgs.models import Member
from quizapp.policy import SYSTEM, Actor, can_act_on_account
from quizapp.redirects import safe_next
from tests.contest_helpers import make_bank, make_contest
from tests.factories import make_member, make_unit, make_user


@pytest.fixture()
def tree(session):
    province = make_unit(session, "Tỉnh Đoàn", code="P")
    ward = make_unit(session, "Đoàn phường", parent=province, code="W", type_key="commune")
    branch = make_unit(session, "Chi đoàn", parent=ward, code="W1")
    other = make_unit(session, "Đoàn xã khác", parent=province, code="X", type_key="commune")
    session.commit()
    return dict(province=province, ward=ward, branch=branch, other=other)


def _on_roster_of(session, user, unit):
    """Put an account holder (organiser or admin) on a unit's roster, as happens when the
    ward organiser is also a member of one of the ward's branches."""
    member = make_member(session, unit, user.display_name)
    user.member_id = member.id
    session.commit()
    return member


# --- 1. authority never flows up ---------------------------------------------------------


def test_policy_can_act_on_account():
    branch = Actor(user_id=1, managed_paths=("/1/2/3/",))
    ward = Actor(user_id=2, managed_paths=("/1/2/",))
    assert can_act_on_account(branch, is_admin=False, role_paths=())
    assert can_act_on_account(ward, is_admin=False, role_paths=("/1/2/3/",))
    assert not can_act_on_account(branch, is_admin=False, role_paths=("/1/2/",))
    assert not can_act_on_account(branch, is_admin=False, role_paths=("/1/2/3/",))  # a peer
    assert not can_act_on_account(ward, is_admin=False, role_paths=("/1/2/3/", "/1/9/"))
    assert not can_act_on_account(ward, is_admin=True, role_paths=())
    assert can_act_on_account(SYSTEM, is_admin=True, role_paths=("/1/",))


ACCOUNT_ACTIONS = [
    ("reset-code", lambda m: (f"/org/members/{m.id}/reset-code", {})),
    ("deactivate", lambda m: (f"/org/members/{m.id}/active", {"active": "0"})),
    (
        "edit",
        lambda m: (
            f"/org/members/{m.id}",
            {
                "full_name": "Tên bị đổi",
                "unit_id": str(m.unit_id),
                "categories": ["member"],
                "phone": m.phone or "",
            },
        ),
    ),
]


@pytest.mark.parametrize("target_role", ["ward-organiser", "admin", "co-organiser"])
@pytest.mark.parametrize("action", [a[0] for a in ACCOUNT_ACTIONS])
def test_branch_organiser_cannot_act_on_higher_accounts(
    client, login_as, session, tree, target_role, action
):
    if target_role == "ward-organiser":
        target = make_user(session, role="organiser", unit=tree["ward"])
    elif target_role == "admin":
        target = make_user(session, role="admin")
    else:
        target = make_user(session, role="organiser", unit=tree["branch"])
    member = _on_roster_of(session, target, tree["branch"])
    before = member.full_name
    login_as("organiser", tree["branch"])
    url, data = dict(ACCOUNT_ACTIONS)[action](member)
    resp = client.post(url, data=data)
    assert resp.status_code == 403, (action, target_role, resp.status_code)
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(ResetCode)) == 0
    assert session.get(Member, member.id).active
    assert session.get(Member, member.id).full_name == before


def test_branch_organiser_cannot_revoke_roles_of_higher_accounts(client, login_as, session, tree):
    ward_organiser = make_user(session, role="organiser", unit=tree["ward"])
    extra = OrganiserRole(user_id=ward_organiser.id, unit_id=tree["branch"].id)
    session.add(extra)
    session.commit()
    login_as("organiser", tree["branch"])
    assert client.post(f"/org/organisers/{extra.id}/revoke").status_code == 403
    session.expire_all()
    assert session.get(OrganiserRole, extra.id) is not None


def test_ward_organiser_still_resets_a_branch_member_and_branch_organiser(
    client, login_as, session, tree
):
    branch_organiser = make_user(session, role="organiser", unit=tree["branch"])
    member = _on_roster_of(session, branch_organiser, tree["branch"])
    plain = make_user(session, role="member", unit=tree["branch"])
    login_as("organiser", tree["ward"])
    for m in (member, plain.member):
        resp = client.post(f"/org/members/{m.id}/reset-code")
        assert resp.status_code == 200 and "Mã" in resp.get_data(as_text=True)


# --- 8. sessions end with the rights ------------------------------------------------------


def _sessions(session, user_id):
    session.expire_all()
    return session.scalar(
        select(func.count()).select_from(LoginSession).where(LoginSession.user_id == user_id)
    )


def _second_login(app, user):
    other = app.test_client()
    resp = other.post("/login", data={"identifier": user.email, "password": "correct horse"})
    assert resp.status_code == 302
    return other


def test_password_change_ends_the_other_sessions(app, client, login_as, session, tree):
    user = login_as("member", tree["branch"])
    other = _second_login(app, user)
    assert _sessions(session, user.id) == 2
    resp = client.post(
        "/me",
        data={
            "old_password": "correct horse",
            "new_password": "a new long password",
            "confirm": "a new long password",
            "new_password2": "a new long password",
        },
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
    assert _sessions(session, user.id) == 1
    assert client.get("/me").status_code == 200  # this one stays
    assert other.get("/me").status_code == 302  # the other is logged out


def test_deactivation_and_role_removal_end_sessions(app, client, login_as, session, tree):
    member_user = make_user(session, role="member", unit=tree["branch"])
    organiser = make_user(session, role="organiser", unit=tree["branch"])
    session.commit()
    m_client, o_client = _second_login(app, member_user), _second_login(app, organiser)
    login_as("organiser", tree["ward"])
    assert (
        client.post(
            f"/org/members/{member_user.member_id}/active", data={"active": "0"}
        ).status_code
        == 302
    )
    assert _sessions(session, member_user.id) == 0
    assert m_client.get("/me").status_code == 302
    role = organiser.organiser_roles[0]
    assert client.post(f"/org/organisers/{role.id}/revoke").status_code == 302
    assert _sessions(session, organiser.id) == 0
    assert o_client.get("/org").status_code == 302


# --- 7. redirects -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "/\\evil.example",
        "/%09/evil.example",
        "/%2F/evil.example",
        "/%252F%252Fevil.example",
        "https://evil.example/",
        "/ok\r\nSet-Cookie: x=1",
        "/%0d%0aLocation:%20https://evil.example",
        "javascript:alert(1)",
        "\\\\evil.example",
        "",
    ],
)
def test_next_stays_on_the_site(client, login_as, session, tree, target):
    assert safe_next(target, "/home") == "/home"
    resp = client.post("/lang", data={"lang": "en", "next": target})
    assert resp.status_code == 302 and resp.headers["Location"] == "/"
    user = make_user(session, role="member", unit=tree["branch"])
    session.commit()
    resp = client.post(
        "/login",
        query_string={"next": target},
        data={"identifier": user.email, "password": "correct horse"},
    )
    assert resp.status_code == 302 and resp.headers["Location"] == "/"


def test_next_keeps_local_paths(client):
    for target in ("/c/thi-thu?x=1", "/org/members?q=Nguy%E1%BB%85n", "/"):
        assert safe_next(target, "/home") == target
    resp = client.post("/lang", data={"lang": "vi", "next": "/c/thi?x=1"})
    assert resp.headers["Location"] == "/c/thi?x=1"


@given(st.text(max_size=60))
def test_safe_next_never_leaves_the_site(target):
    out = safe_next(target, "/")
    assert out.startswith("/") and not out.startswith("//") and "\\" not in out
    assert not any(ord(c) < 32 for c in out)


# --- 2. object-level reads ----------------------------------------------------------------


def test_key_page_reads_only_versions_drawn_in_the_round(app, client, login_as, session, tree, now):
    mine = make_bank(session, tree["ward"], now, key="bank-w")
    secret = make_bank(session, tree["other"], now, key="bank-x")
    contest = make_contest(session, tree["ward"], mine, now, count=3)
    rnd = contest.rounds[0]
    taker = make_user(session, role="member", unit=tree["branch"])
    with app.app_context():
        attempt = S.start_attempt(session, rnd.id, user=taker, actor=actor_for(taker), now=now)
        A.submit_attempt(session, attempt.id, user=taker, now=now)
    session.commit()
    from quizapp.banks.models import BankQuestion

    foreign = session.scalars(
        select(BankQuestion.current_version_id).where(BankQuestion.bank_id == secret.id)
    ).first()
    login_as("organiser", tree["ward"])
    base = f"/org/contests/{contest.id}/rounds/{rnd.id}/questions"
    assert client.get(f"{base}/{attempt.questions[0].version_id}/key").status_code == 200
    resp = client.get(f"{base}/{foreign}/key")
    assert resp.status_code == 404
    assert "Câu hỏi số" not in resp.get_data(as_text=True)
    assert client.post(f"{base}/{foreign}/key", data={"mode": "void"}).status_code == 404


def test_import_preview_does_not_reveal_another_units_bank(client, login_as, session, tree, now):
    bank_services.create_bank(
        session,
        actor=SYSTEM,
        key="bi-mat",
        title="Ngân hàng bí mật của xã khác",
        owner_unit_id=tree["other"].id,
        now=now,
    )
    session.commit()
    login_as("organiser", tree["ward"])
    text = (
        "format: quizapp-bank/1\nbank:\n  key: bi-mat\n  title: Thử\n  language: vi\n"
        "questions:\n- key: q1\n  type: truefalse\n  text: Câu hỏi?\n  answer: true\n"
    )
    resp = client.post(
        "/org/banks/import",
        data={
            "file": (io.BytesIO(text.encode()), "bank.yaml"),
            "format": "auto",
            "owner_unit_id": str(tree["ward"].id),
        },
        content_type="multipart/form-data",
    )
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "Ngân hàng bí mật" not in page and "bi-mat" in page
    assert 'action="/org/banks/import/confirm"' not in page


def test_draft_contest_is_hidden_from_other_units_organisers(client, login_as, session, tree, now):
    bank = make_bank(session, tree["other"], now, key="bank-o")
    draft = make_contest(session, tree["other"], bank, now, publish=False)
    session.commit()
    login_as("organiser", tree["ward"])
    assert client.get(f"/c/{draft.slug}").status_code == 404


# --- 12. identity of the top unit, province-wide snapshots --------------------------------


def test_organiser_cannot_recode_or_retype_own_unit(client, login_as, session, tree):
    login_as("organiser", tree["ward"])
    ward = tree["ward"]
    resp = client.post(
        f"/org/units/{ward.id}", data={"code": "NEW", "name": ward.name, "type_key": "school"}
    )
    assert resp.status_code == 403
    session.expire_all()
    assert (ward.code, ward.type_key) == ("W", "commune")
    resp = client.post(
        f"/org/units/{ward.id}",
        data={"code": "W", "name": "Đoàn phường mới", "type_key": "commune"},
    )
    assert resp.status_code == 302


def test_province_wide_snapshot_is_for_the_province_limited_and_audited(
    client, login_as, session, tree, clock
):
    login_as("organiser", tree["ward"])
    assert client.post("/org/indicators/snapshot").status_code == 403
    client.post("/logout")
    login_as("organiser", tree["province"])
    assert client.post("/org/indicators/snapshot").status_code == 302
    assert client.post("/org/indicators/snapshot").status_code == 409  # within the minute
    clock.advance(minutes=2)
    assert client.post("/org/indicators/snapshot").status_code == 302
    actions = session.scalars(
        select(AuditEntry.action).where(AuditEntry.action == "indicators.snapshot")
    ).all()
    assert len(actions) == 2


def test_registration_on_a_roster_phone_is_confirmed_by_the_organiser(
    client, login_as, session, tree
):
    member = make_member(session, tree["branch"], "Trần Thị Thật", phone="0911000222")
    session.commit()
    data = {
        "full_name": "Người Khác",
        "birth_date": "2001-03-02",
        "phone": "0911000222",
        "password": "mật khẩu dài",
        "unit_id": str(tree["branch"].id),
        "categories": ["youth"],
        "consent": "y",
    }
    resp = client.post("/register", data=data, follow_redirects=True)
    assert "cán bộ phụ trách sẽ xác nhận" in resp.get_data(as_text=True)
    session.expire_all()
    assert session.get(Member, member.id).full_name == "Trần Thị Thật"
    client.post("/logout")  # registering logged the newcomer in
    login_as("organiser", tree["ward"])
    page = client.get(f"/org/members/{member.id}").get_data(as_text=True)
    assert "Người Khác" in page and "Xác nhận: cùng một người" in page
    claim_url = page.split(f'action="/org/members/{member.id}/claims/')[1].split('"')[0]
    resp = client.post(f"/org/members/{member.id}/claims/{claim_url}", data={"accept": "1"})
    assert resp.status_code == 302
    session.expire_all()
    from quizapp.auth.models import User

    assert session.scalar(select(User.member_id).where(User.phone == "0911000222")) == member.id
