"""Text folding, slugs, duplicate keys and HTML sanitisation."""

import pytest

from quizapp.banks.sanitize import clean_html, render_text
from quizapp.banks.textnorm import duplicate_key, fold, slug


def test_fold():
    assert fold("An ninh mạng ĐOÀN") == "an ninh mang doan"
    assert fold("  Điều\t8 \n khoản  1 ") == "dieu 8 khoan 1"
    assert fold("Cafe\u0301") == fold("Café") == "cafe"  # decomposed input folds the same


def test_slug_and_duplicate_key():
    assert slug("Chương I. Những quy định chung") == "chuong-i-nhung-quy-dinh-chung"
    assert slug("  --Đoàn  viên!! ") == "doan-vien"
    assert duplicate_key("Điều 8: «An ninh» mạng là gì?") == "dieu 8 an ninh mang la gi"
    assert duplicate_key("AN NINH MẠNG là gì ???") == duplicate_key("an ninh mang la gi")


@pytest.mark.parametrize(
    "dirty",
    [
        "<script>alert(1)</script>",
        '<img src="x" onerror="alert(1)">',
        '<a href="javascript:alert(1)">x</a>',
        '<img src="https://tracker.example/p.png">',
        '<img src="//tracker.example/p.png">',
        '<iframe src="https://example.com"></iframe>',
        '<form action="/x"><input name="a"></form>',
        "<style>body{display:none}</style>",
        '<p style="background:url(https://x)">',
        '<svg onload="alert(1)"></svg>',
    ],
)
def test_dangerous_markup_is_gone(dirty):
    out = clean_html(dirty)
    for bad in (
        "script",
        "onerror",
        "javascript",
        "https://",
        "//tracker",
        "iframe",
        "form",
        "input",
        "style",
        "svg",
        "onload",
        "alert",
    ):
        assert bad not in out


def test_safe_markup_is_kept():
    html = (
        "<p><b>a</b> <i>b</i> <u>c</u> x<sub>2</sub> <code>y</code></p>"
        '<table><tbody><tr><td colspan="2">t</td></tr></tbody></table><ul><li>l</li></ul>'
    )
    assert clean_html(html) == html
    assert 'src="data:image/png;base64,iVBORw0KGgo="' in clean_html(
        '<img src="data:image/png;base64,iVBORw0KGgo=" alt="">'
    )
    link = clean_html('<a href="https://thanhnien.vn/x" onclick="y()">ok</a>')
    assert link == '<a href="https://thanhnien.vn/x" rel="noopener noreferrer nofollow">ok</a>'
    assert "mailto:doan@example.vn" in clean_html('<a href="mailto:doan@example.vn">m</a>')


def test_render_text():
    assert render_text("a < b\nc", "plain") == "a &lt; b<br>\nc"
    md = render_text(
        "**đậm** <script>x</script> ![i](https://e.vn/a.png) [l](javascript:x)", "markdown"
    )
    assert "<strong>đậm</strong>" in md
    assert "<script>" not in md and "https://e.vn" not in md and 'href="javascript' not in md
    assert render_text('<p onclick="x">hi</p>', "html") == "<p>hi</p>"
    assert render_text("<b>x</b><script>1</script>", "moodle") == "<b>x</b>"
