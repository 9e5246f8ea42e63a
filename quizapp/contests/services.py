"""Contest builder services: contests, rounds with validated blueprints, publication."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from quizapp.audit.services import record
from quizapp.banks.core import Verified
from quizapp.banks.models import Bank, BankCategory, BankQuestion, QuestionVersion
from quizapp.banks.questions import superseded_documents
from quizapp.banks.serial import from_dict
from quizapp.banks.services import can_use_bank
from quizapp.contests.draw import BlueprintItem, DrawError, PoolQuestion, check_blueprint
from quizapp.contests.models import Attempt, Contest, Round
from quizapp.errors import Conflict, Forbidden, Invalid, NotFound
from quizapp.i18n import DIFFICULTY_LABELS, N_, Phrase
from quizapp.orgs.models import Unit
from quizapp.orgs.population import Population
from quizapp.policy import Actor, can_manage
from quizapp.timeutil import local_today

SLUG_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read aloud, typed on phones


@dataclass(frozen=True)
class ContestData:
    title: str
    owner_unit_id: int
    description: str = ""
    rules: str = ""
    eligibility: str = "subtree"
    unit_ids: tuple[int, ...] = ()
    populations: tuple[str, ...] = ()
    one_page: bool = False
    mask_names: bool = True
    points_weight: float = 0.0
    ranking_order: tuple[str, ...] = ("score", "prediction", "time", "submitted")


@dataclass(frozen=True)
class RoundData:
    title: str
    opens_at: datetime
    closes_at: datetime
    time_limit_s: int
    bank_id: int
    blueprint: tuple[dict, ...]  # {"count", "category" (key or None), "difficulty" (or None)}
    fixed_keys: tuple[str, ...] = ()
    shuffle_questions: bool = True
    shuffle_options: bool = True
    attempts_allowed: int = 1
    counting: str = "best"
    pass_mark: int = 50
    review: str = "after_close"
    prediction: bool = True
    prediction_min_correct: int | None = None
    # Or a number the organiser types after the round: the question put to participants.
    prediction_question: str = ""
    # Draw also questions whose key is not confirmed (verified: unverified); off by default.
    include_unverified: bool = False


def get_managed_contest(session: Session, contest_id: int, actor: Actor) -> Contest:
    contest = session.get(Contest, contest_id)
    if contest is None or not can_manage(actor, contest.owner_unit.path):
        raise NotFound(N_("Contest not found."))
    return contest


def _check_contest(session: Session, data: ContestData, actor: Actor) -> dict:
    errors: dict[str, str] = {}
    if not data.title.strip():
        errors["title"] = N_("Enter the contest's title.")
    unit = session.get(Unit, data.owner_unit_id)
    if unit is None or not can_manage(actor, unit.path):
        errors["owner_unit_id"] = N_("Choose one of your units.")
    if data.eligibility not in ("subtree", "units", "public"):
        errors["eligibility"] = N_("Choose who may take part.")
    if data.eligibility == "units":
        units = [session.get(Unit, uid) for uid in data.unit_ids]
        if not units or any(u is None or unit is None or not unit.contains(u) for u in units):
            errors["unit_ids"] = N_("Choose units inside the owner unit.")
    from quizapp.contests.ranking import KEYS

    if not data.ranking_order or any(k not in KEYS for k in data.ranking_order):
        errors["ranking_order"] = N_("Choose the ranking order.")
    if any(p not in Population.__members__.values() for p in data.populations):
        errors["populations"] = N_("Unknown population category.")
    if errors:
        raise Invalid(errors)
    return {
        "title": data.title.strip(),
        "description": data.description,
        "rules": data.rules,
        "owner_unit_id": unit.id,
        "eligibility": data.eligibility,
        "unit_ids": list(data.unit_ids) if data.eligibility == "units" else [],
        "populations": sorted(set(data.populations)),
        "one_page": data.one_page,
        "mask_names": data.mask_names,
        "points_weight": float(data.points_weight or 0),
        "ranking_order": list(data.ranking_order),
    }


def create_contest(session: Session, data: ContestData, *, actor: Actor, now: datetime) -> Contest:
    values = _check_contest(session, data, actor)
    slug = "".join(secrets.choice(SLUG_ALPHABET) for _ in range(7))
    contest = Contest(
        slug=slug, created_at=now, created_by_id=actor.user_id, status="draft", **values
    )
    session.add(contest)
    session.flush()
    record(
        session,
        actor=actor,
        action="contest.create",
        object_type="contest",
        object_id=contest.id,
        unit_path=contest.owner_unit.path,
        summary=contest.title,
        now=now,
    )
    return contest


def update_contest(
    session: Session, contest_id: int, data: ContestData, *, actor: Actor, now: datetime
) -> Contest:
    contest = get_managed_contest(session, contest_id, actor)
    values = _check_contest(session, data, actor)
    before = {k: getattr(contest, k) for k in values}
    for k, v in values.items():
        setattr(contest, k, v)
    session.flush()
    record(
        session,
        actor=actor,
        action="contest.update",
        object_type="contest",
        object_id=contest.id,
        unit_path=contest.owner_unit.path,
        summary=contest.title,
        before=before,
        after=values,
        now=now,
    )
    return contest


# --- rounds -------------------------------------------------------------------------------


@dataclass
class PoolPlan:
    pool: list[PoolQuestion] = field(default_factory=list)
    items: list[BlueprintItem] = field(default_factory=list)
    fixed: list[int] = field(default_factory=list)
    left_out: int = 0  # live questions kept out of the pool because their key is unverified


CONFIRMED = (Verified.TEXT.value, Verified.SECONDARY.value)


def build_pool(
    session: Session, bank: Bank, blueprint, fixed_keys, *, include_unverified: bool = True
) -> PoolPlan:
    """The bank's live questions as a draw pool, the blueprint as items, the fixed versions.

    Without `include_unverified`, questions whose current version is `unverified` stay out
    of the pool (counted in `left_out`); contest rounds pass their setting, programme lesson
    checks (study, not scored) keep the default. Raises Invalid naming the unknown category
    or question key, or a fixed question left out as unverified."""
    cats = session.scalars(select(BankCategory).where(BankCategory.bank_id == bank.id)).all()
    by_key = {c.key: c for c in cats}
    children: dict[int | None, list[BankCategory]] = {}
    for c in cats:
        children.setdefault(c.parent_id, []).append(c)

    def subtree(c: BankCategory) -> frozenset[str]:
        out, todo = set(), [c]
        while todo:
            x = todo.pop()
            out.add(x.key)
            todo.extend(children.get(x.id, []))
        return frozenset(out)

    key_of = {c.id: c.key for c in cats}
    rows = session.scalars(
        select(BankQuestion).where(
            BankQuestion.bank_id == bank.id,
            BankQuestion.retired_at.is_(None),
            BankQuestion.type.not_in(("description", "essay")),
        )
    ).all()
    plan = PoolPlan()
    version_by_key = {}
    unverified_keys = set()
    for r in rows:
        if not include_unverified and r.current.verified not in CONFIRMED:
            plan.left_out += 1
            unverified_keys.add(r.key)
            continue
        n_options = len(r.current.content.get("choices") or [])
        plan.pool.append(
            PoolQuestion(
                r.current_version_id, r.key, key_of.get(r.category_id), r.difficulty, n_options
            )
        )
        version_by_key[r.key] = r.current_version_id
    for i, item in enumerate(blueprint):
        cat = item.get("category")
        if cat and cat not in by_key:
            raise Invalid({"blueprint": N_("Unknown category %(key)s.")}, key=cat)
        parts = [(f"{i + 1}. ", False)]
        parts.append((by_key[cat].title, False) if cat else (N_("whole bank"), True))
        if difficulty := item.get("difficulty"):
            known = difficulty in DIFFICULTY_LABELS
            parts += [(" / ", False), (DIFFICULTY_LABELS.get(difficulty, difficulty), known)]
        label = Phrase(*parts)
        plan.items.append(
            BlueprintItem(
                int(item["count"]),
                subtree(by_key[cat]) if cat else None,
                item.get("difficulty") or None,
                label,
            )
        )
    for key in fixed_keys:
        if key in unverified_keys:
            raise Invalid(
                {
                    "fixed_keys": N_(
                        'The question %(key)s is not verified; tick "include unverified '
                        'questions" to use it.'
                    )
                },
                key=key,
            )
        if key not in version_by_key:
            raise Invalid({"fixed_keys": N_("No live question with key %(key)s.")}, key=key)
        plan.fixed.append(version_by_key[key])
    return plan


def _check_round(session: Session, contest: Contest, data: RoundData, actor: Actor) -> Bank:
    errors: dict[str, str] = {}
    if data.closes_at <= data.opens_at:
        errors["closes_at"] = N_("The round must close after it opens.")
    if not 60 <= data.time_limit_s <= 24 * 3600:
        errors["time_limit"] = N_("The time limit is between 1 minute and 24 hours.")
    if not 1 <= data.attempts_allowed <= 20:
        errors["attempts_allowed"] = N_("Allow from 1 to 20 attempts.")
    if data.counting not in ("best", "first", "last"):
        errors["counting"] = N_("Choose which attempt counts.")
    if data.review not in ("score", "after_close", "immediate"):
        errors["review"] = N_("Choose what participants see after submitting.")
    if not 0 <= data.pass_mark <= 100:
        errors["pass_mark"] = N_("The pass mark is a percentage from 0 to 100.")
    question = (data.prediction_question or "").strip()
    if data.prediction_min_correct and question:
        errors["prediction_question"] = N_(
            "The prediction asks either about right answers (at least N) or a number you "
            "type: leave one of the two empty."
        )
    if len(question) > 300:
        errors["prediction_question"] = N_("The prediction question is at most 300 characters.")
    bank = session.get(Bank, data.bank_id)
    if bank is None or not can_use_bank(actor, bank):
        errors["bank_id"] = N_("Choose a question bank you may use.")
    if errors:
        raise Invalid(errors)
    plan = build_pool(
        session,
        bank,
        data.blueprint,
        data.fixed_keys,
        include_unverified=data.include_unverified,
    )
    try:
        check_blueprint(plan.pool, plan.items, plan.fixed)
    except DrawError as exc:
        if plan.left_out:
            raise Invalid(
                {"blueprint": exc.message, "include_unverified": LEFT_OUT_HINT},
                left_out=plan.left_out,
                **exc.params,
            ) from None
        raise Invalid({"blueprint": exc.message}, **exc.params) from None
    return bank


LEFT_OUT_HINT = N_(
    "%(left_out)s questions of the bank are unverified and were left out of the draw; "
    'tick "include unverified questions" to draw them.'
)


def has_attempts(session: Session, round_id: int) -> bool:
    return bool(
        session.scalar(
            select(exists().where(Attempt.round_id == round_id, Attempt.preview.is_(False)))
        )
    )


FAIRNESS_FIELDS = (
    "time_limit_s",
    "bank_id",
    "blueprint",
    "fixed_keys",
    "shuffle_questions",
    "shuffle_options",
    "attempts_allowed",
    "counting",
    "pass_mark",
    "prediction",
    "prediction_min_correct",
    "prediction_question",
    "include_unverified",
)


def save_round(
    session: Session,
    contest_id: int,
    data: RoundData,
    *,
    actor: Actor,
    now: datetime,
    round_id: int | None = None,
) -> Round:
    """Add or edit a round. The blueprint must be drawable from the bank. Once somebody has
    started the round, nothing that changes fairness may change (Conflict)."""
    contest = get_managed_contest(session, contest_id, actor)
    if contest.status in ("closed", "archived"):
        raise Conflict(N_("The contest is closed."))
    _check_round(session, contest, data, actor)
    values = {
        "title": data.title.strip() or f"Tuần thi thứ {len(contest.rounds) + 1}",
        "opens_at": data.opens_at,
        "closes_at": data.closes_at,
        "time_limit_s": data.time_limit_s,
        "bank_id": data.bank_id,
        "blueprint": [dict(i) for i in data.blueprint],
        "fixed_keys": list(data.fixed_keys),
        "shuffle_questions": data.shuffle_questions,
        "shuffle_options": data.shuffle_options,
        "attempts_allowed": data.attempts_allowed,
        "counting": data.counting,
        "pass_mark": data.pass_mark,
        "review": data.review,
        "prediction": data.prediction,
        "prediction_min_correct": data.prediction_min_correct or None,
        "prediction_question": (data.prediction_question or "").strip() or None,
        "include_unverified": data.include_unverified,
    }
    before: dict | None = None
    if round_id is None:
        rnd = Round(contest_id=contest.id, number=len(contest.rounds) + 1, **values)
        session.add(rnd)
        contest.rounds.append(rnd)
        action = "round.create"
    else:
        rnd = session.get(Round, round_id)
        if rnd is None or rnd.contest_id != contest.id:
            raise NotFound(N_("Round not found."))
        if has_attempts(session, rnd.id):
            changed = [f for f in FAIRNESS_FIELDS if getattr(rnd, f) != values[f]]
            if changed:
                raise Conflict(
                    N_(
                        "Participants have started this round: its questions, "
                        "time and attempt rules can no longer change. Use "
                        "regrading to correct a question."
                    )
                )
        before = {k: getattr(rnd, k) for k in values}  # audited: the values changed
        for k, v in values.items():
            setattr(rnd, k, v)
        action = "round.update"
    session.flush()
    if contest.status == "published":
        freeze_pool(session, rnd)
    record(
        session,
        actor=actor,
        action=action,
        object_type="round",
        object_id=rnd.id,
        unit_path=contest.owner_unit.path,
        summary=f"{contest.title}: {rnd.title}",
        before=before,
        after=values if before is not None else None,
        now=now,
    )
    return rnd


def _round_plan(session: Session, rnd: Round) -> PoolPlan:
    return build_pool(
        session,
        rnd.bank,
        rnd.blueprint,
        rnd.fixed_keys,
        include_unverified=rnd.include_unverified,
    )


def unverified_in_bank(session: Session, bank: Bank) -> int:
    """Live, graded questions of the bank whose key is unverified (left out of scored draws
    unless the round includes them), for the round form."""
    return build_pool(session, bank, (), (), include_unverified=False).left_out


def left_out_of_round(session: Session, rnd: Round) -> int:
    """How many live questions of the round's bank its draw leaves out as unverified."""
    return _round_plan(session, rnd).left_out


