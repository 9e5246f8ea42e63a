"""`flask backup` of a live database while another thread writes, `flask restore` into a fresh
one, and a row-for-row comparison; a certificate issued before the backup still verifies
after the restore; what restore refuses (quizapp/ops/backup.py).

These tests make their own databases (a file, or a PostgreSQL database of their own), not
the suite's per-worker one: a backup must see committed data, which the suite's rolled-back
test transaction never commits."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from quizapp import create_app
from quizapp.audit.models import AuditEntry
from quizapp.audit.services import record
from quizapp.certificates import services as C
from quizapp.certificates.models import Certificate
from quizapp.certificates.signing import verify_jws
from quizapp.db import IMMEDIATE, Base, make_engine
from quizapp.extensions import db
from quizapp.ops.backup import rows_in
from quizapp.ops.migrations import code_head
from quizapp.orgs.models import Member
from quizapp.policy import SYSTEM
from tests.conftest import TEST_SETTINGS
from tests.contest_helpers import make_bank, make_contest, play_round
from tests.factories import make_member, make_unit, make_user

PG = os.environ.get("QUIZAPP_TEST_DATABASE_URL", "")


def _new_database(kind: str, tmp_path: Path, worker_id: str, name: str) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / name}.db"
    base = make_url(PG)
    dbname = f"{base.database}_{name}_{worker_id}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{dbname}"'))
    admin.dispose()
    return base.set(database=dbname).render_as_string(hide_password=False)


def _migrated(url: str) -> None:
    """The schema of the models, stamped at the code's migration head (as `db upgrade`
    leaves it; tests/db/test_migrations.py proves the two agree)."""
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)"))
        conn.execute(text("INSERT INTO alembic_version VALUES (:r)"), {"r": code_head()})
    engine.dispose()


def _app(url, files_dir, clock):
    return create_app({**TEST_SETTINGS, **files_dir, "DATABASE_URL": url}, clock=clock)


def _dump(url: str) -> dict[str, list[tuple]]:
    """Every table's rows, ordered by primary key."""
    engine = make_engine(url)
    with engine.connect() as conn:
        out = {
            tbl.name: [tuple(r) for r in conn.execute(select(tbl).order_by(*tbl.primary_key))]
            for tbl in Base.metadata.sorted_tables
        }
        out["alembic_version"] = [
            tuple(r) for r in conn.execute(text("SELECT * FROM alembic_version"))
        ]
    engine.dispose()
    return out


def _world(app, now):
    """Units, a bank, a contest with an achievement rule and a member who earned its
    certificate, committed (signed with the app's keys)."""
    with app.app_context():
        db.writes_outside_requests()
        s = db.session
        province = make_unit(s, "Tỉnh Đoàn Sao Lưu", code="SL")
        branch = make_unit(s, "Chi đoàn Sao Lưu", parent=province, code="SL-1")
        bank = make_bank(s, province, now)
        contest = make_contest(s, province, bank, now, count=3)
        C.save_rule(
            s,
            contest.id,
            C.RuleData(
                kind="achievement",
                threshold=60,
                signatory_title="TM. BAN THƯỜNG VỤ",
                signatory_name="Trần Văn Bảo",
                place="Sao Lưu",
            ),
            actor=SYSTEM,
            now=now,
        )
        user = make_user(s, role="member", unit=branch, name="Phạm Thị Lưu Trữ")
        play_round(s, contest.rounds[0], user, now)
        s.commit()
        cert = s.scalars(select(Certificate)).one()
        return branch.id, cert.code, cert.jws


class Writer(threading.Thread):
    """Commits, until stopped, one transaction after another: a roster member and an audit
    entry naming it. `done[k]` = (member id, audit id) of the k-th commit."""

    def __init__(self, engine, unit_id, now):
        super().__init__(daemon=True)
        self.engine, self.unit_id, self.now = engine, unit_id, now
        self.done: list[tuple[int, int]] = []
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def run(self):
        try:
            with Session(self.engine, expire_on_commit=False) as s:
                from quizapp.orgs.models import Unit

                while not self.stop.is_set():
                    s.connection(execution_options={IMMEDIATE: True})  # as a request writes
                    k = len(self.done) + 1
                    member = make_member(s, s.get(Unit, self.unit_id), f"Thành viên ghi {k}")
                    entry = record(
                        s,
                        actor=SYSTEM,
                        action="test.write",
                        object_type="member",
                        object_id=member.id,
                        summary=f"write {k}",
                        now=self.now,
                    )
                    ids = (member.id, entry.id)
                    s.commit()
                    self.done.append(ids)
        except BaseException as exc:  # reported by the test
            self.error = exc

    def wait_for(self, n: int) -> None:
        while len(self.done) < n and self.error is None and self.is_alive():
            self.stop.wait(0.005)


