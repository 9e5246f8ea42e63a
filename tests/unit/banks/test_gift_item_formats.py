"""GIFT per-item text formats, field by field as Moodle's own GIFT tests expect them
(question/format/gift/tests/giftformat_test.php): each answer, feedback, general feedback
and matching item keeps its own [html] / [plain] / [markdown] / [moodle], defaulting to the
question text's; it is rendered in its format and written back by the export."""

from decimal import Decimal

from quizapp.banks.core import Choice, MatchPair, QType
from quizapp.banks.core import Question as Q
from quizapp.banks.parsers.gift import parse_gift
from quizapp.banks.parsers.gift_export import dump_question
from quizapp.banks.sanitize import clean_question, render_text
from quizapp.banks.serial import from_dict, to_dict, version_hash
from quizapp.contests.display import display


def one(text: str) -> Q:
    bank = parse_gift(text)
    assert len(bank.questions) == 1, [p.render() for p in bank.problems]
    return bank.questions[0]


def formats(q: Q, items) -> list[tuple[str, str]]:
    """(text, effective format) of each item, as Moodle's arrays list them."""
    return [(text, q.format_of(own)) for text, own in items]


def test_import_match():  # giftformat_test::test_import_match
    q = one(
        "// question: 2  name: Moodle activities\n"
        "::Moodle activities::[html]Match the <b>activity</b> to the description.{\n"
        "    =[html]An activity supporting asynchronous discussions. -> Forum\n"
        "    =[moodle]A teacher asks a question and specifies a choice of multiple responses."
        " -> Choice\n"
        "    =[plain]A bank of record entries which participants can add to. -> Database\n"
        "    =[markdown]A collection of web pages that anyone can add to or edit. -> Wiki\n"
        "    = -> Chat\n"
        "}"
    )
    assert (q.text, q.text_format) == ("Match the <b>activity</b> to the description.", "html")
    assert (q.explanation, q.format_of(q.explanation_format)) == ("", "html")
    assert formats(q, [(p.left, p.left_format) for p in q.pairs]) == [
        ("An activity supporting asynchronous discussions.", "html"),
        ("A teacher asks a question and specifies a choice of multiple responses.", "moodle"),
        ("A bank of record entries which participants can add to.", "plain"),
        ("A collection of web pages that anyone can add to or edit.", "markdown"),
    ]
    assert [p.right for p in q.pairs] == ["Forum", "Choice", "Database", "Wiki"]
    assert q.distractors == ("Chat",)  # Moodle's fifth, empty subquestion


def test_import_multichoice():  # giftformat_test::test_import_multichoice
    q = one(
        "// multiple choice with specified feedback for right and wrong answers\n"
        "::Q2:: What's between orange and green in the spectrum?\n"
        "{\n"
        "    =yellow # right; good!\n"
        "    ~red # [html]wrong, it's yellow\n"
        "    ~[plain]blue # wrong, it's yellow\n"
        "}"
    )
    assert (q.type, q.text_format) == (QType.SINGLE, "moodle")
    assert formats(q, [(c.text, c.text_format) for c in q.choices]) == [
        ("yellow", "moodle"),
        ("red", "moodle"),
        ("blue", "plain"),
    ]
    assert [c.weight for c in q.choices] == [100, 0, 0]
    assert formats(q, [(c.feedback, c.feedback_format) for c in q.choices]) == [
        ("right; good!", "moodle"),
        ("wrong, it's yellow", "html"),
        ("wrong, it's yellow", "moodle"),
    ]


def test_import_multichoice_multi():  # giftformat_test::test_import_multichoice_multi
    q = one(
        "::colours:: What's between orange and green in the spectrum?\n"
        "{\n"
        "    ~%50%yellow # right; good!\n"
        "    ~%-100%red # [html]wrong\n"
        "    ~%50%off-beige # right; good!\n"
        "    ~%-100%[plain]blue # wrong\n"
        "}"
    )
    assert q.type is QType.MULTI
    assert formats(q, [(c.text, c.text_format) for c in q.choices]) == [
        ("yellow", "moodle"),
        ("red", "moodle"),
        ("off-beige", "moodle"),
        ("blue", "plain"),
    ]
    assert [c.weight for c in q.choices] == [50, -100, 50, -100]
    assert formats(q, [(c.feedback, c.feedback_format) for c in q.choices]) == [
        ("right; good!", "moodle"),
        ("wrong", "html"),
        ("right; good!", "moodle"),
        ("wrong", "moodle"),
    ]


def test_import_shortanswer_with_general_feedback():  # giftformat_test, same name
    q = one(
        "::Shortanswer::Which is the best animal?{\n"
        "    =Frog#Good!\n"
        "    =%50%Cat#What is it with Moodlers and cats?\n"
        "    =%0%*#Completely wrong\n"
        "    ####[html]Here is some general feedback!\n"
        "}"
    )
    assert (q.explanation, q.format_of(q.explanation_format)) == (
        "Here is some general feedback!",
        "html",
    )
    assert q.short_answers == ("Frog", "Cat", "*")
    assert q.short_weights == (100, 50, 0)
    assert q.short_feedback == ("Good!", "What is it with Moodlers and cats?", "Completely wrong")
    assert q.short_feedback_formats == ()  # all the question text's (moodle)


def test_truefalse_feedbacks_and_numeric_feedback_keep_their_formats():
    q = one("::Q1:: 42 is the Absolute Answer.{FALSE#[html]42 is <b>the</b> one.#[plain]<right>}")
    wrong = ("42 is <b>the</b> one.", "html")
    assert (q.feedback_true, q.format_of(q.feedback_true_format)) == wrong
    assert (q.feedback_false, q.format_of(q.feedback_false_format)) == ("<right>", "plain")
    n = one("::Q5:: A number from 1 to 5? {#3:2#[markdown]*close*~#Completely wrong}")
    assert [(a.feedback, n.format_of(a.feedback_format)) for a in n.numeric] == [
        ("*close*", "markdown"),
        ("Completely wrong", "moodle"),
    ]