def freeze_pool(session: Session, rnd: Round) -> None:
    """Keep the draw pool of the round as it is now (unless somebody already started it)."""
    if rnd.pool is not None and has_attempts(session, rnd.id):
        return
    plan = _round_plan(session, rnd)
    rnd.pool = [[q.version_id, q.key, q.category, q.difficulty, q.options] for q in plan.pool]
    rnd.fixed_versions = plan.fixed
    rnd.draw_items = [
        [i.count, sorted(i.categories) if i.categories is not None else None, i.difficulty, i.label]
        for i in plan.items
    ]


def round_pool(rnd: Round) -> list[PoolQuestion]:
    """The frozen pool: starting an attempt never reads the bank."""
    return [PoolQuestion(*row) for row in rnd.pool or []]


def round_items(rnd: Round) -> list[BlueprintItem]:
    return [
        BlueprintItem(count, frozenset(cats) if cats is not None else None, diff, label)
        for count, cats, diff, label in rnd.draw_items or []
    ]


def set_status(
    session: Session, contest_id: int, status: str, *, actor: Actor, now: datetime
) -> Contest:
    """draft → published → closed → archived (and closed → published to reopen)."""
    contest = get_managed_contest(session, contest_id, actor)
    allowed = {
        "draft": {"published"},
        "published": {"closed"},
        "closed": {"archived", "published"},
        "archived": set(),
    }
    if status not in allowed[contest.status]:
        raise Conflict(N_("This change of status is not allowed."))
    if status == "published":
        if not contest.rounds:
            raise Invalid({"": N_("Add at least one round before publishing.")})
        for rnd in contest.rounds:
            plan = _round_plan(session, rnd)
            try:
                check_blueprint(plan.pool, plan.items, plan.fixed)
            except DrawError as exc:
                raise Invalid({"": exc.message}, **exc.params) from None
            freeze_pool(session, rnd)
    before = contest.status
    contest.status = status
    session.flush()
    record(
        session,
        actor=actor,
        action=f"contest.{status}",
        object_type="contest",
        object_id=contest.id,
        unit_path=contest.owner_unit.path,
        summary=contest.title,
        before={"status": before},
        after={"status": status},
        now=now,
    )
    return contest


