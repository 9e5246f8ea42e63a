"""Who is logged in: the user of a server-side login session, read on every request of a
logged-in browser."""

from __future__ import annotations

from sqlalchemy.orm import Session, joinedload

from quizapp.auth.models import LoginSession, User
from quizapp.orgs.models import Member


def _session_loads(with_roles: bool) -> tuple:
    user = joinedload(LoginSession.user)
    roles = user.joinedload if with_roles else user.lazyload
    return (roles(User.organiser_roles), user.joinedload(User.member).lazyload(Member.categories))


_LOADS = {True: _session_loads(True), False: _session_loads(False)}  # built once


def load_session(session: Session, session_id: str, *, with_roles: bool = True) -> User | None:
    """The user of a login session (every request of a logged-in browser).

    `with_roles`: join the organiser roles into the same query, for pages (every page's menu
    asks whether the user organises). Without it they are loaded when something reads them;
    an answer save never does. Population categories are always loaded on demand."""
    login = session.get(LoginSession, session_id, options=_LOADS[with_roles])
    if login is None or not login.user.active:
        return None
    return login.user
