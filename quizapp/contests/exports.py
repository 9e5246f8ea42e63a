"""Rows of the results exports (XLSX and CSV): a round's or the whole contest's ranking with
each participant's registration fields, the prize list and the units' participation."""

from __future__ import annotations

from flask_babel import gettext
from sqlalchemy.orm import Session

from quizapp.contests.models import Round
from quizapp.contests.ranking import Ranked
from quizapp.contests.results import counted_rows
from quizapp.orgs.population import population_text
from quizapp.orgs.treeorder import tree_order
from quizapp.timeutil import format_datetime

REGISTRATION_HEADERS = [
    "Họ và tên",
    "Ngày sinh",
    "Số điện thoại",
    "Email",
    "Mã đơn vị",
    "Đơn vị",
    "Đối tượng",
]


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
    "Hạng",
    *REGISTRATION_HEADERS,
    "Số câu đúng",
    "Số câu hỏi",
    "Điểm",
    "Dự đoán",
    "Thời gian làm bài (giây)",
    "Nộp bài lúc (giờ Việt Nam, UTC+7)",
]


CONTEST_RESULT_HEADERS = [
    "Hạng",
    *REGISTRATION_HEADERS,
    "Số tuần thi đã làm",
    "Số câu đúng",
    "Số câu hỏi",
    "Điểm",
    "Tổng độ lệch dự đoán",
    "Tổng thời gian (giây)",
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
    "Giải",
    "Hạng",
    "Họ và tên",
    "Đơn vị",
    "Số câu đúng",
    "Số câu hỏi",
    "Dự đoán",
    "Thời gian làm bài (giây)",
    "Lý do xếp thứ tự",
]


def prize_table(entries: list[dict]) -> list[list]:
    """The prize list (published, or as it would be now) in PRIZE_HEADERS' order."""
    return [
        [
            e["prize_name"],
            e["rank"],
            e["name"],
            e["unit"],
            e["correct"],
            e["questions"],
            e["prediction"] if e["prediction"] is not None else "",
            e["duration_s"],
            e["why"],
        ]
        for e in entries
    ]


UNIT_HEADERS = [
    "Đơn vị",
    "Trực thuộc",
    "Cấp",
    "Số người tham gia",
    "Số thành viên thuộc đối tượng",
    "Tỷ lệ tham gia (%)",
    "Điểm trung bình (%)",
    "Trung vị (%)",
    "Tỷ lệ đạt (%)",
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
