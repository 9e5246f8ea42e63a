"""Units of the organisation tree, members of the roster, and their history."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quizapp.clock import utcnow
from quizapp.db import Base


class UnitType(Base):
    """A kind of unit ("Đoàn xã/phường", "Chi đoàn", "Trường"…); configurable data."""

    __tablename__ = "unit_type"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    sort_order: Mapped[int] = mapped_column(default=0)


class Unit(Base):
    """A node of the unit tree; `path` is the materialised path "/1/7/42/" for subtree queries."""

    __tablename__ = "unit"
    __table_args__ = (
        CheckConstraint(
            "id IS NULL OR parent_id IS NULL OR parent_id <> id", name="not_own_parent"
        ),
        Index("ix_unit_path", "path"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_folded: Mapped[str] = mapped_column(String(200), index=True)
    type_key: Mapped[str] = mapped_column(ForeignKey("unit_type.key"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    path: Mapped[str] = mapped_column(String(400), default="")
    depth: Mapped[int] = mapped_column(default=0)
    archived_at: Mapped[datetime | None]
    successor_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    # Printed on the certificates the unit issues, unless a certificate rule or programme
    # gives its own: the place before the date ("Long Xuyên, ngày … tháng … năm …") and who
    # signs.
    locality: Mapped[str] = mapped_column(String(100), default="", server_default="")
    signatory_title: Mapped[str] = mapped_column(String(200), default="", server_default="")
    signatory_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    type: Mapped[UnitType] = relationship(lazy="joined")
    parent: Mapped[Unit | None] = relationship(remote_side=[id], foreign_keys=[parent_id])
    successor: Mapped[Unit | None] = relationship(remote_side=[id], foreign_keys=[successor_id])

    @property
    def archived(self) -> bool:
        return self.archived_at is not None

    def contains(self, other: Unit) -> bool:
        """True when `other` is this unit or lies in its subtree."""
        return other.path.startswith(self.path)

    def __repr__(self) -> str:
        return f"<Unit {self.code}>"


class Member(Base):
    """A person on a unit's roster (with or without a login account)."""

    __tablename__ = "member"
    __table_args__ = (Index("ix_member_unit_active", "unit_id", "active"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str | None] = mapped_column(String(40), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    name_folded: Mapped[str] = mapped_column(String(200), index=True)
    birth_date: Mapped[date | None] = mapped_column(Date)
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    email: Mapped[str | None] = mapped_column(String(200), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    admitted_on: Mapped[date | None] = mapped_column(Date)  # ngày vào Đoàn
    cccd_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    active: Mapped[bool] = mapped_column(default=True)
    guardian_name: Mapped[str | None] = mapped_column(String(200))
    guardian_consent_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    unit: Mapped[Unit] = relationship()
    categories: Mapped[list[MemberCategory]] = relationship(
        cascade="all, delete-orphan", order_by="MemberCategory.category", lazy="selectin"
    )

    @property
    def population(self) -> set[str]:
        return {c.category for c in self.categories}


class MemberCategory(Base):
    """A member's population category (a member may be in several)."""

    __tablename__ = "member_category"
    __table_args__ = (UniqueConstraint("member_id", "category"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    category: Mapped[str] = mapped_column(String(20), index=True)


class MemberUnitHistory(Base):
    """Which unit a member belonged to and when, so that past reports stay reproducible."""

    __tablename__ = "member_unit_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    start_at: Mapped[datetime] = mapped_column(default=utcnow)
    end_at: Mapped[datetime | None]
    reason: Mapped[str] = mapped_column(String(40), default="created")


class PendingImport(Base):
    """An uploaded roster file waiting for the organiser's confirmation after the preview."""

    __tablename__ = "pending_import"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    filename: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    options: Mapped[dict | None] = mapped_column(JSON)  # e.g. the target bank and format
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
