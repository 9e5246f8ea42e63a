"""Property tests: dump → parse is the identity for GIFT, native YAML and XLSX."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from quizapp.banks.core import (
    BankMeta,
    Category,
    Choice,
    Difficulty,
    Document,
    MatchPair,
    NumericAnswer,
    ParsedBank,
    QType,
    Question,
    Source,
    categories_for_path,
    category_key,
    merge_categories,
)
from quizapp.banks.parsers.gift import parse_gift
from quizapp.banks.parsers.gift_export import dump_gift
from quizapp.banks.parsers.native import load_native
from quizapp.banks.parsers.native_dump import dump_native
from quizapp.banks.parsers.xlsx import dump_xlsx, parse_xlsx, split_weights

# GIFT's control characters, brackets, %, backslash, underscores and Vietnamese letters are in
# on purpose: they are what escaping and the [format]/weight guards have to get right.
ALPHABET = "abcxyzABCT019 .,;:!?#=~{}[]%\\/_-'\"()ạăâđêôơưĐÁỹ\n"
SAFE = "abcxyzABC019 .-]ạăâđêôơưĐÁỹ"


def _clean(s: str) -> str:
    return "\n".join(line.strip() for line in s.strip().splitlines()).strip()


texts = (
    st.text(ALPHABET, min_size=1, max_size=25)
    .map(_clean)
    .filter(lambda s: bool(s) and "->" not in s)
)
maybe_texts = st.one_of(st.just(""), texts)
words = st.text(SAFE, min_size=1, max_size=12).map(str.strip).filter(bool)
keys = st.text("abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=10)
numbers = st.decimals(
    min_value=-10000, max_value=10000, places=3, allow_nan=False, allow_infinity=False
)
positive = st.decimals(min_value=0, max_value=100, places=2, allow_nan=False)
weights = st.decimals(min_value=-100, max_value=100, places=2, allow_nan=False)
CATEGORY_TITLES = ("Chương I", "Điều 2", "An ninh mạng", "Đoàn viên", "Tổng quát")
paths = st.lists(st.sampled_from(CATEGORY_TITLES), min_size=1, max_size=3, unique=True).map(tuple)


@st.composite
def single_choices(draw, allow_negative=True, allow_feedback=True):
    options = draw(st.lists(texts, min_size=2, max_size=6))
    right = draw(st.integers(0, len(options) - 1))
    wrong = st.sampled_from([Decimal(0), Decimal(-50), Decimal("-33.33")])
    out = []
    for i, text in enumerate(options):
        weight = Decimal(100) if i == right else (draw(wrong) if allow_negative else Decimal(0))
        feedback = draw(maybe_texts) if allow_feedback else ""
        out.append(Choice(text=text, weight=weight, feedback=feedback))
    return tuple(out)


@st.composite
def multi_choices(draw):
    options = draw(st.lists(texts, min_size=2, max_size=6))
    chosen = draw(st.lists(weights, min_size=len(options), max_size=len(options)))
    if all(w <= 0 for w in chosen):
        chosen[0] = Decimal(100)
    return tuple(
        Choice(text=t, weight=w, feedback=draw(maybe_texts))
        for t, w in zip(options, chosen, strict=True)
    )


@st.composite
def numeric_answers(draw):
    out = []
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["value", "range"]))
        weight = draw(st.sampled_from([Decimal(100), Decimal(50), Decimal("12.5")]))
        feedback = draw(maybe_texts)
        if kind == "value":
            tolerance = draw(st.decimals(min_value=0, max_value=100, places=2))
            out.append(
                NumericAnswer(
                    value=draw(numbers), tolerance=tolerance, weight=weight, feedback=feedback
                )
            )
        else:
            low, high = sorted([draw(numbers), draw(numbers)])
            out.append(NumericAnswer(min=low, max=high, weight=weight, feedback=feedback))
    if draw(st.booleans()):  # Moodle's catch-all can only come last
        out.append(NumericAnswer(weight=Decimal(0), feedback=draw(texts)))
    return tuple(out)


@st.composite
def short_fields(draw):
    answers = tuple(draw(st.lists(texts, min_size=1, max_size=4)))
    ws = tuple(draw(st.lists(positive, min_size=len(answers), max_size=len(answers))))
    fb = tuple(draw(st.lists(maybe_texts, min_size=len(answers), max_size=len(answers))))
    return {
        "short_answers": answers,
        "short_weights": () if all(w == 100 for w in ws) else ws,
        "short_feedback": fb if any(fb) else (),
    }


@st.composite
def type_fields(draw, qtype):
    if qtype is QType.SINGLE:
        return {"choices": draw(single_choices())}
    if qtype is QType.MULTI:
        return {"choices": draw(multi_choices())}
    if qtype is QType.TRUEFALSE:
        return {
            "answer": draw(st.booleans()),
            "feedback_true": draw(maybe_texts),
            "feedback_false": draw(maybe_texts),
        }
    if qtype is QType.SHORT:
        return draw(short_fields())
    if qtype is QType.NUMERIC:
        return {"numeric": draw(numeric_answers())}
    if qtype is QType.MATCHING:
        pairs = draw(
            st.lists(st.builds(MatchPair, left=texts, right=texts), min_size=2, max_size=4)
        )
        return {"pairs": tuple(pairs), "distractors": tuple(draw(st.lists(texts, max_size=2)))}
    return {}


@st.composite
def gift_questions(draw):
    qtype = draw(st.sampled_from(list(QType)))
    fields = draw(type_fields(qtype))
    explanation = "" if qtype is QType.DESCRIPTION else draw(maybe_texts)
    return Question(
        type=qtype,
        text=draw(texts),
        title=draw(maybe_texts),
        key=draw(st.none() | keys),
        text_format=draw(st.sampled_from(["moodle", "html", "plain", "markdown"])),
        explanation=explanation,
        tags=tuple(draw(st.lists(words, max_size=2))),
        **fields,
    )


def bank_with_paths(questions: list[Question], chosen_paths: list[tuple[str, ...] | None]):
    """Give each question the generated category of its path, in order of first use."""
    categories: list[Category] = []
    placed = []
    for q, path in zip(questions, chosen_paths, strict=True):
        if path:
            merge_categories(categories, categories_for_path(path))
        placed.append(replace(q, category=category_key(path) if path else None))
    return ParsedBank(questions=tuple(placed), categories=tuple(categories))


@st.composite
def gift_banks(draw):
    questions = draw(st.lists(gift_questions(), min_size=1, max_size=5))
    chosen = [draw(st.none() | paths) for _ in questions]
    return bank_with_paths(questions, chosen)


@st.composite
def native_banks(draw):
    doc_keys = draw(
        st.lists(st.sampled_from(["LANM2025", "LANM2018", "DL-DOAN"]), min_size=1, unique=True)
    )
    documents = tuple(
        Document(
            key=k,
            title=draw(texts),
            number=draw(st.sampled_from(["", "116/2025/QH15"])),
            issuer=draw(st.sampled_from(["", "Quốc hội"])),
            adopted_on=draw(st.none() | st.dates(date(1990, 1, 1), date(2030, 1, 1))),
            in_force_from=draw(st.dates(date(1990, 1, 1), date(2030, 1, 1))),
            superseded_on=draw(st.none() | st.dates(date(1990, 1, 1), date(2030, 1, 1))),
            superseded_by=draw(st.none() | st.sampled_from(doc_keys)),
            url=draw(st.none() | st.just("https://example.vn/van-ban")),
        )
        for k in doc_keys
    )
    categories = (Category("chuong-1", "Chương I"), Category("dieu-2", "Điều 2", "chuong-1"))
    questions = []
    for index, base in enumerate(draw(st.lists(gift_questions(), min_size=1, max_size=5))):
        source = draw(
            st.none()
            | st.builds(
                Source,
                document=st.sampled_from(doc_keys),
                article=maybe_texts,
                clause=maybe_texts,
                page=maybe_texts,
                quote=maybe_texts,
                see_also=st.lists(st.sampled_from(doc_keys), max_size=2).map(tuple),
            )
        )
        questions.append(
            replace(
                base,
                key=f"q-{index}",
                category=draw(st.sampled_from(["chuong-1", "dieu-2"])),
                text_format=draw(st.sampled_from(["plain", "markdown", "html"])),
                difficulty=draw(st.sampled_from(list(Difficulty))),
                mark=draw(st.decimals(min_value=0, max_value=10, places=2)),
                source=source,
                case_sensitive=draw(st.booleans()) if base.type is QType.SHORT else False,
                accent_sensitive=draw(st.booleans()) if base.type is QType.SHORT else False,
            )
        )
    meta = BankMeta(
        key="bank-1",
        title=draw(texts),
        description=draw(maybe_texts),
        language=draw(st.sampled_from(["vi", "en"])),
    )
    return ParsedBank(
        questions=tuple(questions), categories=categories, documents=documents, meta=meta
    )


@st.composite
def xlsx_questions(draw):
    qtype = draw(st.sampled_from([QType.SINGLE, QType.MULTI, QType.TRUEFALSE]))
    fields: dict = {}
    if qtype is QType.SINGLE:
        fields["choices"] = draw(single_choices(allow_negative=False, allow_feedback=False))
    elif qtype is QType.MULTI:
        options = draw(st.lists(texts, min_size=2, max_size=6))
        right = sorted(draw(st.sets(st.integers(0, len(options) - 1), min_size=1)))
        wrong = [i for i in range(len(options)) if i not in right]
        w = dict(zip(right, split_weights(Decimal(100), len(right)), strict=True))
        w |= dict(zip(wrong, split_weights(Decimal(-100), len(wrong)), strict=True))
        fields["choices"] = tuple(Choice(t, w[i]) for i, t in enumerate(options))
    else:
        fields["answer"] = draw(st.booleans())
    source = draw(
        st.none() | st.builds(Source, document=texts, article=maybe_texts, quote=maybe_texts)
    )
    return Question(
        type=qtype,
        text=draw(texts),
        explanation=draw(maybe_texts),
        difficulty=draw(st.sampled_from(list(Difficulty))),
        tags=tuple(draw(st.lists(words, max_size=3))),
        source=source,
        **fields,
    )


@st.composite
def xlsx_banks(draw):
    questions = draw(st.lists(xlsx_questions(), min_size=1, max_size=4))
    chosen = [draw(st.none() | paths) for _ in questions]
    return bank_with_paths(questions, chosen)


SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def without_lines(bank: ParsedBank) -> tuple:
    return tuple(replace(q, line=0) for q in bank.questions)


def errors(bank: ParsedBank) -> list[str]:
    return [p.render() for p in bank.problems if p.severity == "error"]


@SETTINGS
@given(gift_banks())
def test_gift_dump_then_parse_is_identity(bank):
    text = dump_gift(bank)
    parsed = parse_gift(text)
    assert without_lines(parsed) == bank.questions, text
    assert parsed.categories == bank.categories
    assert not [p for p in parsed.problems if "brace" in p.message or "format" in p.message]
    assert dump_gift(parsed) == text


@SETTINGS
@given(native_banks())
def test_native_dump_then_load_is_identity(bank):
    text = dump_native(bank)
    loaded = load_native(text)
    assert without_lines(loaded) == bank.questions, text
    assert loaded.categories == bank.categories
    assert loaded.documents == bank.documents
    assert loaded.meta == bank.meta
    assert dump_native(loaded) == text  # deterministic: a second dump is byte-identical
    structural = [e for e in errors(loaded) if "Unknown" in e or "required" in e]
    assert structural == []


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(xlsx_banks())
def test_xlsx_dump_then_parse_is_identity(bank):
    parsed = parse_xlsx(dump_xlsx(bank))
    assert errors(parsed) == []
    assert without_lines(parsed) == bank.questions
    assert parsed.categories == bank.categories


NOISE = "abT F{}=~#:%->\\.[]/$CATEGORY\n 019_"


@settings(max_examples=200, deadline=None)
@given(st.text(NOISE, max_size=60))
@example("{->}")  # a short answer "->" once came back as a broken matching question
def test_gift_never_raises_and_its_export_is_a_fixed_point(text):
    once = dump_gift(parse_gift(text))
    assert dump_gift(parse_gift(once)) == once


@settings(max_examples=200, deadline=None)
@given(st.text("abcdefkeytypquon: -[]{}\n'\"12.:#&*!|>", max_size=80))
def test_native_never_raises_on_malformed_yaml(text):
    bank = load_native(text)
    assert all(p.line is None or p.line >= 1 for p in bank.problems)
