"""Public endpoints: certificate verification by code (the lookup of /v/<code>.json) and the
JWKS of the certificate signing keys."""

from __future__ import annotations

import time

from flask import current_app, request

from quizapp.api import bp, responses, spec
from quizapp.api.schemas import Jwks, VerificationOut
from quizapp.certificates import lookup
from quizapp.certificates.glue import issuer
from quizapp.errors import NotFound
from quizapp.extensions import db, limiter
from quizapp.i18n import N_
from quizapp.web import now, public_page


def _verify_rate():
    return current_app.config["VERIFY_RATE_LIMIT"]


def _miss_rate():
    return current_app.config["VERIFY_MISS_RATE_LIMIT"]


def _missed(response) -> bool:
    return response.status_code == 404


def _genuine_code() -> bool:
    """As the verification page: only misses count against the unknown-code limit."""
    return lookup.is_known(db.session, (request.view_args or {}).get("code", ""))


@bp.get("/certificates/<code>")
@limiter.limit(_verify_rate)
@limiter.limit(_miss_rate, deduct_when=_missed, exempt_when=_genuine_code)
@spec.validate(resp=responses(VerificationOut, 404), tags=["public"])
def verify(code: str):
    """Verify a certificate by its code (the QR code's): its public facts

    The same facts as /v/{code}.json: never a phone, e-mail or full date of birth.
    Unknown codes are answered slowly and rate-limited."""
    facts = lookup.public_facts(db.session, code, now())
    if facts is None:
        time.sleep(0.3)  # as the verification page: guessing is pointless anyway
        raise NotFound(N_("No certificate has this code."))
    del facts["code"]
    changed = facts.pop("changed_at")
    body = VerificationOut(**facts).model_dump_json()
    response = current_app.response_class(body, mimetype="application/json")
    return public_page(
        response, max_age=current_app.config["PUBLIC_CACHE_SECONDS"], last_modified=changed
    )


@bp.get("/jwks")
@spec.validate(resp=responses(Jwks), tags=["public"])
def jwks():
    """The public keys that sign certificates (JWK Set; also /.well-known/jwks.json)"""
    issuer().keys.current()  # generated on first use
    return Jwks(**issuer().keys.jwks())