def superseded_in_round(session: Session, rnd: Round, now: datetime) -> list[tuple[str, list[str]]]:
    """The texts no longer in force that questions the round may serve rest on, each named
    in words with the keys of its questions: the versions frozen in the round (its pool and
    fixed questions once published; the bank's current ones before), only those its
    blueprint can draw, judged by the bank's documents (`document_key`) and by the mark the
    import left on each version (its text, answers and category, banks/superseded.py)."""
    from quizapp.banks.superseded import marked
    from quizapp.contests.draw import can_draw

    today = local_today(now)
    if rnd.pool is not None:
        pool, items, fixed = round_pool(rnd), round_items(rnd), list(rnd.fixed_versions or [])
    else:
        plan = _round_plan(session, rnd)
        pool, items, fixed = plan.pool, plan.items, plan.fixed
    ids = {q.version_id for q in pool if can_draw(q, items)} | set(fixed)
    if not ids:
        return []
    old = superseded_documents(session, rnd.bank_id, today)
    rows = session.execute(
        select(BankQuestion.key, BankQuestion.document_key, QuestionVersion.superseded)
        .join(QuestionVersion, QuestionVersion.question_id == BankQuestion.id)
        .where(QuestionVersion.id.in_(ids))
    ).all()
    laws: dict[str, set[str]] = {}
    for key, document_key, superseded in rows:
        names = []
        if document_key in old:
            doc = old[document_key]
            names.append(f"{doc.title} ({doc.number})" if doc.number else doc.title)
        names += [r.title for r in marked(superseded) if today >= r.replaced_on]
        for name in names:
            laws.setdefault(name, set()).add(key)
    return [(law, sorted(keys)) for law, keys in sorted(laws.items())]


