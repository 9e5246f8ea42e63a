"""Request and response schemas of /api/v1 (pydantic v2): they validate the requests, check
the responses and generate the OpenAPI 3.1 document (spectree)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

MAX_ID = 2**31 - 1  # the database's integer range (forms.db_int)


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Out(BaseModel):
    """A response body (unknown fields are a bug of ours: the response check fails)."""

    model_config = ConfigDict(extra="forbid")


# --- errors ------------------------------------------------------------------------------


class Problem(Out):
    """RFC 9457 problem details, sent as `application/problem+json`."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    code: str | None = Field(
        None, description="a stable word to act on: csrf, invalid_token, device, closed, …"
    )
    errors: dict[str, list[str]] | None = Field(None, description="messages per request field")


# --- paging ------------------------------------------------------------------------------


class PageQuery(Model):
    page: int = Field(1, ge=1, le=100_000)
    per_page: int = Field(50, ge=1, le=200)


class PageMeta(Out):
    page: int
    per_page: int
    total: int
    pages: int


# --- auth --------------------------------------------------------------------------------


class TokenRequest(Model):
    identifier: str = Field(
        min_length=1, max_length=200, description="phone number or e-mail address"
    )
    password: str = Field(min_length=1, max_length=200)
    scope: str | None = Field(
        None,
        max_length=100,
        description="space-separated: participant, organiser:read, organiser:write "
        "(default: every scope the account may hold)",
    )
    client: str | None = Field(
        None, max_length=100, description="the app's name, shown on the account page"
    )


class TokenResponse(Out):
    access_token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 - the scheme's name
    expires_in: int = Field(description="seconds the access token lives")
    refresh_token: str
    scope: str


class RefreshRequest(Model):
    refresh_token: str = Field(min_length=1, max_length=200)


class RevokeResponse(Out):
    revoked: bool


class UnitRef(Out):
    id: int
    code: str
    name: str


class Me(Out):
    id: int
    display_name: str
    scopes: list[str]
    is_organiser: bool
    is_admin: bool
    unit: UnitRef | None
    managed_units: list[UnitRef]


# --- participant -------------------------------------------------------------------------


class RoundOut(Out):
    id: int
    number: int
    title: str
    state: Literal["upcoming", "open", "closed"]
    opens_at: datetime
    closes_at: datetime
    time_limit_s: int
    attempts_allowed: int
    attempts_used: int | None = Field(description="mine (None in organisers' lists)")
    pass_mark: int


class ContestOut(Out):
    id: int
    slug: str
    title: str
    organiser: str
    rounds: list[RoundOut]


class ContestPage(PageMeta):
    items: list[ContestOut]


class QuestionOut(Out):
    position: int
    type: str
    text: str
    text_format: str
    options: list[str] = Field(description="in display order: answer with their indexes")
    lefts: list[str]
    rights: list[str]
    mark: str
    answer: dict[str, Any] = Field(description="the saved answer, in display terms")
    flagged: bool
    saved: bool


class AttemptOut(Out):
    id: int
    round_id: int
    contest_id: int
    number: int
    status: Literal["in_progress", "submitted"]
    started_at: datetime
    deadline_at: datetime
    remaining_s: int
    question_count: int
    prediction_asked: bool
    questions: list[QuestionOut]


class SaveRequest(Model):
    position: int = Field(0, ge=0, le=10_000, description="the question's position (0: none)")
    answer: dict[str, Any] | None = Field(
        None,
        description='single/multi: {"choices": [display index…]}; truefalse: {"value": true}; '
        'matching: {"pairs": {"0": "right text"}}; short/numeric/essay: {"text": "…"}; '
        "an empty answer clears it",
    )
    flagged: bool | None = None
    prediction: int | None = Field(None, ge=0, le=10_000_000)
    client_key: str | None = Field(
        None,
        min_length=1,
        max_length=100,
        description="the client's key of this save (or the Idempotency-Key header): a save "
        "sent again with a key already used is answered without saving again",
    )


class SaveResponse(Out):
    ok: bool
    position: int
    replayed: bool = Field(description="true: the key was used before, nothing was saved")


class SubmitRequest(Model):
    prediction: int | None = Field(None, ge=0, le=10_000_000)


class CertificateOut(Out):
    id: int
    code: str
    serial: str
    kind: str
    status: Literal["valid", "revoked"]
    issued_at: datetime
    contest: str | None
    round: str | None
    result: str
    verify_url: str
    credential_url: str
    pdf_url: str


class CertificatePage(PageMeta):
    items: list[CertificateOut]


class CredentialOut(Out):
    status: Literal["valid", "revoked"]
    jws: str = Field(description="the signed credential (compact JWS, EdDSA; keys: /jwks)")
    credential: dict[str, Any] = Field(description="the Open Badges 3.0 credential")


class ReviewRow(Out):
    position: int
    text: str
    fraction: float | None
    score: str | None


class ResultOut(Out):
    attempt_id: int
    round_id: int
    status: Literal["in_progress", "submitted"]
    score: str | None
    max_score: str | None
    correct_count: int | None
    question_count: int
    passed: bool
    submitted_at: datetime | None
    submitted_by: str | None
    rank: int | None = Field(description="place in the round's ranking (None: not computed yet)")
    ranked: int = Field(description="participants in the ranking")
    certificates: list[CertificateOut]
    review: list[ReviewRow] | None = Field(description="None: the round shows no review now")


