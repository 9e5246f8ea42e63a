"""The native format's `verified` / `verified_note` fields, and that they leave the hash alone."""

from dataclasses import replace
from pathlib import Path

import yaml

from quizapp.banks.core import Verified
from quizapp.banks.parsers.native import dump_native, load_native

HEAD = """format: quizapp-bank/1
bank: {key: b, title: B}
categories: [{key: c, title: C}]
questions:
  - key: q1
    category: c
    type: truefalse
    text: Đoàn được thành lập ngày 26/3/1931.
    answer: true
"""
BANKS = Path(__file__).resolve().parents[3] / "question_banks"


def test_verified_read_with_note_and_round_trips():
    bank = load_native(HEAD + "    verified: text\n    verified_note: '\"…\" (Điều 1)'\n")
    assert bank.ok, [p.render() for p in bank.problems]
    q = bank.questions[0]
    assert q.verified is Verified.TEXT and q.verified_note == '"…" (Điều 1)'
    again = load_native(dump_native(bank)).questions[0]
    assert (again.verified, again.verified_note) == (q.verified, q.verified_note)


def test_missing_field_means_unverified_and_keeps_the_fingerprint():
    plain = load_native(HEAD).questions[0]
    assert plain.verified is Verified.UNVERIFIED
    checked = replace(plain, verified=Verified.SECONDARY, verified_note="Báo Nhân Dân")
    assert checked.content_hash() == plain.content_hash()


def test_bad_value_rejected_with_line():
    bank = load_native(HEAD + "    verified: maybe\n")
    errors = [p for p in bank.errors if "verification" in p.message]
    assert errors and errors[0].line == 10 and errors[0].question == "q1"
    assert errors[0].params == {"value": "maybe"}


def test_text_without_note_rejected():
    bank = load_native(HEAD + "    verified: secondary\n")
    assert any("verified_note" in p.message and p.line == 10 for p in bank.errors)


def test_every_shipped_question_says_how_its_key_was_confirmed():
    missing = []
    for path in sorted(BANKS.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for q in data["questions"]:
            if q.get("verified") not in ("text", "secondary", "unverified"):
                missing.append(f"{path.name}: {q.get('key')}: no verified")
            elif not q.get("verified_note"):
                missing.append(f"{path.name}: {q.get('key')}: no verified_note")
    assert missing == []
