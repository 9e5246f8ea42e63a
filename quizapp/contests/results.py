"""Results of a round: the counted attempts, the ranking, prize lists (published frozen)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, lazyload

from quizapp import events
from quizapp.audit.services import record
from quizapp.contests.models import Attempt, Contest, PrizeList, Round
from quizapp.contests.prediction import PredictionSubject
from quizapp.contests.ranking import PRIZES, Entry, Ranked, counted, prizes, rank
from quizapp.errors import Invalid, NotFound
from quizapp.i18n import N_, to_data
from quizapp.orgs.models import Member, Unit
from quizapp.policy import Actor, can_manage
from quizapp.timeutil import local_today

PRIZE_NAMES = {  # as frozen in a published list and printed on prize certificates
    "first": "Giải Nhất",
    "second": "Giải Nhì",
    "third": "Giải Ba",
    "consolation": "Giải Khuyến khích",
}
PRIZE_LABELS = {  # as pages and exports name them, in the interface's language
    "first": N_("First prize"),
    "second": N_("Second prize"),
    "third": N_("Third prize"),
    "consolation": N_("Consolation prize"),
}


@dataclass(frozen=True)
class _Row:
    participant_id: int
    number: int
    score: object
    attempt: Attempt
    member: Member
    unit: Unit


# The round with its contest and the contest's unit in one query (every organiser page of a
# round checks the unit; on PostgreSQL each extra query is a round trip): the contest's other
# rounds only if read.
_MANAGED = (joinedload(Round.contest).lazyload(Contest.rounds),)


def get_managed_round(session: Session, round_id: int, actor: Actor) -> Round:
    rnd = session.get(Round, round_id, options=_MANAGED)
    if rnd is None or not can_manage(actor, rnd.contest.owner_unit.path):
        raise NotFound(N_("Round not found."))
    return rnd


def counted_rows(session: Session, rnd: Round, *, categories: bool = True) -> list[_Row]:
    """The counted attempt of every participant (best/first/last as the round says);
    `categories`: load the members' population categories too."""
    # Never load per attempt what is not read here: the served questions, the round (one,
    # already in the session), the unit types, and (unless asked) the categories.
    options = [lazyload(Attempt.questions), lazyload(Attempt.round), lazyload(Unit.type)]
    if not categories:
        options.append(lazyload(Member.categories))
    rows = session.execute(
        select(Attempt, Member, Unit)
        .options(*options)
        .join(Member, Member.id == Attempt.member_id)
        .join(Unit, Unit.id == Attempt.unit_id)
        .where(
            Attempt.round_id == rnd.id, Attempt.status == "submitted", Attempt.preview.is_(False)
        )
    ).all()
    items = [_Row(a.user_id, a.number, a.score, a, m, u) for a, m, u in rows]
    return counted(items, rnd.counting)


def counted_entries(session: Session, rnd: Round) -> list[Entry]:
    """The ranking entries of the counted attempts, read as plain columns: what the public
    ranking and the dashboard need, without an ORM object per attempt, member and unit (the
    ORM way took longer than 14 s for 100,000 attempts on a loaded worker; `make bench`)."""
    from operator import itemgetter

    rows = session.execute(
        select(
            Attempt.user_id,
            Attempt.number,
            Attempt.score,
            Attempt.id,
            Attempt.max_score,
            Attempt.correct_count,
            Attempt.question_count,
            Attempt.started_at,
            Attempt.deadline_at,
            Attempt.submitted_at,
            Attempt.prediction,
            Member.full_name,
            Unit.name,
            Unit.id,
            Member.birth_date,
        )
        .join(Member, Member.id == Attempt.member_id)
        .join(Unit, Unit.id == Attempt.unit_id)
        .where(
            Attempt.round_id == rnd.id, Attempt.status == "submitted", Attempt.preview.is_(False)
        )
    ).all()
    # Rows unpacked as tuples: reading them by attribute costs more than the query.
    return [
        Entry(
            participant_id=pid,
            name=name,
            unit=unit,
            score=score,
            max_score=max_score,
            correct=correct or 0,
            questions=questions,
            duration_s=max(0, int((min(submitted, deadline) - started).total_seconds())),
            submitted_at=submitted,
            prediction=prediction,
            attempt_id=attempt_id,
            unit_id=unit_id,
            birth_date=birth_date,
        )
        for (
            pid,
            _number,
            score,
            attempt_id,
            max_score,
            correct,
            questions,
            started,
            deadline,
            submitted,
            prediction,
            name,
            unit,
            unit_id,
            birth_date,
        ) in counted(rows, rnd.counting, itemgetter(0, 1, 2))
    ]


