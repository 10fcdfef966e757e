"""Domain errors: each carries an HTTP status and a message already translated for the request."""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the domain was broken; shown to the user, never logged as a crash."""

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class BadRequest(DomainError):
    status_code = 400


class NotFound(DomainError):
    status_code = 404


class Forbidden(DomainError):
    status_code = 403


class Conflict(DomainError):
    status_code = 409


class PayloadTooLarge(DomainError):
    status_code = 413


class Unprocessable(DomainError):
    status_code = 422


class TooManyRequests(DomainError):
    status_code = 429


class LoginRequired(Exception):
    """Raised by access policies; answered with a redirect to the login page."""
