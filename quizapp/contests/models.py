"""Contests, rounds, attempts, the questions each attempt was served and the saved answers."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quizapp.banks.models import Bank
from quizapp.clock import utcnow
from quizapp.db import Base
from quizapp.orgs.models import Unit

CONTEST_STATUSES = ("draft", "published", "closed", "archived")


class Contest(Base):
    __tablename__ = "contest"
    __table_args__ = (
        CheckConstraint("status IN ('draft','published','closed','archived')", name="status"),
        CheckConstraint("eligibility IN ('subtree','units','public')", name="eligibility"),
        CheckConstraint("kind IN ('contest','programme')", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(16), unique=True)  # the short public link
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    rules: Mapped[str] = mapped_column(Text, default="")  # Markdown
    owner_unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    eligibility: Mapped[str] = mapped_column(String(10), default="subtree")
    unit_ids: Mapped[list] = mapped_column(JSON, default=list)  # eligibility == "units"
    populations: Mapped[list] = mapped_column(JSON, default=list)  # empty: everybody
    one_page: Mapped[bool] = mapped_column(default=False)
    mask_names: Mapped[bool] = mapped_column(default=True)  # on the public ranking
    # Collective ranking of units: participation rate (%) + weight × prize points won.
    prize_points: Mapped[dict] = mapped_column(
        JSON, default=lambda: {"first": 10, "second": 8, "third": 6, "consolation": 4}
    )
    points_weight: Mapped[float] = mapped_column(default=0.0)
    prizes: Mapped[dict] = mapped_column(  # prize counts of the whole-contest list
        JSON, default=lambda: {"first": 1, "second": 2, "third": 3, "consolation": 5}
    )
    ranking_order: Mapped[list] = mapped_column(
        JSON, default=lambda: ["score", "prediction", "time", "submitted"]
    )
    status: Mapped[str] = mapped_column(String(10), default="draft")
    # "programme": the hidden container of a study programme's lesson checks.
    kind: Mapped[str] = mapped_column(String(10), default="contest", server_default="contest")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    owner_unit: Mapped[Unit] = relationship(lazy="joined")
    rounds: Mapped[list[Round]] = relationship(
        back_populates="contest", order_by="Round.number", lazy="selectin"
    )


class Round(Base):
    """A "tuần thi": its window, time limit, draw blueprint and rules of attempts."""

    __tablename__ = "contest_round"
    __table_args__ = (
        UniqueConstraint("contest_id", "number"),
        CheckConstraint("closes_at > opens_at", name="window"),
        CheckConstraint("time_limit_s > 0", name="time_limit"),
        CheckConstraint("attempts_allowed >= 1", name="attempts"),
        CheckConstraint("counting IN ('best','first','last')", name="counting"),
        CheckConstraint("review IN ('score','after_close','immediate')", name="review"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contest.id", ondelete="CASCADE"))
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    opens_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    time_limit_s: Mapped[int] = mapped_column(default=1200)
    bank_id: Mapped[int] = mapped_column(ForeignKey("bank.id"))
    # [{"count": 10, "category": "chuong-1" | null, "difficulty": "hard" | null}]
    blueprint: Mapped[list] = mapped_column(JSON, default=list)
    fixed_keys: Mapped[list] = mapped_column(JSON, default=list)
    # Frozen at publication: the question versions the draw may use, so later bank edits
    # never change a running round (they go through regrading instead).
    # Deferred (loaded when used, i.e. when an attempt starts): every attempt load joins its
    # round, and decoding a pool of 500 questions on each answer save cost more than the save.
    pool: Mapped[list | None] = mapped_column(JSON, deferred=True)
    fixed_versions: Mapped[list | None] = mapped_column(JSON, deferred=True)
    draw_items: Mapped[list | None] = mapped_column(JSON, deferred=True)
    shuffle_questions: Mapped[bool] = mapped_column(default=True)
    shuffle_options: Mapped[bool] = mapped_column(default=True)
    attempts_allowed: Mapped[int] = mapped_column(default=1)
    counting: Mapped[str] = mapped_column(String(8), default="best")
    pass_mark: Mapped[int] = mapped_column(default=50)  # percent of the maximum score
    review: Mapped[str] = mapped_column(String(12), default="after_close")
    prediction: Mapped[bool] = mapped_column(default=True)
    grace_s: Mapped[int] = mapped_column(default=30)
    # The prediction question's answer: participants with at least this many right answers
    # (None: every answer right, the usual question).
    prediction_min_correct: Mapped[int | None]
    # Or a number the organiser types: the question as worded for participants, and the
    # true value entered after the round closes (None: the ranking by prediction waits).
    prediction_question: Mapped[str | None] = mapped_column(Text)
    prediction_answer: Mapped[int | None]
    # Scored rounds draw only questions whose key is confirmed (text/secondary) unless ticked.
    include_unverified: Mapped[bool] = mapped_column(default=False)
    prizes: Mapped[dict] = mapped_column(
        JSON, default=lambda: {"first": 1, "second": 2, "third": 3, "consolation": 5}
    )

    contest: Mapped[Contest] = relationship(back_populates="rounds")
    bank: Mapped[Bank] = relationship(lazy="joined")

    @property
    def prediction_subject(self):
        """What the prediction question asks about (prompt, label and count in one place)."""
        from quizapp.contests.prediction import PredictionSubject

        return PredictionSubject.of(self)

    @property
    def question_count(self) -> int:
        return sum(int(i.get("count", 0)) for i in self.blueprint or []) + len(
            self.fixed_keys or []
        )


class Attempt(Base):
    """One participant's attempt at a round (organiser previews are flagged, never counted)."""

    __tablename__ = "attempt"
    __table_args__ = (
        UniqueConstraint("round_id", "user_id", "number"),
        CheckConstraint("status IN ('in_progress','submitted')", name="status"),
        CheckConstraint("number >= 1", name="number"),
        # At most one attempt in progress per participant and round, whatever the code does.
        Index(
            "uq_attempt_one_in_progress",
            "round_id",
            "user_id",
            unique=True,
            sqlite_where=text("status = 'in_progress'"),
            postgresql_where=text("status = 'in_progress'"),
        ),
        Index(
            "ix_attempt_deadline_open",
            "deadline_at",
            sqlite_where=text("status = 'in_progress'"),
            postgresql_where=text("status = 'in_progress'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # No index on round_id alone: the unique (round_id, user_id, number) serves lookups by
    # round, and planners with stale statistics picked the narrower one for a participant's
    # attempts, filtering the whole round per start (migration c1f2a9e4b7d3).
    round_id: Mapped[int] = mapped_column(ForeignKey("contest_round.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))  # at the time of the attempt
    number: Mapped[int] = mapped_column(default=1)
    preview: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(12), default="in_progress")
    seed: Mapped[int]
    started_at: Mapped[datetime]
    deadline_at: Mapped[datetime]
    submitted_at: Mapped[datetime | None]
    submitted_by: Mapped[str | None] = mapped_column(String(10))  # user, timeout, sweep
    device: Mapped[str] = mapped_column(String(40), default="")
    score: Mapped[Decimal | None] = mapped_column(Numeric(10, 4))
    max_score: Mapped[Decimal | None] = mapped_column(Numeric(10, 4))
    correct_count: Mapped[int | None]
    question_count: Mapped[int] = mapped_column(default=0)
    prediction: Mapped[int | None]

    round: Mapped[Round] = relationship(lazy="joined")
    questions: Mapped[list[AttemptQuestion]] = relationship(
        order_by="AttemptQuestion.position", lazy="selectin", cascade="all, delete-orphan"
    )

    @property
    def duration_s(self) -> int | None:
        if self.submitted_at is None:
            return None
        end = min(self.submitted_at, self.deadline_at)
        return max(0, int((end - self.started_at).total_seconds()))


class AttemptQuestion(Base):
    """The question version served at a position, with its option order and its grade."""

    __tablename__ = "attempt_question"
    __table_args__ = (UniqueConstraint("attempt_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempt.id", ondelete="CASCADE"))
    position: Mapped[int]  # 1-based
    version_id: Mapped[int] = mapped_column(ForeignKey("question_version.id"))
    option_order: Mapped[list] = mapped_column(JSON, default=list)
    response: Mapped[dict | None] = mapped_column(JSON)  # in the question's original order
    # The options of a choice answer as a bit mask (bit i = option i of the original order),
    # written with the response: item analysis reads it instead of decoding 3,000,000 JSON
    # documents. None when the answer is not a choice (or none was given).
    choice_mask: Mapped[int | None] = mapped_column(BigInteger)
    flagged: Mapped[bool] = mapped_column(default=False)
    saved_at: Mapped[datetime | None]
    fraction: Mapped[Decimal | None] = mapped_column(Numeric(7, 6))
    score: Mapped[Decimal | None] = mapped_column(Numeric(10, 4))


class PrizeList(Base):
    """A round's prize list as published (frozen): changed only by an explicit re-publication."""

    __tablename__ = "prize_list"

    id: Mapped[int] = mapped_column(primary_key=True)
    # A round's list, or (round_id empty) the whole contest's.
    round_id: Mapped[int | None] = mapped_column(ForeignKey("contest_round.id"), unique=True)
    contest_id: Mapped[int | None] = mapped_column(ForeignKey("contest.id"), unique=True)
    published_at: Mapped[datetime]
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    actual: Mapped[int | None]  # the prediction question's answer used
    entries: Mapped[list] = mapped_column(JSON)  # prize, rank, name, unit, score, why…


class KeyCorrection(Base):
    """An answer-key correction of one question version in one round (regrading applies
    it); the latest one per question replaces the earlier, the audit log keeps them all."""

    __tablename__ = "key_correction"
    __table_args__ = (
        UniqueConstraint("round_id", "version_id"),
        CheckConstraint("mode IN ('rekey','void')", name="mode"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("contest_round.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("question_version.id"))
    mode: Mapped[str] = mapped_column(String(6))
    correct: Mapped[list] = mapped_column(JSON, default=list)  # option indices (or T/F)
    reason: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
