"""Form helpers shared by every domain."""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import get_translations
from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice

from quizapp.i18n import N_


class _CatalogueTranslations:
    """WTForms' own messages through the app's catalogue (WTForms ships no Vietnamese one).
    Vietnamese has one plural form: each English form is its own msgid."""

    def gettext(self, string: str) -> str:
        return get_translations().ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.gettext(singular if n == 1 else plural)


_TRANSLATIONS = _CatalogueTranslations()


class AppForm(FlaskForm):
    """The base of every form of the app: WTForms' built-in messages ("This field is
    required.", "Not a valid date value." …) in the interface's language, through the
    translations provider WTForms documents (`Meta.get_translations`)."""

    class Meta:
        def get_translations(self, form):
            return _TRANSLATIONS


# WTForms' messages (wtforms 3.3 validators and fields, Flask-WTF's file validators), named
# here so that message extraction keeps them in the catalogue.
WTFORMS_MESSAGES = (
    N_("This field is required."),
    N_("Invalid input."),
    N_("Invalid email address."),
    N_("Invalid URL."),
    N_("Field must be equal to %(other_name)s."),
    N_("Field must be at least %(min)d character long."),
    N_("Field must be at least %(min)d characters long."),
    N_("Field cannot be longer than %(max)d character."),
    N_("Field cannot be longer than %(max)d characters."),
    N_("Field must be exactly %(max)d character long."),
    N_("Field must be exactly %(max)d characters long."),
    N_("Field must be between %(min)d and %(max)d characters long."),
    N_("Number must be at least %(min)s."),
    N_("Number must be at most %(max)s."),
    N_("Number must be between %(min)s and %(max)s."),
    N_("Date must be at least %(min)s."),
    N_("Date must be at most %(max)s."),
    N_("Date must be between %(min)s and %(max)s."),
    N_("Invalid value, must be one of: %(values)s."),
    N_("Invalid value, can't be any of: %(values)s."),
    N_("This field cannot be edited."),
    N_("This field is disabled and cannot have a value."),
    N_("Invalid Choice: could not coerce."),
    N_("Not a valid choice."),
    N_("Invalid choice(s): one or more data inputs could not be coerced."),
    N_("'%(value)s' is not a valid choice for this field."),
    N_("'%(value)s' are not valid choices for this field."),
    N_("Not a valid datetime value."),
    N_("Not a valid date value."),
    N_("Not a valid time value."),
    N_("Not a valid integer value."),
    N_("Not a valid decimal value."),
    N_("Not a valid float value."),
    N_("File does not have an approved extension."),
)


def to_choices(pairs: Iterable[tuple[object, str]]) -> list[SelectChoice]:
    """(value, label) pairs as WTForms 3.3 choices (tuples are deprecated there)."""
    return [SelectChoice(value, label) for value, label in pairs]


def db_int(value: str) -> int:
    """A whole number from a query string or form that fits the database's integer columns:
    `request.args.get("page", type=db_int)` gives the default for "10²³" as for "abc"."""
    number = int(value)
    if not -(2**31) <= number < 2**31:
        raise ValueError(value)
    return number
