"""Plan indicator definitions (pure): the YAML files of plans/ loaded into frozen dataclasses."""

from __future__ import annotations

import functools
from pathlib import Path

import yaml

from quizapp.i18n import N_
from quizapp.indicators.core import (
    ADMITTED_POPULATIONS,
    KIND_LABELS,
    Activity,
    Condition,
    DefinitionError,
    Entry,
    Indicator,
    Kind,
    Line,
    Mode,
    Plan,
    PlanItem,
    Reported,
    Review,
    Target,
    UnitLevel,
    Window,
)
from quizapp.indicators.schema import FORMAT_ID, read_plan
from quizapp.indicators.yamlread import Problem, Reader

# The dataclasses are defined in core.py and re-exported here, where callers load plans.
__all__ = [
    "ADMITTED_POPULATIONS",
    "FORMAT_ID",
    "KIND_LABELS",
    "PLANS_DIR",
    "Activity",
    "Condition",
    "DefinitionError",
    "Entry",
    "Indicator",
    "Kind",
    "Line",
    "Mode",
    "Plan",
    "PlanItem",
    "Problem",
    "Reported",
    "Review",
    "Target",
    "UnitLevel",
    "Window",
    "load_plan",
    "parse_plan",
    "plan_files",
    "shipped_plan",
    "shipped_plans",
]

PLANS_DIR = Path(__file__).resolve().parent / "plans"


def parse_plan(text: str, file: str = "<text>", expected_key: str | None = None) -> Plan:
    """Parse one plan file's text; raises DefinitionError listing every problem found.

    `file` names the source in problems; `expected_key`, when given, must be the plan's key
    (shipped files are named after their key).
    """
    r = Reader(file)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
        r.problems.append(
            Problem(
                file,
                mark.line + 1 if mark else None,
                N_("The file is not valid YAML: %(error)s"),
                {"error": getattr(err, "problem", None) or str(err)},
            )
        )
        raise DefinitionError(r.problems) from None
    if root is None:
        raise DefinitionError([Problem(file, 1, N_("The file is empty."))])
    plan = read_plan(r, root, expected_key)
    if r.problems or plan is None:
        raise DefinitionError(r.problems)
    return plan


def load_plan(path: str | Path) -> Plan:
    """Load a plan file, whose name (without .yaml) must be its plan key."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise DefinitionError(
            [Problem(path.name, None, N_("The file is not UTF-8 text."))]
        ) from None
    return parse_plan(text, path.name, expected_key=path.stem)


def plan_files(directory: Path = PLANS_DIR) -> tuple[Path, ...]:
    return tuple(sorted(directory.glob("*.yaml")))


@functools.cache
def shipped_plans() -> tuple[Plan, ...]:
    """Every plan shipped in quizapp/indicators/plans, by key; raises DefinitionError."""
    problems: list[Problem] = []
    plans: list[Plan] = []
    for path in plan_files():
        try:
            plans.append(load_plan(path))
        except DefinitionError as err:
            problems.extend(err.problems)
    if problems:
        raise DefinitionError(problems)
    return tuple(sorted(plans, key=lambda p: p.key))


def shipped_plan(key: str) -> Plan:
    for plan in shipped_plans():
        if plan.key == key:
            return plan
    raise KeyError(key)
