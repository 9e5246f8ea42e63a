"""Question banks in the database: banks, documents, categories, questions and versions."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quizapp.clock import utcnow
from quizapp.db import Base
from quizapp.orgs.models import Unit


class Bank(Base):
    """A bank owned by a unit; `shared` banks are usable by the owner's whole subtree."""

    __tablename__ = "bank"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(8), default="vi")
    owner_unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    shared: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    owner_unit: Mapped[Unit] = relationship(lazy="joined")


class BankDocument(Base):
    """A legal or reference document cited by questions, with its validity."""

    __tablename__ = "bank_document"
    __table_args__ = (UniqueConstraint("bank_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("bank.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(400))
    number: Mapped[str] = mapped_column(String(80), default="")
    issuer: Mapped[str] = mapped_column(String(200), default="")
    adopted_on: Mapped[date | None] = mapped_column(Date)
    in_force_from: Mapped[date | None] = mapped_column(Date)
    superseded_on: Mapped[date | None] = mapped_column(Date)
    superseded_by: Mapped[str | None] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(String(500))

    def in_force(self, on: date) -> bool:
        if self.in_force_from and on < self.in_force_from:
            return False
        return self.superseded_on is None or on < self.superseded_on


class BankCategory(Base):
    __tablename__ = "bank_category"
    __table_args__ = (UniqueConstraint("bank_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("bank.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(String(300))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("bank_category.id"))
    position: Mapped[int] = mapped_column(default=0)


class BankQuestion(Base):
    """A question's identity (stable key); its content lives in versions."""

    __tablename__ = "bank_question"
    __table_args__ = (
        UniqueConstraint("bank_id", "key"),
        Index("ix_bank_question_bank_category", "bank_id", "category_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("bank.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(120))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("bank_category.id"))
    # Denormalised from the current version for fast filtering and search in big banks.
    type: Mapped[str] = mapped_column(String(20))
    difficulty: Mapped[str] = mapped_column(String(10), index=True)
    text_folded: Mapped[str] = mapped_column(Text, default="")
    tags_folded: Mapped[str] = mapped_column(String(1000), default=",")  # ",tag a,tag b,"
    document_key: Mapped[str | None] = mapped_column(String(80))
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("question_version.id", use_alter=True, name="fk_bank_question_current_version")
    )
    retired_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    position: Mapped[int] = mapped_column(default=0)

    current: Mapped[QuestionVersion | None] = relationship(
        foreign_keys=[current_version_id], lazy="joined", post_update=True
    )
    category: Mapped[BankCategory | None] = relationship(lazy="joined")


class QuestionVersion(Base):
    """An immutable version of a question; attempts point at the version they were served."""

    __tablename__ = "question_version"
    __table_args__ = (UniqueConstraint("question_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(
        ForeignKey("bank_question.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int]
    content: Mapped[dict] = mapped_column(JSON)
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    note: Mapped[str] = mapped_column(String(300), default="")
    # How the key was confirmed: text | secondary | unverified (core.Verified), with the quoted
    # words, the named source or the reason. Kept out of `content` so the hash stays a
    # fingerprint of what participants are served.
    verified: Mapped[str] = mapped_column(String(12), default="unverified", index=True)
    verified_note: Mapped[str] = mapped_column(Text, default="")
    # The replaced legal texts the question rests on, as found at import from its text,
    # answers, category and source (banks/superseded.py), "; "-separated; "" for none.
    superseded: Mapped[str] = mapped_column(String(300), default="", server_default="")