def prediction_actual(rnd: Round, entries: list[Entry], now: datetime) -> int | None:
    """Known once the round has closed: the count the round's prediction subject defines
    (every answer right, or at least N right answers), or the number the organiser entered
    (None until entered)."""
    if not rnd.prediction or now < rnd.closes_at:
        return None
    return PredictionSubject.of(rnd).count(entries)


def round_ranking(
    session: Session, rnd: Round, now: datetime, *, unit: Unit | None = None, population: str = ""
) -> tuple[list[Ranked], int | None]:
    """The ranking (optionally of a unit's subtree or one population category only; the
    ranks are those of the whole round) and the prediction's actual value."""
    entries = counted_entries(session, rnd)
    actual = prediction_actual(rnd, entries, now)
    order = [k for k in rnd.contest.ranking_order if k != "prediction" or rnd.prediction]
    answer = PredictionSubject.of(rnd).label(actual) if actual is not None else None
    ranking = rank(entries, order=order, actual=actual, answer=answer)
    if unit is not None:  # the unit of the counted attempt (where the member was then)
        units = set(session.scalars(select(Unit.id).where(Unit.path.startswith(unit.path))))
        ranking = [r for r in ranking if r.entry.unit_id in units]
    if population:  # the categories of the counted attempt's member
        from quizapp.orgs.models import MemberCategory

        attempts = set(
            session.scalars(
                select(Attempt.id)
                .join(MemberCategory, MemberCategory.member_id == Attempt.member_id)
                .where(Attempt.round_id == rnd.id, MemberCategory.category == population)
            )
        )
        ranking = [r for r in ranking if r.entry.attempt_id in attempts]
    return ranking, actual


@dataclass(frozen=True)
class RoundRanking:
    """The whole round's ranking as the public page and the organiser's results page show
    it, computed once per period for both (see quizapp.cache)."""

    top: list[Ranked]  # the first RESULTS_SHOWN (the public page shows PUBLIC_SHOWN)
    total: int
    actual: int | None
    proposed: list[dict]  # the prize list the round's prize counts give now
    stamp: str  # names this computation (the public page's rendered board is cached under it)


RANK_BUCKETS = 64
RANKING_SECONDS = 30  # how old the public ranking and the organiser's results may be
RESULTS_SHOWN = 500  # entries of the ranking on the organiser's results page
PUBLIC_SHOWN = 20


def _computed_keys(round_id: int) -> list[str]:
    """The cache keys of what is computed over a round's attempts (the ranking once while
    the round is open, once after it closed)."""
    return [
        f"ranking:{round_id}:0",
        f"ranking:{round_id}:1",
        f"participation:{round_id}",
        f"items:{round_id}",
        f"ranking-page:{round_id}",
    ]


def ranking_changed(cache, round_id: int) -> None:
    """Drop what is computed over a round's attempts (the ranking with the public page's
    board and the organiser's prize proposal, participation per unit, the item analysis) in
    this process and in a shared cache, after a change the organiser expects to see at once:
    prize counts or publication, the contest's settings, a key correction. Other processes'
    own memory caches follow within RANKING_SECONDS (longer for a slow build, see
    quizapp.cache)."""
    for key in _computed_keys(round_id):
        cache.delete(key)


