"""Forms of the contest builder (shape only; rules are checked by the services)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    FieldList,
    FormField,
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

DIFFICULTIES = [
    ("", _l("Any difficulty")),
    ("easy", _l("Easy")),
    ("medium", _l("Medium")),
    ("hard", _l("Hard")),
]


class ContestForm(AppForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)])
    description = TextAreaField(_l("Description (Markdown)"), validators=[Optional()])
    rules = TextAreaField(_l("Rules (Markdown)"), validators=[Optional()])
    owner_unit_id = SelectField(_l("Organising unit"), coerce=int, validators=[DataRequired()])
    eligibility = RadioField(
        _l("Who may take part"),
        choices=to_choices(
            [
                ("subtree", _l("Members of the organising unit and every unit below it")),
                ("units", _l("Members of the units chosen below")),
                ("public", _l("Anyone who registers")),
            ]
        ),
        default="subtree",
    )
    unit_ids = SelectMultipleField(_l("Units taking part"), coerce=int, validators=[Optional()])
    populations = MultiCheckboxField(
        _l("Only these population categories (none: everybody)"),
        choices=population_choices,
        validators=[Optional()],
    )
    one_page = BooleanField(_l("Show all questions on one page"))
    points_weight = IntegerField(
        _l("Units' ranking: weight of prize points (0: participation rate only)"),
        default=0,
        validators=[Optional(), NumberRange(min=0, max=100)],
    )
    mask_names = BooleanField(
        _l(
            "Shorten names on the public ranking (Nguyễn V. A.); minors' names (and those "
            "without a date of birth) are shortened always"
        ),
        default=True,
    )
    ranking_order = SelectField(
        _l("Ranking order"),
        default="score,prediction,time,submitted",
        choices=to_choices(
            [
                (
                    "score,prediction,time,submitted",
                    _l("Score, then prediction, then time taken, then submission time"),
                ),
                (
                    "score,time,prediction,submitted",
                    _l("Score, then time taken, then prediction, then submission time"),
                ),
                ("score,time,submitted", _l("Score, then time taken, then submission time")),
            ]
        ),
    )


class BlueprintRow(AppForm):
    class Meta:
        csrf = False

    count = IntegerField(
        _l("Number of questions"), default=0, validators=[Optional(), NumberRange(min=0, max=200)]
    )
    category = SelectField(_l("From category"), validators=[Optional()])
    difficulty = SelectField(
        _l("Difficulty"), choices=to_choices(DIFFICULTIES), validators=[Optional()]
    )


class RoundForm(AppForm):
    title = StringField(_l("Title"), validators=[Optional(), Length(max=200)])
    opens_at = DateTimeLocalField(
        _l("Opens (Vietnam time)"), format="%Y-%m-%dT%H:%M", validators=[DataRequired()]
    )
    closes_at = DateTimeLocalField(
        _l("Closes (Vietnam time)"), format="%Y-%m-%dT%H:%M", validators=[DataRequired()]
    )
    time_limit = IntegerField(
        _l("Time limit (minutes)"),
        default=20,
        validators=[DataRequired(), NumberRange(min=1, max=1440)],
    )
    bank_id = SelectField(_l("Question bank"), coerce=int, validators=[DataRequired()])
    blueprint = FieldList(FormField(BlueprintRow), min_entries=4, max_entries=12)
    fixed_keys = StringField(
        _l("Fixed questions (keys, comma-separated)"), validators=[Optional(), Length(max=2000)]
    )
    shuffle_questions = BooleanField(_l("Shuffle the questions"), default=True)
    shuffle_options = BooleanField(_l("Shuffle the options"), default=True)
    attempts_allowed = IntegerField(
        _l("Attempts allowed"), default=1, validators=[DataRequired(), NumberRange(min=1, max=20)]
    )
    counting = SelectField(
        _l("Attempt that counts"),
        choices=to_choices(
            [("best", _l("The best")), ("first", _l("The first")), ("last", _l("The last"))]
        ),
    )
    pass_mark = IntegerField(
        _l("Pass mark (percent of the maximum score)"),
        default=50,
        validators=[NumberRange(min=0, max=100)],
    )
    review = SelectField(
        _l("After submitting, participants see"),
        choices=to_choices(
            [
                ("score", _l("Their score only")),
                ("after_close", _l("Their score; the correct answers after the round closes")),
                ("immediate", _l("Everything, immediately")),
            ]
        ),
        default="after_close",
    )
    prediction = BooleanField(_l("Ask the prediction question (tie-break)"), default=True)
    include_unverified = BooleanField(
        _l("Include unverified questions (whose answer key was not checked against a source)"),
        default=False,
    )
    prediction_min_correct = IntegerField(
        _l(
            "The prediction's answer counts participants with at least this many right "
            "answers (empty: every answer right)"
        ),
        validators=[Optional(), NumberRange(min=1, max=500)],
    )
    prediction_question = StringField(
        _l(
            "Or a number you type after the round: the question put to participants (e.g. "
            "how many members of the province will take part?); you enter the actual number "
            "on the results page once the round has closed"
        ),
        validators=[Optional(), Length(max=300)],
    )
