"""HTML sanitisation and rendering of question texts to safe HTML."""

import html
import re

import nh3
from markdown_it import MarkdownIt

_TAGS = {
    "p",
    "br",
    "b",
    "strong",
    "i",
    "em",
    "u",
    "s",
    "sub",
    "sup",
    "ul",
    "ol",
    "li",
    "table",
    "thead",
    "tbody",
    "tfoot",
    "tr",
    "th",
    "td",
    "caption",
    "colgroup",
    "col",
    "code",
    "pre",
    "blockquote",
    "span",
    "img",
    "a",
    "hr",
    # Markdown emits headings; they carry no behaviour, so they are kept.
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
}
# Removed together with their content: their text is code or form data, never prose.
_DROP_WITH_CONTENT = {
    "script",
    "style",
    "iframe",
    "object",
    "embed",
    "template",
    "noscript",
    "textarea",
    "select",
    "title",
    "svg",
    "math",
    "frameset",
    "frame",
    "applet",
}
_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "col": {"span"},
    "colgroup": {"span"},
    "ol": {"start"},
}
# Only inline raster images: an external src would leak who reads the question (tracking
# pixel) and make the page depend on a third party; SVG is left out as it can carry script.
_DATA_IMAGE = re.compile(r"^data:image/(png|jpe?g|gif|webp);base64,[a-z0-9+/=\s]*$", re.I)
_LINK = re.compile(r"^(https?://[^/\s]|mailto:)", re.I)
_LINK_REL = "noopener noreferrer nofollow"


def _attribute_filter(tag: str, attr: str, value: str) -> str | None:
    if tag == "img" and attr == "src":
        return value if _DATA_IMAGE.match(value.strip()) else None
    if tag == "a" and attr == "href":
        return value if _LINK.match(value.strip()) else None
    return value


def clean_html(source: str) -> str:
    """Reduce `source` to an allow-list of formatting tags with no script and no external load."""
    return nh3.clean(
        source,
        tags=_TAGS,
        clean_content_tags=_DROP_WITH_CONTENT,
        attributes=_ATTRIBUTES,
        attribute_filter=_attribute_filter,
        url_schemes={"http", "https", "mailto", "data"},
        link_rel=_LINK_REL,
        strip_comments=True,
    )


_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})


def render_text(text: str, text_format: str = "plain") -> str:
    """Safe HTML for a question text stored in `text_format` (plain, markdown, html, moodle)."""
    if text_format == "markdown":
        return clean_html(_MARKDOWN.render(text)).strip()
    if text_format in ("html", "moodle"):
        return clean_html(text)
    return html.escape(text).replace("\r\n", "\n").replace("\n", "<br>\n")


def clean_question(q):
    """The question with every HTML field reduced to the allow-list, as stored on import and
    edit, so that no script, handler or external resource is ever kept (Markdown is rendered
    without raw HTML, and plain text is escaped when shown). Each item is cleaned by its own
    format (GIFT "[html]" on an answer of a plain question; "[plain]" on one of an HTML
    question is left as typed and escaped when shown)."""
    from dataclasses import replace

    def rich(fmt: str) -> bool:
        return fmt in ("html", "moodle")

    def clean(text: str, own: str = "") -> str:
        return clean_html(text) if text and rich(q.format_of(own)) else text

    def clean_own(text: str, own: str) -> str:
        """Items cleaned only when they carry their own HTML format (as before per-item
        formats, so stored versions keep their hash)."""
        return clean_html(text) if text and own and rich(own) else text

    shorts = q.short_feedback_formats or ("",) * len(q.short_feedback)
    return replace(
        q,
        text=clean(q.text),
        explanation=clean(q.explanation, q.explanation_format),
        choices=tuple(
            replace(
                c,
                text=clean(c.text, c.text_format),
                feedback=clean(c.feedback, c.feedback_format),
            )
            for c in q.choices
        ),
        feedback_true=clean(q.feedback_true, q.feedback_true_format),
        feedback_false=clean(q.feedback_false, q.feedback_false_format),
        pairs=tuple(replace(p, left=clean_own(p.left, p.left_format)) for p in q.pairs),
        numeric=tuple(
            replace(a, feedback=clean_own(a.feedback, a.feedback_format)) for a in q.numeric
        ),
        short_feedback=tuple(
            clean_own(f, own) for f, own in zip(q.short_feedback, shorts, strict=True)
        ),
    )
