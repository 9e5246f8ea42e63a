"""Who is logged in: the user of a server-side login session, read on every request of a
logged-in browser."""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload, lazyload

from quizapp.auth.models import LoginSession, User
from quizapp.orgs.models import Member

# The user of an active account by login session id: the user alone is loaded (the login
# session's row is only joined), with what the request will read of it joined in.
_USER_OF_SESSION = (
    select(User)
    .join(LoginSession, LoginSession.user_id == User.id)
    .where(LoginSession.id == bindparam("session_id"), User.active.is_(True))
)
_STATEMENTS = {  # built once
    True: _USER_OF_SESSION.options(
        joinedload(User.organiser_roles), joinedload(User.member).lazyload(Member.categories)
    ),
    False: _USER_OF_SESSION.options(lazyload(User.organiser_roles), lazyload(User.member)),
}


def load_session(session: Session, session_id: str, *, with_roles: bool = True) -> User | None:
    """The user of a login session (every request of a logged-in browser).

    `with_roles`: join the organiser roles and the member record into the same query, for
    pages (every page's menu asks whether the user organises). Without it (a form post, an
    answer save) only the user's row is read; what else is read of it is loaded then."""
    return session.scalars(_STATEMENTS[with_roles], {"session_id": session_id}).unique().first()
