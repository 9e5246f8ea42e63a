"""`flask --app wsgi …` commands for operations: backup, restore, purge (quizapp/ops/)."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from quizapp.cli import writes
from quizapp.clock import utcnow
from quizapp.extensions import db


def register(app: Flask) -> None:
    @app.cli.command("backup")
    @click.argument("path", type=click.Path())
    @with_appcontext
    def backup_command(path):
        """Copy the database (consistent while the site runs), the signing keys' public parts
        and a manifest to PATH: a new folder, or an archive if PATH ends with .tar.gz."""
        from quizapp.ops.backup import BackupError, backup

        try:
            result = backup(
                current_app.config["DATABASE_URL"],
                path,
                key_dir=current_app.config["SIGNING_KEY_DIR"],
                now=utcnow(),
            )
        except BackupError as exc:
            raise click.ClickException(str(exc)) from exc
        m = result.manifest
        click.echo(
            f"backup of the {m['database']} database at migration {m['migration_head']} "
            f"written to {result.path} ({len(m['files'])} files, {len(m['signing_keys'])} "
            "public keys). Back up the signing keys folder and the uploads folder too."
        )

    @app.cli.command("restore")
    @click.argument("path", type=click.Path(exists=True))
    @with_appcontext
    def restore_command(path):
        """Restore the backup at PATH into this site's database, which must be empty. Checks
        the checksums and that the backup's migration is this code's."""
        from quizapp.certificates.signing import KeyStore
        from quizapp.ops.backup import BackupError, restore

        db.session.remove()
        db.engine.dispose()  # no connection of this process keeps the old file open
        try:
            manifest = restore(path, current_app.config["DATABASE_URL"])
        except BackupError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(
            f"restored the {manifest['database']} backup of {manifest['created_at']} "
            f"(migration {manifest['migration_head']})"
        )
        store = KeyStore(current_app.config["SIGNING_KEY_DIR"], now=utcnow)
        here = {key.kid for key in store.keys()}  # noqa: SIM118 - KeyStore.keys(), no dict
        missing = [kid for kid in manifest.get("signing_keys", []) if kid not in here]
        if missing:
            click.echo(
                "WARNING: certificates signed with these keys cannot be verified until the "
                f"signing keys folder is restored too: {', '.join(missing)} (their public "
                "parts are in the backup's keys/jwks.json)",
                err=True,
            )

    @app.cli.command("purge")
    @click.option("--dry-run", is_flag=True, help="Count what would be removed; change nothing.")
    @with_appcontext
    @writes
    def purge_command(dry_run):
        """Remove what the retention settings no longer allow to keep (for cron, daily)."""
        from quizapp.ops.retention import policy_from_config, purge

        policy = policy_from_config(current_app.config)
        removed = purge(db.session, policy, now=utcnow(), dry_run=dry_run)
        if dry_run:
            db.session.rollback()
        else:
            db.session.commit()
        verb = "would remove" if dry_run else "removed"
        for kind, count in removed.items():
            click.echo(f"{verb} {count} {kind} ({policy.describe(kind)})")
        if not removed:
            click.echo("retention: every period is set to keep forever")
