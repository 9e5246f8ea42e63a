"""Every shipped programme file loads, its checks draw from existing categories of the
shipped banks with enough in-force gradeable questions, and every lesson cites a source."""

from pathlib import Path

import pytest

from quizapp.banks.parsers.native import load_native
from quizapp.programmes.fileformat import load_programme

ROOT = Path(__file__).resolve().parents[2] / "question_banks"
PROGRAMME_FILES = sorted((ROOT / "programmes").glob("*.yaml"))
BANKS = {b.meta.key: b for b in (load_native(p.read_text("utf-8")) for p in ROOT.glob("*.yaml"))}


def _subtree(bank, keys):
    children = {}
    for c in bank.categories:
        children.setdefault(c.parent, []).append(c.key)
    out, todo = set(), list(keys)
    while todo:
        k = todo.pop()
        out.add(k)
        todo.extend(children.get(k, []))
    return out


def test_the_three_programmes_the_plans_ask_for_are_shipped():
    keys = {load_programme(p.read_text("utf-8"))[0].key for p in PROGRAMME_FILES}
    assert keys == {
        "ly-luan-chinh-tri-doan-vien-moi",
        "ky-nang-an-toan-thong-tin",
        "quy-tac-ung-xu-mang-xa-hoi",
    }


@pytest.mark.parametrize("path", PROGRAMME_FILES, ids=lambda p: p.name)
def test_programme_file(path):
    spec, problems = load_programme(path.read_text("utf-8"))
    assert problems == [] and spec is not None
    assert spec.lessons
    for lesson in spec.lessons:
        where = f"{path.name} line {lesson.line} [{lesson.key}]"
        bank = BANKS.get(lesson.check.bank)
        assert bank is not None, f"{where}: no bank {lesson.check.bank}"
        known = {c.key for c in bank.categories}
        assert set(lesson.check.categories) <= known, where
        in_force = {d.key for d in bank.documents if d.superseded_on is None}
        cats = _subtree(bank, lesson.check.categories)
        pool = [
            q
            for q in bank.questions
            if q.category in cats
            and q.type.value not in ("description", "essay")
            and q.source is not None
            and q.source.document in in_force
        ]
        # Split evenly between the categories, as the lesson's blueprint does.
        share, extra = divmod(lesson.check.questions, len(lesson.check.categories))
        for i, cat in enumerate(lesson.check.categories):
            need = share + (1 if i < extra else 0)
            have = sum(1 for q in pool if q.category in _subtree(bank, [cat]))
            assert have >= need, f"{where}: {cat} has {have} questions, needs {need}"
        assert len(lesson.content.split()) >= 150, f"{where}: lesson text too short"
        assert lesson.sources, f"{where}: no source"
        for source in lesson.sources:
            doc = spec.documents[source["document"]]
            assert doc.get("superseded_on") is None, f"{where}: cites a superseded text"
            assert source.get("quote"), f"{where}: a source without its quote"


def test_stale_sources_refuse_superseded_or_expired_documents():
    from datetime import date

    from quizapp.programmes.fileformat import stale_sources

    path = ROOT / "programmes" / "ly-luan-chinh-tri-doan-vien-moi.yaml"
    spec, problems = load_programme(path.read_text(encoding="utf-8"))
    assert spec is not None, problems
    charter = spec.documents["DLDOAN-XII"]
    assert stale_sources(spec, date(2026, 12, 4)) == ([], [])
    refused, late = stale_sources(spec, date(2027, 7, 1))  # after valid_until (2027-06-30)
    assert refused == []
    assert [(p.params["key"], p.params["doc"]) for p in late] == [("bai-5", "DLDOAN-XII")]
    charter["superseded_on"] = date(2026, 12, 1)
    gone, _ = stale_sources(spec, date(2026, 12, 4))
    assert [p.params["day"] for p in gone] == ["2026-12-01"]
    assert "superseded" in gone[0].message


def test_lesson_4_lists_the_seven_names_of_the_union():
    text = (ROOT / "programmes" / "ly-luan-chinh-tri-doan-vien-moi.yaml").read_text(
        encoding="utf-8"
    )
    for name in (
        "Đoàn Thanh niên Cộng sản Đông Dương",
        "Đoàn Thanh niên Dân chủ Đông Dương",
        "Đoàn Thanh niên Phản đế Đông Dương",
        "Đoàn Thanh niên Cứu quốc Việt Nam",
        "Đoàn Thanh niên Lao động Việt Nam",
        "Đoàn Thanh niên Lao động Hồ Chí Minh",
        "Đoàn Thanh niên Cộng sản Hồ Chí Minh",
    ):
        assert name in text
    assert "đang thực hiện" not in text
