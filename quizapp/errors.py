"""Domain exceptions raised by services and mapped to responses in quizapp.web."""

from __future__ import annotations

from collections.abc import Mapping


class DomainError(Exception):
    """Base class: `message` is an English msgid, translated where it is shown."""

    status = 400

    def __init__(self, message: str = "", **params: object) -> None:
        super().__init__(message)
        self.message = message
        self.params = params


class NotFound(DomainError):
    status = 404


class Forbidden(DomainError):
    status = 403


class Conflict(DomainError):
    status = 409


class Invalid(DomainError):
    """Business-rule violations keyed by form field ('' for the whole form)."""

    status = 422

    def __init__(self, field_errors: Mapping[str, str | list[str]], **params: object) -> None:
        errors = {k: [v] if isinstance(v, str) else list(v) for k, v in field_errors.items()}
        first = next((msgs[0] for msgs in errors.values() if msgs), "")
        super().__init__(first, **params)
        self.field_errors = errors
