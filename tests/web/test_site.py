"""Health check, security headers, CSRF, language switch, login/logout sessions."""

import re

from sqlalchemy import select

from quizapp.auth.models import LoginSession, User
from quizapp.extensions import db
from tests.factories import make_unit, registration_form


def test_healthz_ok(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200 and resp.get_json() == {"status": "ok"}


def test_healthz_is_liveness_only(tmp_path):
    """An unreachable database makes the app unready (/readyz, tests/web/test_ops_health.py),
    not dead: the supervisor must not restart every worker during a database outage."""
    from quizapp import create_app
    from quizapp.db import make_engine

    broken = make_engine(f"sqlite:///{tmp_path}/missing-dir/x.db")
    app = create_app({"TESTING": True, "SECRET_KEY": "x" * 40, "ENGINE": broken})
    resp = app.test_client().get("/healthz")
    assert resp.status_code == 200 and resp.get_json() == {"status": "ok"}
    db.session.remove()


def test_security_headers(client):
    resp = client.get("/")
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["X-Frame-Options"] == "DENY"


def test_security_headers_once_and_a_views_own_kept(client):
    resp = client.get("/v/" + "a" * 24)
    assert resp.headers.getlist("X-Frame-Options") == ["DENY"]
    assert len(resp.headers.getlist("Content-Security-Policy")) == 1
    jwks = client.get("/.well-known/jwks.json")
    assert jwks.headers.getlist("Referrer-Policy") == ["same-origin"]


def test_private_pages_are_not_stored(client, login_as, session):
    """Anonymous public pages may be cached; a logged-in browser's pages may not, and a
    view's own Cache-Control wins."""
    assert "Cache-Control" not in client.get("/").headers
    assert "Cache-Control" not in client.get("/v/" + "a" * 24).headers
    login_as("member", unit=make_unit(session, "Tỉnh T"))
    assert client.get("/").headers["Cache-Control"] == "no-store"
    assert client.get("/me/certificates").headers["Cache-Control"] == "no-store"
    assert client.get("/healthz").headers["Cache-Control"] == "no-store"


def test_vietnamese_by_default_english_on_switch(client):
    home = client.get("/").get_data(as_text=True)
    assert 'lang="vi"' in home and "Đăng nhập" in home
    resp = client.post("/lang", data={"lang": "en", "next": "/login"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/login")
    page = client.get("/login").get_data(as_text=True)
    assert 'lang="en"' in page and "Log in" in page
    evil = client.post("/lang", data={"lang": "vi", "next": "//evil.example"})
    assert "evil" not in evil.headers["Location"]


def test_csrf_rejects_form_without_token(csrf_app, session):
    client = csrf_app.test_client()
    resp = client.post("/login", data={"identifier": "x@example.vn", "password": "x"})
    assert resp.status_code == 400
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    ok = client.post(
        "/login", data={"identifier": "x@example.vn", "password": "x", "csrf_token": token}
    )
    assert ok.status_code == 200  # the form is processed (wrong password shown), not refused
    assert "Sai số điện thoại" in ok.get_data(as_text=True)
    home = client.get("/")  # an anonymous page: its language form carries no token...
    assert home.status_code == 200 and "csrf_token" not in home.get_data(as_text=True)
    switched = client.post("/lang", data={"lang": "en", "next": "/"})
    assert switched.status_code == 302  # ...and works: switching language is all it can do
    assert 'lang="en"' in client.get("/").get_data(as_text=True)


def _cookie(client):
    c = client.get_cookie("quizapp_session")
    return c.value if c else None


def test_login_changes_session_and_logout_ends_it(client, login_as, session):
    client.get("/login")
    before = _cookie(client)
    user = login_as("admin")
    after = _cookie(client)
    assert after and after != before
    sid = session.scalar(select(LoginSession.id).where(LoginSession.user_id == user.id))
    assert sid and client.get("/org").status_code == 200
    stolen = after
    assert client.post("/logout").status_code == 302
    session.expire_all()
    assert session.get(LoginSession, sid) is None
    client.set_cookie("quizapp_session", stolen)  # replaying the old cookie does not work
    assert client.get("/org").status_code == 302


def test_wrong_password_is_refused(client, session):
    from tests.factories import make_user

    user = make_user(session, role="admin")
    session.commit()
    resp = client.post("/login", data={"identifier": user.email, "password": "wrong"})
    assert resp.status_code == 200 and "Sai số điện thoại" in resp.get_data(as_text=True)


def test_login_rate_limit(app_with):
    client = app_with(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute").test_client()
    codes = [
        client.post("/login", data={"identifier": "a@b.vn", "password": "x"}).status_code
        for _ in range(4)
    ]
    assert codes == [200, 200, 200, 429]


def test_register_form_creates_member_and_account(client, session):
    province = make_unit(session, "Tỉnh Đoàn Thử", code="TT")
    branch = make_unit(session, "Chi đoàn Thử", parent=province, code="TT-1")
    session.commit()
    data = registration_form(branch)
    bad = client.post("/register", data={**data, "consent": ""})
    assert bad.status_code == 200 and "Bạn phải đồng ý" in bad.get_data(as_text=True)
    resp = client.post("/register", data=data)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    user = session.scalar(select(User).where(User.phone == "0911222333"))
    assert user.member.unit_id == branch.id
    assert (
        client.post(
            "/login", data={"identifier": "0911222333", "password": "mật khẩu dài"}
        ).status_code
        == 302
    )


def test_unit_picker_api_walks_the_tree(client, session):
    province = make_unit(session, "Tỉnh Đoàn Thử", code="TT")
    ward = make_unit(
        session, "Đoàn phường Mỹ Bình", parent=province, code="TT-MB", type_key="commune"
    )
    session.commit()
    roots = client.get("/api/units/children").get_json()
    assert [r["code"] for r in roots] == ["TT"] and roots[0]["has_children"]
    kids = client.get(f"/api/units/children?parent={province.id}").get_json()
    assert [k["id"] for k in kids] == [ward.id]
    found = client.get("/api/units/search?q=my binh").get_json()
    assert found[0]["path"] == "Tỉnh Đoàn Thử › Đoàn phường Mỹ Bình"


def test_template_translations_follow_force_locale(app):
    """Jinja's `_()` finds the translations once per request and locale: a `force_locale`
    block inside an English request (a certificate PDF in Vietnamese) gets Vietnamese, and
    the page around it English again."""
    from flask import render_template_string
    from flask_babel import force_locale

    page = "{{ _('Log in') }}"
    with app.test_request_context("/", headers={"Cookie": "lang=en"}):
        assert render_template_string(page) == "Log in"
        with force_locale("vi"):
            assert render_template_string(page) == "Đăng nhập"
        assert render_template_string(page) == "Log in"


def test_login_is_limited_per_account_across_addresses(app_with):
    """Guessing one account's password from many addresses (behind a trusted proxy that
    names them in X-Forwarded-For) hits the per-account limit."""
    client = app_with(
        RATELIMIT_ENABLED=True,
        LOGIN_RATE_LIMIT="3 per minute",
        LOGIN_ACCOUNT_RATE_LIMIT="5 per hour",
        TRUSTED_PROXIES=1,
    ).test_client()

    def attempt(n, identifier="0912 000 111"):
        headers = {"X-Forwarded-For": f"203.0.113.{n}"}
        data = {"identifier": identifier, "password": "x"}
        return client.post("/login", data=data, headers=headers).status_code

    assert [attempt(n) for n in range(6)] == [200] * 5 + [429]
    assert attempt(7, "0912000111") == 429  # the same account, written differently
    assert attempt(8, "0912 000 222") == 200  # another account from a fresh address
    # The per-address limit still counts each forwarded address on its own.
    assert [attempt(9, f"09120003{n:02d}") for n in range(4)] == [200] * 3 + [429]
