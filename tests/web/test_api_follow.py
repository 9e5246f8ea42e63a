"""Organisers below a contest's owner follow it through the API as on the follow-up pages
(contests/follow.py): their own members' results and participation only."""

from __future__ import annotations

from quizapp import events
from quizapp.auth.services import actor_for
from quizapp.certificates import glue
from quizapp.contests import attempts as A
from quizapp.contests import starting as S
from tests.contest_helpers import make_bank, make_contest
from tests.factories import PASSWORD, make_unit, make_user


def _bearer(client, user):
    resp = client.post("/api/v1/auth/token", json={"identifier": user.email, "password": PASSWORD})
    return {"Authorization": f"Bearer {resp.get_json()['access_token']}"}


def test_a_follower_reads_only_their_members(app, client, session, now):
    session.info[events.ISSUER] = glue.issuer
    province = make_unit(session, "Tỉnh Đoàn", code="P")
    a = make_unit(session, "Đoàn xã A", parent=province, code="A", type_key="commune")
    b = make_unit(session, "Đoàn xã B", parent=province, code="B", type_key="commune")
    contest = make_contest(session, province, make_bank(session, province, now), now, count=3)
    rnd = contest.rounds[0]
    takers = [make_user(session, role="member", unit=u, name=f"Người {u.code}") for u in (a, b)]
    with app.app_context():
        for user in takers:
            attempt = S.start_attempt(session, rnd.id, user=user, actor=actor_for(user), now=now)
            A.submit_attempt(session, attempt.id, user=user, now=now)
    follower = make_user(session, role="organiser", unit=b)
    owner = make_user(session, role="organiser", unit=province)
    session.commit()

    h = _bearer(client, follower)
    assert client.get("/api/v1/org/contests", headers=h).get_json()["total"] == 0
    followed = client.get("/api/v1/org/contests?followed=true", headers=h).get_json()
    assert [c["id"] for c in followed["items"]] == [contest.id]
    assert followed["items"][0]["followed"] is True
    results = client.get(f"/api/v1/org/rounds/{rnd.id}/results", headers=h).get_json()
    assert [r["name"] for r in results["items"]] == ["Người B"]
    units = client.get(f"/api/v1/org/rounds/{rnd.id}/participation", headers=h).get_json()
    assert {u["name"] for u in units["items"]} == {"Đoàn xã B"}
    assert units["items"][0]["participants"] == 1

    everyone = client.get(f"/api/v1/org/rounds/{rnd.id}/results", headers=_bearer(client, owner))
    assert everyone.get_json()["total"] == 2
