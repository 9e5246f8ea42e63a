"""The prediction question (tie-break) of a round: ONE definition of its subject, read by the
participant's prompt, the results page, the exports, the prize explanations and the ranking.

A round's subject is either "every question right" (`Round.prediction_min_correct` empty) or
"at least N right answers" (N typed by the organiser on the round form)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import force_locale, gettext


@dataclass(frozen=True)
class PredictionSubject:
    """What the prediction question asks about: participants with at least `min_correct`
    right answers, or (None) with every answer right."""

    min_correct: int | None = None

    @classmethod
    def of(cls, rnd) -> PredictionSubject:
        return cls(rnd.prediction_min_correct or None)

    def counts(self, correct: int, questions: int) -> bool:
        """Whether a participant with `correct` of `questions` right answers is counted."""
        if self.min_correct:
            return correct >= self.min_correct
        return bool(questions) and correct == questions

    def count(self, entries: Iterable) -> int:
        """The actual value (what the ranking measures predictions against)."""
        return sum(1 for e in entries if self.counts(e.correct, e.questions))

    def question(self) -> str:
        """The question put to participants, in the interface language."""
        if self.min_correct:
            return gettext(
                "Prediction: how many participants will get at least %(min)s answers right?",
                min=self.min_correct,
            )
        return gettext("Prediction: how many participants will answer every question correctly?")

    def label(self, n: int | None = None) -> str:
        """The actual value's label (results page, exports, prize explanations); without `n`
        the bare description of what is counted."""
        if self.min_correct:
            if n is None:
                return gettext(
                    "Participants with at least %(min)s right answers (the prediction "
                    "question's answer)",
                    min=self.min_correct,
                )
            return gettext(
                "Participants with at least %(min)s right answers (the prediction question's "
                "answer): %(n)s",
                min=self.min_correct,
                n=n,
            )
        if n is None:
            return gettext(
                "Participants with every answer right (the prediction question's answer)"
            )
        return gettext(
            "Participants with every answer right (the prediction question's answer): %(n)s", n=n
        )

    def label_vi(self, n: int | None = None) -> str:
        """The label in Vietnamese, for texts stored or printed in Vietnamese whatever the
        interface language (the prize list's explanations)."""
        with force_locale("vi"):
            return self.label(n)


def with_answer(
    headers: list[str], rows: list[list], subject: PredictionSubject, actual: int | None
) -> tuple[list[str], list[list]]:
    """An export's table with one more column: the prediction's actual value under its label
    (empty while the round is open)."""
    value = "" if actual is None else actual
    return [*headers, subject.label()], [[*row, value] for row in rows]
