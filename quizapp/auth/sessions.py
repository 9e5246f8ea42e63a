"""Who is logged in: the user of a login session, read on every request of a logged-in
browser, through the ORM or, for views marked `web.user_id_only` / `web.actor_only`, with one
Core statement (`SessionUser`)."""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload

from quizapp.auth.models import LoginSession, OrganiserRole, User
from quizapp.orgs.models import Member, Unit
from quizapp.policy import Actor
from quizapp.prepared import Prepared


def _session_loads(with_roles: bool) -> tuple:
    user = joinedload(LoginSession.user)
    roles = user.joinedload if with_roles else user.lazyload
    return (roles(User.organiser_roles), user.joinedload(User.member).lazyload(Member.categories))


_LOADS = {True: _session_loads(True), False: _session_loads(False)}  # built once


class SessionUser:
    """The logged-in user read with one Core query instead of the ORM (views marked
    `quizapp.web.user_id_only` or `quizapp.web.actor_only`): the id and, for pages, the
    `Actor` (admin flag, managed subtrees, name) that authorisation and the menu read.
    Whatever else is read of it (a page's `current_user.member`, an error page) loads the
    whole user from the request's session on first use."""

    __slots__ = ("id", "actor", "_session", "_user")
    is_authenticated = True
    is_active = True
    is_anonymous = False

    def __init__(self, user_id: int, session: Session, actor: Actor | None = None) -> None:
        self.id, self.actor, self._session, self._user = user_id, actor, session, None

    def get_id(self) -> str:
        return str(self.id)

    @property
    def display_name(self) -> str:
        return self.actor.name if self.actor is not None else self.__getattr__("display_name")

    def __getattr__(self, name: str):
        if self._user is None:
            self._user = self._session.get(User, self.id)
        return getattr(self._user, name)


_SESSION_USER_ID = Prepared(
    select(LoginSession.user_id)
    .join(User, User.id == LoginSession.user_id)
    .where(LoginSession.id == bindparam("session_id"), User.active.is_(True))
)


def load_session_user_id(read, session: Session, session_id: str) -> SessionUser | None:
    """`load_session` for a view that needs only the user's id: one Core query instead of
    loading the login session and the user through the ORM (a third of an answer save).
    `read` and `session` as for `load_session_actor`."""
    rows = read(_SESSION_USER_ID, {"session_id": session_id})
    return SessionUser(rows[0].user_id, session) if rows else None


# One row per organiser role (one row with no path for a member); the roles of archived
# units are not management rights (`User.managed_units`).
_SESSION_ACTOR = Prepared(
    select(User.id, User.is_admin, User.display_name, Unit.path)
    .select_from(LoginSession)
    .join(User, User.id == LoginSession.user_id)
    .outerjoin(OrganiserRole, OrganiserRole.user_id == User.id)
    .outerjoin(Unit, (Unit.id == OrganiserRole.unit_id) & Unit.archived_at.is_(None))
    .where(LoginSession.id == bindparam("session_id"), User.active.is_(True))
)


def load_session_actor(read, session: Session, session_id: str) -> SessionUser | None:
    """`load_session` for a page that reads of the user only its id, its name and what
    authorisation needs: one Core query builds the `Actor` (half a millisecond less than
    the ORM's login session, user, member and roles on every logged-in page).
    `read(prepared, params)` returns the rows (`Database.read_once`: a page served from
    caches then opens no ORM transaction at all; or `prepared.session_reader(session)`); `session`
    loads the whole user if something else is read of it."""
    rows = read(_SESSION_ACTOR, {"session_id": session_id})
    if not rows:
        return None
    first = rows[0]
    actor = Actor(
        user_id=first.id,
        is_admin=first.is_admin,
        managed_paths=tuple(sorted(r.path for r in rows if r.path is not None)),
        name=first.display_name,
    )
    return SessionUser(first.id, session, actor)


def load_session(session: Session, session_id: str, *, with_roles: bool = True) -> User | None:
    """The user of a login session (every request of a logged-in browser).

    `with_roles`: join the organiser roles into the same query, for pages (every page's menu
    asks whether the user organises; a separate roles query cost a member a tenth of a cached
    page). Without it they are loaded when something reads them: an answer save, the busiest
    request, never does, and the join costs it 3 %. Population categories are always loaded
    on demand."""
    login = session.get(LoginSession, session_id, options=_LOADS[with_roles])
    if login is None or not login.user.active:
        return None
    return login.user