def _member_columns():
    """(table, column) of every column that refers to a member (history, categories …)."""
    return [
        (tbl.name, fk.parent.name)
        for tbl in Base.metadata.sorted_tables
        for fk in tbl.foreign_keys
        if fk.column.table.name == Member.__tablename__
    ]


def _without_later_writes(source: dict, later: list[tuple[int, int]]) -> dict:
    """The source database as it was before the `later` writes: their members, their audit
    entries and every row referring to those members removed."""
    members = {m for m, _a in later}
    audits = {a for _m, a in later}
    out = {}
    for tbl in Base.metadata.sorted_tables:
        cols = [c.name for c in tbl.columns]
        refs = [cols.index(col) for name, col in _member_columns() if name == tbl.name]
        rows = source[tbl.name]
        if tbl.name == Member.__tablename__:
            rows = [r for r in rows if r[cols.index("id")] not in members]
        if tbl.name == AuditEntry.__tablename__:
            rows = [r for r in rows if r[cols.index("id")] not in audits]
        rows = [r for r in rows if not any(r[i] in members for i in refs)]
        out[tbl.name] = rows
    out["alembic_version"] = source["alembic_version"]
    return out


def _backup_during_writes_and_restore(kind, tmp_path, worker_id, files_dir, clock, now):
    source_url = _new_database(kind, tmp_path, worker_id, "live")
    target_url = _new_database(kind, tmp_path, worker_id, "restored")
    _migrated(source_url)
    if kind == "postgresql":  # restored over the empty tables `db upgrade` makes
        _migrated(target_url)  # (on SQLite: test_restore_from_an_archive)
    app = _app(source_url, files_dir, clock)
    unit_id, code, jws = _world(app, now)

    writer = Writer(db.engine, unit_id, now)
    writer.start()
    dest = tmp_path / "backup-live"
    try:
        writer.wait_for(5)
        before = len(writer.done)
        result = app.test_cli_runner().invoke(args=["backup", str(dest)])
        after = len(writer.done)
        writer.wait_for(after + 5)  # the site goes on writing after the backup
    finally:
        writer.stop.set()
        writer.join(30)
    assert writer.error is None, writer.error
    assert result.exit_code == 0, result.output
    assert "Back up the signing keys folder and the uploads folder too" in result.output
    source = _dump(source_url)
    db.session.remove()
    db.engine.dispose()

    manifest = json.loads((dest / "manifest.json").read_text())
    assert manifest["migration_head"] == code_head() and manifest["database"] == kind
    assert manifest["created_at"] == now.isoformat()  # the app's clock
    data_file = "database.sqlite" if kind == "sqlite" else "database.pgdump"
    assert set(manifest["files"]) == {data_file, "keys/jwks.json"}
    jwks = json.loads((dest / "keys/jwks.json").read_text())
    assert all(set(k) == {"kty", "crv", "x", "kid", "alg", "use"} for k in jwks["keys"])
    assert not any("PRIVATE" in p.read_text(errors="ignore") for p in dest.rglob("*.json"))

    target = _app(target_url, files_dir, clock)
    restored = target.test_cli_runner().invoke(args=["restore", str(dest)])
    assert restored.exit_code == 0, restored.output
    copy = _dump(target_url)

    # The copy holds exactly the first m writes, m between what was committed when the
    # backup began and when it ended (one consistent moment, nothing torn) …
    audit_ids = {row[0] for row in copy["audit_entry"]}
    written = [(m, a) for m, a in writer.done if a in audit_ids]
    m = len(written)
    assert written == writer.done[:m], "the copy holds a write without an earlier one"
    assert before <= m <= after, (before, m, after)
    assert len(writer.done) > m  # writes after the backup happened, and are not in the copy
    # … and every table equals the live database without the writes made after that moment.
    expected = _without_later_writes(source, writer.done[m:])
    for name in expected:
        assert copy[name] == expected[name], name
    assert sum(len(rows) for rows in copy.values()) > 50

    # A certificate issued before the backup verifies against the restored database.
    client = target.test_client()
    facts = client.get(f"/v/{code}.json")
    assert facts.status_code == 200 and facts.get_json()["status"] == "valid"
    assert facts.get_json()["recipient"] == "Phạm Thị Lưu Trữ"
    assert "Phạm Thị Lưu Trữ" in client.get(f"/v/{code}").get_data(as_text=True)
    credential = client.get(f"/v/{code}/credential.json").get_json()
    assert credential["jws"] == jws
    assert verify_jws(jws, jwks)["serial"] == credential["credential"]["serial"]

    # Restoring again into the now filled database is refused.
    again = target.test_cli_runner().invoke(args=["restore", str(dest)])
    assert again.exit_code != 0 and "the target database is not empty" in again.output
    assert _dump(target_url) == copy
    db.session.remove()
    db.engine.dispose()