def ranking_changed_on_commit(db, cache, round_id: int) -> None:
    """`ranking_changed` once the request's changes are committed (`Database.after_commit`)."""
    db.after_commit(lambda: ranking_changed(cache, round_id))


def cached_item_analysis(session: Session, rnd: Round, *, cache):
    """`item_analysis`, cached: seconds at 100,000 attempts."""
    from quizapp.cache import cached
    from quizapp.contests.item_analysis import item_analysis

    return cached(cache, f"items:{rnd.id}", RANKING_SECONDS, lambda: item_analysis(session, rnd))


def cached_ranking(
    session: Session, rnd, now: datetime, *, cache, ttl: float = RANKING_SECONDS
) -> RoundRanking:
    """The round's ranking, cached for `ttl` seconds (a new computation when the round
    closes: the prediction's answer becomes known): computing it reads every counted attempt
    (100,000 in a large round), showing it must not. Each participant's own rank is stored
    beside it, in buckets, for `own_rank`. `rnd`: the Round, or anything with its `id` and
    `closes_at` (the Round is loaded only to compute)."""
    from quizapp.cache import cached

    def build() -> RoundRanking:
        nonlocal rnd
        if not isinstance(rnd, Round):  # the public page's cached facts of the round
            rnd = session.get(Round, rnd.id)
        full, actual = round_ranking(session, rnd, now)
        stamp = secrets.token_hex(6)
        buckets: dict[int, dict[int, tuple[int, int, int]]] = {}
        for r in full:
            pid = r.entry.participant_id
            buckets.setdefault(pid % RANK_BUCKETS, {})[pid] = (
                r.rank,
                r.entry.correct,
                r.entry.questions,
            )
        # One set of buckets per round, replaced by each computation (a set per computation
        # would keep a national round's million ranks again every 30 s): a page whose top
        # list is a computation older may show the participant's newer rank.
        keep = max(ttl * 10 + 60, 24 * 3600)
        for b, ranks in buckets.items():
            cache.set(f"rank:{rnd.id}:{b}", ranks, ttl, keep)
        proposed = prize_list(full, rnd.prizes or {})
        return RoundRanking(full[:RESULTS_SHOWN], len(full), actual, proposed, stamp)

    return cached(cache, f"ranking:{rnd.id}:{int(now >= rnd.closes_at)}", ttl, build)


def own_rank(cache, round_id: int, participant_id: int):
    """(rank, correct answers, questions) of a participant in the round's latest computed
    public ranking."""
    from quizapp.cache import peek

    ranks = peek(cache, f"rank:{round_id}:{participant_id % RANK_BUCKETS}")
    return (ranks or {}).get(participant_id)


def _checked_counts(counts: dict[str, int]) -> dict[str, int]:
    if any(not 0 <= int(counts.get(p, 0)) <= 1000 for p in PRIZES):
        raise Invalid({"": N_("Prize counts are whole numbers from 0 to 1000.")})
    return {p: int(counts.get(p, 0)) for p in PRIZES}


def set_contest_prize_counts(
    session: Session, contest, counts: dict[str, int], *, actor: Actor, now: datetime
) -> None:
    """How many prizes of each kind the whole contest's prize list gives."""
    if not can_manage(actor, contest.owner_unit.path):
        raise NotFound(N_("Contest not found."))
    before = dict(contest.prizes or {})
    contest.prizes = _checked_counts(counts)
    session.flush()
    record(
        session,
        actor=actor,
        action="contest.prizes",
        object_type="contest",
        object_id=contest.id,
        unit_path=contest.owner_unit.path,
        summary=contest.title,
        before=before,
        after=dict(contest.prizes),
        now=now,
    )


