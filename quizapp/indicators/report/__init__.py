"""The annual indicator report of a unit, built from a report snapshot, as XLSX and PDF."""

from quizapp.indicators.report.build import (
    PlanReport,
    ReportLine,
    UnitRow,
    build_report,
    build_reports,
    report_snapshot,
)
from quizapp.indicators.report.pdf import (
    REPORT_RENDER_TIMEOUT_S,
    render_report,
    report_filename,
    report_html,
)
from quizapp.indicators.report.xlsx import report_xlsx

__all__ = [
    "REPORT_RENDER_TIMEOUT_S",
    "PlanReport",
    "ReportLine",
    "UnitRow",
    "build_report",
    "build_reports",
    "render_report",
    "report_filename",
    "report_html",
    "report_snapshot",
    "report_xlsx",
]
