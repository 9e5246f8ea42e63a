"""Answer-key consistency checks and duplicate detection for parsed questions."""

from collections.abc import Iterable
from decimal import Decimal

from quizapp.banks.core import (
    MAX_MARK,
    Difficulty,
    Problem,
    QType,
    Question,
    mark_in_bounds,
    question_label,
)
from quizapp.banks.textnorm import duplicate_key
from quizapp.i18n import N_

HUNDRED = Decimal(100)
SUM_TOLERANCE = Decimal("0.01")


def _problem(q: Question, message: str, severity: str = "error", **params: object) -> Problem:
    return Problem(
        message=message,
        params=params,
        line=q.line or None,
        question=question_label(q),
        severity=severity,  # type: ignore[arg-type]
    )


def check_question(q: Question) -> list[Problem]:
    """Everything wrong with one question's content and answer key, as problems."""
    problems: list[Problem] = []
    if not q.text.strip():
        problems.append(_problem(q, N_("The question text is empty.")))
    if q.difficulty not in tuple(Difficulty):
        problems.append(_problem(q, N_('Unknown difficulty "%(value)s".'), value=str(q.difficulty)))
    if not mark_in_bounds(q.mark):
        problems.append(
            _problem(
                q,
                N_("The mark must be a number greater than 0 and at most %(max)s, not %(value)s."),
                max=str(MAX_MARK),
                value=str(q.mark),
            )
        )
    checker = _CHECKERS.get(q.type)
    if checker is not None:
        problems.extend(checker(q))
    return problems


def _check_options(q: Question) -> list[Problem]:
    problems = []
    if len(q.choices) < 2:
        problems.append(
            _problem(
                q,
                N_("At least %(min)s options are needed, found %(count)s."),
                min=2,
                count=len(q.choices),
            )
        )
    for index, choice in enumerate(q.choices, start=1):
        if not choice.text.strip():
            problems.append(_problem(q, N_("Option %(number)s is empty."), number=index))
        if not -HUNDRED <= choice.weight <= HUNDRED:
            problems.append(
                _problem(
                    q,
                    N_("Option %(number)s has weight %(weight)s%%, outside -100..100."),
                    number=index,
                    weight=str(choice.weight),
                )
            )
    return problems


def _check_single(q: Question) -> list[Problem]:
    problems = _check_options(q)
    correct = [c for c in q.choices if c.weight == HUNDRED]
    if not correct:
        problems.append(_problem(q, N_("No correct answer: one option must be right (100%%).")))
    elif len(correct) > 1:
        problems.append(
            _problem(
                q,
                N_(
                    "A single-answer question has %(count)s correct options; "
                    "use a multiple-answer question instead."
                ),
                count=len(correct),
            )
        )
    for index, choice in enumerate(q.choices, start=1):
        if Decimal(0) < choice.weight < HUNDRED:
            problems.append(
                _problem(
                    q,
                    N_(
                        "Option %(number)s of a single-answer question has partial "
                        "credit %(weight)s%%; only one option may be right."
                    ),
                    number=index,
                    weight=str(choice.weight),
                )
            )
    return problems


def _check_multi(q: Question) -> list[Problem]:
    problems = _check_options(q)
    positive = sum((c.weight for c in q.choices if c.weight > 0), Decimal(0))
    if positive == 0:
        problems.append(_problem(q, N_("No correct answer: no option has a positive weight.")))
    elif abs(positive - HUNDRED) > SUM_TOLERANCE:
        problems.append(
            _problem(
                q, N_("The positive weights add up to %(total)s%%, not 100%%."), total=str(positive)
            )
        )
    return problems


def _check_truefalse(q: Question) -> list[Problem]:
    if not isinstance(q.answer, bool):
        return [_problem(q, N_("A true/false question needs the answer true or false."))]
    return []


