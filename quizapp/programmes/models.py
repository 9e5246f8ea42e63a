"""Programmes, their lessons (each check is a round of the programme's hidden contest),
enrolments and completions (the record the plan indicators count)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quizapp.clock import utcnow
from quizapp.contests.models import Contest, Round
from quizapp.db import Base
from quizapp.orgs.models import Unit


class Programme(Base):
    """A "chương trình học tập": audience, study period and ordered lessons.

    Its checks reuse the attempt engine: the programme owns a contest of kind "programme"
    (never listed with contests) whose rounds are the lessons' checks, so drawing, autosave,
    the offline queue, server time and grading are the contests' own.
    """

    __tablename__ = "programme"
    __table_args__ = (
        CheckConstraint("status IN ('draft','published','archived')", name="status"),
        CheckConstraint("ends_at > starts_at", name="period"),
        CheckConstraint("required_count IS NULL OR required_count >= 1", name="required"),
        CheckConstraint("renewal_months IS NULL OR renewal_months >= 1", name="renewal"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")  # Markdown
    owner_unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contest.id"), unique=True)
    # Audience: members of these units' subtrees (empty: the owner's subtree) in these
    # population categories (empty: all), optionally only those admitted in the period.
    unit_ids: Mapped[list] = mapped_column(JSON, default=list)
    populations: Mapped[list] = mapped_column(JSON, default=list)
    admitted_in_period: Mapped[bool] = mapped_column(default=False)
    self_enrol: Mapped[bool] = mapped_column(default=False)
    sequential: Mapped[bool] = mapped_column(default=True)
    required_count: Mapped[int | None]  # None: every required lesson
    renewal_months: Mapped[int | None]  # None: completions never expire
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(10), default="draft")
    certificate_title: Mapped[str] = mapped_column(String(200), default="CHỨNG CHỈ")
    signatory_title: Mapped[str] = mapped_column(String(200), default="")
    signatory_name: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    owner_unit: Mapped[Unit] = relationship(lazy="joined")
    contest: Mapped[Contest] = relationship()
    lessons: Mapped[list[Lesson]] = relationship(
        back_populates="programme", order_by="Lesson.position", lazy="selectin"
    )


class Lesson(Base):
    """ "Bài học": Markdown content and a check (a round of the programme's contest)."""

    __tablename__ = "lesson"
    __table_args__ = (
        UniqueConstraint("programme_id", "key"),
        UniqueConstraint("programme_id", "position"),
        CheckConstraint("max_attempts IS NULL OR max_attempts >= 1", name="max_attempts"),
        CheckConstraint("retry_wait_s >= 0", name="retry_wait"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id", ondelete="CASCADE"))
    position: Mapped[int]
    key: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(300))
    content: Mapped[str] = mapped_column(Text, default="")  # Markdown, sanitised when shown
    reading_minutes: Mapped[int] = mapped_column(default=10)
    required: Mapped[bool] = mapped_column(default=True)
    sources: Mapped[list] = mapped_column(JSON, default=list)
    round_id: Mapped[int] = mapped_column(ForeignKey("contest_round.id"), unique=True)
    max_attempts: Mapped[int | None]  # per completion cycle; None: unlimited
    retry_wait_s: Mapped[int] = mapped_column(default=0)

    programme: Mapped[Programme] = relationship(back_populates="lessons")
    round: Mapped[Round] = relationship(lazy="joined")


class Enrolment(Base):
    __tablename__ = "enrolment"
    __table_args__ = (
        UniqueConstraint("programme_id", "member_id"),
        CheckConstraint("source IN ('auto','self')", name="source"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(
        ForeignKey("programme.id", ondelete="CASCADE"), index=True
    )
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(4), default="auto")
    enrolled_at: Mapped[datetime] = mapped_column(default=utcnow)


class Completion(Base):
    """A member completed a programme (once per renewal cycle): who, when, score per lesson."""

    __tablename__ = "completion"
    __table_args__ = (
        UniqueConstraint("programme_id", "member_id", "cycle"),
        Index("ix_completion_programme_completed", "programme_id", "completed_at"),
        # A member's completions with what the plan indicators test, read from the index
        # alone (quizapp/indicators/counting.py; `make bench-indicators`); also the index of
        # the foreign key to member.
        Index(
            "ix_completion_member_programme",
            "member_id",
            "programme_id",
            "completed_at",
            "expires_at",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))  # at completion
    cycle: Mapped[int] = mapped_column(default=1)
    completed_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    scores: Mapped[dict] = mapped_column(JSON, default=dict)  # lesson key → percent
    certificate_id: Mapped[int | None] = mapped_column(ForeignKey("certificate.id"))
