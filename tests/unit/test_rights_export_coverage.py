"""The personal-data export covers every table that names the person: walked from the
models' foreign keys, so a new table pointing at a person (or at a row of theirs) fails here
until it is exported (rights.export.OWNED) or excluded with its reason (EXCLUDED)."""

from sqlalchemy import Column, ForeignKey, Integer, MetaData, Table

import quizapp.models  # noqa: F401  (every table on Base.metadata)
from quizapp.db import Base
from quizapp.rights import export


def test_every_foreign_key_to_the_person_is_exported_or_excluded_with_a_reason():
    assert export.uncovered_foreign_keys() == []
    for key, reason in export.EXCLUDED.items():
        assert key not in export.OWNED
        assert len(reason) > 20, key


def test_the_lists_name_real_columns():
    """A renamed column must not leave a stale entry that covers nothing."""
    tables = Base.metadata.tables
    for table, column in [*export.OWNED, *export.EXCLUDED, *export.OMITTED]:
        assert column in tables[table].c, f"{table}.{column}"
    for table, column in [*export.OWNED, *export.EXCLUDED]:
        assert tables[table].c[column].foreign_keys, f"{table}.{column} is not a foreign key"


def _copy() -> MetaData:
    md = MetaData()
    for t in Base.metadata.sorted_tables:
        t.to_metadata(md)
    return md


def test_a_new_table_naming_a_member_is_caught():
    md = _copy()
    Table(
        "volunteer_hours",
        md,
        Column("id", Integer, primary_key=True),
        Column("member_id", ForeignKey("member.id")),
    )
    assert export.uncovered_foreign_keys(md) == ["volunteer_hours.member_id → member"]


def test_a_new_table_below_an_owned_one_is_caught_too():
    """The walk follows chains: a table hanging from the person's attempts names them."""
    md = _copy()
    Table(
        "attempt_note",
        md,
        Column("id", Integer, primary_key=True),
        Column("attempt_id", ForeignKey("attempt.id")),
        Column("author_id", ForeignKey("user_account.id")),
    )
    assert export.uncovered_foreign_keys(md) == [
        "attempt_note.attempt_id → attempt",
        "attempt_note.author_id → user_account",
    ]


def test_secrets_are_never_exported():
    assert ("user_account", "password_hash") in export.OMITTED
    assert ("login_session", "id") in export.OMITTED
    assert ("reset_code", "code_hash") in export.OMITTED


def test_every_section_has_a_label_and_a_place():
    tables = set(export.owned_tables()) | {"audit_entry", "prize_places"}
    assert tables <= set(export.SECTION_LABELS)
    assert tables <= set(export.SECTION_ORDER)