def test_backup_during_writes_and_restore_sqlite(tmp_path, worker_id, files_dir, clock, now):
    _backup_during_writes_and_restore("sqlite", tmp_path, worker_id, files_dir, clock, now)


@pytest.mark.postgres
@pytest.mark.skipif(not PG.startswith("postgresql"), reason="needs PostgreSQL (pgtest.sh)")
def test_backup_during_writes_and_restore_postgres(tmp_path, worker_id, files_dir, clock, now):
    _backup_during_writes_and_restore("postgresql", tmp_path, worker_id, files_dir, clock, now)


@pytest.fixture()
def small_backup(tmp_path, files_dir, clock, now):
    """A backup (archive) of a small SQLite database, and an app on a fresh database."""
    url = f"sqlite:///{tmp_path / 'small.db'}"
    _migrated(url)
    app = _app(url, files_dir, clock)
    with app.app_context():
        db.writes_outside_requests()
        make_unit(db.session, "Tỉnh Nhỏ")
        db.session.commit()
    archive = tmp_path / "small.tar.gz"
    result = app.test_cli_runner().invoke(args=["backup", str(archive)])
    assert result.exit_code == 0, result.output
    db.session.remove()
    db.engine.dispose()
    target = _app(f"sqlite:///{tmp_path / 'fresh.db'}", files_dir, clock)
    yield archive, target, url
    db.session.remove()
    db.engine.dispose()


def _rewrite(archive: Path, tmp_path: Path, change) -> Path:
    import tarfile

    folder = tmp_path / "unpacked"
    with tarfile.open(archive) as tar:
        tar.extractall(folder, filter="data")
    change(folder)
    return folder


def test_restore_from_an_archive(small_backup, tmp_path):
    """Into a database `db upgrade` made: its tables are empty, so it may be restored into."""
    archive, target, _url = small_backup
    _migrated(f"sqlite:///{tmp_path / 'fresh.db'}")
    result = target.test_cli_runner().invoke(args=["restore", str(archive)])
    assert result.exit_code == 0, result.output
    assert any(r[2] == "Tỉnh Nhỏ" for r in _dump(f"sqlite:///{tmp_path / 'fresh.db'}")["unit"])


def test_restore_refuses_another_migration_head(small_backup, tmp_path):
    archive, target, _url = small_backup

    def older(folder):
        manifest = json.loads((folder / "manifest.json").read_text())
        manifest["migration_head"] = "0a1b2c3d4e5f"
        (folder / "manifest.json").write_text(json.dumps(manifest))

    folder = _rewrite(archive, tmp_path, older)
    result = target.test_cli_runner().invoke(args=["restore", str(folder)])
    assert result.exit_code != 0
    assert f"made at migration 0a1b2c3d4e5f, this code is at {code_head()}" in result.output
    assert rows_in(f"sqlite:///{tmp_path / 'fresh.db'}") == {}


def test_restore_refuses_a_tampered_backup(small_backup, tmp_path):
    archive, target, _url = small_backup

    def tamper(folder):
        data = bytearray((folder / "database.sqlite").read_bytes())
        data[-100] ^= 0xFF
        (folder / "database.sqlite").write_bytes(bytes(data))

    folder = _rewrite(archive, tmp_path, tamper)
    result = target.test_cli_runner().invoke(args=["restore", str(folder)])
    assert result.exit_code != 0
    assert "database.sqlite does not match its checksum" in result.output

    tamper(folder)  # flipped back: the database is whole again, now a file goes missing
    (folder / "keys" / "jwks.json").unlink()
    result = target.test_cli_runner().invoke(args=["restore", str(folder)])
    assert result.exit_code != 0 and "keys/jwks.json is missing" in result.output


def test_restore_refuses_a_database_holding_rows(small_backup):
    archive, _target, url = small_backup  # the backed-up database itself as the target
    from quizapp.ops.backup import BackupError, restore

    with pytest.raises(BackupError, match=r"the target database is not empty: .*unit \(1\)"):
        restore(archive, url)


def test_backup_refuses_a_database_without_migrations(tmp_path, files_dir, clock):
    url = f"sqlite:///{tmp_path / 'bare.db'}"
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()
    app = _app(url, files_dir, clock)
    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "b")])
    assert result.exit_code != 0 and "db upgrade" in result.output
    assert not (tmp_path / "b").exists()
    db.session.remove()
    db.engine.dispose()
