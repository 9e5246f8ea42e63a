"""The Vietnamese catalogue is complete: every message in code and templates is translated."""

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "_l": None,
    "N_": None,
    "Message": (1,),  # i18n.Message(msgid, **params)
    "lazy_gettext": None,
}
PLACEHOLDER = re.compile(r"%\(\w+\)s")


def _extracted() -> set[str]:
    found = set()
    for sub, method in (("quizapp", "python"), ("templates", "jinja2")):
        for _f, _l, msg, _c, _ctx in extract_from_dir(
            ROOT / sub,
            method_map=[("**.py", "python")] if method == "python" else [("**.html", "jinja2")],
            keywords=KEYWORDS,
        ):
            found.add(msg[0] if isinstance(msg, tuple) else msg)
    return found


def test_every_message_has_a_vietnamese_translation():
    with open(ROOT / "quizapp/translations/vi/LC_MESSAGES/messages.po", "rb") as fh:
        catalog = read_po(fh)
    missing = sorted(m for m in _extracted() if m and m not in catalog)
    assert missing == [], f"not in the catalogue (run `make translations`): {missing}"
    bad = [
        m.id
        for m in catalog
        if m.id and (m.fuzzy or not m.string or (isinstance(m.string, tuple) and not all(m.string)))
    ]
    assert bad == [], f"untranslated or fuzzy: {bad}"


def test_placeholders_are_kept():
    with open(ROOT / "quizapp/translations/vi/LC_MESSAGES/messages.po", "rb") as fh:
        catalog = read_po(fh)
    for m in catalog:
        if not m.id:
            continue
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        want = set(PLACEHOLDER.findall(ids[-1]))
        for s in strings:
            assert set(PLACEHOLDER.findall(s)) == want, (m.id, s)
