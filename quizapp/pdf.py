"""PDF rendering with WeasyPrint, locked down: plain values in, no network, no files outside
the package's static folder (as indico's receipts do)."""

from __future__ import annotations

import base64
import io
import os
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from functools import lru_cache

STATIC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "static")


def locked_fetcher(roots: tuple[str, ...] = ()):
    """A URL fetcher for data: URIs and files under quizapp/static (and `roots`, e.g. the
    uploaded logos); anything else, the network included, is refused."""
    from urllib.request import url2pathname

    from weasyprint.urls import URLFetcher

    allowed = tuple(os.path.realpath(r) + os.sep for r in (STATIC, *roots))

    class LockedFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            if url.startswith("file:"):
                path = os.path.realpath(url2pathname(url.split("?")[0].removeprefix("file:")))
                if path.startswith(allowed):
                    return super().fetch(url, headers)
            raise ValueError(f"blocked resource: {url[:80]}")

    return LockedFetcher(allowed_protocols=("data", "file"), allow_redirects=False)


@lru_cache(maxsize=1)
def _fonts():
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()  # one per process: building it is the slow part


RENDER_TIMEOUT_S = 20
# WeasyPrint (cffi, harfbuzz, one FontConfiguration) is used from a single thread per
# process; requests wait for it with a time limit, so a pathological document cannot hold a
# request forever.
_renderer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="weasyprint")


class RenderTimeout(RuntimeError):
    """Rendering took longer than RENDER_TIMEOUT_S."""


def _render(html: str, roots: tuple[str, ...], options: dict) -> bytes:
    from weasyprint import HTML

    fetcher = locked_fetcher(roots)
    return HTML(string=html, base_url=STATIC + os.sep, url_fetcher=fetcher).write_pdf(
        font_config=_fonts(), **options
    )


def html_to_pdf(
    html: str, *, roots: tuple[str, ...] = (), timeout: float = RENDER_TIMEOUT_S, **options
) -> bytes:
    """Render `html` (plain values only) with the locked fetcher, within `timeout` seconds;
    `options` go to write_pdf (pdf_variant, attachments…)."""
    future = _renderer.submit(_render, html, roots, options)
    try:
        return future.result(timeout=timeout)
    except FutureTimeout as exc:
        raise RenderTimeout("PDF rendering took too long") from exc


def qr_png_data_uri(text: str, box: int = 10) -> str:
    """A QR code (error correction M) as a PNG data: URI."""
    import qrcode

    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=box, border=4)
    qr.add_data(text)
    qr.make(fit=True)
    buf = io.BytesIO()
    qr.make_image(fill_color="black", back_color="white").save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
