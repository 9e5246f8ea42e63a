"""Plan definitions as admins edit them, the figures units enter (reported values and
attestations), snapshots of every unit's values, and the organisers' confirmations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from quizapp.clock import utcnow
from quizapp.db import Base


class PlanDefinition(Base):
    """A plan's indicator file (the YAML format of quizapp/indicators/plans/README.md), kept
    whole so that an admin's edit is validated exactly as the shipped file is."""

    __tablename__ = "indicator_plan"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    source: Mapped[str] = mapped_column(Text)
    # Unit types chosen for unit-level indicators, by the indicator's first code (replacing
    # the file's default, e.g. another level for the abolished district unions).
    unit_types: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


class IndicatorEntry(Base):
    """What a unit's organiser enters for one indicator and reporting year: a reported
    number, two counts, yes/no, or the attestation of a unit-level condition."""

    __tablename__ = "indicator_entry"
    __table_args__ = (
        UniqueConstraint("plan_key", "code", "year", "unit_id"),
        CheckConstraint("numerator IS NULL OR numerator >= 0", name="numerator"),
        CheckConstraint(
            "denominator IS NULL OR (denominator >= 0 AND denominator >= numerator)",
            name="denominator",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_key: Mapped[str] = mapped_column(String(80))
    code: Mapped[str] = mapped_column(String(20))
    year: Mapped[int]
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    value: Mapped[float | None]  # a reported number
    numerator: Mapped[int | None]  # a reported percentage: two counts
    denominator: Mapped[int | None]
    yes: Mapped[bool | None]  # yes/no, or the attestation
    comment: Mapped[str] = mapped_column(Text, default="")
    evidence_url: Mapped[str] = mapped_column(String(500), default="")
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    entered_at: Mapped[datetime] = mapped_column(default=utcnow)


class Snapshot(Base):
    """Every unit's values of one plan for one reporting year, as computed at `taken_at`."""

    __tablename__ = "indicator_snapshot"
    __table_args__ = (
        CheckConstraint("reason IN ('monthly','report','manual')", name="reason"),
        Index("ix_indicator_snapshot_plan_year", "plan_key", "year", "taken_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_key: Mapped[str] = mapped_column(String(80))
    year: Mapped[int]
    taken_at: Mapped[datetime]
    as_of: Mapped[datetime]  # the moment counted: taken_at, or the period's end if earlier
    reason: Mapped[str] = mapped_column(String(8), default="manual")
    definition_at: Mapped[datetime]  # the plan definition's version used
    seconds: Mapped[float] = mapped_column(default=0.0)  # how long computing took


class SnapshotValue(Base):
    """One unit's value of one indicator line in a snapshot (its whole subtree counted)."""

    __tablename__ = "indicator_value"
    __table_args__ = (
        Index("ix_indicator_value_snapshot_unit", "snapshot_id", "unit_id"),
        Index("ix_indicator_value_unit_code", "unit_id", "code", "line"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    snapshot_id: Mapped[int] = mapped_column(
        ForeignKey("indicator_snapshot.id", ondelete="CASCADE")
    )
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    code: Mapped[str] = mapped_column(String(20))  # the indicator's first code
    line: Mapped[int] = mapped_column(default=0)  # computed: the line's index
    numerator: Mapped[int] = mapped_column(default=0)
    denominator: Mapped[int] = mapped_column(default=0)
    value: Mapped[float | None]  # reported numbers (not rolled up)


class Confirmation(Base):
    """An organiser confirmed their unit's figures for the year (against a snapshot)."""

    __tablename__ = "indicator_confirmation"
    __table_args__ = (UniqueConstraint("plan_key", "year", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_key: Mapped[str] = mapped_column(String(80))
    year: Mapped[int]
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    snapshot_id: Mapped[int | None] = mapped_column(
        ForeignKey("indicator_snapshot.id", ondelete="SET NULL")
    )
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    confirmed_at: Mapped[datetime] = mapped_column(default=utcnow)
    comment: Mapped[str] = mapped_column(Text, default="")
