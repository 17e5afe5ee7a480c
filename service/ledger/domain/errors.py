"""Domain errors: a refused command, with a machine-readable code.

``message`` is the English sentence the API answers with; ``params`` are the values it
was made from (e.g. the kind and id of what does not exist), so that a page can say the
same in its reader's language without reading the English.
"""

from __future__ import annotations

from collections.abc import Mapping


class DomainError(Exception):
    """A command that the current state does not allow. Nothing is appended."""

    def __init__(
        self,
        code: str,
        message: str,
        field: str | None = None,
        params: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.params: dict[str, object] = dict(params or {})


class IllegalTransition(DomainError):
    def __init__(self, action: str, status: str) -> None:
        super().__init__(
            "illegal_transition",
            f"cannot {action} a milestone that is {status}",
            params={"action": action, "state": status},
        )
        self.action = action
        self.status = status


class InvalidValue(DomainError):
    def __init__(self, field: str, message: str, **params: object) -> None:
        super().__init__("invalid_value", message, field, params)


class NotFound(DomainError):
    """``kind`` and ``key``, when given, name what ``what`` describes (for the pages)."""

    def __init__(self, what: str, kind: str = "", key: str = "") -> None:
        super().__init__(
            "not_found", f"{what} does not exist", params={"kind": kind, "key": key} if kind else {}
        )
