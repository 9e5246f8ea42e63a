"""Schemathesis against the API (issue 22), driven by the published OpenAPI document alone:
for every operation, generated requests (valid and invalid) sent to the app on SQLite as a
member who also organises a unit, with a live contest, so that the participant and the
organiser paths are reached. No answer may be a 5xx, and every answer must be one the
document describes: its status, content type, headers and body schema.

Bounded to a few examples per operation and mode (the module runs in well under a
minute)."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from quizapp import events
from quizapp.auth.models import OrganiserRole
from quizapp.certificates import glue
from tests.contest_helpers import make_bank, make_contest
from tests.factories import PASSWORD, make_unit, make_user

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture()
def caller(app, session, now):
    """A member of a branch who also organises its province, with a live contest."""
    session.info[events.ISSUER] = glue.issuer
    province = make_unit(session, "Tỉnh Đoàn", code="TD")
    branch = make_unit(session, "Chi đoàn", parent=province, code="TD-1")
    make_contest(session, province, make_bank(session, province, now), now, count=3)
    user = make_user(session, role="member", unit=branch)
    session.add(OrganiserRole(user_id=user.id, unit_id=province.id, granted_at=now))
    session.commit()
    resp = app.test_client().post(
        "/api/v1/auth/token", json={"identifier": user.email, "password": PASSWORD}
    )
    return {"Authorization": f"Bearer {resp.get_json()['access_token']}"}


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_api_conforms_to_its_document(app, caller, mode):
    """Schemathesis's own pytest plugin does not run under pytest 9 yet, so its Python API
    drives Hypothesis here: each operation's strategy of cases, sent through the WSGI app."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 24

    for operation in operations:

        @given(case=operation.as_strategy(mode))
        @settings(
            max_examples=5,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case):
            case.call_and_validate(headers=caller, checks=CHECKS)

        try:
            run()
        except Unsatisfiable:
            # nothing of this operation can be made invalid (e.g. one free string in the path)
            assert mode is GenerationMode.NEGATIVE, operation.label
        except Exception as exc:
            exc.add_note(f"operation: {operation.label} ({mode.value})")
            raise


def test_the_document_is_openapi_3_1_and_covers_the_api(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.1")
    paths = doc["paths"]
    for path in (
        "/api/v1/auth/token",
        "/api/v1/rounds/{round_id}/attempts",
        "/api/v1/attempts/{attempt_id}/answers",
        "/api/v1/org/indicators/{plan_key}/{year}",
        "/api/v1/certificates/{code}",
        "/api/v1/jwks",
    ):
        assert path in paths, path
    problem = paths["/api/v1/auth/token"]["post"]["responses"]["422"]["content"]
    assert list(problem) == ["application/problem+json"]
    page = client.get("/api/v1/docs").get_data(as_text=True)
    assert "/api/v1/attempts/{attempt_id}/answers" in page and "<script" not in page
