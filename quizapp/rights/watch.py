"""The web side of the access log: `@logs_access` on an organiser's page of personal data
and `logged(...)` once the page knows what it shows."""

from __future__ import annotations

from functools import wraps

from flask import request

from quizapp.extensions import db
from quizapp.rights.access import record_access
from quizapp.web import actor, now


def logs_access(view):
    """The page writes one log row: on SQLite a GET's transaction takes the write lock
    before it reads (a read transaction cannot safely become a writing one later)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if request.method in ("GET", "HEAD"):
            db.write_now()
        return view(*args, **kwargs)

    return wrapper


def logged(what: str, *, unit_path: str, people: int, object_id: object = "") -> None:
    record_access(
        db.session,
        actor=actor(),
        what=what,
        unit_path=unit_path,
        people=people,
        object_id=object_id,
        now=now(),
    )
