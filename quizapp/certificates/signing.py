"""Ed25519 keys kept on disk (outside the database) with rotation, compact JWS (EdDSA)
signing and verification, and the JWKS of every key ever used (pure: no Flask)."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class VerificationError(ValueError):
    """The token is malformed, signed by an unknown key, or its signature is wrong."""


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private: Ed25519PrivateKey

    @property
    def public_jwk(self) -> dict:
        raw = self.private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return {
            "kty": "OKP",
            "crv": "Ed25519",
            "x": b64url(raw),
            "kid": self.kid,
            "alg": "EdDSA",
            "use": "sig",
        }


STAMP = "%Y%m%dT%H%M%S"


class KeyStore:
    """A folder of PEM files, one per key, named by key id (the newest signs).

    A key id starts with its creation time by `now` (the app's clock): ids sort in the
    order the keys were made, so the last file is the current key."""

    def __init__(self, folder: str | os.PathLike, *, now: Callable[[], datetime]) -> None:
        self.folder = Path(folder)
        self._now = now

    def _files(self) -> list[Path]:
        return sorted(self.folder.glob("ed25519-*.pem")) if self.folder.exists() else []

    def keys(self) -> list[SigningKey]:
        out = []
        for path in self._files():
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
            out.append(SigningKey(path.stem.removeprefix("ed25519-"), key))
        return out

    def current(self) -> SigningKey:
        """The newest key, generated on first use."""
        keys = self.keys()
        return keys[-1] if keys else self.rotate()

    def rotate(self) -> SigningKey:
        """Generate a new signing key; old ones stay published for verification."""
        self.folder.mkdir(parents=True, exist_ok=True)
        os.chmod(self.folder, 0o700)
        moment = self._now()
        files = self._files()
        if files:  # never sort before the current key (a clock set back, or a frozen one)
            newest = datetime.strptime(files[-1].stem[8:23], STAMP).replace(tzinfo=UTC)
            moment = max(moment, newest + timedelta(seconds=1))
        stamp = moment.strftime(STAMP)
        kid = f"{stamp}-{b64url(os.urandom(3))}"
        key = Ed25519PrivateKey.generate()
        path = self.folder / f"ed25519-{kid}.pem"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(
                key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
            )
        return SigningKey(kid, key)

    def jwks(self) -> dict:
        return {"keys": [k.public_jwk for k in self.keys()]}


def sign_jws(payload: dict, key: SigningKey) -> str:
    """Compact JWS (RFC 7515) with EdDSA over the canonical JSON of `payload`."""
    header = {"alg": "EdDSA", "kid": key.kid, "typ": "vc+jwt"}
    signing_input = (
        b64url(json.dumps(header, separators=(",", ":")).encode())
        + "."
        + b64url(
            json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
        )
    )
    return signing_input + "." + b64url(key.private.sign(signing_input.encode("ascii")))


def verify_jws(token: str, jwks: dict) -> dict:
    """The payload of a token signed by one of the JWKS keys; VerificationError otherwise."""
    try:
        head_b64, body_b64, sig_b64 = token.strip().split(".")
        header = json.loads(b64url_decode(head_b64))
        signature = b64url_decode(sig_b64)
    except (ValueError, TypeError, AttributeError) as exc:  # binascii and JSON errors too
        raise VerificationError("malformed token") from exc
    if not isinstance(header, dict) or not isinstance(header.get("kid", ""), str):
        raise VerificationError("malformed token header")
    if header.get("alg") != "EdDSA":
        raise VerificationError("unexpected algorithm")
    jwk = next((k for k in jwks.get("keys", []) if k.get("kid") == header.get("kid")), None)
    if jwk is None or jwk.get("crv") != "Ed25519":
        raise VerificationError("unknown key")
    try:
        public = Ed25519PublicKey.from_public_bytes(b64url_decode(jwk["x"]))
        public.verify(signature, f"{head_b64}.{body_b64}".encode("ascii"))
    except (InvalidSignature, ValueError, KeyError, TypeError) as exc:
        raise VerificationError("bad signature") from exc
    try:
        payload = json.loads(b64url_decode(body_b64))
    except ValueError as exc:
        raise VerificationError("malformed payload") from exc
    if not isinstance(payload, dict):
        raise VerificationError("malformed payload")
    return payload
