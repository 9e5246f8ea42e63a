"""Human labels of the audit log's action codes (translated where shown; an unknown code is
shown as it is), and the before/after values as text."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime

from quizapp.i18n import N_
from quizapp.timeutil import format_date, format_datetime

ACTION_LABELS = {
    "bank.create": N_("Question bank created"),
    "bank.import": N_("Questions imported into a bank"),
    "question.create": N_("Question created"),
    "question.edit": N_("Question edited"),
    "question.retire": N_("Question retired"),
    "contest.create": N_("Contest created"),
    "contest.update": N_("Contest edited"),
    "contest.draft": N_("Contest returned to draft"),
    "contest.published": N_("Contest published"),
    "contest.closed": N_("Contest closed"),
    "contest.archived": N_("Contest archived"),
    "contest.prizes": N_("Contest prize counts changed"),
    "contest.prizes_published": N_("Contest prize list published"),
    "round.create": N_("Round added"),
    "round.update": N_("Round edited"),
    "round.regrade": N_("Round regraded"),
    "round.prizes": N_("Round prize counts changed"),
    "round.prediction_answer": N_("Prediction answer entered"),
    "round.prizes_published": N_("Round prize list published"),
    "certificate.rule": N_("Certificate rule changed"),
    "certificate.revoke": N_("Certificate revoked"),
    "certificate.reissue": N_("Certificate reissued"),
    "unit.create": N_("Unit created"),
    "unit.update": N_("Unit edited"),
    "unit.move": N_("Unit moved"),
    "unit.merge": N_("Units merged"),
    "unit.archive": N_("Unit archived"),
    "member.create": N_("Member added"),
    "member.update": N_("Member edited"),
    "member.activate": N_("Member account activated"),
    "member.claim": N_("Member record claimed"),
    "member.claim_confirm": N_("Member record claim confirmed"),
    "member.reset_code": N_("Member activation code reset"),
    "member.guardian_consent": N_("Guardian consent recorded"),
    "rights.correct": N_("Own details corrected"),
    "rights.withdraw": N_("Consent withdrawn"),
    "rights.deletion_request": N_("Deletion of personal data requested"),
    "rights.deletion_cancel": N_("Deletion request cancelled"),
    "rights.deletion_approve": N_("Deletion of personal data approved"),
    "rights.deletion_refuse": N_("Deletion of personal data refused"),
    "organiser.grant": N_("Organiser role granted"),
    "organiser.revoke": N_("Organiser role revoked"),
    "import.members": N_("Members imported"),
    "import.units": N_("Units imported"),
    "programme.create": N_("Programme created"),
    "programme.update": N_("Programme edited"),
    "lesson.create": N_("Lesson added"),
    "lesson.update": N_("Lesson edited"),
    "lesson.delete": N_("Lesson deleted"),
    "indicators.definition": N_("Indicator defined"),
    "indicators.entry": N_("Indicator value entered"),
    "indicators.confirm": N_("Indicator values confirmed"),
    "indicators.snapshot": N_("Indicator snapshot taken"),
    "indicators.unit_types": N_("Indicator unit types changed"),
}

_ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def value_text(value: object) -> str:
    """One recorded value as a person reads it: text as text (never \\u escapes), moments in
    Vietnam's time, lists joined, anything else as compact JSON with the letters kept."""
    if value is None:
        return "—"
    if isinstance(value, str):
        try:
            if _ISO_MOMENT.match(value):
                moment = datetime.fromisoformat(value)  # stored in UTC
                return format_datetime(moment if moment.tzinfo else moment.replace(tzinfo=UTC))
            if _ISO_DAY.match(value):
                return format_date(date.fromisoformat(value))
        except ValueError:
            pass
        return value
    if isinstance(value, bool | int | float):
        return json.dumps(value)
    if isinstance(value, list) and all(not isinstance(v, dict | list) for v in value):
        return ", ".join(value_text(v) for v in value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def readable(values: dict | None) -> list[tuple[str, str]]:
    """A before/after dict as (field, text) pairs, for a formatted list."""
    return [(str(k), value_text(v)) for k, v in (values or {}).items()]
