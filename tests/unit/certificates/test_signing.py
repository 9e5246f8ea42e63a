"""Signing: Ed25519 compact JWS, tampering, unknown keys, rotation, codes; the PDF fetcher."""

import pytest

from quizapp.certificates.credential import new_code
from quizapp.certificates.signing import (
    KeyStore,
    VerificationError,
    b64url,
    b64url_decode,
    sign_jws,
    verify_jws,
)
from tests.conftest import NOW


def test_sign_and_verify(tmp_path):
    store = KeyStore(tmp_path / "keys", now=lambda: NOW)
    token = sign_jws({"name": "Nguyễn Thị Hồng Nhung", "n": 1}, store.current())
    assert verify_jws(token, store.jwks()) == {"name": "Nguyễn Thị Hồng Nhung", "n": 1}
    assert (tmp_path / "keys").stat().st_mode & 0o077 == 0  # the folder is private


def test_one_changed_byte_fails(tmp_path):
    store = KeyStore(tmp_path, now=lambda: NOW)
    token = sign_jws({"name": "Đặng Hữu Phước"}, store.current())
    head, body, sig = token.split(".")
    forged_body = b64url(b64url_decode(body).replace("Phước".encode(), b"Phuoc"))
    raw_sig = bytearray(b64url_decode(sig))
    raw_sig[0] ^= 1
    for bad in (
        f"{head}.{forged_body}.{sig}",
        f"{head}.{body}.{b64url(bytes(raw_sig))}",
        token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1],
        "abc",
        "",
    ):
        with pytest.raises(VerificationError):
            verify_jws(bad, store.jwks())


def test_rotation_keeps_old_keys_published(tmp_path):
    store = KeyStore(tmp_path, now=lambda: NOW)
    old = sign_jws({"v": 1}, store.current())
    store.rotate()
    new = sign_jws({"v": 2}, store.current())
    jwks = store.jwks()
    assert len(jwks["keys"]) == 2 and all(k["kty"] == "OKP" for k in jwks["keys"])
    assert verify_jws(old, jwks) == {"v": 1} and verify_jws(new, jwks) == {"v": 2}
    other = KeyStore(tmp_path / "other", now=lambda: NOW)
    with pytest.raises(VerificationError):  # a key the site never published
        verify_jws(sign_jws({"v": 3}, other.current()), jwks)


def test_codes_carry_128_bits_and_never_repeat():
    codes = {new_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(len(c) == 26 and c.isalnum() and c == c.lower() for c in codes)


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://example.com/x.png",
        "https://127.0.0.1/logo.png",
        "file:///work/../etc/hosts",
    ],
)
def test_pdf_fetcher_refuses_files_outside_static_and_the_network(url):
    from quizapp.pdf import locked_fetcher

    with pytest.raises(ValueError):
        locked_fetcher().fetch(url)


def test_pdf_fetcher_serves_static_and_data():
    from pathlib import Path

    from quizapp.pdf import STATIC, locked_fetcher

    css = Path(STATIC, "css", "app.css").resolve().as_uri()
    assert locked_fetcher().fetch(css).path.endswith("app.css")
    assert locked_fetcher().fetch("data:text/plain,ok")
