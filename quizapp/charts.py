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
