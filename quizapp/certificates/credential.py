"""The signed statement of a certificate, shaped as an Open Badges 3.0 / W3C Verifiable
Credential, and the codes that identify certificates (pure)."""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from datetime import datetime


def new_code() -> str:
    """128 random bits, base32 without padding, lower case: 26 characters, not guessable."""
    return base64.b32encode(secrets.token_bytes(16)).decode("ascii").rstrip("=").lower()


def serial(unit_code: str, year: int, sequence: int) -> str:
    return f"{unit_code}-{year}-{sequence:06d}"


@dataclass(frozen=True)
class CertificateFacts:
    code: str
    serial: str
    kind: str  # achievement, participation, prize, completion
    issuer_name: str
    issuer_code: str
    recipient_name: str
    birth_year: int | None
    achievement_name: str  # e.g. the contest and round
    achievement_description: str  # e.g. "28/30 câu trả lời đúng"
    issued_at: datetime
    template_version: int


def credential(facts: CertificateFacts, base_url: str) -> dict:
    """The Verifiable Credential payload (what the JWS signs)."""
    base = base_url.rstrip("/")
    return {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": f"{base}/v/{facts.code}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {
            "id": f"{base}/units/{facts.issuer_code}",
            "type": ["Profile"],
            "name": facts.issuer_name,
        },
        "validFrom": facts.issued_at.isoformat(),
        "name": facts.achievement_name,
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "name": facts.recipient_name,
            "birthYear": facts.birth_year,
            "achievement": {
                "id": f"{base}/v/{facts.code}#achievement",
                "type": ["Achievement"],
                "achievementType": facts.kind,
                "name": facts.achievement_name,
                "description": facts.achievement_description,
            },
        },
        "serial": facts.serial,
        "templateVersion": facts.template_version,
    }
