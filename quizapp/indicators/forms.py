"""Forms of the indicator pages (shape only; rules are checked by the services)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import FloatField, IntegerField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from quizapp.forms import AppForm, to_choices


class EntryForm(AppForm):
    value = FloatField(_l("Value"), validators=[Optional(), NumberRange(min=0)])
    numerator = IntegerField(_l("Count"), validators=[Optional(), NumberRange(min=0)])
    denominator = IntegerField(_l("Out of"), validators=[Optional(), NumberRange(min=0)])
    yes = RadioField(
        _l("Answer"),
        choices=to_choices([("yes", _l("Yes")), ("no", _l("No"))]),
        validators=[Optional()],
    )
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=2000)])
    evidence_url = StringField(_l("Evidence link"), validators=[Optional(), Length(max=500)])


class DefinitionForm(AppForm):
    source = TextAreaField(_l("Definitions (YAML)"), validators=[DataRequired()])