def set_prize_counts(
    session: Session, round_id: int, counts: dict[str, int], *, actor: Actor, now: datetime
) -> Round:
    rnd = get_managed_round(session, round_id, actor)
    before = dict(rnd.prizes or {})
    rnd.prizes = _checked_counts(counts)
    session.flush()
    record(
        session,
        actor=actor,
        action="round.prizes",
        object_type="round",
        object_id=rnd.id,
        unit_path=rnd.contest.owner_unit.path,
        summary=f"{rnd.contest.title}: {rnd.title}",
        before=before,
        after=dict(rnd.prizes),
        now=now,
    )
    return rnd


def set_prediction_answer(
    session: Session, round_id: int, value: int | None, *, actor: Actor, now: datetime
) -> Round:
    """The true value of a round whose prediction asks for a number the organiser types
    (e.g. the official count), entered after the round closes; the ranking by prediction
    waits for it. A published prize list stays as published until published again."""
    from quizapp.contests.prediction import MAX_ANSWER

    rnd = get_managed_round(session, round_id, actor)
    if not (rnd.prediction and PredictionSubject.of(rnd).typed):
        raise Invalid({"prediction_answer": N_("This round's prediction is counted, not typed.")})
    if now < rnd.closes_at:
        raise Invalid(
            {"prediction_answer": N_("Enter the actual number after the round has closed.")}
        )
    if value is not None and not 0 <= value <= MAX_ANSWER:
        raise Invalid({"prediction_answer": N_("Enter a whole number.")})
    before = rnd.prediction_answer
    rnd.prediction_answer = value
    session.flush()
    record(
        session,
        actor=actor,
        action="round.prediction_answer",
        object_type="round",
        object_id=rnd.id,
        unit_path=rnd.contest.owner_unit.path,
        summary=f"{rnd.contest.title}: {rnd.title}",
        before={"prediction_answer": before},
        after={"prediction_answer": value},
        now=now,
    )
    return rnd


def prize_list(ranking: list[Ranked], counts: dict[str, int]) -> list[dict]:
    return [
        {
            "prize": p.prize,
            "prize_name": PRIZE_NAMES[p.prize],
            "rank": p.ranked.rank,
            "name": p.ranked.entry.name,
            "unit": p.ranked.entry.unit,
            "score": format(p.ranked.entry.score.normalize(), "f"),
            "correct": p.ranked.entry.correct,
            "questions": p.ranked.entry.questions,
            "duration_s": p.ranked.entry.duration_s,
            "prediction": p.ranked.entry.prediction,
            "reason": to_data(p.ranked.why),  # a message; lists published before: "why"
            "tie": p.ranked.tie,
            "participant_id": p.ranked.entry.participant_id,
            "unit_id": p.ranked.entry.unit_id,
            "birth_date": p.ranked.entry.birth_date.isoformat()
            if p.ranked.entry.birth_date
            else None,
        }
        for p in prizes(ranking, counts)
    ]


def _refuse_while_prediction_pending(rounds) -> None:
    """A prize list whose ties the prediction breaks waits for the number the organiser types
    (a typed prediction subject) in every round it ranks."""
    for rnd in rounds:
        subject = PredictionSubject.of(rnd)
        breaks_ties = rnd.prediction and "prediction" in (rnd.contest.ranking_order or ())
        if breaks_ties and subject.typed and subject.answer is None:
            raise Invalid(
                {
                    "": N_(
                        "Enter the actual number for the prediction question before "
                        "publishing the prize list: ties are broken by it."
                    )
                }
            )


