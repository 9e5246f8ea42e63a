"""`flask --app wsgi …` commands for certificates: issue for a contest, export, verify a
file offline, rotate the signing key."""

from __future__ import annotations

import sys

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from quizapp.cli import writes
from quizapp.clock import utcnow
from quizapp.extensions import db


def register(app: Flask) -> None:
    @app.cli.command("issue-certificates")
    @click.option("--contest", "contest_id", type=int, required=True)
    @with_appcontext
    @writes
    def issue_certificates(contest_id):
        """Issue every certificate the contest's submitted attempts have earned (idempotent)."""
        from quizapp.certificates.glue import issuer
        from quizapp.certificates.services import issue_for_contest

        count = issue_for_contest(db.session, contest_id, issuer=issuer(), now=utcnow())
        db.session.commit()
        click.echo(f"issued {count} certificates")

    @app.cli.command("export-certificates")
    @click.option("--contest", "contest_id", type=int)
    @click.option("--round", "round_id", type=int)
    @click.option("--unit", "unit_code", help="Recipients of this unit and its subtree.")
    @click.option("-o", "--output", required=True, type=click.Path(dir_okay=False))
    @with_appcontext
    @writes
    def export_certificates(contest_id, round_id, unit_code, output):
        """Write the valid certificates of a contest, round or unit to one ZIP, with progress."""
        import zipfile

        from sqlalchemy import select

        from quizapp.certificates.lookup import certificates_query
        from quizapp.certificates.models import Certificate
        from quizapp.certificates.render import cached_certificate
        from quizapp.orgs.models import Unit
        from quizapp.policy import SYSTEM

        unit = db.session.scalar(select(Unit).where(Unit.code == unit_code)) if unit_code else None
        if unit_code and unit is None:
            raise click.ClickException(f"no unit {unit_code}")
        stmt = certificates_query(
            SYSTEM, contest_id=contest_id, round_id=round_id, status="valid", unit=unit
        )
        ids = db.session.scalars(stmt.with_only_columns(Certificate.id)).all()
        cfg = current_app.config
        with (
            current_app.test_request_context(),  # templates render as in a request
            zipfile.ZipFile(output, "w", zipfile.ZIP_STORED) as zf,
            click.progressbar(length=len(ids), label="certificates") as bar,
        ):
            for start in range(0, len(ids), 50):
                batch = db.session.scalars(
                    select(Certificate).where(Certificate.id.in_(ids[start : start + 50]))
                ).all()
                for cert in batch:
                    path = cached_certificate(
                        cert,
                        base_url=cfg["BASE_URL"],
                        uploads=cfg["UPLOADS_DIR"],
                        cache=cfg["CERT_CACHE_DIR"],
                    )
                    zf.write(path, f"{cert.serial}.pdf")
                    bar.update(1)
                db.session.expunge_all()
        click.echo(f"wrote {len(ids)} certificates to {output}")

    @app.cli.command("verify-certificate")
    @click.argument("source")
    @click.option(
        "--jwks",
        "jwks_path",
        type=click.Path(exists=True, dir_okay=False),
        help="Published keys (/.well-known/jwks.json); default: this site's keys.",
    )
    @click.option(
        "--revocations",
        "revocations_path",
        type=click.Path(exists=True, dir_okay=False),
        help="Signed revocation list (/.well-known/revocations.json); default: this site's.",
    )
    @with_appcontext
    def verify_certificate(source, jwks_path, revocations_path):
        """Check a certificate PDF's embedded credential, or a JWS: its signature, and whether
        it was revoked. Exit 0 valid, 1 not valid or unreadable, 2 revoked."""
        import json

        from quizapp.certificates.glue import issuer
        from quizapp.certificates.offline import read_token
        from quizapp.certificates.services import revocation_list, revoked_on
        from quizapp.certificates.signing import KeyStore, VerificationError, verify_jws

        try:
            if jwks_path:
                with open(jwks_path, encoding="utf-8") as fh:
                    keys = json.load(fh)
            else:
                keys = KeyStore(current_app.config["SIGNING_KEY_DIR"], now=utcnow).jwks()
            payload = verify_jws(read_token(source), keys)
            subject = payload["credentialSubject"]
            summary = (
                f"{subject['name']} — {payload['name']} "
                f"({payload['serial']}, {payload['validFrom'][:10]})"
            )
            if revocations_path:
                with open(revocations_path, encoding="utf-8") as fh:
                    listed = json.load(fh)["jws"]
            else:
                listed = revocation_list(db.session, issuer=issuer(), now=utcnow())
            revoked = revoked_on(verify_jws(listed, keys), payload["id"])
        except (VerificationError, ValueError, KeyError, TypeError, OSError) as exc:
            click.echo(f"NOT VALID: {type(exc).__name__}: {exc}")
            sys.exit(1)
        if revoked:
            click.echo(f"REVOKED on {revoked}: {summary}")
            sys.exit(2)
        click.echo(f"VALID signature, not revoked: {summary}")

    @app.cli.command("rotate-signing-key")
    @with_appcontext
    def rotate_signing_key():
        """Start signing with a new Ed25519 key (old keys stay published)."""
        from quizapp.certificates.signing import KeyStore

        key = KeyStore(current_app.config["SIGNING_KEY_DIR"], now=utcnow).rotate()
        click.echo(f"new signing key {key.kid}")