def _check_short(q: Question) -> list[Problem]:
    problems = []
    if not q.short_answers:
        problems.append(_problem(q, N_("No correct answer: at least one answer is needed.")))
    if any(not a.strip() for a in q.short_answers):
        problems.append(_problem(q, N_("An accepted answer is empty.")))
    if q.short_weights and len(q.short_weights) != len(q.short_answers):
        problems.append(_problem(q, N_("Answer weights do not match the answers.")))
    if q.short_feedback and len(q.short_feedback) != len(q.short_answers):
        problems.append(_problem(q, N_("Answer feedback does not match the answers.")))
    if q.short_weights and q.short_answers and max(q.short_weights) != HUNDRED:
        problems.append(_problem(q, N_("No correct answer: one answer must be worth 100%%.")))
    for weight in q.short_weights:
        if not Decimal(0) <= weight <= HUNDRED:
            problems.append(
                _problem(q, N_("Answer weight %(weight)s%% is outside 0..100."), weight=str(weight))
            )
    return problems


def _check_numeric(q: Question) -> list[Problem]:
    problems = []
    graded = [a for a in q.numeric if not a.is_catch_all]
    if not graded:
        problems.append(_problem(q, N_("No correct answer: at least one number is needed.")))
    elif max(a.weight for a in graded) != HUNDRED:
        problems.append(_problem(q, N_("No correct answer: one number must be worth 100%%.")))
    for index, a in enumerate(q.numeric, start=1):
        if a.is_range and (a.min is None or a.max is None):
            problems.append(
                _problem(q, N_("Answer %(number)s needs both min and max."), number=index)
            )
        elif a.is_range and a.min is not None and a.max is not None and a.min > a.max:
            problems.append(
                _problem(
                    q,
                    N_("Answer %(number)s: min %(min)s is greater than max %(max)s."),
                    number=index,
                    min=str(a.min),
                    max=str(a.max),
                )
            )
        if a.is_range and a.value is not None:
            problems.append(
                _problem(q, N_("Answer %(number)s has both a value and a range."), number=index)
            )
        if a.tolerance < 0:
            problems.append(
                _problem(q, N_("Answer %(number)s has a negative tolerance."), number=index)
            )
        if not Decimal(0) <= a.weight <= HUNDRED:
            problems.append(
                _problem(
                    q, N_("Answer weight %(weight)s%% is outside 0..100."), weight=str(a.weight)
                )
            )
    return problems


def _check_matching(q: Question) -> list[Problem]:
    problems = []
    if len(q.pairs) < 2:
        problems.append(
            _problem(
                q,
                N_("At least %(min)s pairs are needed, found %(count)s."),
                min=2,
                count=len(q.pairs),
            )
        )
    seen: set[str] = set()
    for index, pair in enumerate(q.pairs, start=1):
        if not pair.left.strip() or not pair.right.strip():
            problems.append(_problem(q, N_("Pair %(number)s has an empty side."), number=index))
        if pair.left in seen:
            problems.append(
                _problem(q, N_('The item "%(left)s" appears twice on the left.'), left=pair.left)
            )
        seen.add(pair.left)
    return problems


_CHECKERS = {
    QType.SINGLE: _check_single,
    QType.MULTI: _check_multi,
    QType.TRUEFALSE: _check_truefalse,
    QType.SHORT: _check_short,
    QType.NUMERIC: _check_numeric,
    QType.MATCHING: _check_matching,
}


def find_duplicates(
    questions: Iterable[Question], existing: Iterable[tuple[str, str]] = ()
) -> list[Problem]:
    """Warnings for questions whose normalised text repeats in the file or in `existing`.

    `existing` holds (key, text) pairs of the bank being imported into.
    """
    known = {}
    for key, text in existing:
        known.setdefault(duplicate_key(text), key)
    problems = []
    first_seen: dict[str, Question] = {}
    for q in questions:
        norm = duplicate_key(q.text)
        if not norm:
            continue
        if norm in first_seen:
            other = first_seen[norm]
            problems.append(
                _problem(
                    q,
                    N_("Same text as the question at line %(other_line)s."),
                    severity="warning",
                    other_line=other.line,
                )
            )
        else:
            first_seen[norm] = q
        if norm in known and known[norm] != q.key:
            problems.append(
                _problem(
                    q,
                    N_("Same text as question %(other_key)s already in the bank."),
                    severity="warning",
                    other_key=known[norm],
                )
            )
    return problems
