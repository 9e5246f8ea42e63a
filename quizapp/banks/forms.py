"""Forms of the bank pages (shape only)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from quizapp.forms import AppForm, to_choices

FORMATS = [
    ("auto", _l("Recognise from the file name")),
    ("gift", "GIFT (Moodle)"),
    ("aiken", "Aiken"),
    ("xlsx", "Excel (XLSX)"),
    ("yaml", _l("quizapp YAML")),
]


class BankForm(AppForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=2000)])
    owner_unit_id = SelectField(_l("Owner unit"), coerce=int, validators=[DataRequired()])
    shared = BooleanField(_l("Share with every unit under the owner unit"), default=True)


class BankImportForm(AppForm):
    file = FileField(
        _l("File (GIFT, Aiken, XLSX or YAML)"),
        validators=[
            FileRequired(),
            FileAllowed(["gift", "txt", "xlsx", "yaml", "yml"], _l("GIFT/TXT, XLSX or YAML only.")),
        ],
    )
    format = SelectField(_l("Format"), choices=to_choices(FORMATS), default="auto")
    bank_id = SelectField(_l("Import into"), coerce=int, validators=[Optional()])
    owner_unit_id = SelectField(
        _l("Owner unit (for a new bank from a YAML file)"), coerce=int, validators=[Optional()]
    )


class ConfirmBankImportForm(AppForm):
    token = HiddenField(validators=[DataRequired()])


class QuestionMetaForm(AppForm):
    """CSRF and the category; the rest of the editor is read by banks.editing."""

    category_id = SelectField(_l("Category"), coerce=int, validators=[Optional()])


class BulkForm(AppForm):
    action = SelectField(
        _l("With the selected questions"),
        choices=to_choices(
            [
                ("retire", _l("Retire")),
                ("restore", _l("Restore")),
                ("move", _l("Move to category")),
                ("tag", _l("Add tag")),
            ]
        ),
    )
    category_id = SelectField(_l("Category"), coerce=int, validators=[Optional()])
    tag = StringField(_l("Tag"), validators=[Optional(), Length(max=60)])