class LessonOut(Out):
    id: int
    number: int
    title: str
    state: str = Field(description="passed, open, locked, waiting, exhausted, closed")
    attempts: int
    best: str | None
    passed_at: datetime | None
    check_round_id: int | None = Field(description="start the lesson's check here")


class ProgrammeOut(Out):
    id: int
    title: str
    enrolled: bool
    status: str
    percent: int
    may_study: bool
    lessons: list[LessonOut]


class ProgrammePage(PageMeta):
    items: list[ProgrammeOut]


# --- organiser ---------------------------------------------------------------------------


class UnitQuery(PageQuery):
    q: str = Field("", max_length=100, description="part of the name or code")
    parent: int | None = Field(None, ge=1, le=MAX_ID, description="only the children of")
    archived: bool = False


class UnitOut(Out):
    id: int
    code: str
    name: str
    type: str
    parent_id: int | None
    depth: int
    archived: bool


class UnitPage(PageMeta):
    items: list[UnitOut]


class OrgContestQuery(PageQuery):
    status: Literal["", "draft", "published", "closed", "archived"] = ""
    followed: bool = Field(False, description="the contests of the levels above that I follow")


class OrgContestOut(Out):
    id: int
    slug: str
    title: str
    status: str
    kind: str
    owner_unit: UnitRef
    followed: bool = Field(description="run by a level above: I read my members' part")
    rounds: list[RoundOut]


class OrgContestPage(PageMeta):
    items: list[OrgContestOut]


class ResultsQuery(PageQuery):
    unit: int | None = Field(None, ge=1, le=MAX_ID, description="only this unit's subtree")


class RankedOut(Out):
    rank: int
    tie: bool
    name: str
    unit: str
    unit_id: int | None
    score: str
    max_score: str
    correct: int
    questions: int
    duration_s: int
    submitted_at: datetime
    prediction: int | None


class ResultsPage(PageMeta):
    round_id: int
    items: list[RankedOut]


class ParticipationOut(Out):
    unit_id: int
    parent_id: int | None
    name: str
    depth: int
    eligible: int
    participants: int
    passed: int
    rate: float | None
    pass_rate: float | None
    mean: float | None
    median: float | None


class ParticipationPage(PageMeta):
    round_id: int
    items: list[ParticipationOut]


class OrgCertificateQuery(PageQuery):
    q: str = Field("", max_length=100)
    contest: int | None = Field(None, ge=1, le=MAX_ID)
    round: int | None = Field(None, ge=1, le=MAX_ID)
    status: Literal["", "valid", "revoked"] = ""
    unit: int | None = Field(None, ge=1, le=MAX_ID, description="recipients of this subtree")


class OrgCertificateOut(Out):
    id: int
    serial: str
    code: str
    kind: str
    status: Literal["valid", "revoked"]
    recipient: str
    recipient_unit_id: int | None
    contest_id: int | None
    round_id: int | None
    issued_at: datetime
    revoked_at: datetime | None
    revoked_reason: str | None


class OrgCertificatePage(PageMeta):
    items: list[OrgCertificateOut]


class RevokeCertificateRequest(Model):
    reason: str = Field("", max_length=500, description="required (shown when verified)")


class ImportQuery(PageQuery):
    kind: Literal["", "members", "units"] = ""


class ImportOut(Out):
    status: Literal["pending", "done"] = Field(
        description="pending: previewed, waiting for its confirmation (my own uploads); "
        "done: applied"
    )
    kind: str
    filename: str
    at: datetime
    by: str | None
    created: int | None
    updated: int | None
    unchanged: int | None


class ImportPage(PageMeta):
    pending: list[ImportOut] = Field(description="my uploads waiting for confirmation")
    items: list[ImportOut] = Field(description="imports applied in my subtree, newest first")


class PlanOut(Out):
    key: str
    title: str
    current_year: int


class PlanList(PageMeta):
    items: list[PlanOut]


class IndicatorQuery(PageQuery):
    unit: int | None = Field(None, ge=1, le=MAX_ID, description="this unit and its children")
    code: str = Field("", max_length=20, description="one indicator")


class IndicatorValueOut(Out):
    unit_id: int
    unit_code: str
    unit_name: str
    code: str
    line: int
    numerator: int
    denominator: int
    rate: float | None = Field(description="numerator / denominator × 100")
    value: float | None = Field(description="a reported number")


class IndicatorPage(PageMeta):
    plan: str
    year: int
    as_of: datetime | None = Field(description="the moment counted (None: no snapshot yet)")
    items: list[IndicatorValueOut]


# --- public ------------------------------------------------------------------------------


class VerificationOut(Out):
    status: Literal["valid", "revoked"]
    serial: str
    kind: str
    issuer: str
    recipient: str
    birth_year: int | None
    contest: str | None
    round: str | None
    result: str
    issued_on: str | None
    revoked_reason: str | None
    revoked_on: str | None


class Jwks(Out):
    keys: list[dict[str, Any]]
