"""Forms for login, registration and passwords (shape checks only; rules live in services)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from quizapp.forms import AppForm, to_choices
from quizapp.orgs.population import LABELS


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def population_choices():
    return to_choices((p.value, _l(label)) for p, label in LABELS.items())


class LoginForm(AppForm):
    identifier = StringField(
        _l("Phone number or e-mail"), validators=[DataRequired(), Length(max=200)]
    )
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


class RegisterForm(AppForm):
    full_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)])
    # InputRequired, not DataRequired: a date that cannot be read keeps its own message.
    # A phone without a date picker sends what was typed: dd/mm/yyyy is read too.
    birth_date = DateField(
        _l("Date of birth"), format=["%Y-%m-%d", "%d/%m/%Y"], validators=[InputRequired()]
    )
    phone = StringField(_l("Phone number"), validators=[DataRequired(), Length(max=20)])
    email = StringField(_l("E-mail (optional)"), validators=[Optional(), Length(max=200)])
    password = PasswordField(
        _l("Password (at least 8 characters)"), validators=[DataRequired(), Length(max=200)]
    )
    unit_id = IntegerField(
        _l("Your unit"), validators=[DataRequired(message=_l("Choose your unit."))]
    )
    unit_label = HiddenField()
    categories = MultiCheckboxField(
        _l("You are"),
        choices=population_choices,
        validators=[DataRequired(message=_l("Choose at least one population category."))],
    )
    cccd = StringField(
        _l("Citizen ID (optional, 12 digits)"), validators=[Optional(), Length(max=12)]
    )
    guardian_name = StringField(
        _l("Name of your parent or guardian (if you are under 16)"),
        validators=[Optional(), Length(max=200)],
    )
    guardian_consent = BooleanField(
        _l(
            "My parent or guardian agrees to my taking part and to "
            "the processing of my personal data."
        )
    )
    consent = BooleanField(
        _l("I agree to the processing of my personal data for the purpose stated above.")
    )


class ResetForm(AppForm):
    identifier = StringField(_l("Phone number or e-mail"), validators=[DataRequired()])
    code = StringField(_l("Code from your organiser"), validators=[DataRequired(), Length(max=12)])
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=200)])


class ChangePasswordForm(AppForm):
    old_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=200)])
