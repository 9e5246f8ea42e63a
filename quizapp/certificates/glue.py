"""Wiring certificates into the app: the key store, the issuer, the submission hook."""

from __future__ import annotations

from flask import current_app, has_app_context

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


def issue_on_submit(session, attempt, now) -> None:
    """Submission hook: issue what the attempt earned, as soon as it is graded (in a request
    or a CLI command; bare service calls without an app have no keys to sign with)."""
    if has_app_context():
        issue_for_attempt(session, attempt, issuer=issuer(), now=now)


def issue_on_publish(session, rnd, prize_list, now) -> None:
    """Prize-list hook: prize certificates for the winners."""
    if has_app_context():
        issue_prizes(session, rnd, prize_list, issuer=issuer(), now=now)


def issue_on_completion(session, completion, programme, member, now):
    """Completion hook of study programmes: the certificate of completion."""
    if not has_app_context():
        return None
    return issue_for_completion(session, completion, programme, member, issuer=issuer(), now=now)


def init_app(app) -> None:
    from quizapp.contests import attempts, results
    from quizapp.programmes import study as programmes

    programmes.certificate_issuer = issue_on_completion

    if issue_on_submit not in attempts.SUBMIT_HOOKS:
        attempts.SUBMIT_HOOKS.append(issue_on_submit)
    if issue_on_publish not in results.PUBLISH_HOOKS:
        results.PUBLISH_HOOKS.append(issue_on_publish)
