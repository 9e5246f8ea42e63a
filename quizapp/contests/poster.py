"""The printable A4 poster of a contest, with a QR code to its public page."""

from __future__ import annotations

from datetime import datetime

from flask import render_template

from quizapp.contests.models import Contest
from quizapp.pdf import html_to_pdf, qr_png_data_uri


def render_poster(contest: Contest, url: str, *, now: datetime) -> bytes:
    html = render_template(
        "contests/poster.html", contest=contest, url=url, qr=qr_png_data_uri(url), now=now
    )
    return html_to_pdf(html)
