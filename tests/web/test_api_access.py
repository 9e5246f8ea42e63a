"""The API's access matrix (issue 22): every endpoint × anonymous, the member, another unit's
organiser, the owning unit's organiser and an admin, with bearer tokens. Commune B owns the
contest, its member took it (attempt, certificate); commune A's organiser must read nothing
of B's. A new endpoint without a row here fails `test_every_api_endpoint_is_in_the_matrix`."""

from __future__ import annotations

import pytest

from quizapp import events
from quizapp.api import spec
from quizapp.auth.services import actor_for
from quizapp.certificates import glue
from quizapp.certificates import services as C
from quizapp.certificates.models import Certificate
from quizapp.contests import attempts as A
from quizapp.contests import starting as S
from quizapp.indicators import services as I
from quizapp.policy import SYSTEM
from tests.contest_helpers import make_bank, make_contest
from tests.factories import PASSWORD, make_unit, make_user

ROLES = ("anonymous", "member", "other_organiser", "own_organiser", "admin")
PUBLIC = dict.fromkeys(ROLES, 200)
MINE = {"anonymous": 401, "member": 200, "other_organiser": 200, "own_organiser": 200,
        "admin": 200}  # fmt: skip
OWN_OBJECT = {
    "anonymous": 401,
    "member": 200,
    "other_organiser": 404,
    "own_organiser": 404,
    "admin": 404,
}  # fmt: skip  (attempts and own certificates are personal)
ORG_LIST = {
    "anonymous": 401,
    "member": 403,
    "other_organiser": 200,
    "own_organiser": 200,
    "admin": 200,
}  # fmt: skip  (each sees only their subtree: checked below)
ORG_OBJECT = {"anonymous": 401, "member": 403, "other_organiser": 404, "own_organiser": 200,
              "admin": 200}  # fmt: skip

# (name, method, url template, JSON body, expected status per role)
MATRIX = [
    ("openapi", "GET", "/api/v1/openapi.json", None, PUBLIC),
    ("docs", "GET", "/api/v1/docs", None, PUBLIC),
    ("jwks", "GET", "/api/v1/jwks", None, PUBLIC),
    ("verify", "GET", "/api/v1/certificates/{code}", None, PUBLIC),
    (
        "token",
        "POST",
        "/api/v1/auth/token",
        {"identifier": "x@example.vn", "password": "nope"},
        dict.fromkeys(ROLES, 401),
    ),  # fmt: skip
    (
        "refresh",
        "POST",
        "/api/v1/auth/refresh",
        {"refresh_token": "nope"},
        dict.fromkeys(ROLES, 401),
    ),  # fmt: skip
    ("revoke", "POST", "/api/v1/auth/revoke", {"refresh_token": "nope"}, PUBLIC),
    ("me", "GET", "/api/v1/me", None, MINE),
    ("contests", "GET", "/api/v1/contests", None, MINE),
    ("my_certificates", "GET", "/api/v1/me/certificates", None, MINE),
    ("my_programmes", "GET", "/api/v1/me/programmes", None, MINE),
    (
        "start",
        "POST",
        "/api/v1/rounds/{round_id}/attempts",
        None,
        {
            "anonymous": 401,
            "member": 201,
            "other_organiser": 403,
            "own_organiser": 403,
            "admin": 403,
        },
    ),  # fmt: skip  (only roster members take part)
    ("attempt", "GET", "/api/v1/attempts/{attempt_id}", None, OWN_OBJECT),
    ("result", "GET", "/api/v1/attempts/{attempt_id}/result", None, OWN_OBJECT),
    (
        "save",
        "POST",
        "/api/v1/attempts/{attempt_id}/answers",
        {"position": 1},
        {**OWN_OBJECT, "member": 409},
    ),  # fmt: skip  (submitted: closed)
    ("submit", "POST", "/api/v1/attempts/{attempt_id}/submit", {}, OWN_OBJECT),
    ("my_credential", "GET", "/api/v1/me/certificates/{cert_id}/credential", None, OWN_OBJECT),
    ("my_certificate_pdf", "GET", "/api/v1/me/certificates/{cert_id}.pdf", None, OWN_OBJECT),
    ("units", "GET", "/api/v1/org/units", None, ORG_LIST),
    ("imports", "GET", "/api/v1/org/imports", None, ORG_LIST),
    ("org_contests", "GET", "/api/v1/org/contests", None, ORG_LIST),
    ("org_certificates", "GET", "/api/v1/org/certificates", None, ORG_LIST),
    ("plans", "GET", "/api/v1/org/indicators", None, ORG_LIST),
    ("indicator_values", "GET", "/api/v1/org/indicators/{plan}/2026", None, ORG_LIST),
    ("round_results", "GET", "/api/v1/org/rounds/{round_id}/results", None, ORG_OBJECT),
    (
        "round_participation",
        "GET",
        "/api/v1/org/rounds/{round_id}/participation",
        None,
        ORG_OBJECT,
    ),  # fmt: skip
    (
        "revoke_certificate",
        "POST",
        "/api/v1/org/certificates/{cert_id}/revoke",
        {"reason": "Sai thông tin"},
        ORG_OBJECT,
    ),  # fmt: skip
]


