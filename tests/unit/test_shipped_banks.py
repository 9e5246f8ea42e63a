"""Every shipped bank in question_banks/ loads cleanly and cites an in-force document."""

from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from quizapp.banks.parsers.native import dump_native, load_native
from quizapp.banks.validate import check_question

BANKS_DIR = Path(__file__).resolve().parents[2] / "question_banks"
BANK_FILES = sorted(BANKS_DIR.glob("*.yaml"))


def _summary(path: Path, bank) -> str:
    types = Counter(q.type.value for q in bank.questions)
    counts = ", ".join(f"{t}: {n}" for t, n in sorted(types.items()))
    return f"{path.name}: {len(bank.questions)} questions ({counts})"


def _shipped_rules(bank) -> list[str]:
    """The README's rules for shipped banks, one message per breach, with the line."""
    documents = {d.key: d for d in bank.documents}
    failures = []
    seen: dict[str, int] = {}
    for q in bank.questions:
        where = f"line {q.line} [{q.key}]"
        if not q.key:
            failures.append(f"{where}: no key")
        elif q.key in seen:
            failures.append(f"{where}: key also used at line {seen[q.key]}")
        else:
            seen[q.key] = q.line
        failures.extend(
            f"{where}: {p.render()}" for p in check_question(q) if p.severity == "error"
        )
        source = q.source
        if source is None:
            failures.append(f"{where}: no source")
            continue
        if not source.document:
            failures.append(f"{where}: source has no document")
        if not (source.article or source.page):
            failures.append(f"{where}: source has neither article nor page")
        if not source.quote.strip():
            failures.append(f"{where}: source has an empty quote")
        doc = documents.get(source.document)
        if source.document and doc is None:
            failures.append(f"{where}: unknown document {source.document}")
        elif doc is not None and doc.in_force_from is None:
            failures.append(f"{where}: document {doc.key} has no in_force_from")
    return failures


@pytest.mark.parametrize("path", BANK_FILES, ids=[p.name for p in BANK_FILES])
def test_shipped_bank(path: Path):
    bank = load_native(path.read_text(encoding="utf-8"))
    failures = [f"{path.name}:{p.line}: {p.render()}" for p in bank.errors]
    failures += [f"{path.name}: {f}" for f in _shipped_rules(bank)]
    assert bank.meta is not None, _summary(path, bank)
    assert not failures, _summary(path, bank) + "\n" + "\n".join(failures)


def test_bank_keys_are_unique_across_files():
    owners: dict[str, list[str]] = {}
    for path in BANK_FILES:
        bank = load_native(path.read_text(encoding="utf-8"))
        if bank.meta is not None:
            owners.setdefault(bank.meta.key, []).append(path.name)
    assert {k: v for k, v in owners.items() if len(v) > 1} == {}


@pytest.mark.parametrize("path", BANK_FILES, ids=[p.name for p in BANK_FILES])
def test_shipped_bank_survives_dump_and_reload(path: Path):
    bank = load_native(path.read_text(encoding="utf-8"))
    text = dump_native(bank)
    again = load_native(text)
    assert [replace(q, line=0) for q in again.questions] == [
        replace(q, line=0) for q in bank.questions
    ], _summary(path, bank)
    assert (again.documents, again.categories, again.meta) == (
        bank.documents,
        bank.categories,
        bank.meta,
    )
    assert dump_native(again) == text
