"""Forms of the programme builder (shape only; rules are checked by the services)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from quizapp.auth.forms import MultiCheckboxField, population_choices
from quizapp.forms import AppForm, to_choices


class ProgrammeForm(AppForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)])
    description = TextAreaField(_l("Description (Markdown)"), validators=[Optional()])
    owner_unit_id = SelectField(_l("Organising unit"), coerce=int, validators=[DataRequired()])
    starts_on = DateField(_l("Study period: from"), validators=[DataRequired()])
    ends_on = DateField(_l("Study period: to"), validators=[DataRequired()])
    unit_ids = SelectMultipleField(
        _l("Only these units (none: the organising unit and every unit below it)"),
        coerce=int,
        validators=[Optional()],
    )
    populations = MultiCheckboxField(
        _l("Only these population categories (none: everybody)"),
        choices=population_choices,
        validators=[Optional()],
    )
    admitted_in_period = BooleanField(
        _l("Only members admitted to the Union during the study period (new members)")
    )
    self_enrol = BooleanField(
        _l("Open programme: members enrol themselves (otherwise the audience is enrolled)")
    )
    order = RadioField(
        _l("Order of lessons"),
        choices=to_choices(
            [
                ("sequential", _l("In order: a lesson opens when the previous check is passed")),
                ("free", _l("Free: lessons in any order")),
            ]
        ),
        default="sequential",
    )
    required_count = IntegerField(
        _l("Completed after passing this many required lessons (empty: all)"),
        validators=[Optional(), NumberRange(min=1, max=100)],
    )
    renewal_months = IntegerField(
        _l("Completion valid for this many months (empty: no renewal)"),
        validators=[Optional(), NumberRange(min=1, max=120)],
    )
    certificate_title = StringField(
        _l("Title on the certificate"), default="CHỨNG CHỈ", validators=[Length(max=200)]
    )
    signatory_title = StringField(_l("Signatory's title"), validators=[Length(max=200)])
    signatory_name = StringField(_l("Signatory's name"), validators=[Length(max=200)])


class LessonForm(AppForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)])
    content = TextAreaField(
        _l("Content (Markdown: headings, lists, links to videos and PDF documents)"),
        validators=[Optional()],
    )
    reading_minutes = IntegerField(
        _l("Estimated reading time (minutes)"),
        default=10,
        validators=[DataRequired(), NumberRange(min=1, max=600)],
    )
    required = BooleanField(_l("Required for completion"), default=True)
    bank_id = SelectField(_l("Question bank of the check"), coerce=int)
    categories = SelectMultipleField(
        _l("Categories to draw from (none: the whole bank)"), validators=[Optional()]
    )
    questions = IntegerField(
        _l("Questions per check"), default=5, validators=[DataRequired(), NumberRange(1, 100)]
    )
    pass_mark = IntegerField(
        _l("Pass mark (percent)"), default=80, validators=[NumberRange(min=0, max=100)]
    )
    time_limit = IntegerField(
        _l("Time limit (minutes)"), default=10, validators=[DataRequired(), NumberRange(1, 240)]
    )
    max_attempts = IntegerField(
        _l("Attempts allowed (empty: unlimited)"), validators=[Optional(), NumberRange(1, 100)]
    )
    retry_wait = IntegerField(
        _l("Waiting time between attempts (minutes)"),
        default=0,
        validators=[Optional(), NumberRange(min=0, max=10080)],
    )