def publish_prizes(session: Session, round_id: int, *, actor: Actor, now: datetime) -> PrizeList:
    """Freeze the prize list as it stands (publishing again replaces it, recorded)."""
    rnd = get_managed_round(session, round_id, actor)
    if now < rnd.closes_at:
        raise Invalid({"": N_("Publish the prize list after the round has closed.")})
    _refuse_while_prediction_pending([rnd])
    ranking, actual = round_ranking(session, rnd, now)
    entries = prize_list(ranking, rnd.prizes or {})
    existing = session.scalar(select(PrizeList).where(PrizeList.round_id == rnd.id))
    before = existing.entries if existing else None
    if existing is None:
        existing = PrizeList(round_id=rnd.id, published_at=now, entries=entries)
        session.add(existing)
    existing.published_at, existing.published_by_id = now, actor.user_id
    existing.entries, existing.actual = entries, actual
    session.flush()
    record(
        session,
        actor=actor,
        action="round.prizes_published",
        object_type="round",
        object_id=rnd.id,
        unit_path=rnd.contest.owner_unit.path,
        summary=f"{rnd.contest.title}: {rnd.title} ({len(entries)})",
        before={"entries": len(before)} if before is not None else None,
        after={"entries": len(entries)},
        now=now,
    )
    events.prizes_published.send(rnd, session=session, prize_list=existing, now=now)
    return existing


def published_prizes(session: Session, round_id: int) -> PrizeList | None:
    return session.scalar(select(PrizeList).where(PrizeList.round_id == round_id))


def ranking_date(session: Session, contest_id: int) -> date:
    """The contest's ranking date: the day its last round closes (local). Public rankings
    judge who is a minor on this day."""
    closes = session.scalar(select(func.max(Round.closes_at)).where(Round.contest_id == contest_id))
    return local_today(closes)


def contest_ranking(session: Session, contest, now: datetime) -> list[Ranked]:
    """The whole contest: each participant's counted attempts summed over the rounds, ranked
    with the contest's order (the prediction key is the total distance over closed rounds)."""
    from quizapp.contests.ranking import aggregate

    per_round = []
    for rnd in contest.rounds:
        entries = counted_entries(session, rnd)
        per_round.append((entries, prediction_actual(rnd, entries, now)))
    order = [
        k
        for k in contest.ranking_order
        if k != "prediction" or any(r.prediction for r in contest.rounds)
    ]
    return rank(aggregate(per_round), order=order, actual=0)


def contest_prize_list(session: Session, contest, now: datetime) -> list[dict]:
    return prize_list(contest_ranking(session, contest, now), contest.prizes or {})


def publish_contest_prizes(session: Session, contest, *, actor: Actor, now: datetime) -> PrizeList:
    """Freeze the whole contest's prize list once every round has closed."""
    if not can_manage(actor, contest.owner_unit.path):
        raise NotFound(N_("Contest not found."))
    if not contest.rounds or any(now < r.closes_at for r in contest.rounds):
        raise Invalid({"": N_("Publish the contest's prize list after its last round.")})
    _refuse_while_prediction_pending(contest.rounds)
    entries = contest_prize_list(session, contest, now)
    existing = session.scalar(select(PrizeList).where(PrizeList.contest_id == contest.id))
    if existing is None:
        existing = PrizeList(contest_id=contest.id, published_at=now, entries=entries)
        session.add(existing)
    existing.published_at, existing.published_by_id, existing.entries = (
        now,
        actor.user_id,
        entries,
    )
    session.flush()
    record(
        session,
        actor=actor,
        action="contest.prizes_published",
        object_type="contest",
        object_id=contest.id,
        unit_path=contest.owner_unit.path,
        summary=f"{contest.title} ({len(entries)})",
        now=now,
    )
    return existing


def published_contest_prizes(session: Session, contest_id: int) -> PrizeList | None:
    return session.scalar(select(PrizeList).where(PrizeList.contest_id == contest_id))


def participant_rank(
    session: Session, rnd: Round, participant_id: int, now: datetime, *, cache
) -> tuple[int | None, int]:
    """(rank, total) of a participant in the round's ranking, as the result page and the API
    show it: the ranking is computed at most every RANKING_SECONDS, so a submission newer
    than the last computation has no rank yet (rank None)."""
    ranking = cached_ranking(session, rnd, now, cache=cache)
    found = own_rank(cache, rnd.id, participant_id)
    return (found[0] if found else None), ranking.total
