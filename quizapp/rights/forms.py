"""Forms of the personal-data pages (shape only; the rules are in rights/services.py)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, RadioField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from quizapp.forms import AppForm, to_choices


class GuardianFields(AppForm):
    """What a minor's request records: made together with the parent or guardian."""

    with_guardian = BooleanField(_l("I make this request together with my parent or guardian"))
    guardian_name = StringField(
        _l("Name of the parent or guardian"), validators=[Optional(), Length(max=200)]
    )
    guardian_contact = StringField(
        _l("Phone number or e-mail of the parent or guardian"),
        validators=[Optional(), Length(max=200)],
    )


class ExportForm(GuardianFields):
    fmt = RadioField(
        _l("File format"),
        choices=to_choices([("json", "JSON"), ("xlsx", "XLSX (Excel)")]),
        default="json",
    )


class CorrectForm(AppForm):
    full_name = StringField(_l("Full name"), validators=[Length(max=200)])
    email = StringField(_l("E-mail"), validators=[Optional(), Length(max=200)])


class WithdrawForm(GuardianFields):
    confirm = BooleanField(_l("I withdraw my consent to the processing of my personal data"))


class DeletionForm(GuardianFields):
    confirm = BooleanField(
        _l("I ask for my personal data to be deleted and understand that it cannot be undone")
    )
    keep_certificates = BooleanField(
        _l("Keep my certificates valid (they keep my name) instead of revoking them")
    )


class DecisionForm(AppForm):
    decision = RadioField(
        _l("Decision"),
        choices=to_choices([("approve", _l("Approve the deletion")), ("refuse", _l("Refuse"))]),
    )
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=300)])
    confirm = BooleanField(_l("I understand that an approved deletion is irreversible"))
