"""Bank services: import (with preview) and export, versioned editing, retire, search."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from quizapp.audit.services import record
from quizapp.banks.core import (
    BankMeta,
    Category,
    Document,
    ParsedBank,
    Problem,
    Question,
    Verified,
    category_path,
)
from quizapp.banks.models import (
    Bank,
    BankCategory,
    BankDocument,
    BankQuestion,
    QuestionVersion,
)
from quizapp.banks.sanitize import clean_question
from quizapp.banks.serial import from_dict, to_dict, version_hash
from quizapp.banks.superseded import find_superseded, mark, replaced_in_file
from quizapp.banks.textnorm import slug
from quizapp.banks.validate import check_question, find_duplicates
from quizapp.errors import Invalid, NotFound
from quizapp.i18n import N_
from quizapp.orgs.models import Unit
from quizapp.policy import Actor, can_manage
from quizapp.textutil import fold
from quizapp.timeutil import local_today


def can_use_bank(actor: Actor, bank: Bank) -> bool:
    """Organisers of the owner's subtree may use a shared bank; its managers may change it."""
    owner = bank.owner_unit.path
    if can_manage(actor, owner):
        return True
    return bank.shared and any(p.startswith(owner) for p in actor.managed_paths)


def get_bank(session: Session, bank_id: int, actor: Actor, *, manage: bool = False) -> Bank:
    bank = session.get(Bank, bank_id)
    allowed = bank is not None and (
        can_manage(actor, bank.owner_unit.path) if manage else can_use_bank(actor, bank)
    )
    if not allowed:
        raise NotFound(N_("Question bank not found."))
    return bank


def visible_banks(session: Session, actor: Actor) -> list[Bank]:
    banks = session.scalars(select(Bank).order_by(Bank.title)).all()
    return [b for b in banks if can_use_bank(actor, b)]


def _tags_folded(tags) -> str:
    return "," + ",".join(fold(t) for t in tags) + ("," if tags else "")


def denormalise(row: BankQuestion, q: Question) -> None:
    row.type = q.type.value
    row.difficulty = q.difficulty.value
    row.text_folded = fold(f"{q.title} {q.text}")[:4000]
    row.tags_folded = _tags_folded(q.tags)[:1000]
    row.document_key = q.source.document if q.source and q.source.document else None


