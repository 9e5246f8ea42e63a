"""Validating reader of the plan definition format (plans/README.md) into core dataclasses."""

from __future__ import annotations

from yaml.nodes import Node

from quizapp.i18n import N_
from quizapp.indicators import maths
from quizapp.indicators.core import (
    ADMITTED_POPULATIONS,
    Activity,
    Condition,
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
from quizapp.indicators.maths import DayMonth
from quizapp.indicators.yamlread import Reader, is_null, key_node, line_of
from quizapp.orgs.population import Population

FORMAT_ID = "quizapp-indicators/1"
TOP_FIELDS = ("format", "plan", "indicators")
PLAN_FIELDS = (
    "key",
    "title",
    "issuer",
    "number",
    "date",
    "implements",
    "report_due",
    "year_start",
    "reviews",
    "note",
)
INDICATOR_FIELDS = (
    "codes",
    "text",
    "title",
    "kind",
    "each_period",
    "note",
    "lines",
    "unit_level",
    "reported",
    "targets",
)
LINE_FIELDS = ("label", "population", "admitted_in_period", "activity", "targets")
ACTIVITY_FIELDS = ("mode", "programmes", "contests", "window")
TARGET_FIELDS = ("code", "value", "deadline")
UNIT_LEVEL_FIELDS = (
    "unit_types",
    "condition",
    "attestation",
    "population",
    "programmes",
    "contests",
    "min_participants",
)
REPORTED_FIELDS = ("entry", "prompt", "unit_types", "unit", "numerator", "denominator")
KIND_FIELD = {Kind.COMPUTED: "lines", Kind.UNIT_LEVEL: "unit_level", Kind.REPORTED: "reported"}


def read_plan(r: Reader, root: Node, expected_key: str | None) -> Plan | None:
    """The plan of a composed file, or None; every defect is recorded on `r` with its line."""
    top = r.mapping(root, "the file", TOP_FIELDS, TOP_FIELDS)
    if "format" in top and r.text(top, "format") != FORMAT_ID:
        r.add(
            N_('Unknown format "%(value)s"; expected %(expected)s.'),
            top["format"],
            value=r.text(top, "format"),
            expected=FORMAT_ID,
        )
    if "plan" not in top:
        return None
    p = r.mapping(
        top["plan"], "plan", PLAN_FIELDS, ("key", "title", "issuer", "report_due", "year_start")
    )
    key = r.key(p["key"], "key") if "key" in p else ""
    if key and expected_key is not None and key != expected_key:
        r.add(
            N_("The file name must be the plan key: %(expected)s."),
            p["key"],
            expected=f"{key}.yaml",
        )
    reviews = []
    for node in r.sequence(p.get("reviews"), '"reviews"'):
        f = r.mapping(node, "a review", ("date", "label"), ("date", "label"))
        when = r.date(f, "date")
        if when is not None:
            reviews.append(Review(when, r.required_text(f, "label")))
    indicators = _read_indicators(r, top.get("indicators"))
    return Plan(
        key=key,
        title=r.required_text(p, "title"),
        issuer=r.required_text(p, "issuer"),
        number=r.text(p, "number") or None,
        date=r.date(p, "date"),
        implements=r.text(p, "implements"),
        report_due=_day_month(r, p, "report_due") or maths.REPORT_DUE,
        year_start=_day_month(r, p, "year_start") or maths.YEAR_START,
        reviews=tuple(sorted(reviews, key=lambda v: v.date)),
        indicators=indicators,
        note=r.text(p, "note"),
        file=r.file,
    )


def _day_month(r: Reader, fields: dict[str, Node], name: str) -> DayMonth | None:
    if name not in fields:
        return None
    text = r.text(fields, name)
    try:
        return DayMonth.parse(text)
    except ValueError:
        r.add(
            N_('The field "%(field)s" must be a day and month written DD/MM, not "%(value)s".'),
            fields[name],
            field=name,
            value=text,
        )
        return None


def _read_indicators(r: Reader, node: Node | None) -> tuple[Indicator, ...]:
    out: list[Indicator] = []
    first_line: dict[str, int] = {}
    for item in r.sequence(node, '"indicators"', non_empty=True):
        indicator = _read_indicator(r, item)
        if indicator is None:
            continue
        for code in indicator.codes:
            if code in first_line:
                r.add(
                    N_("The indicator code %(code)s is used twice (first at line %(other_line)s)."),
                    item,
                    code=code,
                    other_line=first_line[code],
                )
            first_line.setdefault(code, indicator.line)
        out.append(indicator)
    return tuple(out)


def _read_indicator(r: Reader, node: Node) -> Indicator | None:
    f = r.mapping(node, "an indicator", INDICATOR_FIELDS, ("codes", "text", "title", "kind"))
    if not f:
        return None
    codes = r.strings(f, "codes", non_empty=True)
    items = _read_texts(r, f, codes)
    kind = r.choice(f, "kind", Kind)
    note = r.text(f, "note")
    lines: list[Line] = []
    unit_level = reported = None
    targets: tuple[Target, ...] = ()
    if kind is not None:
        for other_kind, field_name in KIND_FIELD.items():
            if other_kind is kind:
                if field_name not in f:
                    r.add(
                        N_('The field "%(field)s" is required for %(what)s.'),
                        node,
                        field=field_name,
                        what=f"kind {kind}",
                    )
            elif field_name in f:
                _not_used(r, f, field_name, f"kind {kind}")
        if kind is Kind.COMPUTED:
            _not_used(r, f, "targets", "kind computed (each line has its targets)")
            for item in r.sequence(f.get("lines"), '"lines"', non_empty=True):
                line = _read_line(r, item, codes)
                if line is not None:
                    lines.append(line)
        else:
            if kind is Kind.UNIT_LEVEL and "unit_level" in f:
                unit_level = _read_unit_level(r, f["unit_level"])
            if kind is Kind.REPORTED and "reported" in f:
                reported = _read_reported(r, f["reported"])
            percent = reported is None or reported.entry is not Entry.NUMBER
            targets = _read_targets(r, f, codes, percent)
            if reported is not None and reported.entry is Entry.YES_NO:
                if targets:
                    _not_used(r, f, "targets", "entry yes_no")
                targets = ()
            elif not targets and not note:
                r.add(N_("An indicator without targets needs a note saying why."), node)
    if not codes or kind is None:
        return None
    return Indicator(
        items=items,
        title=r.required_text(f, "title"),
        kind=kind,
        lines=tuple(lines),
        unit_level=unit_level,
        reported=reported,
        targets=targets,
        each_period=r.boolean(f, "each_period", False),
        note=note,
        line=line_of(node),
    )


def _not_used(r: Reader, fields: dict[str, Node], name: str, what: str) -> None:
    if name in fields:
        r.add(
            N_('The field "%(field)s" is not used with %(what)s.'),
            key_node(fields, name, fields[name]),
            field=name,
            what=what,
        )


def _read_texts(r: Reader, f: dict[str, Node], codes: tuple[str, ...]) -> tuple[PlanItem, ...]:
    if "text" not in f:
        return ()
    texts = r.mapping(f["text"], '"text"', codes)  # a code without a place here is unknown
    for code in codes:
        if code not in texts:
            r.add(N_("The text of code %(code)s is missing."), f["text"], code=code)
    return tuple(PlanItem(code, r.required_text(texts, code)) for code in codes if code in texts)


def _read_line(r: Reader, node: Node, codes: tuple[str, ...]) -> Line | None:
    f = r.mapping(node, "a line", LINE_FIELDS, ("label", "population", "activity", "targets"))
    if not f:
        return None
    population = _populations(r, f, "population", non_empty=True)
    admitted = r.boolean(f, "admitted_in_period", False)
    if admitted and not set(population) <= ADMITTED_POPULATIONS:
        r.add(
            N_("An admission date is only for union members and cadres."), f["admitted_in_period"]
        )
    activity = _read_activity(r, f["activity"]) if "activity" in f else None
    targets = _read_targets(r, f, codes, percent=True, non_empty=True)
    if activity is None:
        return None
    return Line(
        label=r.required_text(f, "label"),
        population=population,
        activity=activity,
        targets=targets,
        admitted_in_period=admitted,
        line=line_of(node),
    )


def _populations(
    r: Reader, f: dict[str, Node], name: str, non_empty: bool = False
) -> tuple[Population, ...]:
    out = []
    for value in r.strings(f, name, non_empty=non_empty):
        try:
            out.append(Population(value))
        except ValueError:
            r.add(N_("Unknown population category “%(value)s”."), f[name], value=value)
    return tuple(out)


def _read_activity(r: Reader, node: Node) -> Activity | None:
    f = r.mapping(node, '"activity"', ACTIVITY_FIELDS, ("mode",))
    mode = r.choice(f, "mode", Mode)
    programmes = r.strings(f, "programmes", keys=True)
    contests = r.strings(f, "contests", keys=True)
    window = r.choice(f, "window", Window) if "window" in f else Window.PERIOD
    if mode is None or window is None:
        return None
    needs = {
        Mode.COMPLETION: ("programmes",),
        Mode.PARTICIPATION: ("contests",),
        Mode.EITHER: ("programmes", "contests"),
    }[mode]
    given = {"programmes": programmes, "contests": contests}
    for name, values in given.items():
        if name in needs and not values:
            r.add(
                N_('The field "%(field)s" is required for %(what)s.'),
                key_node(f, name, key_node(f, "mode", node)),
                field=name,
                what=f"mode {mode}",
            )
        elif name not in needs:
            _not_used(r, f, name, f"mode {mode}")
    return Activity(mode, programmes, contests, window)


def _read_targets(
    r: Reader, f: dict[str, Node], codes: tuple[str, ...], percent: bool, non_empty: bool = False
) -> tuple[Target, ...]:
    out: list[Target] = []
    for node in r.sequence(f.get("targets"), '"targets"', non_empty=non_empty):
        t = r.mapping(node, "a target", TARGET_FIELDS, TARGET_FIELDS)
        code = r.required_text(t, "code")
        if code and codes and code not in codes:
            r.add(
                N_("The code %(code)s is not one of this indicator's codes (%(codes)s)."),
                t["code"],
                code=code,
                codes=", ".join(codes),
            )
        value = r.number(t, "value")
        if value is not None and not (0 <= value <= (100 if percent else float("inf"))):
            r.add(
                N_('The field "%(field)s" must be from %(low)s to %(high)s, not %(value)s.')
                if percent
                else N_('The field "%(field)s" must be at least %(low)s, not %(value)s.'),
                t["value"],
                field="value",
                low=0,
                high=100,
                value=t["value"].value,
            )
            value = None
        deadline = r.date(t, "deadline")
        if deadline is not None and any(o.deadline == deadline for o in out):
            r.add(
                N_("Two targets have the deadline %(deadline)s."), t["deadline"], deadline=deadline
            )
            continue
        if code and value is not None and deadline is not None:
            out.append(Target(code, value, deadline))
    return tuple(sorted(out, key=lambda t: t.deadline))


def _read_unit_level(r: Reader, node: Node) -> UnitLevel | None:
    f = r.mapping(node, '"unit_level"', UNIT_LEVEL_FIELDS, ("unit_types", "condition"))
    unit_types = r.strings(f, "unit_types", non_empty=True)
    condition = r.choice(f, "condition", Condition)
    attestation = r.text(f, "attestation")
    minimum = r.number(f, "min_participants") if "min_participants" in f else 1.0
    if minimum is not None and (minimum < 1 or minimum != int(minimum)):
        r.add(
            N_('The field "%(field)s" must be at least %(low)s, not %(value)s.'),
            f["min_participants"],
            field="min_participants",
            low=1,
            value=f["min_participants"].value,
        )
    if condition is Condition.ATTESTED:
        if not attestation:
            r.add(
                N_('The field "%(field)s" is required for %(what)s.'),
                key_node(f, "condition", node),
                field="attestation",
                what="condition attested",
            )
        for name in ("population", "programmes", "contests", "min_participants"):
            _not_used(r, f, name, "condition attested")
    elif condition is Condition.ACTIVITY:
        _not_used(r, f, "attestation", "condition activity")
    if condition is None:
        return None
    return UnitLevel(
        unit_types=unit_types,
        condition=condition,
        attestation=attestation,
        population=_populations(r, f, "population"),
        programmes=r.strings(f, "programmes", keys=True),
        contests=r.strings(f, "contests", keys=True),
        min_participants=int(minimum or 1),
    )


def _read_reported(r: Reader, node: Node) -> Reported | None:
    f = r.mapping(node, '"reported"', REPORTED_FIELDS, ("entry", "prompt", "unit_types"))
    entry = r.choice(f, "entry", Entry)
    unit_types = r.strings(f, "unit_types", non_empty=True)
    needs = {
        Entry.NUMBER: ("unit",),
        Entry.PERCENTAGE: ("numerator", "denominator"),
        Entry.YES_NO: (),
    }
    if entry is None:
        return None
    for name in ("unit", "numerator", "denominator"):
        if name in needs[entry]:
            if not r.text(f, name):
                r.add(
                    N_('The field "%(field)s" is required for %(what)s.'),
                    key_node(f, name, key_node(f, "entry", node)),
                    field=name,
                    what=f"entry {entry}",
                )
        elif not is_null(f.get(name)):
            _not_used(r, f, name, f"entry {entry}")
    return Reported(
        entry=entry,
        prompt=r.required_text(f, "prompt"),
        unit_types=unit_types,
        unit=r.text(f, "unit"),
        numerator=r.text(f, "numerator"),
        denominator=r.text(f, "denominator"),
    )
