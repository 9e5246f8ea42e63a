"""Forms for units, members and roster import (shape only)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, Length, Optional

from quizapp.auth.forms import MultiCheckboxField, population_choices
from quizapp.forms import AppForm, to_choices


class UnitForm(AppForm):
    code = StringField(_l("Unit code"), validators=[DataRequired(), Length(max=40)])
    name = StringField(_l("Unit name"), validators=[DataRequired(), Length(max=200)])
    type_key = SelectField(_l("Unit type"), validators=[DataRequired()])
    parent_id = SelectField(_l("Parent unit"), coerce=int, validators=[Optional()])
    # Printed on the unit's certificates (the edit page only).
    locality = StringField(
        _l("Place printed before the date (e.g. Long Xuyên)"),
        validators=[Optional(), Length(max=100)],
    )
    signatory_title = StringField(
        _l("Signatory's title (e.g. TM. BAN THƯỜNG VỤ / BÍ THƯ)"),
        validators=[Optional(), Length(max=200)],
    )
    signatory_name = StringField(_l("Signatory's name"), validators=[Optional(), Length(max=200)])


class MoveUnitForm(AppForm):
    parent_id = SelectField(_l("New parent unit"), coerce=int, validators=[DataRequired()])


class MergeForm(AppForm):
    source_ids = SelectMultipleField(_l("Units to merge"), coerce=int, validators=[DataRequired()])
    target_id = SelectField(_l("Merge into"), coerce=int, validators=[DataRequired()])
    confirm = StringField(_l("Type the target unit's code to confirm"), validators=[DataRequired()])


class ConfirmForm(AppForm):
    """A bare form for POST buttons (archive, deactivate…): CSRF only."""


class MemberForm(AppForm):
    full_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)])
    code = StringField(_l("Member code"), validators=[Optional(), Length(max=40)])
    birth_date = DateField(_l("Date of birth"), validators=[Optional()])
    phone = StringField(_l("Phone number"), validators=[Optional(), Length(max=20)])
    email = StringField(_l("E-mail"), validators=[Optional(), Length(max=200)])
    unit_id = SelectField(_l("Unit"), coerce=int, validators=[DataRequired()])
    categories = MultiCheckboxField(
        _l("Population categories"), choices=population_choices, validators=[DataRequired()]
    )
    admitted_on = DateField(_l("Date admitted to the Union"), validators=[Optional()])
    cccd = StringField(
        _l("Citizen ID (12 digits; stored only as a hash)"), validators=[Optional(), Length(max=12)]
    )


class GuardianForm(AppForm):
    guardian_name = StringField(
        _l("Name of the parent or guardian"), validators=[DataRequired(), Length(max=200)]
    )


class ImportForm(AppForm):
    kind = RadioField(
        _l("What the file contains"),
        choices=to_choices([("members", _l("Members")), ("units", _l("Units"))]),
        default="members",
        validators=[DataRequired()],
    )
    file = FileField(
        _l("File (XLSX or CSV)"),
        validators=[FileRequired(), FileAllowed(["xlsx", "csv"], _l("XLSX or CSV only."))],
    )


class ConfirmImportForm(AppForm):
    token = HiddenField(validators=[DataRequired()])


class OrganiserForm(AppForm):
    identifier = StringField(
        _l("Phone number or e-mail of the account"), validators=[DataRequired(), Length(max=200)]
    )
    unit_id = SelectField(_l("Unit"), coerce=int, validators=[DataRequired()])


class ResetCodeForm(AppForm):
    member_id = IntegerField(validators=[DataRequired()])
