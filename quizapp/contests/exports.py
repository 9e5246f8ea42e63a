"""Rows of the results exports (XLSX and CSV): a round's or the whole contest's ranking with
each participant's registration fields, the prize list and the units' participation."""

from __future__ import annotations

from flask_babel import gettext
from sqlalchemy.orm import Session

from quizapp.contests.models import Round
from quizapp.contests.ranking import Ranked
from quizapp.contests.results import PRIZE_LABELS, counted_rows
from quizapp.i18n import N_
from quizapp.orgs.population import population_text
from quizapp.orgs.treeorder import tree_order
from quizapp.timeutil import format_datetime
from quizapp.web import stored_message, t

REGISTRATION_HEADERS = [
    N_("Full name"),
    N_("Date of birth"),
    N_("Phone number"),
    N_("Email"),
    N_("Unit code"),
    N_("Unit"),
    N_("Population"),
]


def translated(headers: list[str]) -> list[str]:
    """An export's column headers (msgids) in the interface's language."""
    return [gettext(h) for h in headers]


def _registration(row) -> list:
    """A participant's registration fields (member and unit of the counted attempt)."""
    m = row.member
    return [
        m.full_name,
        m.birth_date.strftime("%d/%m/%Y") if m.birth_date else "",
        m.phone or "",
        m.email or "",
        row.unit.code,
        row.unit.name,
        population_text(m.population, gettext),
    ]


def results_table(session: Session, rnd: Round, ranking: list[Ranked]) -> list[list]:
    """Rows for the XLSX/CSV export, with the registration fields of each participant."""
    members = {r.participant_id: r for r in counted_rows(session, rnd)}
    out = []
    for r in ranking:
        out.append(
            [
                r.rank,
                *_registration(members[r.entry.participant_id]),
                r.entry.correct,
                r.entry.questions,
                float(r.entry.score),
                r.entry.prediction if r.entry.prediction is not None else "",
                r.entry.duration_s,
                format_datetime(r.entry.submitted_at, seconds=True),
            ]
        )
    return out


RESULT_HEADERS = [
    N_("Rank"),
    *REGISTRATION_HEADERS,
    N_("Right answers"),
    N_("Number of questions"),
    N_("Score"),
    N_("Prediction"),
    N_("Time taken (seconds)"),
    N_("Submitted at (Vietnam time, UTC+7)"),
]


CONTEST_RESULT_HEADERS = [
    N_("Rank"),
    *REGISTRATION_HEADERS,
    N_("Rounds taken"),
    N_("Right answers"),
    N_("Number of questions"),
    N_("Score"),
    N_("Total prediction distance"),
    N_("Total time (seconds)"),
]


def contest_results_table(session: Session, contest, ranking: list[Ranked]) -> list[list]:
    """Rows of the whole contest's export: rank, registration fields (as of the latest round
    the participant took part in), rounds taken and the summed results."""
    latest: dict[int, object] = {}
    rounds: dict[int, int] = {}
    for rnd in sorted(contest.rounds, key=lambda r: r.number):
        for row in counted_rows(session, rnd):
            latest[row.participant_id] = row
            rounds[row.participant_id] = rounds.get(row.participant_id, 0) + 1
    return [
        [
            r.rank,
            *_registration(latest[r.entry.participant_id]),
            rounds[r.entry.participant_id],
            r.entry.correct,
            r.entry.questions,
            float(r.entry.score),
            r.entry.prediction if r.entry.prediction is not None else "",
            r.entry.duration_s,
        ]
        for r in ranking
    ]


PRIZE_HEADERS = [
    N_("Prize"),
    N_("Rank"),
    N_("Full name"),
    N_("Unit"),
    N_("Right answers"),
    N_("Number of questions"),
    N_("Prediction"),
    N_("Time taken (seconds)"),
    N_("Why this order"),
]


def prize_table(entries: list[dict]) -> list[list]:
    """The prize list (published, or as it would be now) in PRIZE_HEADERS' order."""
    return [
        [
            t(PRIZE_LABELS[e["prize"]]),
            e["rank"],
            e["name"],
            e["unit"],
            e["correct"],
            e["questions"],
            e["prediction"] if e["prediction"] is not None else "",
            e["duration_s"],
            stored_message(e.get("reason") or e.get("why")),
        ]
        for e in entries
    ]


UNIT_HEADERS = [
    N_("Unit"),
    N_("Belongs to"),
    N_("Level"),
    N_("Participants"),
    N_("Roster members in the contest's population"),
    N_("Participation rate (%)"),
    N_("Mean score (%)"),
    N_("Median (%)"),
    N_("Pass rate (%)"),
]


def _pct(value, scale: int = 1):
    return round(value * scale, 2) if value is not None else ""


def unit_table(nodes, totals) -> list[list]:
    """Participation of every unit of the round's tree (from units.unit_participation), in
    UNIT_HEADERS' order, in tree order: each unit followed by the units under it, with the
    unit it belongs to (two branches may share a name under two communes)."""
    rows = []
    names = {n.id: n.name for n in nodes}
    for n in tree_order(nodes):
        tt = totals[n.id]
        rows.append(
            [
                n.name,
                names.get(n.parent_id, ""),
                n.depth,
                tt.participants,
                tt.eligible,
                _pct(tt.rate, 100),
                _pct(tt.mean),
                _pct(tt.median),
                _pct(tt.pass_rate, 100),
            ]
        )
    return rows


def unit_indents(nodes) -> list[int]:
    """The indent level of each row of `unit_table` (0 for the topmost unit)."""
    ordered = tree_order(nodes)
    top = min((n.depth for n in ordered), default=0)
    return [n.depth - top for n in ordered]


COLLECTIVE_HEADERS = [
    N_("Ranking"),
    N_("Rank"),
    N_("Unit"),
    N_("Participation rate (%)"),
    N_("Participants"),
    N_("Roster members in the contest's population"),
    N_("Mean score (%)"),
    N_("Prize points"),
]

COLLECTIVE_RULES = (
    N_(
        "Participation rate = members who submitted an attempt ÷ members on the roster who may "
        "take part, the unit's branches included. Ties are broken by the mean score, then by the "
        "number of participants; units equal on all three share the rank. A unit with nobody on "
        "the roster is not ranked."
    ),
    N_(
        "Mean score = the mean of the counted attempts as a percentage of the maximum score. "
        "Ties are broken by the participation rate, then by the number of participants; units "
        "equal on all three share the rank. A unit without participants is not ranked."
    ),
)


def collective_table(collective) -> list[list]:
    """The collective rankings (units.Collective) in COLLECTIVE_HEADERS' order, by
    participation rate then by mean score, followed by the rules (a blank row, then one
    rule per row), in the interface's language."""
    rows = []
    for name, standings in (
        (N_("By participation rate"), collective.by_rate),
        (N_("By mean score"), collective.by_mean),
    ):
        for s in standings:
            rows.append(
                [
                    gettext(name),
                    f"{s.rank}=" if s.tie else s.rank,
                    s.unit.name,
                    _pct(s.tally.rate, 100),
                    s.tally.participants,
                    s.tally.eligible,
                    _pct(s.tally.mean),
                    s.points if collective.weight else "",
                ]
            )
    rows.append([])
    rows += [[gettext(rule)] for rule in COLLECTIVE_RULES]
    if collective.weight:
        rows.append(
            [
                gettext(
                    "The participation ranking adds %(weight)s points per prize point won by "
                    "the unit's members.",
                    weight=collective.weight,
                )
            ]
        )
    return rows
