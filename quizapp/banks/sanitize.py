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
    without raw HTML, and plain text is escaped when shown)."""
    from dataclasses import replace

    if q.text_format not in ("html", "moodle"):
        return q
    return replace(
        q,
        text=clean_html(q.text),
        explanation=clean_html(q.explanation),
        choices=tuple(
            replace(c, text=clean_html(c.text), feedback=clean_html(c.feedback)) for c in q.choices
        ),
        feedback_true=clean_html(q.feedback_true),
        feedback_false=clean_html(q.feedback_false),
    )
