"""Reading the signed credential out of a certificate PDF, a JSON download or plain text."""

from __future__ import annotations

import json
import os


def read_token(source: str) -> str:
    """The compact JWS in `source`: a PDF path (embedded `credential.jwt`), a JSON file from
    the verification page, a file holding the token, or the token itself."""
    if os.path.isfile(source):
        with open(source, "rb") as fh:
            data = fh.read()
        if data[:5] == b"%PDF-":
            from pypdf import PdfReader

            attachments = PdfReader(source).attachments
            if "credential.jwt" not in attachments:
                raise ValueError("no credential.jwt attached to this PDF")
            return attachments["credential.jwt"][0].decode("ascii").strip()
        text = data.decode("utf-8").strip()
        if text.startswith("{"):
            return json.loads(text)["jws"]
        return text
    return source.strip()
