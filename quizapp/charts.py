"""Small SVG charts drawn on the server (no script, escaped labels): line charts of
progress over time and horizontal bars of actual against target (pure)."""

from __future__ import annotations

from markupsafe import Markup, escape


def line_chart(
    series: list[tuple[str, float]],
    *,
    width: int = 360,
    height: int = 140,
    title: str = "",
    target: float | None = None,
    suffix: str = "",
) -> Markup:
    """A line through the points, the last value labelled, an optional dashed target."""
    top = max([v for _, v in series] + [target or 0, 1])
    n = len(series)
    parts = [
        f'<svg viewBox="0 0 {width} {height + 30}" role="img" aria-label="{escape(title)}" '
        f'class="chart" xmlns="http://www.w3.org/2000/svg">'
    ]
    if target is not None:
        y = height - height * target / top
        parts.append(
            f'<line x1="0" x2="{width}" y1="{y:.1f}" y2="{y:.1f}" stroke="#b3261e" '
            f'stroke-dasharray="4 3"/>'
        )
    if n:
        step = width / max(1, n - 1)
        points = " ".join(
            f"{i * step:.1f},{height - height * v / top:.1f}" for i, (_, v) in enumerate(series)
        )
        parts.append(f'<polyline points="{points}" fill="none" stroke="#0b57d0" stroke-width="2"/>')
        for i in sorted({0, n - 1}):
            label, value = series[i]
            anchor = "start" if i == 0 else "end"
            parts.append(
                f'<text x="{i * step:.1f}" y="{height + 14}" font-size="10" '
                f'text-anchor="{anchor}">{escape(label)}</text>'
            )
        last = series[-1][1]
        shown = f"{last:g}{suffix}"
        parts.append(
            f'<text x="{width - 2}" y="{max(12, height - height * last / top - 6):.1f}" '
            f'font-size="11" text-anchor="end">{escape(shown)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every label above is escaped


def target_bar(
    actual: float | None, target: float | None, *, top: float = 100.0, title: str = ""
) -> Markup:
    """A horizontal bar of the actual value with the target as a dark tick (percentages by
    default; pass `top` for numbers)."""
    width, height = 240, 18
    top = max(top, actual or 0, target or 0, 1)
    parts = [
        f'<svg viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="{escape(title)}" class="bar" xmlns="http://www.w3.org/2000/svg">',
        f'<rect x="0" y="3" width="{width}" height="{height - 6}" fill="#e3e3e3"/>',
    ]
    if actual is not None:
        parts.append(
            f'<rect x="0" y="3" width="{width * actual / top:.1f}" height="{height - 6}" '
            f'fill="#0b57d0"/>'
        )
    if target is not None:
        x = min(width - 1.5, width * target / top)
        parts.append(f'<rect x="{x:.1f}" y="0" width="3" height="{height}" fill="#1f1f1f"/>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - the only text is the escaped title
