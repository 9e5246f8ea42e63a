"""What public pages may show of a person (pure): masked names on rankings, and nothing that
dates a minor (under ADULT_AGE), on rankings or on the certificate verification page."""

from __future__ import annotations

import unicodedata
from datetime import date

from quizapp.timeutil import age_on

ADULT_AGE = 18

# The name left in place of a person whose data was deleted (quizapp/rights): shown as it is.
DELETED_NAME = "Người dùng đã xóa #"

# Family names of two words: kept whole, so that "Tôn Nữ Thị Ninh" reads "Tôn Nữ T. N."
# rather than taking "Nữ" for a middle name. Only names that are family names whatever
# follows (not "Nguyễn Văn", where "Văn" is a middle name).
COMPOUND_FAMILY_NAMES = frozenset(
    {
        "âu dương",
        "công tôn",
        "gia cát",
        "hoàng phủ",
        "nguyễn phúc",
        "nguyễn phước",
        "tôn nữ",
        "tôn thất",
        "tư mã",
    }
)


def _initial(word: str) -> str:
    return word[0] + "."


def mask_name(name: str) -> str:
    """The family name whole and the other names by their initial: "Nguyễn Văn An" →
    "Nguyễn V. A.", "Tôn Nữ Thị Ninh" → "Tôn Nữ T. N.", a single name "Ánh" → "Á."."""
    parts = unicodedata.normalize("NFC", name or "").split()
    if not parts:
        return ""
    family = 1
    if len(parts) > 2 and " ".join(parts[:2]).lower() in COMPOUND_FAMILY_NAMES:
        family = 2
    if len(parts) == 1:
        family = 0
    return " ".join([*parts[:family], *(_initial(p) for p in parts[family:])])


def is_minor(birth: date | None, on: date) -> bool:
    """Under ADULT_AGE on `on`; an unknown date of birth counts as a minor (nothing shows
    that the person is an adult)."""
    return birth is None or age_on(birth, on) < ADULT_AGE


def public_name(name: str, birth: date | None, *, full_names: bool, on: date) -> str:
    """The name a public ranking shows: masked unless the contest chose full names, and
    always masked for a minor on the ranking date `on`."""
    if (full_names and not is_minor(birth, on)) or name.startswith(DELETED_NAME):
        return name
    return mask_name(name)


def public_birth_year(year: int | None, today: date) -> int | None:
    """The year of birth the verification page may show: none for someone who may still be
    a minor (with the year alone, one who turns ADULT_AGE this year may not have yet)."""
    if year is None or today.year - year <= ADULT_AGE:
        return None
    return year


def public_ranking(ranked: list, *, full_names: bool, on: date) -> list:
    """A ranking (contests.ranking.Ranked) as anyone may see it: names made public in the
    entries and in the previous entries the tie-break explanation (`Ranked.why`) names."""

    def shown(e):
        if e is None:
            return None
        return e._replace(name=public_name(e.name, e.birth_date, full_names=full_names, on=on))

    return [r._replace(entry=shown(r.entry), previous=shown(r.previous)) for r in ranked]


def _born(entry: dict) -> date | None:
    born = entry.get("birth_date")  # absent from lists published before it was kept
    return date.fromisoformat(born) if born else None


def public_prizes(entries: list[dict], *, full_names: bool, on: date) -> list[dict]:
    """A published prize list (contests.results.prize_list) as anyone may see it: copies with
    the names made public, also inside the frozen explanation of each place ("why"), and no
    date of birth."""
    names = {
        e["name"]: public_name(e["name"], _born(e), full_names=full_names, on=on) for e in entries
    }
    out = []
    for e in entries:
        shown = {**e, "name": names[e["name"]], "birth_date": None}
        if "reason" in e:  # a message: the names are its parameters
            shown["reason"] = _names_shown(e["reason"], names)
        else:  # a list published before: the Vietnamese text
            why = e.get("why") or ""
            for full, public in sorted(names.items(), key=lambda kv: -len(kv[0])):
                why = why.replace(full, public)
            shown["why"] = why
        out.append(shown)
    return out


def _names_shown(data, names: dict[str, str]):
    """A stored message (`i18n.to_data`) with every parameter that is a listed name made
    public."""
    if isinstance(data, dict):
        return {k: _names_shown(v, names) for k, v in data.items()}
    if isinstance(data, list):
        return [_names_shown(v, names) for v in data]
    return names.get(data, data) if isinstance(data, str) else data
