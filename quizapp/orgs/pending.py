"""Roster files waiting for the organiser's confirmation, kept encrypted.

A roster upload may hold citizen ID numbers, which are never stored in plain text (members
keep only their keyed hash). Between the preview and the confirmation the file is kept in
`PendingImport.content` sealed with AES-GCM under a key derived from the PII hash key."""

from __future__ import annotations

import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_MAGIC = b"QZS1"


def _key(pii_key: str) -> bytes:
    return hmac.new(pii_key.encode(), b"quizapp pending import", hashlib.sha256).digest()


def seal(pii_key: str, content: bytes) -> bytes:
    nonce = os.urandom(12)
    return _MAGIC + nonce + AESGCM(_key(pii_key)).encrypt(nonce, content, _MAGIC)


def unseal(pii_key: str, blob: bytes) -> bytes | None:
    """The file, or None when it was sealed under another key or altered."""
    if not blob.startswith(_MAGIC):
        return None
    nonce, body = blob[4:16], blob[16:]
    try:
        return AESGCM(_key(pii_key)).decrypt(nonce, body, _MAGIC)
    except InvalidTag:
        return None
