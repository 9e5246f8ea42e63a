"""Certificate PDFs: A4 landscape, PDF/A-3b with the signed credential attached, cached on
disk and re-served without rendering again."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

from flask import render_template
from flask_babel import force_locale

from quizapp.certificates.models import Certificate
from quizapp.ops import metrics
from quizapp.pdf import html_to_pdf, qr_png_data_uri


def verification_url(base_url: str, code: str) -> str:
    return f"{base_url.rstrip('/')}/v/{code}"


def balanced_lines(text: str, width: int) -> list[str]:
    """`text` cut at spaces into as few lines of at most about `width` characters as it
    needs, of nearly equal length: no word or year left alone on a last line (WeasyPrint
    has no `text-wrap: balance`). A line the estimate made too long still wraps."""
    words = (text or "").split()
    total = len(" ".join(words))
    count = -(-total // width) if width > 0 else 1
    if count <= 1 or len(words) < 2:
        return [" ".join(words)] if words else []
    ends, at = [], 0  # the position after each word
    for w in words:
        at += len(w) + (1 if ends else 0)
        ends.append(at)
    cuts, start = [], 0
    for k in range(1, count):
        goal = total * k / count
        best = min(range(start, len(words) - 1), key=lambda i: abs(ends[i] - goal), default=None)
        if best is None:
            break
        cuts.append(best + 1)
        start = best + 1
    bounds = [0, *cuts, len(words)]
    return [" ".join(words[a:b]) for a, b in zip(bounds, bounds[1:], strict=False) if a < b]


def unit_images(uploads: str, unit_id: int) -> dict[str, str]:
    """file: URIs of the issuer unit's uploaded logo and seal/signature, when present."""
    folder = Path(uploads) / "units" / str(unit_id)
    return {
        name: (folder / f"{name}.png").resolve().as_uri()
        for name in ("logo", "seal")
        if (folder / f"{name}.png").is_file()
    }


def certificate_html(cert: Certificate, *, base_url: str, uploads: str) -> str:
    url = verification_url(base_url, cert.code)
    a = cert.achievement
    issued = date.fromisoformat(a["date"]) if a.get("date") else cert.issued_at.date()
    with force_locale("vi"):  # a Vietnamese document whatever the organiser's UI language
        return render_template(
            f"certificates/{cert.layout}.html",
            cert=cert,
            a=a,
            url=url,
            qr=qr_png_data_uri(url, box=8),
            issued=issued,
            images=unit_images(uploads, cert.issuer_unit_id),
            balance=balanced_lines,
        )


def render_certificate(cert: Certificate, *, base_url: str, uploads: str) -> bytes:
    """The PDF/A-3b, with the compact JWS embedded as `credential.jwt` (bounded in time)."""
    from weasyprint import Attachment

    metrics.CERTIFICATE_RENDERS.inc()
    html = certificate_html(cert, base_url=base_url, uploads=uploads)
    attachment = Attachment(
        string=cert.jws,
        name="credential.jwt",
        description="Verifiable Credential (JWS, EdDSA)",
        relationship="Data",
    )
    return html_to_pdf(html, roots=(uploads,), pdf_variant="pdf/a-3b", attachments=[attachment])


def cached_certificate(cert: Certificate, *, base_url: str, uploads: str, cache: str) -> Path:
    """Path of the cached PDF, rendered once per code and template version."""
    folder = Path(cache)
    images = unit_images(uploads, cert.issuer_unit_id)
    # A new logo or seal renders anew too: their modification times are part of the name.
    stamp = sum(int(Path(uri.removeprefix("file://")).stat().st_mtime) for uri in images.values())
    path = folder / f"{cert.code}-t{cert.template_version}-b{stamp}.pdf"
    if not path.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        data = render_certificate(cert, base_url=base_url, uploads=uploads)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)  # atomic: a reader never sees half a file
    return path
