"""Wiring certificates into the app: the key store, the issuer, and the receivers of the
events that earn a certificate (quizapp/events.py)."""

from __future__ import annotations

from flask import current_app
from sqlalchemy.orm import Session

from quizapp import events
from quizapp.certificates.prizes import issue_prizes
from quizapp.certificates.services import Issuer, issue_for_attempt, issue_for_completion
from quizapp.certificates.signing import KeyStore
from quizapp.clock import utcnow


def issuer() -> Issuer:
    store = current_app.extensions.get("quizapp_keys")
    if store is None:
        store = current_app.extensions["quizapp_keys"] = KeyStore(
            current_app.config["SIGNING_KEY_DIR"], now=utcnow
        )
    return Issuer(keys=store, base_url=current_app.config["BASE_URL"])


def _issuer_of(session: Session) -> Issuer | None:
    """The issuer the session signs with (events.ISSUER), None for a session made without
    one (the service tests' own)."""
    make = session.info.get(events.ISSUER)
    return make() if make is not None else None


def issue_on_grading(attempt, *, session: Session, now) -> None:
    """An attempt was graded: issue what it earned."""
    if (signer := _issuer_of(session)) is not None:
        issue_for_attempt(session, attempt, issuer=signer, now=now)


def issue_on_publish(rnd, *, session: Session, prize_list, now) -> None:
    """A prize list was published: prize certificates for the winners."""
    if (signer := _issuer_of(session)) is not None:
        issue_prizes(session, rnd, prize_list, issuer=signer, now=now)


def issue_on_completion(completion, *, session: Session, programme, member, now) -> None:
    """A study programme was completed: its certificate of completion."""
    if (signer := _issuer_of(session)) is None:
        return
    cert = issue_for_completion(session, completion, programme, member, issuer=signer, now=now)
    if cert is not None:
        completion.certificate_id = cert.id
        session.flush()


def connect_listeners() -> None:
    events.attempt_graded.connect(issue_on_grading)
    events.prizes_published.connect(issue_on_publish)
    events.programme_completed.connect(issue_on_completion)
