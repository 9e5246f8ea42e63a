"""The audit log page: filtered by unit (its subtree), person, action and local dates."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import Blueprint, flash, render_template, request
from flask_babel import gettext as _

from quizapp.audit.labels import ACTION_LABELS, readable
from quizapp.audit.services import filter_choices, visible_entries
from quizapp.errors import NotFound
from quizapp.extensions import db
from quizapp.forms import db_int
from quizapp.orgs.scope import managed_units, unit_choices
from quizapp.orgs.services import get_managed_unit
from quizapp.timeutil import from_local, parse_date
from quizapp.web import actor, organiser_required, paginate

bp = Blueprint("audit", __name__)


def _day(field: str, label: str):
    """A date filter (yyyy-mm-dd from the date picker, or dd/mm/yyyy); a clear message and
    no filter when unreadable."""
    text = request.args.get(field, "").strip()
    try:
        return parse_date(text)
    except ValueError:
        flash(_("%(field)s: enter a date as dd/mm/yyyy.", field=label), "error")
        return None


@bp.get("/org/audit")
@organiser_required
def log():
    who = actor()
    q = request.args.get("q", "")
    unit_id = request.args.get("unit", type=db_int)
    unit = None
    if unit_id:
        try:
            unit = get_managed_unit(db.session, unit_id, who)
        except NotFound:
            flash(_("Unit: choose one of your units."), "error")
    person = request.args.get("who", type=db_int)
    action = request.args.get("action", "").strip()
    since, until = _day("since", _("From")), _day("until", _("To"))
    stmt = visible_entries(
        who,
        q=q,
        unit_path=unit.path if unit else None,
        actor_id=person,
        action=action,
        since=from_local(datetime(since.year, since.month, since.day)) if since else None,
        until=from_local(datetime(until.year, until.month, until.day) + timedelta(days=1))
        if until
        else None,
    )
    people, actions = filter_choices(db.session, who)
    return render_template(
        "audit/log.html",
        page=paginate(stmt),
        q=q,
        unit=unit,
        person=person,
        action=action,
        since=since,
        until=until,
        units=unit_choices(managed_units(who)),
        people=people,
        actions=actions,
        labels=ACTION_LABELS,
        readable=readable,
    )
