"""Retention: what `flask --app wsgi purge` removes once the configured period is over.

- login sessions: logged in more than N days ago (the browser logs in again);
  QUIZAPP_RETENTION_SESSION_DAYS, default 30;
- unconfirmed uploads: roster or bank files previewed and never confirmed (kept sealed,
  `orgs/pending.py`), older than N hours; QUIZAPP_RETENTION_UPLOAD_HOURS, default 24;
- reset codes: password reset codes expired more than N days ago;
  QUIZAPP_RETENTION_RESET_CODE_DAYS, default 7;
- the log of organisers' views and exports of personal data (`data_access`, issue 23's "who
  looked"), older than N days; QUIZAPP_RETENTION_ACCESS_LOG_DAYS, default 730;
- accounts that never took part: created and last logged in more than N days ago, with no
  attempt, certificate, completion, self-enrolment (automatic enrolment is not taking part),
  organiser role or admin right, and named by no other record of the site (audit entries,
  authorship: every foreign key to the account that does not cascade);
  QUIZAPP_RETENTION_IDLE_ACCOUNT_DAYS, default 730.

0 keeps a kind forever. An account removed is the login only (`user_account` and what hangs
on it by cascade: sessions, reset codes, roster claims, pending uploads); the roster's member
record stays, being the union's own record. Rate-limit counters are not in the database
(Flask-Limiter's storage expires them by itself) and the app stores no access log.

Everything runs in the caller's transaction; the purge is audited as counts, never as who."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, and_, delete, exists, func, or_, select, union_all
from sqlalchemy.orm import Session

from quizapp.audit.services import record
from quizapp.auth.models import LoginSession, OrganiserRole, ResetCode, User
from quizapp.db import Base
from quizapp.orgs.models import PendingImport
from quizapp.policy import SYSTEM

SESSIONS = "login sessions"
UPLOADS = "unconfirmed uploads"
RESET_CODES = "reset codes"
ACCESS_LOG = "personal-data access log"
ACCOUNTS = "accounts that never took part"


@dataclass(frozen=True)
class Policy:
    idle_account_days: int = 730
    session_days: int = 30
    upload_hours: int = 24
    reset_code_days: int = 7
    access_log_days: int = 730

    def period(self, kind: str) -> timedelta | None:
        value = {
            SESSIONS: timedelta(days=self.session_days),
            UPLOADS: timedelta(hours=self.upload_hours),
            RESET_CODES: timedelta(days=self.reset_code_days),
            ACCESS_LOG: timedelta(days=self.access_log_days),
            ACCOUNTS: timedelta(days=self.idle_account_days),
        }[kind]
        return value if value > timedelta() else None

    def describe(self, kind: str) -> str:
        period = self.period(kind)
        if kind == UPLOADS:
            return f"older than {self.upload_hours} hours"
        return f"older than {period.days} days" if period else "kept forever"


def policy_from_config(config) -> Policy:
    return Policy(
        idle_account_days=config["RETENTION_IDLE_ACCOUNT_DAYS"],
        session_days=config["RETENTION_SESSION_DAYS"],
        upload_hours=config["RETENTION_UPLOAD_HOURS"],
        reset_code_days=config["RETENTION_RESET_CODE_DAYS"],
        access_log_days=config["RETENTION_ACCESS_LOG_DAYS"],
    )


def _user_references() -> list:
    """Every column that names an account without being removed with it (attempts,
    certificates, completions, audit entries, authorship …), found on the models: a new
    table naming accounts protects them from the purge without a change here."""
    columns = []
    for tbl in Base.metadata.sorted_tables:
        for fk in tbl.foreign_keys:
            if fk.column.table.name == User.__tablename__ and (fk.ondelete or "").upper() != (
                "CASCADE"
            ):
                columns.append(fk.parent)
    return columns


def idle_accounts(cutoff: datetime) -> Select:
    """Ids of the accounts that never took part and were last created or used before
    `cutoff`."""
    from quizapp.programmes.models import Enrolment

    named = union_all(*(select(c.label("uid")).where(c.is_not(None)) for c in _user_references()))
    return select(User.id).where(
        User.created_at < cutoff,
        or_(User.last_login_at.is_(None), User.last_login_at < cutoff),
        User.is_admin.is_(False),
        ~exists().where(OrganiserRole.user_id == User.id),
        ~exists().where(
            and_(
                User.member_id.is_not(None),
                Enrolment.member_id == User.member_id,
                Enrolment.source == "self",
            )
        ),
        User.id.not_in(select(named.subquery().c.uid)),
    )


def _targets(policy: Policy, now: datetime) -> dict[str, tuple]:
    """kind → (model, where clause) for every kind whose period is set."""
    out = {}
    if period := policy.period(SESSIONS):
        out[SESSIONS] = (LoginSession, LoginSession.created_at < now - period)
    if period := policy.period(UPLOADS):
        out[UPLOADS] = (PendingImport, PendingImport.created_at < now - period)
    if period := policy.period(RESET_CODES):
        out[RESET_CODES] = (ResetCode, ResetCode.expires_at < now - period)
    if period := policy.period(ACCESS_LOG):
        from quizapp.rights.models import DataAccess

        out[ACCESS_LOG] = (DataAccess, DataAccess.at < now - period)
    if period := policy.period(ACCOUNTS):
        out[ACCOUNTS] = (User, User.id.in_(idle_accounts(now - period)))
    return out


def purge(session: Session, policy: Policy, *, now: datetime, dry_run: bool = False) -> dict:
    """Remove (or, dry, count) what the policy no longer keeps; kind → count. Accounts go
    last, so that their sessions and uploads are counted as such."""
    removed = {}
    for kind, (model, where) in _targets(policy, now).items():
        if dry_run:
            removed[kind] = session.scalar(select(func.count()).select_from(model).where(where))
        else:
            result = session.execute(
                delete(model).where(where), execution_options={"synchronize_session": False}
            )
            removed[kind] = result.rowcount
    if not dry_run and any(removed.values()):
        record(
            session,
            actor=SYSTEM,
            action="retention.purge",
            object_type="retention",
            object_id=now.date().isoformat(),
            summary="; ".join(f"{kind}: {n}" for kind, n in removed.items() if n),
            after={kind: n for kind, n in removed.items()},
            now=now,
        )
    session.flush()
    return removed
