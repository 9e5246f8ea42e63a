"""Aiken import: single-answer questions with lettered options and an ANSWER line."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from quizapp.banks.core import Choice, ParsedBank, Problem, QType, Question, by_line, text_label
from quizapp.banks.validate import check_question, find_duplicates
from quizapp.i18n import N_

_OPTION = re.compile(r"^([A-Za-z])\s*[.)]\s+(.*)$")
_ANSWER = re.compile(r"^ANSWER\s*:\s*(.*)$", re.IGNORECASE)


@dataclass
class _Draft:
    line: int
    text_lines: list[str] = field(default_factory=list)
    options: list[tuple[str, str, int]] = field(default_factory=list)  # letter, text, line

    @property
    def label(self) -> str:
        return text_label(" ".join(self.text_lines))


def _problem(message: str, line: int, draft: _Draft | None = None, **params: object) -> Problem:
    return Problem(
        message=message,
        params=params,
        line=line,
        question=draft.label if draft and draft.text_lines else None,
    )


def _finish(draft: _Draft, answer: str, answer_line: int) -> tuple[Question | None, list[Problem]]:
    problems = []
    letters = [letter for letter, _, _ in draft.options]
    if len(draft.options) < 2:
        problems.append(
            _problem(
                N_("At least %(min)s options are needed, found %(count)s."),
                draft.line,
                draft,
                min=2,
                count=len(draft.options),
            )
        )
    if len(set(letters)) != len(letters):
        problems.append(_problem(N_("An option letter is used twice."), draft.line, draft))
    wanted = answer.strip().upper()
    if wanted not in letters:
        problems.append(
            _problem(
                N_('The answer "%(answer)s" is not one of the options %(letters)s.'),
                answer_line,
                draft,
                answer=answer.strip(),
                letters=", ".join(letters),
            )
        )
    if problems:
        return None, problems
    question = Question(
        type=QType.SINGLE,
        text="\n".join(draft.text_lines),
        text_format="plain",
        choices=tuple(
            Choice(text=text, weight=Decimal(100 if letter == wanted else 0))
            for letter, text, _ in draft.options
        ),
        line=draft.line,
    )
    return question, check_question(question)


def parse_aiken(text: str) -> ParsedBank:
    """Parse Aiken text; each broken question is reported with its line and skipped."""
    questions: list[Question] = []
    problems: list[Problem] = []
    draft: _Draft | None = None

    def drop_unfinished() -> None:
        if draft is not None and draft.text_lines:
            problems.append(_problem(N_('The question has no "ANSWER:" line.'), draft.line, draft))

    for number, raw in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        answer = _ANSWER.match(line)
        option = _OPTION.match(line)
        if answer:
            if draft is None:
                problems.append(_problem(N_('"ANSWER:" without a question before it.'), number))
            elif draft.text_lines:  # an orphan option run was reported already
                question, found = _finish(draft, answer.group(1), number)
                problems.extend(found)
                if question is not None:
                    questions.append(question)
            draft = None
        elif option and draft is not None:
            draft.options.append((option.group(1).upper(), option.group(2).strip(), number))
        elif option:
            problems.append(
                _problem(
                    N_('Option "%(letter)s" comes before any question text.'),
                    number,
                    letter=option.group(1),
                )
            )
            draft = _Draft(line=number)  # swallow the rest of this broken question
            draft.options.append((option.group(1).upper(), option.group(2).strip(), number))
        elif draft is not None and (draft.options or not draft.text_lines):
            # A text line after options: the previous question ended without its ANSWER.
            drop_unfinished()
            draft = _Draft(line=number, text_lines=[line])
        elif draft is None:
            draft = _Draft(line=number, text_lines=[line])
        else:
            draft.text_lines.append(line)  # question text may run over several lines
    drop_unfinished()
    problems.extend(find_duplicates(questions))
    return ParsedBank(questions=tuple(questions), problems=by_line(problems))
