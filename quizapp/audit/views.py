"""The audit log page."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from quizapp.audit.services import visible_entries
from quizapp.web import actor, organiser_required, paginate

bp = Blueprint("audit", __name__)


@bp.get("/org/audit")
@organiser_required
def log():
    q = request.args.get("q", "")
    page = paginate(visible_entries(actor(), q=q))
    return render_template("audit/log.html", page=page, q=q)
