"""Backups a running site can make, and their restore into an empty database.

A backup is a folder (or the same folder as a `.tar.gz` archive) holding:

- `database.sqlite` — SQLite's online backup API (`sqlite3.Connection.backup`, all pages in
  one step: one read transaction, so the copy is the database as one commit left it while
  the site goes on writing in WAL mode); or `database.pgdump` — `pg_dump --format=custom`
  run on a snapshot exported by the transaction that read the migration revision;
- `keys/jwks.json` — the PUBLIC parts of the certificate signing keys (what verifies the
  certificates issued so far; the private keys are not copied: back up the keys folder
  separately, and safely);
- `manifest.json` — format, app version, the database's migration revision, its kind, the
  creation time (the app's clock) and the sha256 of every other file.

`restore` checks every checksum, refuses a backup made at another migration revision than
the code's head, or of another database kind, and refuses a target database holding any row;
then copies the SQLite pages back with the same API or runs `pg_restore`."""

from __future__ import annotations

import glob
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import create_engine, func, inspect, select, table, text
from sqlalchemy.engine import make_url

from quizapp.ops.migrations import code_head, database_revision

FORMAT = 1
MANIFEST = "manifest.json"
JWKS = "keys/jwks.json"
SQLITE_FILE = "database.sqlite"
PG_FILE = "database.pgdump"
ARCHIVE_SUFFIXES = (".tar.gz", ".tgz")


class BackupError(RuntimeError):
    """The backup cannot be made or restored (the message says why, for the operator)."""


def app_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("quizapp")
    except PackageNotFoundError:  # run from a checkout that is not pip-installed
        return "unknown"


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def kind_of(url: str) -> str:
    backend = make_url(url).get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise BackupError(f"cannot back up a {backend} database")
    return backend


def sqlite_path(url: str) -> str:
    name = make_url(url).database
    if not name or name == ":memory:" or name.startswith("file:"):
        raise BackupError("the SQLite database must be a file")
    return name


def pg_tool(name: str) -> str:
    """pg_dump / pg_restore: on the PATH, else the newest /usr/lib/postgresql/*/bin."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if not candidates:
        raise BackupError(f"{name} not found: install the PostgreSQL client tools")
    return candidates[-1]


def libpq_args(url: str) -> tuple[str, dict[str, str]]:
    """A libpq connection string without the password, and the environment carrying it (a
    password on the command line is visible to every user of the machine)."""
    u = make_url(url)
    env = dict(os.environ)
    if u.password:
        env["PGPASSWORD"] = u.password
    plain = u.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


@dataclass(frozen=True)
class Result:
    path: Path
    manifest: dict


def _public_keys(key_dir: str, now) -> dict:
    from quizapp.certificates.signing import KeyStore

    return KeyStore(key_dir, now=lambda: now).jwks()


def _backup_sqlite(url: str, folder: Path) -> str | None:
    target = folder / SQLITE_FILE
    path = sqlite_path(url)
    if not Path(path).is_file():
        raise BackupError(f"no SQLite database at {path}")
    source = sqlite3.connect(path, timeout=30)  # reads only (no statement here writes)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)  # pages=-1: every page in one step, one consistent read
        check = copy.execute("PRAGMA integrity_check").fetchone()[0]
        if check != "ok":
            raise BackupError(f"the copy fails SQLite's integrity check: {check}")
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        has_version = copy.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='alembic_version'"
        ).fetchone()
        revision = None
        if has_version:
            row = copy.execute("SELECT version_num FROM alembic_version").fetchone()
            revision = row[0] if row else None
    finally:
        copy.close()
        source.close()
    return revision


def _backup_postgres(url: str, folder: Path) -> str | None:
    """pg_dump on the snapshot of the transaction that reads the revision: the revision in
    the manifest is the one of the dumped data."""
    engine = create_engine(url, isolation_level="REPEATABLE READ")
    conninfo, env = libpq_args(url)
    try:
        with engine.connect() as conn:
            snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            revision = database_revision(conn)
            done = subprocess.run(  # noqa: S603 - fixed arguments, no shell
                [
                    pg_tool("pg_dump"),
                    "--format=custom",
                    f"--snapshot={snapshot}",
                    f"--file={folder / PG_FILE}",
                    f"--dbname={conninfo}",
                ],
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            conn.rollback()
    finally:
        engine.dispose()
    if done.returncode != 0:
        raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
    return revision


def backup(url: str, dest: str | os.PathLike, *, key_dir: str, now: datetime) -> Result:
    """Write a backup of the database at `url` to `dest`: a new (or empty) folder, or an
    archive when `dest` ends with .tar.gz/.tgz."""
    dest = Path(dest)
    kind = kind_of(url)
    archive = dest.name.endswith(ARCHIVE_SUFFIXES)
    if archive and dest.exists():
        raise BackupError(f"{dest} exists already")
    if not archive and dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise BackupError(f"{dest} exists and is not an empty folder")
    dest.parent.mkdir(parents=True, exist_ok=True)
    # Work beside the destination: same file system (a large database may not fit in /tmp).
    work = Path(tempfile.mkdtemp(prefix=".quizapp-backup-", dir=dest.parent))
    try:
        folder = work / "backup"
        (folder / "keys").mkdir(parents=True)
        if kind == "sqlite":
            revision = _backup_sqlite(url, folder)
        else:
            revision = _backup_postgres(url, folder)
        if revision is None:
            raise BackupError(
                "the database has no migration revision (alembic_version): run "
                "`flask --app wsgi db upgrade` first"
            )
        jwks = _public_keys(key_dir, now)
        (folder / JWKS).write_text(json.dumps(jwks, indent=2) + "\n", encoding="utf-8")
        files = sorted(p for p in folder.rglob("*") if p.is_file())
        manifest = {
            "format": FORMAT,
            "app": "quizapp",
            "app_version": app_version(),
            "migration_head": revision,
            "database": kind,
            "created_at": now.isoformat(),
            "signing_keys": [k["kid"] for k in jwks["keys"]],
            "files": {p.relative_to(folder).as_posix(): sha256(p) for p in files},
        }
        (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        if archive:
            partial = dest.with_name(dest.name + ".partial")
            with tarfile.open(partial, "w:gz") as tar:
                for p in sorted(folder.rglob("*")):
                    tar.add(p, arcname=p.relative_to(folder).as_posix(), recursive=False)
            os.replace(partial, dest)  # a half-written archive never has the final name
        else:
            dest.mkdir(parents=True, exist_ok=True)
            for p in sorted(folder.iterdir()):
                shutil.move(str(p), dest / p.name)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return Result(dest, manifest)


def _unpack(source: Path, into: Path) -> Path:
    if source.is_dir():
        return source
    if not source.is_file():
        raise BackupError(f"no backup at {source}")
    try:
        with tarfile.open(source, "r:*") as tar:
            tar.extractall(into, filter="data")  # no absolute paths, links or devices
    except (tarfile.TarError, OSError) as exc:
        raise BackupError(f"{source} is not a readable backup archive: {exc}") from exc
    return into


def read_manifest(folder: Path) -> dict:
    """The manifest, once every file it lists has its checksum (and nothing is missing)."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(f"no readable {MANIFEST} in the backup: {exc}") from exc
    if manifest.get("format") != FORMAT or not isinstance(manifest.get("files"), dict):
        raise BackupError(f"{MANIFEST} is not a quizapp backup manifest of format {FORMAT}")
    for name, expected in sorted(manifest["files"].items()):
        path = folder / name
        if not path.resolve().is_relative_to(folder.resolve()):
            raise BackupError(f"{MANIFEST} names a file outside the backup: {name}")
        if not path.is_file():
            raise BackupError(f"{name} is missing from the backup")
        if sha256(path) != expected:
            raise BackupError(f"{name} does not match its checksum: the backup was altered")
    return manifest


