"""The JSON API end to end (issue 22): a whole attempt through the API only — token, start,
save (a resent save included), submit, result, certificate, verification — and the same
attempt seen on the web pages; token expiry, refresh, rotation and revocation; CSRF for
cookie requests and not for bearer ones; problem details; ETags."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from quizapp import events
from quizapp.auth.models import ApiToken
from quizapp.certificates import glue
from quizapp.certificates import services as C
from quizapp.contests.models import Attempt, AttemptQuestion
from quizapp.policy import SYSTEM
from tests.contest_helpers import make_bank, make_contest
from tests.factories import PASSWORD, make_unit, make_user


@pytest.fixture()
def world(app, session, now):
    session.info[events.ISSUER] = glue.issuer
    province = make_unit(session, "Tỉnh Đoàn An Giang", code="AG")
    branch = make_unit(session, "Chi đoàn Mỹ Long", parent=province, code="AG-ML")
    contest = make_contest(session, province, make_bank(session, province, now), now, count=3)
    C.save_rule(
        session, contest.id, C.RuleData(kind="achievement", threshold=60), actor=SYSTEM, now=now
    )
    member = make_user(session, role="member", unit=branch)
    session.commit()
    return dict(province=province, branch=branch, contest=contest, member=member)


def token_for(http, user, **extra):
    resp = http.post(
        "/api/v1/auth/token",
        json={"identifier": user.email or user.phone, "password": PASSWORD, **extra},
    )
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.get_json()


def bearer(access: str) -> dict:
    return {"Authorization": f"Bearer {access}"}


def right_choice(session, attempt_id: int, position: int) -> int:
    """The display index of the right option (the first stored option is right)."""
    aq = session.scalar(
        select(AttemptQuestion).where(
            AttemptQuestion.attempt_id == attempt_id, AttemptQuestion.position == position
        )
    )
    return list(aq.option_order).index(0)


def test_a_whole_attempt_through_the_api_and_seen_on_the_pages(app, client, session, world):
    tok = token_for(client, world["member"], client="Ứng dụng Thanh niên")
    assert tok["token_type"] == "Bearer" and tok["scope"] == "participant"
    h = bearer(tok["access_token"])

    contests = client.get("/api/v1/contests", headers=h).get_json()
    assert contests["total"] == 1
    rnd = contests["items"][0]["rounds"][0]
    assert rnd["state"] == "open" and rnd["attempts_used"] == 0

    started = client.post(f"/api/v1/rounds/{rnd['id']}/attempts", headers=h)
    assert started.status_code == 201, started.get_data(as_text=True)
    attempt = started.get_json()
    assert attempt["status"] == "in_progress" and len(attempt["questions"]) == 3
    q = attempt["questions"][0]
    assert len(q["options"]) == 4 and "choices" not in str(q) and "fraction" not in q
    # starting again gives the same attempt (the page's one-attempt rule)
    again = client.post(f"/api/v1/rounds/{rnd['id']}/attempts", headers=h).get_json()
    assert again["id"] == attempt["id"]

    aid = attempt["id"]
    for pos in (1, 2, 3):
        choice = right_choice(session, aid, pos)
        body = {"position": pos, "answer": {"choices": [choice]}, "client_key": f"k{pos}"}
        saved = client.post(f"/api/v1/attempts/{aid}/answers", json=body, headers=h)
        assert saved.get_json() == {"ok": True, "position": pos, "replayed": False}
    # position 1 answered wrong later, then the first save is resent by an offline queue:
    wrong = (right_choice(session, aid, 1) + 1) % 4
    client.post(
        f"/api/v1/attempts/{aid}/answers",
        json={"position": 1, "answer": {"choices": [wrong]}},
        headers={**h, "Idempotency-Key": "k1-changed"},
    )
    resent = client.post(
        f"/api/v1/attempts/{aid}/answers",
        json={"position": 1, "answer": {"choices": [right_choice(session, aid, 1)]}},
        headers={**h, "Idempotency-Key": "k1"},
    )
    assert resent.get_json() == {"ok": True, "position": 1, "replayed": True}
    state = client.get(f"/api/v1/attempts/{aid}", headers=h).get_json()
    assert state["questions"][0]["answer"] == {"choices": [wrong]}  # the resend changed nothing
    # put it right again, without a key: saving the same answer twice is harmless
    for _ in range(2):
        client.post(
            f"/api/v1/attempts/{aid}/answers",
            json={"position": 1, "answer": {"choices": [right_choice(session, aid, 1)]}},
            headers=h,
        )

    bad = client.post(
        f"/api/v1/attempts/{aid}/answers",
        json={"position": 1, "answer": {"choices": [9]}},
        headers=h,
    )
    assert bad.status_code == 422 and bad.mimetype == "application/problem+json"
    assert bad.get_json()["code"] == "invalid" and "answer" in bad.get_json()["errors"]

    submitted = client.post(f"/api/v1/attempts/{aid}/submit", json={}, headers=h)
    assert submitted.status_code == 200, submitted.get_data(as_text=True)
    result = client.get(f"/api/v1/attempts/{aid}/result", headers=h).get_json()
    assert result["status"] == "submitted" and result["passed"] is True
    assert result["correct_count"] == 3 and result["score"] == result["max_score"]
    assert len(result["review"]) == 3  # the round shows its review at once
    assert len(result["certificates"]) == 1
    cert = result["certificates"][0]

    mine = client.get("/api/v1/me/certificates", headers=h).get_json()
    assert mine["total"] == 1 and mine["items"][0]["code"] == cert["code"]
    cred = client.get(f"/api/v1/me/certificates/{cert['id']}/credential", headers=h).get_json()
    assert cred["status"] == "valid" and cred["jws"].count(".") == 2
    pdf = client.get(f"/api/v1/me/certificates/{cert['id']}.pdf", headers=h)
    assert pdf.status_code == 200 and pdf.data[:5] == b"%PDF-"

    public = client.get(f"/api/v1/certificates/{cert['code']}")  # no token: public
    assert public.status_code == 200
    facts = public.get_json()
    assert facts["status"] == "valid" and facts["serial"] == cert["serial"]
    assert facts == {k: v for k, v in client.get(f"/v/{cert['code']}.json").get_json().items()}
    keys = client.get("/api/v1/jwks").get_json()["keys"]
    assert keys and keys[0]["kty"] == "OKP"

    # the same attempt, as the web pages show it to the same member
    web = app.test_client()
    assert (
        web.post(
            "/login", data={"identifier": world["member"].email, "password": PASSWORD}
        ).status_code
        == 302
    )
    page = web.get(f"/attempts/{aid}/result")
    assert page.status_code == 200
    assert cert["serial"] in page.get_data(as_text=True)
    assert web.get(f"/attempts/{aid}").status_code == 302  # submitted: to the result
    assert cert["serial"] in web.get("/me/certificates").get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Attempt)) == 1


def test_token_expiry_refresh_rotation_and_revocation(client, session, world, clock):
    tok = token_for(client, world["member"])
    h = bearer(tok["access_token"])
    assert client.get("/api/v1/me", headers=h).status_code == 200

    clock.advance(minutes=16)  # the access token lived 15 minutes
    expired = client.get("/api/v1/me", headers=h)
    assert expired.status_code == 401 and expired.get_json()["code"] == "invalid_token"
    assert "invalid_token" in expired.headers["WWW-Authenticate"]

    new = client.post("/api/v1/auth/refresh", json={"refresh_token": tok["refresh_token"]})
    assert new.status_code == 200 and new.headers["Cache-Control"] == "no-store"
    new = new.get_json()
    assert new["refresh_token"] != tok["refresh_token"]
    assert client.get("/api/v1/me", headers=bearer(new["access_token"])).status_code == 200

    # the used refresh token shown again: copied; its whole login is revoked
    reused = client.post("/api/v1/auth/refresh", json={"refresh_token": tok["refresh_token"]})
    assert reused.status_code == 401
    assert client.get("/api/v1/me", headers=bearer(new["access_token"])).status_code == 401
    refused = client.post("/api/v1/auth/refresh", json={"refresh_token": new["refresh_token"]})
    assert refused.status_code == 401

    # logging out an app (revoke) ends its access token at once, not 15 minutes later
    other = token_for(client, world["member"])
    assert client.get("/api/v1/me", headers=bearer(other["access_token"])).status_code == 200
    out = client.post("/api/v1/auth/revoke", json={"refresh_token": other["refresh_token"]})
    assert out.get_json() == {"revoked": True}
    assert client.get("/api/v1/me", headers=bearer(other["access_token"])).status_code == 401
    # the refresh token is stored hashed: never as sent
    stored = session.scalars(select(ApiToken.token_hash)).all()
    assert other["refresh_token"] not in stored and len(stored[0]) == 64

    forged = tok["access_token"][:-2] + ("AA" if not tok["access_token"].endswith("AA") else "BB")
    assert client.get("/api/v1/me", headers=bearer(forged)).status_code == 401


def test_wrong_password_and_scopes(client, world, session):
    wrong = client.post(
        "/api/v1/auth/token",
        json={"identifier": world["member"].email, "password": "not the password"},
    )
    assert wrong.status_code == 401 and wrong.mimetype == "application/problem+json"
    # a member cannot be given organiser scopes
    asked = client.post(
        "/api/v1/auth/token",
        json={"identifier": world["member"].email, "password": PASSWORD, "scope": "organiser:read"},
    )
    assert asked.status_code == 422 and "scope" in asked.get_json()["errors"]
    # an organiser's participant-only token cannot read the organiser endpoints
    org = make_user(session, role="organiser", unit=world["province"])
    session.commit()
    narrow = token_for(client, org, scope="participant")
    refused = client.get("/api/v1/org/units", headers=bearer(narrow["access_token"]))
    assert refused.status_code == 403
    full = token_for(client, org)
    assert full["scope"] == "participant organiser:read organiser:write"
    units = client.get("/api/v1/org/units", headers=bearer(full["access_token"])).get_json()
    assert {u["code"] for u in units["items"]} == {"AG", "AG-ML"} and units["total"] == 2


def test_schema_errors_are_problem_details(client, world):
    resp = client.post("/api/v1/auth/token", json={"identifier": ""})
    assert resp.status_code == 422 and resp.mimetype == "application/problem+json"
    body = resp.get_json()
    assert body["status"] == 422 and "password" in body["errors"]
    assert client.get("/api/v1/nowhere").mimetype == "application/problem+json"


def test_reads_carry_an_etag(client, world):
    h = bearer(token_for(client, world["member"])["access_token"])
    first = client.get("/api/v1/contests", headers=h)
    assert first.headers["ETag"]
    again = client.get("/api/v1/contests", headers={**h, "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


def test_csrf_for_cookie_writes_not_for_bearer_ones(csrf_app, session, world):
    web = csrf_app.test_client()
    page = web.get("/login").get_data(as_text=True)
    import re

    csrf_token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert (
        web.post(
            "/login",
            data={
                "identifier": world["member"].email,
                "password": PASSWORD,
                "csrf_token": csrf_token,
            },
        ).status_code
        == 302
    )
    rnd = world["contest"].rounds[0].id
    # the browser's session reads the API…
    assert web.get("/api/v1/contests").status_code == 200
    # …but writes only with the CSRF token, as the pages do
    refused = web.post(f"/api/v1/rounds/{rnd}/attempts")
    assert refused.status_code == 400 and refused.get_json()["code"] == "csrf"
    html = web.get("/me").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    ok = web.post(f"/api/v1/rounds/{rnd}/attempts", headers={"X-CSRFToken": token})
    assert ok.status_code == 201
    # an app with a bearer token needs none (and a cookie does not stand in for it)
    app_client = csrf_app.test_client()
    tok = token_for(app_client, world["member"])
    resumed = app_client.post(f"/api/v1/rounds/{rnd}/attempts", headers=bearer(tok["access_token"]))
    assert resumed.status_code == 201 and resumed.get_json()["id"] == ok.get_json()["id"]
    bogus = web.post(f"/api/v1/rounds/{rnd}/attempts", headers=bearer("forged"))
    assert bogus.status_code == 401


def test_time_up_save_is_refused_and_the_submission_kept(client, session, world, clock):
    h = bearer(token_for(client, world["member"])["access_token"])
    rnd = world["contest"].rounds[0].id
    aid = client.post(f"/api/v1/rounds/{rnd}/attempts", headers=h).get_json()["id"]
    clock.advance(minutes=14)  # past the 10-minute limit and its grace; the token still lives
    late = client.post(
        f"/api/v1/attempts/{aid}/answers", json={"position": 1, "answer": None}, headers=h
    )
    assert late.status_code == 409 and late.get_json()["code"] == "closed"
    session.expire_all()
    assert session.get(Attempt, aid).status == "submitted"  # kept, as the page keeps it


def test_another_device_is_refused_until_it_takes_over(client, session, world):
    rnd = world["contest"].rounds[0].id
    phone = bearer(token_for(client, world["member"], client="phone")["access_token"])
    tablet = bearer(token_for(client, world["member"], client="tablet")["access_token"])
    aid = client.post(f"/api/v1/rounds/{rnd}/attempts", headers=phone).get_json()["id"]
    assert client.post(f"/api/v1/rounds/{rnd}/attempts", headers=tablet).get_json()["id"] == aid
    refused = client.post(
        f"/api/v1/attempts/{aid}/answers", json={"position": 1, "flagged": True}, headers=phone
    )
    assert refused.status_code == 409 and refused.get_json()["code"] == "device"


def test_account_page_lists_and_revokes_app_logins(app, client, session, world):
    tok = token_for(client, world["member"], client="Ứng dụng Thanh niên")
    web = app.test_client()
    web.post("/login", data={"identifier": world["member"].email, "password": PASSWORD})
    page = web.get("/me").get_data(as_text=True)
    assert "Ứng dụng Thanh niên" in page
    family = session.scalar(select(ApiToken.family))
    resp = web.post(f"/me/apps/{family}/revoke")
    assert resp.status_code == 302
    assert client.get("/api/v1/me", headers=bearer(tok["access_token"])).status_code == 401
    assert "Ứng dụng Thanh niên" not in web.get("/me").get_data(as_text=True)


def test_password_change_ends_app_logins(app, client, world):
    tok = token_for(client, world["member"])
    web = app.test_client()
    web.post("/login", data={"identifier": world["member"].email, "password": PASSWORD})
    web.post("/me", data={"old_password": PASSWORD, "new_password": "a new long password"})
    assert client.get("/api/v1/me", headers=bearer(tok["access_token"])).status_code == 401


def test_rate_limits_are_reported_in_headers(app_with, session, world):
    app = app_with(RATELIMIT_ENABLED=True, API_RATE_LIMIT="3 per minute")
    c = app.test_client()
    h = bearer(token_for(c, world["member"])["access_token"])
    first = c.get("/api/v1/me", headers=h)
    assert first.headers["X-RateLimit-Limit"] == "3"
    for _ in range(3):
        last = c.get("/api/v1/me", headers=h)
    assert last.status_code == 429 and last.mimetype == "application/problem+json"
    assert "Retry-After" in last.headers


def test_refresh_tokens_end_after_30_days_and_are_then_forgotten(client, session, world, clock):
    tok = token_for(client, world["member"])
    clock.advance(days=31)
    refused = client.post("/api/v1/auth/refresh", json={"refresh_token": tok["refresh_token"]})
    assert refused.status_code == 401
    token_for(client, world["member"])  # the next login forgets the expired one
    assert session.scalar(select(func.count()).select_from(ApiToken)) == 1


def test_roster_import_status_of_my_subtree(client, session, world, now):
    from quizapp.auth.services import actor_for
    from quizapp.orgs.importing import apply_import
    from tests.services.test_roster_import import GOOD, KEY, xlsx

    ward = make_unit(session, "Đoàn phường Long Xuyên", parent=world["province"], code="LX",
                     type_key="commune")  # fmt: skip
    make_unit(session, "Chi đoàn Mỹ Long", parent=ward, code="LX-ML")
    own = make_user(session, role="organiser", unit=ward)
    other = make_user(session, role="organiser", unit=world["branch"])
    session.flush()
    apply_import(session, "members", "ds.xlsx", xlsx(GOOD), actor=actor_for(own), pii_key=KEY,
                 now=now)  # fmt: skip
    session.commit()
    mine = client.get("/api/v1/org/imports", headers=bearer(token_for(client, own)["access_token"]))
    body = mine.get_json()
    assert body["total"] == 1 and body["pending"] == []
    item = body["items"][0]
    assert (item["kind"], item["filename"], item["created"]) == ("members", "ds.xlsx", 3)
    theirs = client.get(
        "/api/v1/org/imports", headers=bearer(token_for(client, other)["access_token"])
    )
    assert theirs.get_json()["total"] == 0  # another subtree's import is not theirs to see


def test_a_programme_lesson_check_through_the_api(client, session, world, now):
    """My programmes list the lessons with their checks; a check is a round taken as any
    other, with the programme's order of lessons applied by the same guard as the pages."""
    from tests.services.test_programmes import make_programme

    bank = make_bank(session, world["province"], now, key="bank-hoc")
    make_programme(session, world["province"], bank, now, lessons=2)  # sequential
    session.commit()
    h = bearer(token_for(client, world["member"])["access_token"])
    mine = client.get("/api/v1/me/programmes", headers=h).get_json()
    assert mine["total"] == 1
    first, second = mine["items"][0]["lessons"]
    assert first["state"] == "open" and second["state"] == "locked"
    early = client.post(f"/api/v1/rounds/{second['check_round_id']}/attempts", headers=h)
    assert early.status_code in (403, 409) and early.mimetype == "application/problem+json"
    aid = client.post(f"/api/v1/rounds/{first['check_round_id']}/attempts", headers=h)
    aid = aid.get_json()["id"]
    for pos in (1, 2, 3):
        body = {"position": pos, "answer": {"choices": [right_choice(session, aid, pos)]}}
        assert (
            client.post(f"/api/v1/attempts/{aid}/answers", json=body, headers=h).status_code == 200
        )
    result = client.post(f"/api/v1/attempts/{aid}/submit", json={}, headers=h).get_json()
    assert result["passed"] is True
    after = client.get("/api/v1/me/programmes", headers=h).get_json()["items"][0]
    assert [x["state"] for x in after["lessons"]] == ["passed", "open"]
    assert after["percent"] > 0


def test_token_requests_are_rate_limited_as_the_login_page(app_with, world):
    app = app_with(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="100 per minute",
                   LOGIN_ACCOUNT_RATE_LIMIT="2 per hour")  # fmt: skip
    c = app.test_client()
    wrong = {"identifier": world["member"].email, "password": "guess"}
    assert [c.post("/api/v1/auth/token", json=wrong).status_code for _ in range(3)] == [
        401,
        401,
        429,
    ]
    # the account's limit holds whatever the address (as the login page's)
    other = c.post(
        "/api/v1/auth/token", json=wrong, environ_overrides={"REMOTE_ADDR": "10.0.0.9"}
    )
    assert other.status_code == 429 and other.headers["Retry-After"]
