"""Certificate rules per contest and the certificates issued (valid or revoked)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quizapp.clock import utcnow
from quizapp.db import Base
from quizapp.orgs.models import Unit


class CertificateRule(Base):
    """When a contest (or one round) gives certificates, and how they look."""

    __tablename__ = "certificate_rule"
    __table_args__ = (
        UniqueConstraint("contest_id", "round_id", "kind"),
        CheckConstraint("kind IN ('achievement','participation','prize')", name="kind"),
        CheckConstraint("layout IN ('classic','modern')", name="layout"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contest.id", ondelete="CASCADE"))
    round_id: Mapped[int | None] = mapped_column(ForeignKey("contest_round.id"))
    kind: Mapped[str] = mapped_column(String(14))
    threshold: Mapped[int] = mapped_column(default=80)  # percent of the maximum score
    layout: Mapped[str] = mapped_column(String(10), default="classic")
    title: Mapped[str] = mapped_column(String(200), default="GIẤY CHỨNG NHẬN")
    body: Mapped[str] = mapped_column(Text, default="")
    signatory_title: Mapped[str] = mapped_column(String(200), default="")
    signatory_name: Mapped[str] = mapped_column(String(200), default="")
    place: Mapped[str] = mapped_column(String(100), default="")
    template_version: Mapped[int] = mapped_column(default=1)
    active: Mapped[bool] = mapped_column(default=True)


class Certificate(Base):
    __tablename__ = "certificate"
    __table_args__ = (
        CheckConstraint("status IN ('valid','revoked')", name="status"),
        Index("ix_certificate_issuer_issued", "issuer_unit_id", "issued_at"),
        # The result page of every submitted attempt looks its certificates up: without it,
        # a scan of 1,000,000 certificates per page (measured by `make bench`). Partial, so
        # that certificates without an attempt (prizes) neither fill it nor make the planner's
        # statistics believe that one attempt has thousands of certificates.
        Index(
            "ix_certificate_attempt_id",
            "attempt_id",
            sqlite_where=text("attempt_id IS NOT NULL"),
            postgresql_where=text("attempt_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    serial: Mapped[str] = mapped_column(String(60), unique=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    # What the certificate is for, e.g. "round:12:user:5:achievement": never issued twice.
    achievement_key: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(14))
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("certificate_rule.id"))
    contest_id: Mapped[int | None] = mapped_column(ForeignKey("contest.id"), index=True)
    round_id: Mapped[int | None] = mapped_column(ForeignKey("contest_round.id"), index=True)
    attempt_id: Mapped[int | None] = mapped_column(ForeignKey("attempt.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    issuer_unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    recipient_unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    recipient_name: Mapped[str] = mapped_column(String(200))
    birth_year: Mapped[int | None]
    achievement: Mapped[dict] = mapped_column(JSON)  # names, score, rank, date: plain values
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    layout: Mapped[str] = mapped_column(String(10), default="classic")
    template_version: Mapped[int] = mapped_column(default=1)
    jws: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(8), default="valid")
    revoked_reason: Mapped[str | None] = mapped_column(String(300))
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("certificate.id"))

    issuer_unit: Mapped[Unit] = relationship(lazy="joined", foreign_keys=[issuer_unit_id])
    rule: Mapped[CertificateRule | None] = relationship(lazy="joined")


class SerialCounter(Base):
    """The last serial number given by a unit in a year ("AG-2026-000123"): one row updated
    per certificate, instead of counting the unit's certificates each time (a scan of
    1,000,000 rows per certificate on a national round)."""

    __tablename__ = "certificate_serial_counter"

    unit_id: Mapped[int] = mapped_column(
        ForeignKey("unit.id", ondelete="CASCADE"), primary_key=True
    )
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last: Mapped[int]
