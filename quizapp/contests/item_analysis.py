"""Item analysis of a round read from the database: every counted attempt's answers as
columns for `statistics.analyse_columns`, with each question's key and text for the page."""

from __future__ import annotations

from itertools import chain
from operator import itemgetter

import numpy as np
from sqlalchemy import Float, cast, func, select
from sqlalchemy.orm import Session

from quizapp.banks.models import BankQuestion, QuestionVersion
from quizapp.banks.serial import from_dict
from quizapp.contests.models import Attempt, AttemptQuestion, Round
from quizapp.contests.ranking import counted
from quizapp.contests.regrade import corrected, round_corrections
from quizapp.contests.statistics import Responses, analyse_columns


def item_analysis(session: Session, rnd: Round):
    """Statistics of the round's questions on the counted attempts (flagged ones first),
    with each question's key and text for the page. The answers are read as five numbers
    each straight into numpy arrays (no ORM object, no row object, no JSON decoded: the
    options chosen come from `choice_mask`), so that 100,000 attempts × 30 questions take a
    few seconds."""
    submitted = (
        Attempt.round_id == rnd.id,
        Attempt.status == "submitted",
        Attempt.preview.is_(False),
    )
    heads = session.execute(
        select(Attempt.user_id, Attempt.number, Attempt.score, Attempt.id).where(*submitted)
    ).all()
    chosen = counted(heads, rnd.counting, itemgetter(0, 1, 2))
    keep = np.array(sorted(h[3] for h in chosen), dtype=np.int64)
    query = (
        select(
            AttemptQuestion.attempt_id,
            AttemptQuestion.position,
            AttemptQuestion.version_id,
            func.coalesce(cast(AttemptQuestion.score, Float), 0.0),
            func.coalesce(AttemptQuestion.choice_mask, 0),
        )
        .join(Attempt, Attempt.id == AttemptQuestion.attempt_id)
        .where(*submitted)
    )
    # Straight from the driver's cursor into one array (the only parameters are the round's
    # id and constants, rendered in the statement). Every value is an integer or a mark,
    # exact in a float64.
    connection = session.connection()
    sql = str(query.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    cursor = connection.connection.cursor()
    try:
        cursor.execute(sql)
        table = np.fromiter(chain.from_iterable(cursor), np.float64).reshape(-1, 5)
    finally:
        cursor.close()
    table = table[np.isin(table[:, 0].astype(np.int64), keep)]
    versions_served = table[:, 2].astype(np.int64)
    vids = [int(v) for v in np.unique(versions_served)]
    versions = (
        {
            v.id: v
            for v in session.scalars(select(QuestionVersion).where(QuestionVersion.id.in_(vids)))
        }
        if vids
        else {}
    )
    # The keys as corrected for this round (a fixed key stops being flagged; a voided
    # question, everyone's mark, has no key to doubt).
    fixes = round_corrections(session, rnd.id)
    questions = {
        vid: corrected(from_dict(v.content), fixes.get(vid)) for vid, v in versions.items()
    }
    marks = {vid: float(q.mark) for vid, q in questions.items()}
    # Attempt indices 0..A-1 in the order of the counted ids (those with answers).
    present, attempt_index = np.unique(table[:, 0].astype(np.int64), return_inverse=True)
    responses = Responses(
        attempt=attempt_index.reshape(-1),
        position=table[:, 1].astype(np.int64),
        version=versions_served,
        earned=table[:, 3],
        mark=_lookup(versions_served, marks),
        chosen=table[:, 4].astype(np.int64),
        attempts=len(present),
    )
    keyed = {
        vid: {i for i, c in enumerate(q.choices) if c.weight > 0}
        for vid, q in questions.items()
        if not (vid in fixes and fixes[vid].mode == "void")
    }
    items, test = analyse_columns(responses, keyed)
    keys = (
        dict(
            session.execute(
                select(QuestionVersion.id, BankQuestion.key)
                .join(BankQuestion, BankQuestion.id == QuestionVersion.question_id)
                .where(QuestionVersion.id.in_(list(versions)))
            ).all()
        )
        if versions
        else {}
    )
    return items, test, questions, keys


def _lookup(keys, table: dict[int, float]):
    """`table[k]` for every k of a numpy array, vectorised."""
    known = np.array(sorted(table), dtype=np.int64)
    values = np.array([table[int(k)] for k in known], dtype=np.float64)
    return values[np.searchsorted(known, keys)]
