"""Vietnamese contest ranking and prize lists (pure).

The ranking orders the counted attempt of each participant by, in the default order:
1. score, highest first;
2. |prediction − actual|, smallest first (no prediction counts as infinitely far);
3. time taken, shortest first;
4. submission time, earliest first.
The order of the keys is configurable per contest. Participants equal on every key share a
rank ("1, 2, 2, 4"); they are listed by participant id only so the listing is stable.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from operator import attrgetter
from typing import NamedTuple

from quizapp.i18n import Listed, Message, Score

KEYS = ("score", "prediction", "time", "submitted")
DEFAULT_ORDER = KEYS
PRIZES = ("first", "second", "third", "consolation")


class Entry(NamedTuple):  # a tuple: a national round makes a million of them
    participant_id: int
    name: str
    unit: str
    score: Decimal
    max_score: Decimal
    correct: int
    questions: int
    duration_s: int
    submitted_at: datetime
    prediction: int | None = None
    attempt_id: int | None = None
    unit_id: int | None = None
    birth_date: date | None = None  # public pages never show a minor's full name


class Ranked(NamedTuple):
    rank: int
    entry: Entry
    tie: bool  # shares its rank with the entry before or after it
    previous: Entry | None = None  # the entry ranked just before, for `why`
    order: Sequence[str] = DEFAULT_ORDER
    actual: int | None = None
    answer: Message | None = None  # the prediction's actual value with its label, for `why`

    @property
    def why(self) -> Message | None:
        """Why it comes after the previous entry (the first key that differs): written when
        read, as only the prize list and the results page read it, never the whole ranking
        of a national round."""
        if self.previous is None:
            return None
        return explain(self.previous, self.entry, self.order, self.actual, self.answer)

    @property
    def tie_break(self) -> TieBreak | None:
        """What placed it after the entry just before it with the same score (the public
        ranking shows it per line); None when the scores differ or it is the first."""
        if self.previous is None:
            return None
        return tie_break(self.previous, self.entry, self.order, self.actual)


class TieBreak(NamedTuple):
    """The ranking key after the score that decided between two entries with equal scores
    ("" when they are equal on every key and share the rank), with each one's value of it:
    prediction → distance (None: no prediction), time → seconds, submitted → the time."""

    key: str
    mine: object
    above: object


def _distance(e: Entry, actual: int | None) -> float:
    if actual is None or e.prediction is None:
        return float("inf")
    return abs(e.prediction - actual)


def _key(e: Entry, order: Sequence[str], actual: int | None) -> tuple:
    parts = []
    for k in order:
        if k == "score":
            parts.append(-e.score)
        elif k == "prediction":
            parts.append(_distance(e, actual))
        elif k == "time":
            parts.append(e.duration_s)
        elif k == "submitted":
            parts.append(e.submitted_at)
    return tuple(parts)


def _value(e: Entry, key: str, actual: int | None) -> object:
    if key == "prediction":
        distance = _distance(e, actual)
        return None if distance == float("inf") else int(distance)
    return {"score": e.score, "time": e.duration_s, "submitted": e.submitted_at}[key]


def tie_break(
    above: Entry, entry: Entry, order: Sequence[str], actual: int | None
) -> TieBreak | None:
    """Why `entry` comes after `above` when both have the same score: the first other key of
    `order` on which they differ; None when the scores differ (the score decided)."""
    if above.score != entry.score:
        return None
    for k in order:
        if k == "score":
            continue
        mine, theirs = _value(entry, k, actual), _value(above, k, actual)
        if mine != theirs:
            return TieBreak(k, mine, theirs)
    return TieBreak("", None, None)


def explain(
    a: Entry, b: Entry, order: Sequence[str], actual: int | None, answer: Message | None = None
) -> Message:
    """Why `a` ranks before `b` (a message translated where it is shown; the names are its
    parameters); `answer`: the prediction's actual value with its label
    (PredictionSubject.label)."""
    first, second = a.name, b.name
    said: list[Message] = []
    for k in order:
        if k == "score":
            if a.score != b.score:
                return Message(
                    "%(first)s before %(second)s: score %(a)s against %(b)s",
                    first=first,
                    second=second,
                    a=Score(a.score),
                    b=Score(b.score),
                )
            said.append(
                Message(
                    "same score %(score)s/%(max)s", score=Score(a.score), max=Score(a.max_score)
                )
            )
        elif k == "prediction":
            da, db = _distance(a, actual), _distance(b, actual)
            if da != db:
                decided = Message("prediction off by %(a)s against %(b)s", a=_off(da), b=_off(db))
                if answer:
                    decided = Message("%(reason)s (%(answer)s)", reason=decided, answer=answer)
                return _after(first, second, said, decided)
            said.append(Message("same prediction distance"))
        elif k == "time":
            if a.duration_s != b.duration_s:
                decided = Message(
                    "time taken %(a)s seconds against %(b)s seconds",
                    a=a.duration_s,
                    b=b.duration_s,
                )
                return _after(first, second, said, decided)
            said.append(Message("same time %(s)s seconds", s=a.duration_s))
        elif k == "submitted" and a.submitted_at != b.submitted_at:
            return _after(first, second, said, Message("submitted earlier"))
    return Message(
        "%(first)s and %(second)s share the rank: %(same)s",
        first=first,
        second=second,
        same=Listed(*said),
    )


def _off(distance: float) -> object:
    return Message("no prediction") if distance == float("inf") else int(distance)


def _after(first: str, second: str, said: list[Message], decided: Message) -> Message:
    if not said:
        return Message(
            "%(first)s before %(second)s: %(decided)s", first=first, second=second, decided=decided
        )
    return Message(
        "%(first)s before %(second)s: %(same)s; %(decided)s",
        first=first,
        second=second,
        same=Listed(*said),
        decided=decided,
    )


def rank(
    entries: Iterable[Entry],
    *,
    order: Sequence[str] = DEFAULT_ORDER,
    actual: int | None = None,
    answer: Message | None = None,
) -> list[Ranked]:
    """Competition ranking ("1, 2, 2, 4") under `order`; independent of the input order."""
    if any(k not in KEYS for k in order):
        raise ValueError(f"unknown ranking key in {order}")
    keyed = sorted(
        ((_key(e, order, actual), e.participant_id, e) for e in entries), key=lambda k: k[:2]
    )
    order = tuple(order)
    out: list[Ranked] = []
    last = len(keyed) - 1
    for i, (key, _pid, e) in enumerate(keyed):
        same_prev = i > 0 and key == keyed[i - 1][0]
        same_next = i < last and key == keyed[i + 1][0]
        number = out[-1].rank if same_prev else i + 1
        previous = keyed[i - 1][2] if i > 0 else None
        out.append(Ranked(number, e, same_prev or same_next, previous, order, actual, answer))
    return out


def perfect_count(entries: Iterable[Entry]) -> int:
    """The prediction question's usual answer: participants with every answer right."""
    from quizapp.contests.prediction import PredictionSubject

    return PredictionSubject().count(entries)


