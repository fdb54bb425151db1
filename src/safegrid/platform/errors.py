"""Errors services raise; the web and API layers map them to 401/403/404/422/423."""

from __future__ import annotations


class SafeGridError(Exception):
    """Base of errors with a message safe to show the user."""

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class AuthenticationError(SafeGridError):
    status_code = 401


class AccountLockedError(AuthenticationError):
    """Told apart inside the platform (audit, tests); answered exactly like a wrong password,
    so a lock does not reveal that the username exists (issue 12)."""

    status_code = 401


class PermissionDeniedError(SafeGridError):
    status_code = 403


class NotFoundError(SafeGridError):
    """Also what an out-of-scope object looks like: its existence is never revealed."""

    status_code = 404


class ValidationProblem(SafeGridError):
    status_code = 422


class ConflictError(SafeGridError):
    status_code = 409