def rows_in(url: str) -> dict[str, int]:
    """Tables of the database at `url` that hold rows (alembic_version aside)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            names = inspect(conn).get_table_names()
            counts = {
                name: conn.execute(select(func.count()).select_from(table(name))).scalar_one()
                for name in names
                if name != "alembic_version"
            }
    finally:
        engine.dispose()
    return {name: n for name, n in counts.items() if n}


def restore(source: str | os.PathLike, url: str) -> dict:
    """Restore the backup at `source` into the (empty) database at `url`; the manifest."""
    source = Path(source)
    kind = kind_of(url)
    with tempfile.TemporaryDirectory(prefix="quizapp-restore-") as tmp:
        folder = _unpack(source, Path(tmp))
        manifest = read_manifest(folder)
        head = code_head()
        if manifest.get("migration_head") != head:
            raise BackupError(
                f"the backup was made at migration {manifest.get('migration_head')}, this "
                f"code is at {head}: restore it with the release that made it (then "
                "upgrade), or run this release's migrations on a copy first"
            )
        if manifest.get("database") != kind:
            raise BackupError(
                f"the backup holds a {manifest.get('database')} database, the target is {kind}"
            )
        holding = rows_in(url)
        if holding:
            listed = ", ".join(f"{name} ({n})" for name, n in sorted(holding.items())[:5])
            raise BackupError(
                f"the target database is not empty: {listed}{' …' if len(holding) > 5 else ''}."
                " Restore into a new, empty database."
            )
        if kind == "sqlite":
            _restore_sqlite(folder / SQLITE_FILE, url)
        else:
            _restore_postgres(folder / PG_FILE, url)
    return manifest


def _restore_sqlite(file: Path, url: str) -> None:
    source = sqlite3.connect(f"file:{file}?mode=ro", uri=True)
    target_path = sqlite_path(url)
    Path(target_path).parent.mkdir(parents=True, exist_ok=True)
    target = sqlite3.connect(target_path, timeout=30)
    try:
        if source.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupError("the backup's database fails SQLite's integrity check")
        source.backup(target)
        target.execute("PRAGMA journal_mode=WAL")  # as the app runs it (quizapp/db.py)
    finally:
        target.close()
        source.close()


def _restore_postgres(file: Path, url: str) -> None:
    conninfo, env = libpq_args(url)
    done = subprocess.run(  # noqa: S603 - fixed arguments, no shell
        [
            pg_tool("pg_restore"),
            "--clean",  # the empty tables of a `db upgrade`d target are replaced
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            f"--dbname={conninfo}",
            str(file),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise BackupError(f"pg_restore failed: {done.stderr.strip()}")
