"""The web side of the access log: `logged(...)` once an organiser's page or file of personal
data knows what it shows."""

from __future__ import annotations

from flask import request

from quizapp.extensions import db
from quizapp.rights.access import record_access
from quizapp.web import actor, now


def logged(what: str, *, unit_path: str, people: int, object_id: object = "") -> None:
    """Write the page's one log row. A GET reads in a read transaction; on SQLite that cannot
    safely become a writing one, so the page's reads end there and the row is written in a
    transaction that takes the write lock only now (`db.write_now`): the lock is never held
    while a ranking or a roster is computed. What the page loaded is read again when the
    template uses it. On PostgreSQL the same transaction goes on."""
    if request.method in ("GET", "HEAD"):
        db.write_now()
    record_access(
        db.session,
        actor=actor(),
        what=what,
        unit_path=unit_path,
        people=people,
        object_id=object_id,
        now=now(),
    )