@dataclass
class BankImport:
    """What importing a parsed file does (or would do) to a bank."""

    created: list[str] = field(default_factory=list)
    versioned: list[str] = field(default_factory=list)
    moved: list[str] = field(default_factory=list)
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)
    bank: Bank | None = None

    @property
    def ok(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


def question_key(q: Question, taken: set[str]) -> str:
    """A stable key for questions that come without one (GIFT, Aiken, XLSX): the title's slug
    when unique in the file, else a digest of the content, so re-importing the same file
    finds the same questions."""
    if q.key:
        return q.key
    if q.title:
        base = slug(q.title)[:60] or "q"
        if base not in taken:
            return base
    return "q-" + version_hash(q)[:12]


def _existing(session: Session, bank: Bank | None) -> dict[str, BankQuestion]:
    if bank is None or bank.id is None:
        return {}
    rows = session.scalars(select(BankQuestion).where(BankQuestion.bank_id == bank.id))
    return {r.key: r for r in rows}


def align_categories(session: Session, parsed: ParsedBank, bank: Bank | None) -> ParsedBank:
    """A file without bank metadata (GIFT, Aiken, XLSX) names categories by their titles'
    path, with generated keys: a path the bank already has takes the bank's category key, so
    that re-importing an export neither creates categories nor moves questions."""
    if parsed.meta is not None or bank is None or bank.id is None or not parsed.categories:
        return parsed
    rows = session.scalars(select(BankCategory).where(BankCategory.bank_id == bank.id)).all()
    by_id = {c.id: c for c in rows}
    have = {
        c.key: Category(c.key, c.title, by_id[c.parent_id].key if c.parent_id in by_id else None)
        for c in rows
    }
    by_path = {category_path(k, have): k for k in have}
    mine = {c.key: c for c in parsed.categories}
    rename = {
        c.key: by_path[p]
        for c in parsed.categories
        if c.key not in have and (p := category_path(c.key, mine)) in by_path
    }
    if not rename:
        return parsed
    categories: dict[str, Category] = {}
    for c in parsed.categories:
        key = rename.get(c.key, c.key)
        parent = rename.get(c.parent, c.parent) if c.parent else None
        categories.setdefault(key, replace(c, key=key, parent=parent))
    questions = tuple(
        replace(q, category=rename.get(q.category, q.category)) if q.category else q
        for q in parsed.questions
    )
    return replace(parsed, categories=tuple(categories.values()), questions=questions)


def plan_bank_import(
    session: Session, parsed: ParsedBank, bank: Bank | None, *, today: date
) -> BankImport:
    """Compare a parsed file with the bank: created / new version / moved / unchanged; warn
    about questions resting on a text replaced by `today` (banks/superseded.py)."""
    parsed = align_categories(session, parsed, bank)
    result = BankImport(problems=list(parsed.problems), bank=bank)
    for q in parsed.questions:
        result.problems.extend(check_question(q))
    result.problems.extend(find_superseded(parsed, today))
    existing = _existing(session, bank)
    texts = [(k, from_dict(r.current.content).text) for k, r in existing.items() if r.current]
    result.problems.extend(find_duplicates(parsed.questions, texts))
    cat_keys = _category_keys(session, bank)
    taken: set[str] = set()
    for q in parsed.questions:
        key = question_key(q, taken)
        if key in taken:
            result.problems.append(
                Problem(
                    N_("Question key %(key)s is used twice."),
                    {"key": key},
                    line=q.line,
                    question=key,
                )
            )
            continue
        taken.add(key)
        row = existing.get(key)
        if row is None:
            result.created.append(key)
        elif needs_version(row, q):
            result.versioned.append(key)
        elif q.category and cat_keys.get(row.category_id) != q.category:
            result.moved.append(key)
        else:
            result.unchanged += 1
    result.problems.sort(key=lambda p: (p.line or 0, p.severity))
    return result


def _category_keys(session: Session, bank: Bank | None) -> dict[int, str]:
    if bank is None or bank.id is None:
        return {}
    rows = session.scalars(select(BankCategory).where(BankCategory.bank_id == bank.id))
    return {c.id: c.key for c in rows}


def create_bank(
    session: Session,
    *,
    actor: Actor,
    key: str,
    title: str,
    owner_unit_id: int,
    description: str = "",
    shared: bool = True,
    now: datetime,
) -> Bank:
    unit = session.get(Unit, owner_unit_id)
    if unit is None or not can_manage(actor, unit.path):
        raise Invalid({"owner_unit_id": N_("Choose one of your units.")})
    key = slug(key or title)[:80]
    if not key:
        raise Invalid({"title": N_("Enter a title.")})
    if session.scalar(select(Bank.id).where(Bank.key == key)):
        raise Invalid({"key": N_("Another bank already uses this key.")})
    bank = Bank(
        key=key,
        title=title.strip(),
        description=description,
        owner_unit_id=unit.id,
        shared=shared,
        created_at=now,
        updated_at=now,
    )
    bank.owner_unit = unit
    session.add(bank)
    session.flush()
    record(
        session,
        actor=actor,
        action="bank.create",
        object_type="bank",
        object_id=bank.id,
        unit_path=unit.path,
        summary=bank.title,
        now=now,
    )
    return bank


def bank_named_in_file(session: Session, parsed: ParsedBank, actor: Actor) -> Bank | None:
    """The existing bank whose key the file's metadata names, when the actor may change it.
    Another unit's bank is refused without a word of its title or content (its key is taken,
    which the file's author must know to choose another)."""
    if parsed.meta is None:
        return None
    bank = session.scalar(select(Bank).where(Bank.key == parsed.meta.key))
    if bank is not None and not can_manage(actor, bank.owner_unit.path):
        raise Invalid(
            {
                "file": N_(
                    "The key “%(key)s” in the file belongs to a bank you cannot change; "
                    "give the bank another key."
                )
            },
            key=parsed.meta.key,
        )
    return bank


def import_bank(
    session: Session,
    parsed: ParsedBank,
    *,
    bank: Bank | None = None,
    owner_unit_id: int | None = None,
    actor: Actor,
    now: datetime,
    filename: str = "",
) -> BankImport:
    """Load a parsed file into `bank` (or the bank its metadata names, created if new) in
    one unit of work: raises Invalid, writing nothing, when the file has any error."""
    if bank is None:
        bank = bank_named_in_file(session, parsed, actor)
    if bank is not None and not can_manage(actor, bank.owner_unit.path):
        raise NotFound(N_("Question bank not found."))
    parsed = align_categories(session, parsed, bank)
    plan = plan_bank_import(session, parsed, bank, today=local_today(now))
    if not plan.ok:
        raise Invalid(
            {"file": N_("The file has %(n)s errors; nothing was imported.")}, n=len(plan.errors)
        )
    if bank is None:
        if parsed.meta is None or owner_unit_id is None:
            raise Invalid({"bank_id": N_("Choose the bank to import into.")})
        bank = create_bank(
            session,
            actor=actor,
            key=parsed.meta.key,
            title=parsed.meta.title,
            description=parsed.meta.description,
            owner_unit_id=owner_unit_id,
            now=now,
        )
    elif parsed.meta is not None:
        bank.title, bank.description = parsed.meta.title, parsed.meta.description
    _upsert_documents(session, bank, parsed.documents)
    cats = _upsert_categories(session, bank, parsed.categories)
    existing = _existing(session, bank)
    taken: set[str] = set()
    position = len(existing)
    marks = [mark(texts) for texts in replaced_in_file(parsed)]
    for q, superseded in zip(parsed.questions, marks, strict=True):
        key = question_key(q, taken)
        taken.add(key)
        row = existing.get(key)
        cat_id = cats.get(q.category) if q.category else None
        if row is None:
            position += 1
            row = BankQuestion(
                bank_id=bank.id, key=key, category_id=cat_id, created_at=now, position=position
            )
            denormalise(row, q)
            session.add(row)
            session.flush()
            add_version(session, row, q, actor=actor, now=now, note=filename)
        else:
            if needs_version(row, q):
                add_version(session, row, q, actor=actor, now=now, note=filename)
            if cat_id is not None:
                row.category_id = cat_id
        # found from the text, answers and category: kept with the version served (not
        # part of its hash; an unchanged question gets the mark of today's detection)
        row.current.superseded = superseded
    bank.updated_at = now
    session.flush()
    record(
        session,
        actor=actor,
        action="bank.import",
        object_type="bank",
        object_id=bank.id,
        unit_path=bank.owner_unit.path,
        summary=f"{filename or bank.key}: +{len(plan.created)} ~{len(plan.versioned)} "
        f"={plan.unchanged}",
        now=now,
    )
    plan.bank = bank
    return plan


def needs_version(row: BankQuestion, q: Question) -> bool:
    """True when importing `q` over `row` changes what participants see, or brings a new
    verification. A file that says nothing about verification (GIFT, Aiken, XLSX: unverified,
    no note) never downgrades the level an organiser or a native file has set."""
    current = row.current
    if current is None or current.content_hash != version_hash(clean_question(q)):
        return True
    says = q.verified != Verified.UNVERIFIED or bool(q.verified_note)
    return says and (current.verified, current.verified_note) != (q.verified, q.verified_note)


def add_version(
    session: Session, row: BankQuestion, q: Question, *, actor: Actor, now: datetime, note: str = ""
) -> QuestionVersion:
    q = clean_question(q)
    number = 1 + (
        session.scalar(
            select(func.max(QuestionVersion.number)).where(QuestionVersion.question_id == row.id)
        )
        or 0
    )
    content = to_dict(replace(q, key=row.key))
    version = QuestionVersion(
        question_id=row.id,
        number=number,
        content=content,
        content_hash=version_hash(q),
        created_at=now,
        created_by_id=actor.user_id,
        note=note[:300],
        verified=Verified(q.verified).value,
        verified_note=q.verified_note,
    )
    session.add(version)
    session.flush()
    row.current_version_id = version.id
    row.current = version
    denormalise(row, q)
    return version


def _upsert_documents(session: Session, bank: Bank, documents) -> None:
    have = {
        d.key: d
        for d in session.scalars(select(BankDocument).where(BankDocument.bank_id == bank.id))
    }
    for d in documents:
        row = have.get(d.key) or BankDocument(bank_id=bank.id, key=d.key)
        for name in (
            "title",
            "number",
            "issuer",
            "adopted_on",
            "in_force_from",
            "superseded_on",
            "superseded_by",
            "url",
        ):
            setattr(
                row,
                name,
                getattr(d, name)
                if getattr(d, name) is not None
                else ("" if name in ("number", "issuer") else None),
            )
        session.add(row)
    session.flush()


def _upsert_categories(session: Session, bank: Bank, categories) -> dict[str, int]:
    have = {
        c.key: c
        for c in session.scalars(select(BankCategory).where(BankCategory.bank_id == bank.id))
    }
    for i, c in enumerate(categories):
        row = have.get(c.key)
        if row is None:
            row = BankCategory(bank_id=bank.id, key=c.key, title=c.title, position=i)
            session.add(row)
            have[c.key] = row
        row.title = c.title
    session.flush()
    for c in categories:
        have[c.key].parent_id = have[c.parent].id if c.parent in have else None
    session.flush()
    return {k: v.id for k, v in have.items()}


def export_bank(session: Session, bank: Bank, *, include_retired: bool = False) -> ParsedBank:
    """The bank as a ParsedBank (current versions), ready for dump_native/dump_gift/dump_xlsx."""
    cats = session.scalars(
        select(BankCategory)
        .where(BankCategory.bank_id == bank.id)
        .order_by(BankCategory.position, BankCategory.id)
    ).all()
    by_id = {c.id: c for c in cats}
    categories = tuple(
        Category(key=c.key, title=c.title, parent=by_id[c.parent_id].key if c.parent_id else None)
        for c in cats
    )
    docs = session.scalars(
        select(BankDocument).where(BankDocument.bank_id == bank.id).order_by(BankDocument.id)
    ).all()
    documents = tuple(
        Document(
            key=d.key,
            title=d.title,
            number=d.number,
            issuer=d.issuer,
            adopted_on=d.adopted_on,
            in_force_from=d.in_force_from,
            superseded_on=d.superseded_on,
            superseded_by=d.superseded_by,
            url=d.url,
        )
        for d in docs
    )
    stmt = (
        select(BankQuestion)
        .where(BankQuestion.bank_id == bank.id)
        .order_by(BankQuestion.position, BankQuestion.id)
    )
    if not include_retired:
        stmt = stmt.where(BankQuestion.retired_at.is_(None))
    questions = tuple(
        replace(
            from_dict(
                r.current.content, category=by_id[r.category_id].key if r.category_id else None
            ),
            verified=Verified(r.current.verified),
            verified_note=r.current.verified_note,
        )
        for r in session.scalars(stmt)
        if r.current
    )
    meta = BankMeta(
        key=bank.key, title=bank.title, description=bank.description, language=bank.language
    )
    return ParsedBank(questions=questions, categories=categories, documents=documents, meta=meta)
