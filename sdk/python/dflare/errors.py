"""Errors the API answers, carrying its RFC 9457 problem document."""
from __future__ import annotations

from typing import Optional

from .models import Problem


class ApiError(Exception):
    """The server refused a request. ``problem.code`` is stable: match on it, never on the message."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(f"{problem.detail or problem.title} ({problem.code})")
        self.problem = problem

    @property
    def status(self) -> int:
        return self.problem.status

    @property
    def code(self) -> str:
        return self.problem.code


class ValidationError(ApiError):
    """400, 413, 415 or 422: the request or a field of it is wrong; ``problem.errors`` names each field."""


class UnauthorizedError(ApiError):
    """401 or 403: not signed in, the sign-in expired, or the caller lacks the permission."""


class NotFoundError(ApiError):
    """404: the object, its tenant, or the route does not exist (another tenant's objects answer this too)."""


class ConflictError(ApiError):
    """409 or 412: it exists already, changed under you, or is busy."""


class RateLimitedError(ApiError):
    """429 after the client's own waits: the tenant's or the credential's requests per minute are spent."""


def error_for(problem: Problem) -> ApiError:
    """The exception class for a problem's status."""
    status = problem.status
    if status in (400, 413, 415, 422):
        return ValidationError(problem)
    if status in (401, 403):
        return UnauthorizedError(problem)
    if status == 404:
        return NotFoundError(problem)
    if status in (409, 412):
        return ConflictError(problem)
    if status == 429:
        return RateLimitedError(problem)
    return ApiError(problem)


class OperationFailed(Exception):
    """An operation waited on ended Failed or Cancelled."""

    def __init__(self, operation: "Operation") -> None:  # noqa: F821 - resolved at runtime
        super().__init__(f"operation {operation.id} ({operation.workflow}) {operation.phase.lower()}: {operation.last_error or 'no error recorded'}")
        self.operation = operation


class OperationTimeout(TimeoutError):
    """An operation was still running when the wait's timeout passed. The operation itself goes on."""

    def __init__(self, operation: "Operation", timeout: float) -> None:  # noqa: F821
        at = f" (at {operation.current_step})" if operation.current_step else ""
        super().__init__(f"operation {operation.id} is still {operation.phase} after {timeout:g} s{at}")
        self.operation = operation


def problem_from(status: int, body: Optional[dict], text: str = "") -> Problem:
    return Problem.from_answer(status, body, text)
