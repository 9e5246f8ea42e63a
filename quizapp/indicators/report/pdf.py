"""The annual report as a PDF in the Vietnamese administrative layout (WeasyPrint)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from quizapp.indicators.report.build import (
    Gettext,
    PlanReport,
)
from quizapp.indicators.report.text import (
    SECTIONS,
    Text,
    notes,
)
from quizapp.indicators.report.xlsx import (
    report_xlsx,
)

# --- the PDF -------------------------------------------------------------------------------


def report_html(reports: Sequence[PlanReport], gettext: Gettext) -> str:
    """The PDF's HTML (needs an application and a request context, as templates do)."""
    from flask import render_template

    text = Text(gettext)
    return render_template(
        "indicators/report_pdf.html",
        reports=reports,
        f=text,
        notes={r.plan.key: notes(r, text) for r in reports},
        sections=SECTIONS,
    )


# A province with a hundred communes prints some 25 pages: well over a request's 20 s
# budget on a small server, so reports get their own limit (they are bulk work).
REPORT_RENDER_TIMEOUT_S = 180


def render_report(
    reports: Sequence[PlanReport], fmt: str, *, timeout: float = REPORT_RENDER_TIMEOUT_S
) -> bytes:
    """The report as "xlsx" or "pdf" bytes, in Vietnamese whatever the UI language (needs an
    application and a request context); raises quizapp.pdf.RenderTimeout after `timeout`."""
    from flask_babel import force_locale, gettext

    from quizapp.pdf import html_to_pdf

    with force_locale("vi"):
        if fmt == "xlsx":
            return report_xlsx(reports, gettext)
        if fmt == "pdf":
            return html_to_pdf(report_html(reports, gettext), timeout=timeout)
    raise ValueError(f"unknown report format {fmt!r}")


def report_filename(unit_code: str, year: int, fmt: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9_-]+", "-", unit_code).strip("-") or "unit"
    return f"bao-cao-chi-tieu-{safe}-{year}.{fmt}"
