"""Test data builders; they flush, never commit."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from quizapp.auth.models import OrganiserRole, User
from quizapp.auth.services import hash_password
from quizapp.orgs.members import MemberData, create_member
from quizapp.orgs.models import Member, Unit, UnitType
from quizapp.orgs.services import create_unit
from quizapp.policy import SYSTEM

_seq = itertools.count(1)
T0 = datetime(2026, 11, 1, tzinfo=UTC)
PASSWORD = "correct horse"  # noqa: S105
_HASH = hash_password(PASSWORD)


def ensure_types(session: Session) -> None:
    from quizapp.demo import UNIT_TYPES

    for key, name, order in UNIT_TYPES:
        if session.get(UnitType, key) is None:
            session.add(UnitType(key=key, name=name, sort_order=order))
    session.flush()


def make_unit(
    session: Session,
    name: str | None = None,
    *,
    parent: Unit | None = None,
    code: str | None = None,
    type_key: str | None = None,
) -> Unit:
    ensure_types(session)
    n = next(_seq)
    return create_unit(
        session,
        actor=SYSTEM,
        code=code or f"U{n}",
        name=name or f"Đơn vị {n}",
        type_key=type_key or ("province" if parent is None else "branch"),
        parent_id=parent.id if parent else None,
        now=T0,
    )


def make_member(
    session: Session,
    unit: Unit,
    name: str | None = None,
    *,
    categories=("member",),
    phone: str | None = None,
    code: str | None = None,
    birth_date: date | None = date(2000, 1, 1),
    **kw,
) -> Member:
    n = next(_seq)
    return create_member(
        session,
        MemberData(
            full_name=name or f"Nguyễn Văn {n}",
            unit_id=unit.id,
            categories=tuple(categories),
            code=code,
            phone=phone,
            birth_date=birth_date,
            **kw,
        ),
        actor=SYSTEM,
        pii_key="test-pii-key",
        now=T0,
        audit=False,
    )


def make_user(
    session: Session,
    *,
    role: str = "member",
    unit: Unit | None = None,
    email: str | None = None,
    name: str | None = None,
) -> User:
    n = next(_seq)
    member = None
    if role == "member":
        unit = unit or make_unit(session)
        member = make_member(session, unit, name, phone=f"09{n:08d}")
    user = User(
        display_name=name or f"Người dùng {n}",
        email=email or f"user{n}@example.vn",
        phone=member.phone if member else None,
        password_hash=_HASH,
        is_admin=role == "admin",
        member_id=member.id if member else None,
        created_at=T0,
    )
    session.add(user)
    session.flush()
    if role == "organiser":
        session.add(OrganiserRole(user_id=user.id, unit_id=unit.id, granted_at=T0))
        session.flush()
    return user


def member_by_phone(session: Session, phone: str) -> Member | None:
    return session.scalar(select(Member).where(Member.phone == phone))


def registration_form(unit: Unit, **changes) -> dict:
    """A filled-in registration form (/register) on `unit`; `changes` replace fields."""
    return {
        "full_name": "Nguyễn Thị Mai",
        "birth_date": "2004-03-02",
        "phone": "0911222333",
        "password": "mật khẩu dài",
        "unit_id": str(unit.id),
        "categories": ["youth"],
        "consent": "y",
        **changes,
    }
