"""Where a `next` parameter may send the browser: only back into this site.

One rule for every redirect that takes its target from the request (`/login?next=`, the
language switch, "back to where I was"): a relative path on this site, or the default."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

_MAX_LENGTH = 2000


def _looks_local(path: str) -> bool:
    if not path.startswith("/") or path.startswith("//") or "\\" in path:
        return False
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in path):
        return False
    parts = urlsplit(path)
    return not parts.scheme and not parts.netloc


def safe_next(target: str | None, default: str) -> str:
    """`target` when it is a same-site relative path, else `default`.

    Rejected: absolute and scheme-relative URLs (`//evil`, `/\\evil`), backslashes, control
    characters (a tab or CR/LF would be dropped or split by the browser), and any of these
    hidden behind percent-encoding, however many times encoded."""
    if not target or len(target) > _MAX_LENGTH:
        return default
    seen = target
    for _ in range(4):  # "%252F" is "%2F" is "/": check every decoding a browser could make
        if not _looks_local(seen):
            return default
        decoded = unquote(seen)
        if decoded == seen:
            return target
        seen = decoded
    return default


def same_site_referrer(referrer: str | None, host: str, default: str) -> str:
    """The path of a Referer that came from this site (for "back to the list"), else default."""
    if not referrer:
        return default
    parts = urlsplit(referrer)
    if parts.netloc != host:
        return default
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return safe_next(path, default)
