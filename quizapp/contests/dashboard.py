"""The live dashboard of a round: counts, submissions per hour and score distribution as
server-drawn SVG, cached for 30 s (per process, or shared: QUIZAPP_CACHE_URL) so that many
open dashboards cost one query set every 30 s."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from quizapp.cache import MemoryCache, cached
from quizapp.contests.models import Attempt, Round
from quizapp.timeutil import to_local

CACHE_SECONDS = 30
_cache = MemoryCache()


@dataclass(frozen=True)
class Snapshot:
    taken_at: datetime
    participants: int
    in_progress: int
    submitted: int
    per_hour: list[tuple[str, int]]  # local hour label, submissions
    histogram: list[tuple[str, int]]  # score band, attempts


def _build(session: Session, rnd: Round, now: datetime) -> Snapshot:
    base = select(Attempt).where(Attempt.round_id == rnd.id, Attempt.preview.is_(False))
    sub = base.subquery()
    participants = session.scalar(select(func.count(func.distinct(sub.c.user_id)))) or 0
    in_progress = session.scalar(select(func.count()).where(sub.c.status == "in_progress")) or 0
    rows = session.execute(
        select(sub.c.submitted_at, sub.c.score, sub.c.max_score).where(sub.c.status == "submitted")
    ).all()
    hours: dict[str, int] = {}
    start = max(rnd.opens_at, now - timedelta(hours=23))
    cursor = to_local(start).replace(minute=0, second=0, microsecond=0)
    end = to_local(min(now, rnd.closes_at))
    while cursor <= end:
        hours[cursor.strftime("%d/%m %Hh")] = 0
        cursor += timedelta(hours=1)
    bands = [0] * 10
    for submitted_at, score, maximum in rows:
        label = to_local(submitted_at).strftime("%d/%m %Hh")
        if label in hours:
            hours[label] += 1
        if maximum:
            bands[min(9, int(float(score) * 10 / float(maximum)))] += 1
    histogram = [(f"{i * 10}–{i * 10 + 10}%", n) for i, n in enumerate(bands)]
    return Snapshot(now, participants, in_progress, len(rows), list(hours.items()), histogram)


def snapshot(session: Session, rnd: Round, now: datetime, cache=None) -> Snapshot:
    """The cached snapshot (rebuilt when older than CACHE_SECONDS); `cache`: the app's
    configured cache (quizapp.cache), this module's own per-process one by default."""
    return cached(
        cache or _cache, f"dashboard:{rnd.id}", CACHE_SECONDS, lambda: _build(session, rnd, now)
    )


def bar_chart(
    series: list[tuple[str, int]], *, width: int = 360, height: int = 160, title: str = ""
) -> str:
    """A small SVG bar chart (escaped labels; drawn on the server, no script)."""
    from markupsafe import escape

    n = max(1, len(series))
    top = max([v for _, v in series] + [1])
    bar_w = width / n
    parts = [
        f'<svg viewBox="0 0 {width} {height + 30}" role="img" aria-label="'
        f'{escape(title)}" class="chart" xmlns="http://www.w3.org/2000/svg">'
    ]
    for i, (label, value) in enumerate(series):
        h = height * value / top
        x = i * bar_w
        parts.append(
            f'<rect x="{x + 1:.1f}" y="{height - h:.1f}" width="{bar_w - 2:.1f}" '
            f'height="{h:.1f}" fill="#0b57d0"><title>{escape(label)}: {value}'
            f"</title></rect>"
        )
        if n <= 12 or i % max(1, n // 6) == 0:
            parts.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{height + 14}" font-size="9" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)