def test_export_writes_each_items_own_format_as_moodle_does():
    # giftformat_test::test_export_multichoice, test_export_truefalse,
    # test_export_shortanswer_with_general_feedback and test_export_match
    mc = Q(
        type=QType.SINGLE,
        text="What's between orange and green in the spectrum?",
        text_format="moodle",
        choices=(
            Choice("yellow", Decimal(100), "right; good!"),
            Choice("red", Decimal(0), "wrong, it's yellow", feedback_format="html"),
            Choice("blue", Decimal(0), "wrong, it's yellow", text_format="plain"),
        ),
    )
    out = dump_question(mc)
    assert "=yellow#right; good!" in out
    assert "~red#[html]wrong, it's yellow" in out
    assert "~[plain]blue#wrong, it's yellow" in out
    tf = Q(
        type=QType.TRUEFALSE,
        text="42 is the Absolute Answer to everything.",
        text_format="moodle",
        answer=True,
        feedback_true="You gave the right answer.",
        feedback_false="42 is the Ultimate Answer.",
        feedback_false_format="html",
    )
    assert dump_question(tf).endswith(
        "{TRUE#[html]42 is the Ultimate Answer.#You gave the right answer.}"
    )
    short = one("Which is the best animal?{=Frog#Good! ####[html]Here is some general feedback!}")
    assert "####[html]Here is some general feedback!" in dump_question(short)
    match = Q(
        type=QType.MATCHING,
        text="Match the <b>activity</b> to the description.",
        text_format="html",
        pairs=(
            MatchPair("An activity supporting asynchronous discussions.", "Forum"),
            MatchPair("A teacher asks a question.", "Choice", "moodle"),
            MatchPair("A bank of record entries.", "Database", "plain"),
        ),
        distractors=("Chat",),
    )
    out = dump_question(match)
    assert "=An activity supporting asynchronous discussions. -> Forum" in out
    assert "=[moodle]A teacher asks a question. -> Choice" in out
    assert "=[plain]A bank of record entries. -> Database" in out
    assert "= -> Chat" in out
    for q in (mc, tf, short, match):  # and reading the export back gives every format again
        assert one(dump_question(q)) == one(dump_question(one(dump_question(q))))
        back = one(dump_question(q))
        assert (back.choices, back.pairs, back.explanation_format) == (
            q.choices,
            q.pairs,
            q.explanation_format,
        )
        assert (back.feedback_true_format, back.feedback_false_format) == (
            q.feedback_true_format,
            q.feedback_false_format,
        )


def test_stored_rendered_and_sanitised_by_each_items_format():
    q = one(
        "Which tag is bold?{=[html]<b>bold</b> <script>x()</script> ~[plain]<i>italic</i>"
        " ~[markdown]**strong**}"
    )
    # stored and read back with its formats; a question without own formats hashes as before
    assert from_dict(to_dict(q)) == q.__class__(**{**q.__dict__, "line": 0, "category": None})
    plain = one("Which tag is bold?{=<b>bold</b> ~<i>italic</i> ~**strong**}")
    assert "text_format" not in to_dict(plain)["choices"][0]
    assert version_hash(plain) != version_hash(q)
    # cleaned by its own format: the script goes, the plain text is kept as typed
    cleaned = clean_question(q)
    assert "<script>" not in cleaned.choices[0].text
    assert cleaned.choices[1].text == "<i>italic</i>"
    # the quiz page renders each option in its own format
    shown = display(cleaned, 1, [0, 1, 2])
    rendered = [render_text(t, f) for t, f in zip(shown.options, shown.option_formats, strict=True)]
    assert rendered[0].startswith("<b>bold</b>")
    assert rendered[1] == "&lt;i&gt;italic&lt;/i&gt;"
    assert rendered[2] == "<p><strong>strong</strong></p>"


def test_native_yaml_keeps_the_item_formats_so_its_reimport_changes_nothing():
    from quizapp.banks.core import BankMeta, Category, ParsedBank
    from quizapp.banks.parsers.native import load_native
    from quizapp.banks.parsers.native_dump import dump_native

    gift = (
        "::m::[html]Nối <b>cột</b>{=[plain]<a> -> A =[markdown]**b** -> B ####[plain]<x>}\n\n"
        "::t::Đúng hay sai?{TRUE#[html]<i>sai</i>#[markdown]*đúng*}\n\n"
        "::s::Thủ đô?{=Hà Nội#[html]<b>đúng</b> =%50%Hanoi#gần đúng}\n\n"
        "::n::Bao nhiêu?{#3:1#[markdown]*gần* ~#[html]<i>sai</i>}\n\n"
        "::c::Chọn{=[html]<b>a</b>#[plain]<ok> ~b}"
    )
    parsed = parse_gift(gift)
    assert parsed.ok, [p.render() for p in parsed.problems]
    keyed = tuple(
        q.__class__(**{**q.__dict__, "key": q.title, "category": "c1"}) for q in parsed.questions
    )
    bank = ParsedBank(
        questions=keyed, categories=(Category("c1", "Chương I"),), meta=BankMeta("thu", "Thử")
    )
    back = load_native(dump_native(bank))
    assert back.ok, [p.render() for p in back.problems]
    for q, r in zip(keyed, back.questions, strict=True):
        assert version_hash(r) == version_hash(q), q.title
