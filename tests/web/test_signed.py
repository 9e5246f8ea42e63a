"""Signed values checked once per process (quizapp.signed) and rate limits that cost nothing
while disabled (extensions.limited)."""

from __future__ import annotations

import re
import time

import pytest

from quizapp.extensions import limiter
from tests.factories import make_user


def _open(app, cookie: str | None):
    headers = {"Cookie": f"{app.config['SESSION_COOKIE_NAME']}={cookie}"} if cookie else {}
    with app.test_request_context("/", headers=headers):
        from flask import request

        return app.session_interface.open_session(app, request)


def _sign(app, data: dict) -> str:
    return app.session_interface.get_signing_serializer(app).dumps(data)


def test_a_session_cookie_is_checked_once_and_each_request_gets_its_own_copy(app, monkeypatch):
    cookie = _sign(app, {"_user_id": "s-1", "csrf_token": "abc", "n": 3})
    first = _open(app, cookie)
    assert dict(first) == {"_user_id": "s-1", "csrf_token": "abc", "n": 3}
    first["_user_id"] = "someone else"  # a request changing its session…

    def refuse(*_a, **_k):
        raise AssertionError("the signature was checked again")

    serializer = app.session_interface.get_signing_serializer(app)
    monkeypatch.setattr(serializer, "loads", refuse)
    second = _open(app, cookie)
    assert dict(second) == {"_user_id": "s-1", "csrf_token": "abc", "n": 3}  # …not the next one's
    assert not second.modified


def test_a_remembered_cookie_still_expires(app, monkeypatch):
    t0 = 1_790_000_000
    monkeypatch.setattr(time, "time", lambda: t0)
    cookie = _sign(app, {"_user_id": "s-1"})
    assert dict(_open(app, cookie)) == {"_user_id": "s-1"}
    lifetime = int(app.permanent_session_lifetime.total_seconds())
    monkeypatch.setattr(time, "time", lambda: t0 + lifetime)
    assert dict(_open(app, cookie)) == {"_user_id": "s-1"}
    monkeypatch.setattr(time, "time", lambda: t0 + lifetime + 1)
    assert dict(_open(app, cookie)) == {}
    monkeypatch.setattr(time, "time", lambda: t0 - 1)  # signed "in the future"
    assert dict(_open(app, cookie)) == {}


def test_tampered_cookies_and_a_new_secret_key_give_an_empty_session(app):
    cookie = _sign(app, {"_user_id": "s-1"})
    assert dict(_open(app, cookie)) == {"_user_id": "s-1"}
    tampered = cookie[:-2] + ("AA" if cookie[-2:] != "AA" else "BB")
    assert dict(_open(app, tampered)) == {}
    assert dict(_open(app, None)) == {}
    old = app.secret_key
    app.secret_key = "another-secret-key-that-is-long-enough-111"
    try:
        assert dict(_open(app, cookie)) == {}  # remembered under the old key: not any more
    finally:
        app.secret_key = old


def test_a_session_holding_a_list_is_not_shared_between_requests(app):
    cookie = _sign(app, {"_flashes": [["info", "Đã lưu"]]})
    first = _open(app, cookie)
    first["_flashes"].append(["info", "thêm"])
    assert _open(app, cookie)["_flashes"] == [["info", "Đã lưu"]]


def _logout_token(client) -> str:
    html = client.get("/").get_data(as_text=True)  # a page whose only form is the menu's
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _logged_in(csrf_app, session):
    user = make_user(session, role="member")
    session.commit()
    client = csrf_app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
    resp = client.post(
        "/login",
        data={"identifier": user.email, "password": "correct horse", "csrf_token": token},
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
    return client


@pytest.mark.parametrize("limit", [None, 3600])
def test_the_form_token_is_signed_once_only_when_it_never_expires(
    csrf_app, session, monkeypatch, limit
):
    csrf_app.config["WTF_CSRF_TIME_LIMIT"] = limit
    client = _logged_in(csrf_app, session)
    t0 = time.time()
    monkeypatch.setattr(time, "time", lambda: t0 + 10)
    first = _logout_token(client)
    monkeypatch.setattr(time, "time", lambda: t0 + 20)
    second = _logout_token(client)
    # never expiring: any signature is as good, the first is reused; expiring: signed afresh
    assert (first == second) is (limit is None)
    resp = client.post("/logout", data={"csrf_token": first})
    assert resp.status_code == 302
    assert client.post("/logout", data={"csrf_token": "forged"}).status_code == 400


def test_disabled_rate_limits_are_not_evaluated(client, session, monkeypatch):
    assert not limiter.enabled  # the tests' settings

    def evaluated(*_a, **_k):
        raise AssertionError("Flask-Limiter evaluated limits while disabled")

    monkeypatch.setattr(limiter, "_check_request_limit", evaluated)
    resp = client.post("/login", data={"identifier": "a@b.vn", "password": "x"})
    assert resp.status_code == 200


def test_sessions_are_written_as_flask_writes_them(app):
    """A session left alone sets no cookie (but `Vary: Cookie` once read); a changed one is
    signed into the cookie; one emptied is deleted."""
    name = app.config["SESSION_COOKIE_NAME"]
    cookie = _sign(app, {"_user_id": "s-1"})
    si = app.session_interface

    def saved(change):
        with app.test_request_context("/", headers={"Cookie": f"{name}={cookie}"}):
            from flask import request

            s = si.open_session(app, request)
            change(s)
            response = app.response_class("ok")
            si.save_session(app, s, response)
            return response

    untouched = saved(lambda s: None)
    assert "Set-Cookie" not in untouched.headers and "Vary" not in untouched.headers
    read = saved(lambda s: setattr(s, "accessed", True))  # as the `session` proxy marks it
    assert "Set-Cookie" not in read.headers and read.headers["Vary"] == "Cookie"
    changed = saved(lambda s: s.__setitem__("lang", "en"))
    value = changed.headers["Set-Cookie"].split(";")[0].split("=", 1)[1]
    assert dict(_open(app, value)) == {"_user_id": "s-1", "lang": "en"}
    emptied = saved(lambda s: s.clear())
    assert emptied.headers["Set-Cookie"].startswith(f"{name}=;")
