"""PDF rendering with WeasyPrint, locked down: plain values in, no network, no files outside
the package's static folder (as indico's receipts do)."""

from __future__ import annotations

import base64
import io
import os
from functools import lru_cache

STATIC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "static")


@lru_cache(maxsize=1)
def _fetcher():
    """data: URIs and files under quizapp/static only; anything else is refused."""
    from urllib.request import url2pathname

    from weasyprint.urls import URLFetcher

    class LockedFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            if url.startswith("file:"):
                path = os.path.realpath(url2pathname(url.split("?")[0].removeprefix("file:")))
                if path.startswith(STATIC + os.sep):
                    return super().fetch(url, headers)
            raise ValueError(f"blocked resource: {url[:80]}")

    return LockedFetcher(allowed_protocols=("data", "file"), allow_redirects=False)


@lru_cache(maxsize=1)
def _fonts():
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()  # one per process: building it is the slow part


def html_to_pdf(html: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=html, base_url=STATIC + os.sep, url_fetcher=_fetcher()).write_pdf(
        font_config=_fonts()
    )


def qr_png_data_uri(text: str, box: int = 10) -> str:
    """A QR code (error correction M) as a PNG data: URI."""
    import qrcode

    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=box, border=4)
    qr.add_data(text)
    qr.make(fit=True)
    buf = io.BytesIO()
    qr.make_image(fill_color="black", back_color="white").save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
