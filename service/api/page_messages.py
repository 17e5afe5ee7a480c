"""Refusals said in the page's language: refused commands, unknown records, refused
permissions and the problems of a refused bulk report's rows.

The API answers with the domain's English messages (programs read them); a page names
the same refusal in its reader's language from the error's code and the values its
message was made from (``DomainError.params``, ``Forbidden.params``). A refusal this
module does not know is shown with its English message, as before.
"""

from __future__ import annotations

from flask_babel import gettext as _

from service.access.policy import Forbidden
from service.api.vocabulary import number, term
from service.ledger.domain.errors import DomainError
from service.tracking.domain.imports import RowError


def _missing(kind: object, key: str) -> str | None:
    said = {
        "programme": _("There is no programme %(key)s.", key=key),
        "initiative": _("There is no initiative %(key)s.", key=key),
        "milestone": _("There is no milestone %(key)s.", key=key),
        "alert": _("There is no alert %(key)s.", key=key),
        "agency": _("The agency %(key)s has no milestones.", key=key),
    }
    return said.get(str(kind))


def refusal(error: DomainError) -> str:
    """The page's sentence for a refused command or an unknown record."""
    params = error.params
    said: str | None = None
    if error.code == "not_found":
        said = _missing(params.get("kind"), str(params.get("key", "")))
    elif error.code == "illegal_transition" and params.get("action") == "acknowledge":
        said = _(
            "This alert cannot be acknowledged: it is %(state)s.",
            state=term(str(params.get("state"))),
        )
    elif error.code == "invalid_value" and error.field == "note":
        if params.get("rule") == "required":
            said = _("Write a note to acknowledge the alert.")
        elif params.get("rule") == "too_long":
            limit = params.get("limit")
            count = number(limit) if isinstance(limit, int) else str(limit)
            said = _("The note is longer than %(limit)s characters.", limit=count)
    return said if said is not None else error.message


def forbidden(error: Forbidden) -> str:
    """The page's sentence for a refused permission."""
    params = error.params
    if "owner" in params:
        return _(
            "This token acts for the agency %(agency)s; the record belongs to %(owner)s.",
            agency=params["agency"],
            owner=params["owner"],
        )
    if "role" in params:
        return _("Your role (%(role)s) may not do this.", role=term(params["role"]))
    return str(error)


def row_problem(error: RowError) -> str:
    """The page's sentence for one problem of a refused report (the cell and decision
    problems this does not know keep their English)."""
    values = error.params
    said = {
        "unknown_column": lambda: _("unknown column; see the report template"),
        "repeated_column": lambda: _("the column appears more than once"),
        "no_command_column": lambda: _("the header has no command column"),
        "command_required": lambda: _("command is required"),
        "unknown_command": lambda: _(
            "unknown command %(command)s; use %(known)s",
            command=values["command"],
            known=values["known"],
        ),
        "unnamed_milestone": lambda: _(
            "name the milestone by milestone_id, or by initiative and milestone title"
        ),
        "required_for": lambda: _(
            "%(column)s is required for %(command)s",
            column=values["column"],
            command=values["command"],
        ),
        "does_not_apply": lambda: _(
            "%(column)s does not apply to %(command)s",
            column=values["column"],
            command=values["command"],
        ),
    }.get(error.kind)
    return said() if said else error.problem
