"""Forms for certificate rules, revocation, re-issue and issuer images."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from quizapp.forms import AppForm, to_choices


class RuleForm(AppForm):
    kind = SelectField(
        _l("Kind"),
        choices=to_choices(
            [
                ("achievement", _l("Achievement: score at or above the threshold")),
                ("participation", _l("Participation: everyone who submitted")),
                ("prize", _l("Prize: the winners of the published prize list")),
            ]
        ),
    )
    active = BooleanField(_l("Issue automatically"), default=True)
    threshold = IntegerField(
        _l("Threshold (percent of the maximum score)"),
        default=80,
        validators=[Optional(), NumberRange(min=0, max=100)],
    )
    layout = SelectField(
        _l("Layout"),
        choices=to_choices(
            [("classic", _l("Classic (red frame)")), ("modern", _l("Modern (blue band)"))]
        ),
    )
    title = StringField(
        _l("Title"), default="GIẤY CHỨNG NHẬN", validators=[DataRequired(), Length(max=200)]
    )
    body = TextAreaField(
        _l("Text (empty: “for taking part in …”)"), validators=[Optional(), Length(max=600)]
    )
    signatory_title = StringField(_l("Signatory's title"), validators=[Optional(), Length(max=200)])
    signatory_name = StringField(_l("Signatory's name"), validators=[Optional(), Length(max=200)])
    place = StringField(_l("Place"), validators=[Optional(), Length(max=100)])


class RevokeForm(AppForm):
    reason = StringField(_l("Reason for revoking"), validators=[DataRequired(), Length(max=300)])


class ReissueForm(AppForm):
    name = StringField(_l("Corrected name"), validators=[DataRequired(), Length(max=200)])


class UnitImagesForm(AppForm):
    logo = FileField(_l("Logo (PNG)"), validators=[FileAllowed(["png"], _l("PNG only."))])
    seal = FileField(
        _l("Seal and signature (PNG, transparent background)"),
        validators=[FileAllowed(["png"], _l("PNG only."))],
    )
