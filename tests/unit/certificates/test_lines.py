"""Certificate texts cut into balanced lines (quizapp/certificates/render.py), since
WeasyPrint has no `text-wrap: balance`: no word or year alone on a last line."""

from quizapp.certificates.render import balanced_lines


def test_short_text_stays_on_one_line():
    assert balanced_lines("Tuần thi thứ 3", 80) == ["Tuần thi thứ 3"]
    assert balanced_lines("", 80) == []


def test_long_text_is_cut_into_lines_of_nearly_equal_length():
    body = (
        "Đã hoàn thành chương trình học tập “Bồi dưỡng kỹ năng chuyển đổi số cho cán bộ "
        "Đoàn cơ sở năm 2026”"
    )
    lines = balanced_lines(body, 88)
    assert len(lines) == 2 and " ".join(lines) == body
    assert abs(len(lines[0]) - len(lines[1])) < 10
    assert lines[-1].endswith("năm 2026”") and len(lines[-1].split()) > 3


def test_every_line_within_the_width_when_words_allow():
    text = " ".join(["Đoàn viên"] * 30)
    lines = balanced_lines(text, 40)
    assert " ".join(lines) == text and all(len(line) <= 44 for line in lines)
    assert len(lines) == -(-len(text) // 40)


def test_a_single_long_word_is_left_whole():
    assert balanced_lines("x" * 200, 80) == ["x" * 200]
