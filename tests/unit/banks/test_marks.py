"""Question marks are finite, positive and bounded at every entry point (1e308 and inf once
made submission fail with a 500)."""

from decimal import Decimal
from pathlib import Path

import pytest

from quizapp.banks.core import QType, Question, mark_in_bounds
from quizapp.banks.editing import EditorData, EditorError, to_question
from quizapp.banks.parsers.native import load_native
from quizapp.banks.validate import check_question
from quizapp.contests.grading import grade

SAMPLE = (Path(__file__).resolve().parents[2] / "data" / "banks" / "sample.yaml").read_text(
    encoding="utf-8"
)
BAD = ["1e308", "0", "-1", "1000.01", "1e3000"]


@pytest.mark.parametrize("value", ["1", "0.25", "1000"])
def test_good_marks(value):
    assert mark_in_bounds(Decimal(value))


@pytest.mark.parametrize("value", [*BAD, "nan", "inf", "-inf", "sNaN"])
def test_bad_marks(value):
    assert not mark_in_bounds(Decimal(value))


@pytest.mark.parametrize("value", [*BAD, ".nan", ".inf"])
def test_native_import_refuses_the_mark_with_its_line(value):
    assert "    mark: 2\n" in SAMPLE
    bank = load_native(SAMPLE.replace("    mark: 2\n", f"    mark: {value}\n"))
    problems = [p for p in bank.errors if "mark" in p.message or p.params.get("field") == "mark"]
    assert problems and all(p.line for p in problems), bank.errors


@pytest.mark.parametrize("value", [*BAD, "nan", "inf", "abc"])
def test_editor_refuses_the_mark_as_a_field_error(value):
    data = EditorData(type="truefalse", text="Đúng hay sai?", mark=value, correct="true")
    with pytest.raises(EditorError) as err:
        to_question(data)
    assert "mark" in err.value.errors


@pytest.mark.parametrize("value", ["1e308", "inf", "nan"])
def test_the_validator_every_import_shares_refuses_it(value):
    q = Question(QType.TRUEFALSE, "Đúng hay sai?", answer=True, mark=Decimal(value))
    assert any("mark" in p.message for p in check_question(q))


@pytest.mark.parametrize("value", ["1e308", "inf", "nan", "-5"])
def test_grading_stored_bad_data_does_not_raise(value):
    q = Question(QType.TRUEFALSE, "Đúng hay sai?", answer=True, mark=Decimal(value))
    g = grade(q, {"value": True})
    assert not g.graded and g.score == 0
