"""Load a programme file (the documented YAML format) into a programme: create it, or
update it in place by its key and its lessons by theirs (idempotent)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from quizapp.banks.models import Bank, BankCategory
from quizapp.errors import Invalid
from quizapp.i18n import N_
from quizapp.orgs.models import Unit
from quizapp.policy import Actor
from quizapp.programmes import services as S
from quizapp.programmes.fileformat import Problem, ProgrammeSpec, load_programme, stale_sources
from quizapp.programmes.models import Programme
from quizapp.timeutil import local_today


@dataclass(frozen=True)
class ImportResult:
    programme: Programme
    created: bool
    lessons_added: int
    lessons_updated: int
    warnings: tuple[Problem, ...] = ()  # lessons citing a source nobody confirmed lately


def check_references(session: Session, spec: ProgrammeSpec) -> list[Problem]:
    """Every check's bank and categories exist (the file cannot say so by itself)."""
    problems = []
    for lesson in spec.lessons:
        bank = session.scalar(select(Bank).where(Bank.key == lesson.check.bank))
        if bank is None:
            problems.append(
                Problem(
                    lesson.line, N_("Unknown question bank %(key)s."), {"key": lesson.check.bank}
                )
            )
            continue
        known = set(
            session.scalars(select(BankCategory.key).where(BankCategory.bank_id == bank.id))
        )
        for cat in lesson.check.categories:
            if cat not in known:
                problems.append(
                    Problem(
                        lesson.line,
                        N_("Unknown category %(key)s in bank %(bank)s."),
                        {"key": cat, "bank": bank.key},
                    )
                )
    return problems


def parse(session: Session, text: str) -> tuple[ProgrammeSpec | None, list[Problem]]:
    spec, problems = load_programme(text)
    if spec is not None:
        problems = check_references(session, spec)
    return (spec if not problems else None), problems


def import_programme(
    session: Session,
    spec: ProgrammeSpec,
    *,
    owner_unit: Unit,
    starts_on: date,
    ends_on: date,
    actor: Actor,
    now: datetime,
    publish: bool = False,
) -> ImportResult:
    """Create or update the programme `spec.key`. Raises Invalid on bad references and
    Conflict when a lesson's check members have taken would change (nothing is kept then:
    the caller rolls back)."""
    refusals, warnings = stale_sources(spec, local_today(now))
    problems = check_references(session, spec) + refusals
    if problems:
        raise Invalid({"": problems[0].message}, **problems[0].params)
    data = S.ProgrammeData(
        title=spec.title,
        owner_unit_id=owner_unit.id,
        starts_on=starts_on,
        ends_on=ends_on,
        description=spec.description,
        populations=spec.populations,
        admitted_in_period=spec.admitted_in_period,
        self_enrol=spec.self_enrol,
        sequential=spec.sequential,
        required_count=spec.required_count,
        renewal_months=spec.renewal_months,
        key=spec.key,
    )
    programme = session.scalar(select(Programme).where(Programme.key == spec.key))
    created = programme is None
    if created:
        programme = S.create_programme(session, data, actor=actor, now=now)
    else:
        # Keep the owner, period and certificate look an organiser may have set.
        data = replace(
            data,
            owner_unit_id=programme.owner_unit_id,
            starts_on=local_today(programme.starts_at),
            ends_on=local_today(programme.ends_at),
            unit_ids=tuple(programme.unit_ids),
            certificate_title=programme.certificate_title,
            signatory_title=programme.signatory_title,
            signatory_name=programme.signatory_name,
        )
        S.update_programme(session, programme.id, data, actor=actor, now=now)
    added = updated = 0
    existing = {x.key: x for x in programme.lessons}
    for lesson in spec.lessons:
        bank = session.scalar(select(Bank).where(Bank.key == lesson.check.bank))
        ldata = S.LessonData(
            title=lesson.title,
            bank_id=bank.id,
            categories=lesson.check.categories,
            questions=lesson.check.questions,
            content=lesson.content,
            reading_minutes=lesson.reading_minutes,
            required=lesson.required,
            pass_mark=lesson.check.pass_mark,
            time_limit_s=lesson.check.time_limit_s,
            max_attempts=lesson.check.max_attempts,
            retry_wait_s=lesson.check.retry_wait_s,
            key=lesson.key,
            sources=tuple(_with_document(s, spec.documents) for s in lesson.sources),
        )
        current = existing.get(lesson.key)
        if current is None:
            S.save_lesson(session, programme.id, ldata, actor=actor, now=now)
            added += 1
        elif _differs(current, ldata):
            S.save_lesson(session, programme.id, ldata, actor=actor, now=now, lesson_id=current.id)
            updated += 1
    if publish and programme.status != "published":
        S.set_status(session, programme.id, "published", actor=actor, now=now)
    return ImportResult(programme, created, added, updated, tuple(warnings))


def _with_document(source: dict, documents: dict) -> dict:
    """A lesson's source with its document's title and number, so pages can cite it."""
    doc = documents.get(source.get("document"), {})
    out = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in source.items()}
    out["title"] = doc.get("title")
    out["number"] = doc.get("number")
    out["url"] = doc.get("url")
    return out


def _differs(lesson, data: S.LessonData) -> bool:
    rnd = lesson.round
    return (
        lesson.title != data.title.strip()
        or lesson.content != data.content
        or lesson.reading_minutes != data.reading_minutes
        or lesson.required != data.required
        or lesson.max_attempts != data.max_attempts
        or lesson.retry_wait_s != data.retry_wait_s
        or lesson.sources != [dict(s) for s in data.sources]
        or rnd.time_limit_s != data.time_limit_s
        or rnd.bank_id != data.bank_id
        or rnd.blueprint != S._blueprint(data.categories, data.questions)
        or rnd.pass_mark != data.pass_mark
    )


def read_file(session: Session, path: str) -> tuple[ProgrammeSpec | None, list[Problem]]:
    with open(path, encoding="utf-8") as fh:
        return parse(session, fh.read())
