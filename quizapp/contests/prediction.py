"""The prediction question (tie-break) of a round: ONE definition of its subject, read by the
participant's prompt, the results page, the exports, the prize explanations and the ranking.

A round's subject is one of three:
- "every question right" (the usual question; `Round.prediction_min_correct` empty);
- "at least N right answers" (N typed by the organiser on the round form);
- "a number the organiser types": the organiser words the question on the round form
  (`Round.prediction_question`, e.g. "how many members of the province will take part?")
  and enters the true value after the round closes (`Round.prediction_answer`, e.g. the
  official count); until then the ranking by prediction is pending.

Pure: the texts are `i18n.Message`s (msgid and parameters), translated where they are shown
(`web.t`, the template global `t`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from quizapp.i18n import Message

MAX_ANSWER = 100_000_000


@dataclass(frozen=True)
class PredictionSubject:
    """What the prediction question asks about: participants with at least `min_correct`
    right answers, or (None) with every answer right; or, when `typed` (the organiser's
    `question` is set), a number the organiser enters after the round (`answer`, None until
    entered)."""

    min_correct: int | None = None
    question_text: str = ""
    answer: int | None = None

    @classmethod
    def of(cls, rnd) -> PredictionSubject:
        text = (getattr(rnd, "prediction_question", None) or "").strip()
        if text:
            return cls(None, text, rnd.prediction_answer)
        return cls(rnd.prediction_min_correct or None)

    @property
    def typed(self) -> bool:
        """The organiser types the actual value (it is not counted from the answers)."""
        return bool(self.question_text)

    def counts(self, correct: int, questions: int) -> bool:
        """Whether a participant with `correct` of `questions` right answers is counted
        (never, for a typed subject)."""
        if self.typed:
            return False
        if self.min_correct:
            return correct >= self.min_correct
        return bool(questions) and correct == questions

    def count(self, entries: Iterable) -> int | None:
        """The actual value (what the ranking measures predictions against): counted from
        the entries, or the organiser's number (None while not entered)."""
        if self.typed:
            return self.answer
        return sum(1 for e in entries if self.counts(e.correct, e.questions))

    def pending(self, closed: bool) -> Message | None:
        """Why the ranking by prediction is not known yet (None when it is)."""
        if not closed:
            return Message("The prediction question's answer is known when the round closes.")
        if self.typed and self.answer is None:
            return Message(
                "The ranking by prediction is pending: the organiser has not entered the "
                "actual number yet."
            )
        return None

    def question(self) -> Message:
        """The question put to participants."""
        if self.typed:
            return Message("Prediction: %(question)s", question=self.question_text)
        if self.min_correct:
            return Message(
                "Prediction: how many participants will get at least %(min)s answers right?",
                min=self.min_correct,
            )
        return Message("Prediction: how many participants will answer every question correctly?")

    def label(self, n: int | None = None) -> Message:
        """The actual value's label (results page, exports, prize explanations); without `n`
        the bare description of what is counted."""
        if self.typed:
            if n is None:
                return Message(
                    "%(question)s (the number entered by the organiser; the prediction "
                    "question's answer)",
                    question=self.question_text,
                )
            return Message(
                "%(question)s (the number entered by the organiser; the prediction "
                "question's answer): %(n)s",
                question=self.question_text,
                n=n,
            )
        if self.min_correct:
            if n is None:
                return Message(
                    "Participants with at least %(min)s right answers (the prediction "
                    "question's answer)",
                    min=self.min_correct,
                )
            return Message(
                "Participants with at least %(min)s right answers (the prediction question's "
                "answer): %(n)s",
                min=self.min_correct,
                n=n,
            )
        if n is None:
            return Message(
                "Participants with every answer right (the prediction question's answer)"
            )
        return Message(
            "Participants with every answer right (the prediction question's answer): %(n)s", n=n
        )


def with_answer(
    headers: list[str], rows: list[list], label: str, actual: int | None
) -> tuple[list[str], list[list]]:
    """An export's table with one more column: the prediction's actual value under its
    (translated) label, empty while it is not known."""
    value = "" if actual is None else actual
    return [*headers, label], [[*row, value] for row in rows]
