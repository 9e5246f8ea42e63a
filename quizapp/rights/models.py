"""Requests a person makes about their data, and the log of organisers' views and exports
of personal data."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quizapp.auth.models import User
from quizapp.clock import utcnow
from quizapp.db import Base
from quizapp.orgs.models import Member


class DataRequest(Base):
    """One exercise of a right: an export or a consent withdrawal (done at once) or a
    deletion (pending until an organiser of the person's unit decides). For a minor the
    guardian who made it with them is recorded (cleared again by an approved deletion)."""

    __tablename__ = "data_request"
    __table_args__ = (
        CheckConstraint("kind IN ('export','withdrawal','deletion')", name="kind"),
        CheckConstraint(
            "status IN ('pending','approved','refused','cancelled','done')", name="status"
        ),
        Index("ix_data_request_status_unit_path", "status", "unit_path"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("member.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    # The person's unit when asked (path snapshot): whose organisers see and decide it.
    unit_path: Mapped[str] = mapped_column(String(400), default="/")
    keep_certificates: Mapped[bool] = mapped_column(default=False)
    guardian_name: Mapped[str | None] = mapped_column(String(200))
    guardian_contact: Mapped[str | None] = mapped_column(String(200))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decision_reason: Mapped[str] = mapped_column(String(300), default="")

    member: Mapped[Member | None] = relationship(lazy="joined")
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id], lazy="joined")


class DataAccess(Base):
    """An organiser's view or export of personal data: who, what, when, in which unit's
    subtree and how many people (one row per page or file, never one per person)."""

    __tablename__ = "data_access"
    __table_args__ = (Index("ix_data_access_unit_path_at", "unit_path", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    what: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str] = mapped_column(String(60), default="")
    unit_path: Mapped[str] = mapped_column(String(400), default="/")
    people: Mapped[int] = mapped_column(default=0)

    actor: Mapped[User | None] = relationship(lazy="joined")