@pytest.fixture()
def world(app, session, now):
    session.info[events.ISSUER] = glue.issuer
    province = make_unit(session, "Tỉnh Đoàn", code="P")
    a = make_unit(session, "Đoàn xã A", parent=province, code="A", type_key="commune")
    b = make_unit(session, "Đoàn xã B", parent=province, code="B", type_key="commune")
    b1 = make_unit(session, "Chi đoàn B1", parent=b, code="B1")
    contest = make_contest(session, b, make_bank(session, b, now), now, count=3)
    C.save_rule(
        session, contest.id, C.RuleData(kind="achievement", threshold=0), actor=SYSTEM, now=now
    )
    member = make_user(session, role="member", unit=b1)
    rnd = contest.rounds[0]
    with app.app_context():  # the submission signs the certificate with the app's keys
        attempt = S.start_attempt(session, rnd.id, user=member, actor=actor_for(member), now=now)
        A.submit_attempt(session, attempt.id, user=member, now=now)
    cert = session.query(Certificate).one()
    I.load_shipped(session, now)
    users = {
        "member": member,
        "other_organiser": make_user(session, role="organiser", unit=a),
        "own_organiser": make_user(session, role="organiser", unit=b),
        "admin": make_user(session, role="admin"),
    }
    session.commit()
    values = {
        "code": cert.code,
        "round_id": rnd.id,
        "attempt_id": attempt.id,
        "cert_id": cert.id,
        "plan": I.plans(session)[0][0].key,
    }
    return {"users": users, "values": values}


def _headers(client, user) -> dict:
    if user is None:
        return {}
    resp = client.post(
        "/api/v1/auth/token", json={"identifier": user.email or user.phone, "password": PASSWORD}
    )
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return {"Authorization": f"Bearer {resp.get_json()['access_token']}"}


@pytest.mark.parametrize("role", ROLES)
def test_access_matrix(client, world, role):
    headers = _headers(client, world["users"].get(role))
    seen = {}
    for name, method, template, body, _expected in MATRIX:
        url = template.format(**world["values"])
        resp = client.open(url, method=method, headers=headers, json=body)
        seen[name] = resp.status_code
        if resp.status_code >= 400:
            assert resp.mimetype == "application/problem+json", (name, resp.mimetype)
        if role == "other_organiser" and resp.status_code == 200 and name.startswith("org"):
            assert "Đoàn xã B" not in resp.get_data(as_text=True), name
    assert seen == {name: expected[role] for name, _m, _t, _b, expected in MATRIX}


def test_other_organiser_lists_only_their_subtree(client, world):
    headers = _headers(client, world["users"]["other_organiser"])
    units = client.get("/api/v1/org/units", headers=headers).get_json()
    assert [u["code"] for u in units["items"]] == ["A"]
    assert client.get("/api/v1/org/certificates", headers=headers).get_json()["total"] == 0
    assert client.get("/api/v1/org/contests", headers=headers).get_json()["total"] == 0
    own = _headers(client, world["users"]["own_organiser"])
    certs = client.get("/api/v1/org/certificates?status=valid", headers=own).get_json()
    assert certs["total"] == 1
    units = client.get("/api/v1/org/units?q=B1", headers=own).get_json()
    assert [u["code"] for u in units["items"]] == ["B1"]


def test_every_api_endpoint_is_in_the_matrix(app):
    with app.test_request_context():
        paths = spec.spec["paths"]
    documented = {(m.upper(), path) for path, item in paths.items() for m in item}
    listed = {(m, t.replace("{plan}/2026", "{plan_key}/{year}")) for _n, m, t, _b, _e in MATRIX}
    assert documented <= listed, documented - listed
    routes = {r.endpoint[4:] for r in app.url_map.iter_rules() if r.endpoint.startswith("api.")}
    assert routes == {name for name, *_rest in MATRIX}
