"""The public ranking of a round (route of the participant pages' blueprint): the top 20,
the published prizes and the viewer's own rank, cached so that showing it costs little
more than a bare request."""

from __future__ import annotations

from datetime import date, datetime
from types import SimpleNamespace
from typing import NamedTuple

from flask import abort, current_app, render_template, request
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import lazyload

from quizapp.cache import cached
from quizapp.contests import results as R
from quizapp.contests.blueprints import take as bp
from quizapp.contests.models import Contest, Round
from quizapp.contests.prediction import PredictionSubject
from quizapp.extensions import db
from quizapp.privacy import mask_name, public_prizes, public_ranking
from quizapp.web import now, public_page, select_locale


class _RankingPage(NamedTuple):
    """What the public ranking shows of its round and contest (cached with the ranking)."""

    id: int
    title: str
    closes_at: datetime
    slug: str
    contest_title: str
    mask_names: bool
    ranking_on: date  # who is a minor is judged on this day (results.ranking_date)
    prediction_subject: PredictionSubject = PredictionSubject()


def _ranking_page(round_id: int) -> _RankingPage | None:
    found = db.session.execute(
        select(Round, Contest)
        .join(Contest, Contest.id == Round.contest_id)
        .where(Round.id == round_id)
        .options(lazyload(Round.bank), lazyload(Contest.rounds), lazyload(Contest.owner_unit))
    ).one_or_none()
    if found is None or found.Contest.status == "draft":
        return None
    rnd, contest = found
    return _RankingPage(
        rnd.id,
        rnd.title,
        rnd.closes_at,
        contest.slug,
        contest.title,
        contest.mask_names,
        R.ranking_date(db.session, contest.id),
        rnd.prediction_subject,
    )


@bp.get("/c/<slug>/rounds/<int:round_id>/ranking")
def ranking(slug: str, round_id: int):
    """The public ranking: the top 20 (names masked if the contest says so), the published
    prize list, and the viewer's own rank. The ranking is computed at most every 30 s
    (quizapp.cache) and its board (prizes and top 20) rendered once per computation and
    language; an anonymous visitor (no session: no menu, no messages, no own rank) gets the
    whole page rendered once per computation and language, and a logged-in participant has
    only the own line and the menu drawn for each request. The round's facts are cached as
    long as the ranking (dropped with it by `results.ranking_changed`)."""
    cache = current_app.extensions["quizapp_cache"]
    key = f"ranking-page:{round_id}"
    page = cached(cache, key, R.RANKING_SECONDS, lambda: _ranking_page(round_id))
    if page is None:
        cache.delete(key)  # a draft is published at once, not 30 s later
    if page is None or page.slug != slug:
        abort(404)
    ranking = R.cached_ranking(db.session, page, now(), cache=cache)
    anonymous = current_app.config["SESSION_COOKIE_NAME"] not in request.cookies
    if anonymous and not request.query_string:
        key = f"ranking-html:{round_id}:{ranking.stamp}:{select_locale()}"
        html = cached(
            cache, key, R.RANKING_SECONDS, lambda: _render_ranking(page, ranking, None, cache)
        )
        return public_page(html, max_age=current_app.config["PUBLIC_CACHE_SECONDS"])
    mine = None
    if current_user.is_authenticated:
        found = R.own_rank(cache, round_id, current_user.id)
        if found:
            rank, correct, questions = found
            mine = SimpleNamespace(
                rank=rank, entry=SimpleNamespace(correct=correct, questions=questions)
            )
    return _render_ranking(page, ranking, mine, cache)


def _render_ranking(page: _RankingPage, ranking, mine, cache) -> str:
    def board() -> Markup:
        # Names are made public here (minors always masked, also inside the tie-break
        # explanations); `show` masks every name again when the contest keeps the default.
        full, on = not page.mask_names, page.ranking_on
        published = R.published_prizes(db.session, page.id)
        if published is not None:  # a copy: the frozen list itself stays as published
            published = SimpleNamespace(
                entries=public_prizes(published.entries, full_names=full, on=on)
            )
        html = render_template(
            "contests/_ranking_board.html",
            top=public_ranking(ranking.top[: R.PUBLIC_SHOWN], full_names=full, on=on),
            show=mask_name if page.mask_names else (lambda n: n),
            published=published,
            prize_names=R.PRIZE_LABELS,
            # a number the organiser types: after the close, ties wait for it
            typed_pending=page.prediction_subject.typed and now() >= page.closes_at,
        )
        return Markup(html)  # noqa: S704 - rendered by Jinja with autoescape

    key = f"ranking-board:{page.id}:{ranking.stamp}:{select_locale()}"
    return render_template(
        "contests/ranking.html",
        page=page,
        total=ranking.total,
        actual=ranking.actual,
        mine=mine,
        board=cached(cache, key, R.RANKING_SECONDS, board),
    )