def blueprint_options(session: Session, bank: Bank) -> list[dict]:
    """Per category: how many live questions at each difficulty (for the round form)."""
    cats = session.scalars(
        select(BankCategory)
        .where(BankCategory.bank_id == bank.id)
        .order_by(BankCategory.position, BankCategory.id)
    ).all()
    rows = session.execute(
        select(BankQuestion.category_id, BankQuestion.difficulty).where(
            BankQuestion.bank_id == bank.id,
            BankQuestion.retired_at.is_(None),
            BankQuestion.type.not_in(("description", "essay")),
        )
    ).all()
    counts: dict[tuple, int] = {}
    for cat, diff in rows:
        counts[(cat, diff)] = counts.get((cat, diff), 0) + 1
    out = [{"key": None, "title": None, "easy": 0, "medium": 0, "hard": 0}]
    for (_cat, diff), n in counts.items():
        out[0][diff] = out[0].get(diff, 0) + n
    for c in cats:
        entry = {"key": c.key, "title": c.title}
        for d in ("easy", "medium", "hard"):
            entry[d] = counts.get((c.id, d), 0)
        out.append(entry)
    return out


def question_text(session: Session, version_content: dict) -> str:
    return from_dict(version_content).text


def forbid_unless_manager(actor: Actor, contest: Contest) -> None:
    if not can_manage(actor, contest.owner_unit.path):
        raise Forbidden(N_("Only the contest's organisers can do this."))
