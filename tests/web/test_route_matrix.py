"""Every route against every role, generated from the URL map.

Each endpoint has a rule below; a new route without one fails `test_every_route_has_a_rule`.
The objects in the URLs belong to commune B; the requests come from a guest, a member of
commune A and the organiser of commune A, so an organiser or member reaching anything of
B's (its private bank, a question's key by version id, its draft contest, a member's
attempt) is a failed test, as is any answer of 500."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from quizapp.auth.services import actor_for
from quizapp.banks.models import BankQuestion
from quizapp.certificates import services as C
from quizapp.certificates.models import Certificate
from quizapp.contests import attempts as A
from quizapp.contests import starting as S
from quizapp.policy import SYSTEM
from quizapp.programmes import services as P
from quizapp.rights import services as RS
from tests.contest_helpers import make_bank, make_contest
from tests.factories import make_member, make_unit, make_user

PUBLIC = "public"  # anyone; never 5xx
LOGIN = "login"  # any logged-in user, about their own things
OWN = "own"  # a logged-in member's own object (here B's member's): others get 403/404
ORG = "organiser"  # organisers and admins; members 403, guests to the login page
ORG_OBJECT = "organiser-object"  # as ORG, and A's organiser gets 403/404 on B's object
ADMIN = "admin"  # admins only
# Operations endpoints, tested in tests/web/test_ops_health.py: /readyz answers 503 by design
# when the database is not at the migration head (the test database is made without
# Alembic), /metrics by address or token.
OPS = "ops"

RULES = {
    "main.home": PUBLIC,
    "main.healthz": PUBLIC,
    "main.readyz": OPS,
    "metrics": OPS,
    "main.set_language": PUBLIC,
    "main.service_worker": PUBLIC,
    "main.offline": PUBLIC,
    "static": PUBLIC,
    "certificates.jwks": PUBLIC,
    "certificates.revocations": PUBLIC,
    "certificates.verify": PUBLIC,
    "certificates.verify_json": PUBLIC,
    "certificates.credential": PUBLIC,
    "orgs.api_children": PUBLIC,
    "orgs.api_search": PUBLIC,
    "auth.login": PUBLIC,
    "auth.register": PUBLIC,
    "auth.password_reset": PUBLIC,
    "take.landing": PUBLIC,  # B's draft contest: 404 for everyone outside B
    "take.ranking": PUBLIC,
    "programmes.show": PUBLIC,
    "programmes.lesson": PUBLIC,
    "programmes.lesson_for_round": PUBLIC,
    "auth.logout": PUBLIC,
    "auth.me": LOGIN,
    "rights.data": LOGIN,
    "rights.download": LOGIN,
    "rights.correct": LOGIN,
    "rights.withdraw": LOGIN,
    "rights.delete_request": LOGIN,
    "rights.cancel": OWN,  # B's member's deletion request
    "rights.requests": ORG,
    "rights.access_log": ORG,
    "rights.decide": ORG_OBJECT,
    "certificates.mine": LOGIN,
    "programmes.mine": LOGIN,
    "programmes.enrol": LOGIN,
    "take.start": LOGIN,
    "take.attempt": OWN,
    "take.result": OWN,
    "take.review": OWN,
    "take.save": OWN,
    "take.submit": OWN,
    "certificates.download": OWN,
    "programmes.check_result": OWN,
    "orgs.dashboard": ORG,
    "audit.log": ORG,
    "banks.index": ORG,
    "banks.import_file": ORG,
    "banks.confirm_import": ORG,
    "banks.new": ORG,
    "banks.template": ORG,
    "certificates.index": ORG,
    "certificates.export_zip": ORG,
    "contests.index": ORG,
    "contests.new": ORG,
    "orgs.import_roster": ORG,
    "orgs.confirm_import": ORG,
    "indicators.dashboard": ORG,
    "indicators.confirm": ORG,
    "indicators.entry": ORG,
    "indicators.followup": ORG,
    "indicators.followup_export": ORG,
    "indicators.definitions": ORG,
    "indicators.report": ORG,
    "indicators.units_below": ORG,
    "orgs.members": ORG,
    "orgs.export_members": ORG,
    "orgs.new_member": ORG,
    "orgs.organisers": ORG,
    "orgs.template": ORG,
    "orgs.units": ORG,
    "orgs.merge": ORG,
    "orgs.new_unit": ORG,
    "programmes.index": ORG,
    "programmes.new": ORG,
    "indicators.edit_definition": ADMIN,
    "indicators.unit_types": ORG,  # refused below the province by the service (a flash)
    "indicators.refresh": ORG,
    "banks.show": ORG_OBJECT,
    "banks.export": ORG_OBJECT,
    "banks.preview": ORG_OBJECT,
    "banks.edit": ORG_OBJECT,
    "banks.history": ORG_OBJECT,
    "banks.new_question": ORG_OBJECT,
    "certificates.reissue": ORG_OBJECT,
    "certificates.revoke": ORG_OBJECT,
    "contests.show": ORG_OBJECT,
    "certificates.rules": ORG_OBJECT,
    "certificates.issue_now": ORG_OBJECT,
    "contests.edit": ORG_OBJECT,
    "contests.poster": ORG_OBJECT,
    "contests.contest_results": ORG_OBJECT,
    "contests.edit_round": ORG_OBJECT,
    "contests.export_results": ORG_OBJECT,
    "contests.attempt_pdf": ORG_OBJECT,
    "contests.dashboard": ORG_OBJECT,
    "contests.correct_key": ORG_OBJECT,
    "contests.results": ORG_OBJECT,
    "contests.new_round": ORG_OBJECT,
    "contests.status": ORG_OBJECT,
    # a followed contest (issue 21): only organisers of units below its owner that it is open to
    "contests.follow": ORG_OBJECT,
    "contests.follow_round": ORG_OBJECT,
    "contests.follow_missing": ORG_OBJECT,
    "contests.follow_certificates": ORG_OBJECT,
    "contests.follow_certificate_pdf": ORG_OBJECT,
    "orgs.member": ORG_OBJECT,
    "orgs.set_active": ORG_OBJECT,
    "orgs.guardian": ORG_OBJECT,
    "orgs.reset_code": ORG_OBJECT,
    "orgs.decide_claim": ORG_OBJECT,
    "orgs.revoke": ORG_OBJECT,
    "programmes.manage": ORG_OBJECT,
    "programmes.edit": ORG_OBJECT,
    "programmes.edit_lesson": ORG_OBJECT,
    "programmes.delete_lesson": ORG_OBJECT,
    "programmes.move_lesson": ORG_OBJECT,
    "programmes.new_lesson": ORG_OBJECT,
    "programmes.progress": ORG_OBJECT,
    "programmes.export_not_completed": ORG_OBJECT,
    "programmes.status": ORG_OBJECT,
    "orgs.unit": ORG_OBJECT,
    "orgs.archive_unit": ORG_OBJECT,
    "certificates.unit_images": ORG_OBJECT,
    "orgs.move_unit": ORG_OBJECT,
    # the JSON API (issue 22), here with the browser's session (bearer tokens:
    # tests/web/test_api_access.py)
    "api.docs": PUBLIC,
    "api.openapi": PUBLIC,
    "api.jwks": PUBLIC,
    "api.verify": PUBLIC,
    "api.token": PUBLIC,
    "api.refresh": PUBLIC,
    "api.revoke": PUBLIC,
    "auth.revoke_app": LOGIN,
    "api.me": LOGIN,
    "api.contests": LOGIN,
    "api.start": LOGIN,
    "api.my_certificates": LOGIN,
    "api.my_programmes": LOGIN,
    "api.attempt": OWN,
    "api.save": OWN,
    "api.submit": OWN,
    "api.result": OWN,
    "api.my_credential": OWN,
    "api.my_certificate_pdf": OWN,
    "api.units": ORG,
    "api.imports": ORG,
    "api.org_contests": ORG,
    "api.org_certificates": ORG,
    "api.plans": ORG,
    "api.indicator_values": ORG,
    "api.round_results": ORG_OBJECT,
    "api.round_participation": ORG_OBJECT,
    "api.revoke_certificate": ORG_OBJECT,
}


@pytest.fixture()
def world(app, session, now):
    """Commune B owns one of everything; commune A has a member and an organiser."""
    province = make_unit(session, "Tỉnh Đoàn", code="P")
    a = make_unit(session, "Đoàn xã A", parent=province, code="A", type_key="commune")
    b = make_unit(session, "Đoàn xã B", parent=province, code="B", type_key="commune")
    b1 = make_unit(session, "Chi đoàn B1", parent=b, code="B1")
    bank = make_bank(session, b, now, key="bank-b")
    draft = make_contest(session, b, bank, now, count=3, publish=False)
    contest = make_contest(session, b, bank, now, count=3)
    rnd = contest.rounds[0]
    C.save_rule(
        session,
        contest.id,
        C.RuleData(
            kind="achievement", threshold=0, signatory_title="TM.", signatory_name="B", place="B"
        ),
        actor=SYSTEM,
        now=now,
    )
    taker = make_user(session, role="member", unit=b1)
    with app.app_context():
        attempt = S.start_attempt(session, rnd.id, user=taker, actor=actor_for(taker), now=now)
        A.submit_attempt(session, attempt.id, user=taker, now=now)
    cert = session.query(Certificate).first()
    programme = P.create_programme(
        session,
        P.ProgrammeData(
            title="Chương trình của B",
            owner_unit_id=b.id,
            starts_on=now.date(),
            ends_on=(now + timedelta(days=30)).date(),
            populations=("member",),
        ),
        actor=SYSTEM,
        now=now,
    )
    P.save_lesson(
        session,
        programme.id,
        P.LessonData(
            title="Bài 1", bank_id=bank.id, categories=(), questions=2, content="x", pass_mark=50
        ),
        actor=SYSTEM,
        now=now,
    )
    organiser_b = make_user(session, role="organiser", unit=b1)
    make_member(session, b1, "Thành viên B")
    deletion = RS.request_deletion(
        session,
        taker,
        confirmed=True,
        keep_certificates=False,
        guardian=None,
        period=timedelta(hours=72),
        now=now,
    )
    session.commit()
    version_id = attempt.questions[0].version_id
    question_id = session.scalars(
        select(BankQuestion.id).where(BankQuestion.bank_id == bank.id)
    ).first()
    return {
        "a": a,
        "values": {
            "bank_id": bank.id,
            "question_id": question_id,
            "contest_id": draft.id,
            "round_id": draft.rounds[0].id,
            "attempt_id": attempt.id,
            "version_id": version_id,
            "member_id": taker.member_id,
            "cert_id": cert.id if cert else 1,
            "role_id": organiser_b.organiser_roles[0].id,
            "claim_id": 1,
            "request_id": deletion.id,
            "programme_id": programme.id,
            "lesson_id": programme.lessons[0].id,
            "unit_id": b.id,
            "slug": draft.slug,
            "code": cert.code if cert else "x" * 26,
            "key": "ke-hoach",
            "kind": "members",
            "fmt": "xlsx",
            "filename": "app.css",
            "plan_key": "ke-hoach",
            "year": 2026,
            "family": "0" * 32,
        },
        "results_round": rnd,
        "results_contest": contest,
    }


def _url(app, rule, values) -> str:
    args = {name: values[name] for name in rule.arguments}
    if "kind" in rule.arguments and rule.endpoint == "contests.export_results":
        args["kind"] = "results"
    if rule.endpoint.startswith("contests.") and rule.endpoint in (
        "contests.export_results",
        "contests.attempt_pdf",
        "contests.correct_key",
        "contests.results",
        "contests.dashboard",
    ):
        args["contest_id"], args["round_id"] = values["results"]
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **args)


def _routes(app):
    return [r for r in app.url_map.iter_rules() if RULES.get(r.endpoint, OPS) != OPS]


def test_every_route_has_a_rule(app):
    missing = sorted({r.endpoint for r in app.url_map.iter_rules()} - set(RULES))
    assert not missing, f"routes without an access rule in this test: {missing}"


def _requests(app, world):
    values = dict(world["values"], results=(world["results_contest"].id, world["results_round"].id))
    for rule in _routes(app):
        url = _url(app, rule, values)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule.endpoint, RULES[rule.endpoint], method, url


def test_guest(app, client, world):
    for endpoint, kind, method, url in _requests(app, world):
        resp = client.open(url, method=method)
        assert resp.status_code < 500, (endpoint, method, url, resp.status_code)
        if kind in (LOGIN, OWN, ORG, ORG_OBJECT, ADMIN):
            assert resp.status_code in (302, 401, 403, 404), (endpoint, method, resp.status_code)
            if resp.status_code == 302:
                assert "/login" in resp.headers["Location"], (endpoint, method)


def _as_outsider(app, client, world, refused_kinds):
    """Request every route; those of `refused_kinds` must refuse (B's objects unread)."""
    for endpoint, kind, method, url in _requests(app, world):
        if endpoint == "auth.logout":
            continue
        resp = client.open(url, method=method)
        assert resp.status_code < 500, (endpoint, method, url, resp.status_code)
        if kind in refused_kinds:
            # 400: a POST without its form is refused before it is read (nothing of B's shown)
            refused = (400, 403, 404) if method == "POST" else (403, 404)
            assert resp.status_code in refused, (endpoint, method, resp.status_code)
            assert "Đoàn xã B" not in resp.get_data(as_text=True), (endpoint, method)
        if endpoint == "take.landing":  # B's draft contest
            assert resp.status_code == 404


def test_member_of_another_unit(app, client, login_as, world):
    login_as("member", world["a"])
    _as_outsider(app, client, world, (OWN, ORG, ORG_OBJECT, ADMIN))


def test_organiser_of_another_unit(app, client, login_as, world):
    login_as("organiser", world["a"])
    _as_outsider(app, client, world, (OWN, ORG_OBJECT, ADMIN))
