"""The versioned JSON API, /api/v1 (docs/api.md): a blueprint of thin views over the same
services as the pages, described by an OpenAPI 3.1 document that spectree generates from
the pydantic schemas of `schemas.py` (which also validate every request and response).

- `auth.py`: bearer tokens (Flask-Login's request loader), scopes, CSRF for cookie requests,
  the token endpoints;
- `participant.py`, `organiser.py`, `public.py`: the endpoints;
- `docs.py`: /api/v1/openapi.json and the browsable page.

Refusals are RFC 9457 problem details (`problems.py`); reads carry an ETag."""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, request
from spectree import Response, SpecTree

from quizapp.api.schemas import Problem

bp = Blueprint("api", __name__, url_prefix="/api/v1")


class RequestInvalid(Exception):
    """The request does not fit its schema (422 with the errors per field)."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("invalid request")
        self.errors = errors


def _before(req, resp, req_validation_error, instance, model_adapter):
    """spectree's hook after the request check: a request that does not fit its schema is
    refused with problem details (not spectree's own body)."""
    if req_validation_error is not None:
        errors: dict[str, list[str]] = {}
        for e in model_adapter.validation_errors(req_validation_error):
            field = ".".join(str(x) for x in e.get("loc", ())) or ""
            errors.setdefault(field, []).append(str(e.get("msg", "")))
        raise RequestInvalid(errors)


class ResponseInvalid(RuntimeError):
    """A response of ours that does not fit its schema: a bug, a 500 (and a rollback)."""


def _after(req, resp, resp_validation_error, instance, model_adapter):
    if resp_validation_error is not None:
        raise ResponseInvalid(str(model_adapter.validation_errors(resp_validation_error)))


spec = SpecTree(
    "flask",
    mode="strict",  # only the routes decorated here: the API, never the pages
    title="quizapp API",
    version="1",
    description=(
        "Contests, study programmes, certificates and indicators of the youth union. "
        "Authenticate with POST /api/v1/auth/token and send `Authorization: Bearer <token>`. "
        "Errors are RFC 9457 problem details. See docs/api.md."
    ),
    path="api/v1/spectree",  # spectree's own pages are not registered (docs.py serves ours)
    before=_before,
    after=_after,
    validation_error_model=Problem,
    naming_strategy=lambda model: model.__name__,  # one module of schemas: plain names
    nested_naming_strategy=lambda _parent, child: child,
    security_schemes=[
        {
            "name": "bearer",
            "data": {
                "type": "http",
                "scheme": "bearer",
                "description": "An access token from /api/v1/auth/token (15 minutes).",
            },
        }
    ],
)

BEARER = {"bearer": []}
# Ids in paths: the database's integer range (a larger number is a 404, never a database
# error; documented as the parameter's maximum).
ID = "int(max=2147483647)"


def responses(ok=None, *errors: int, status: int = 200) -> Response:
    """A spectree Response: the success model and the problem details of `errors`, with 400
    (a request the site refuses whatever its address, e.g. a NUL character in the query
    string) and 429 (rate limits) on every operation."""
    codes = {f"HTTP_{status}": ok} if ok is not None else {}
    for code in (*errors, 400, 429):
        codes[f"HTTP_{code}"] = Problem
    return Response(**codes)


@bp.after_request
def _conditional(response):
    """Reads carry an ETag of their body and answer a matching If-None-Match with 304; they
    are private to the caller and revalidated each time."""
    if request.method == "GET" and response.status_code == 200 and not response.is_streamed:
        response.add_etag()
        response.headers.setdefault("Cache-Control", "private, no-cache")
        response.vary.add("Authorization")
        response = response.make_conditional(request)
    return response


def api_rate():
    return current_app.config["API_RATE_LIMIT"]


def init_api(app: Flask) -> None:
    """Register the API (called by create_app, before the blueprints are registered)."""
    from quizapp.api import auth, docs, organiser, participant, public  # noqa: F401  (routes)

    auth.init_auth(app)
    app.register_blueprint(bp)