@dataclass(frozen=True)
class Prize:
    prize: str  # first, second, third, consolation
    ranked: Ranked


def prizes(ranking: Sequence[Ranked], counts: dict[str, int]) -> list[Prize]:
    """Give the prizes in rank order; a participant tied with the last winner of a prize
    gets the same prize (the list then says so), never a lower one."""
    out: list[Prize] = []
    i = 0
    for prize in PRIZES:
        for _ in range(max(0, int(counts.get(prize, 0)))):
            if i >= len(ranking):
                return out
            out.append(Prize(prize, ranking[i]))
            i += 1
        while i < len(ranking) and out and ranking[i].rank == out[-1].ranked.rank:
            out.append(Prize(out[-1].prize, ranking[i]))
            i += 1
    return out


def counted(attempts: Iterable, counting: str, fields: Callable | None = None) -> list:
    """The attempt that counts for each participant: best (score, then earliest), first or
    last. `fields(attempt)` gives (participant id, number, score); by default the attempts'
    attributes of these names (`operator.itemgetter` for plain rows, much faster)."""
    fields = fields or attrgetter("participant_id", "number", "score")
    chosen: dict[int, tuple] = {}
    for a in attempts:
        pid, number, score = fields(a)
        cur = chosen.get(pid)
        if (
            cur is None
            or (counting == "first" and number < cur[0])
            or (counting == "last" and number > cur[0])
            or (counting not in ("first", "last") and (score, -number) > (cur[1], -cur[0]))
        ):
            chosen[pid] = (number, score, a)
    return [c[2] for c in chosen.values()]


def aggregate(rounds: Iterable[tuple[Sequence[Entry], int | None]]) -> list[Entry]:
    """Whole-contest entries from each round's counted entries and prediction answer: sums
    of score, maximum, correct answers and time; the prediction becomes the total distance
    over the rounds whose answer is known (rank the result with actual=0); a missing
    prediction in such a round counts as infinitely far (None)."""
    totals: dict[int, dict] = {}
    rounds = list(rounds)
    for entries, _actual in rounds:
        for e in entries:
            t = totals.setdefault(
                e.participant_id,
                {
                    "entry": e,
                    "score": Decimal(0),
                    "max": Decimal(0),
                    "correct": 0,
                    "questions": 0,
                    "duration": 0,
                    "submitted": e.submitted_at,
                    "distance": 0,
                    "missing": False,
                },
            )
            t["score"] += e.score
            t["max"] += e.max_score
            t["correct"] += e.correct
            t["questions"] += e.questions
            t["duration"] += e.duration_s
            t["submitted"] = max(t["submitted"], e.submitted_at)
    for entries, actual in rounds:
        if actual is None:
            continue
        by_id = {e.participant_id: e for e in entries}
        for pid, t in totals.items():
            e = by_id.get(pid)
            if e is None or e.prediction is None:
                t["missing"] = True
            else:
                t["distance"] += abs(e.prediction - actual)
    return [
        Entry(
            pid,
            t["entry"].name,
            t["entry"].unit,
            t["score"],
            t["max"],
            t["correct"],
            t["questions"],
            t["duration"],
            t["submitted"],
            None if t["missing"] else t["distance"],
            unit_id=t["entry"].unit_id,  # of the first round taken (followers filter by it)
            birth_date=t["entry"].birth_date,
        )
        for pid, t in totals.items()
    ]
