"""Domain errors: a refused command, with a machine-readable code."""

from __future__ import annotations


class DomainError(Exception):
    """A command that the current state does not allow. Nothing is appended."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


class IllegalTransition(DomainError):
    def __init__(self, action: str, status: str) -> None:
        super().__init__(
            "illegal_transition",
            f"cannot {action} a milestone that is {status}",
        )
        self.action = action
        self.status = status


class InvalidValue(DomainError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__("invalid_value", message, field)


class NotFound(DomainError):
    def __init__(self, what: str) -> None:
        super().__init__("not_found", f"{what} does not exist")
