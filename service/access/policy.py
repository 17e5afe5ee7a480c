"""Who may do what. Reporters act only on their own agency's records.

Planning touches two records: the initiative a milestone is planned under, and the
agency that will own the milestone. A reporter may plan only under its own agency's
initiatives and only milestones its own agency owns; otherwise one agency could put work
into another's initiative, dashboards and scorecard. Overseers plan anywhere.

Pure: a token's record, the permissions and the rule; tokens.py stores the records.
"""

from __future__ import annotations

from dataclasses import dataclass

from service.ledger.domain.errors import DomainError

ROLES = ("viewer", "reporter", "overseer", "admin")


@dataclass(frozen=True)
class TokenRecord:
    id: str
    role: str
    agency: str | None
    label: str
    created_at: str


READ = "read"
PROGRAMME_CREATE = "programme.create"
INITIATIVE_LAUNCH = "initiative.launch"
MILESTONE_PLAN = "milestone.plan"
MILESTONE_REPORT = "milestone.report"
MILESTONE_REVIEW = "milestone.review"
MILESTONE_CANCEL = "milestone.cancel"
MILESTONE_COMMENT = "milestone.comment"
ALERT_ACKNOWLEDGE = "alert.acknowledge"
ADMINISTER = "administer"

ALL_ROLES = frozenset(ROLES)

# Agencies report on their own work; overseers judge it; admins manage access.
ALLOWED: dict[str, frozenset[str]] = {
    READ: ALL_ROLES,
    PROGRAMME_CREATE: frozenset({"overseer", "admin"}),
    INITIATIVE_LAUNCH: frozenset({"overseer", "admin"}),
    MILESTONE_PLAN: frozenset({"reporter", "overseer"}),
    MILESTONE_REPORT: frozenset({"reporter"}),
    MILESTONE_REVIEW: frozenset({"overseer"}),
    MILESTONE_CANCEL: frozenset({"reporter", "overseer"}),
    MILESTONE_COMMENT: frozenset({"reporter", "overseer"}),
    ALERT_ACKNOWLEDGE: frozenset({"reporter", "overseer"}),
    ADMINISTER: frozenset({"admin"}),
}
AGENCY_SCOPED_ROLES = frozenset({"reporter"})


class Forbidden(Exception):
    """A refused permission; ``params`` are the values of its English message (for the
    pages): ``role`` and ``permission``, or ``agency`` and ``owner``."""

    def __init__(self, message: str, **params: str) -> None:
        super().__init__(message)
        self.params = params


class LastAdminToken(DomainError):
    """Revoking this token would leave no admin token: nobody could manage access."""

    def __init__(self, token_id: str) -> None:
        super().__init__(
            "last_admin_token",
            f"token {token_id} is the last admin token; create another admin token first",
        )


def authorize(actor: TokenRecord, permission: str, agency: str | None = None) -> None:
    """Raise Forbidden unless ``actor`` holds ``permission`` (for ``agency``'s record)."""
    if actor.role not in ALLOWED[permission]:
        message = f"role {actor.role!r} may not {permission.replace('.', ' ')}"
        raise Forbidden(message, role=actor.role, permission=permission)
    if actor.role in AGENCY_SCOPED_ROLES and agency is not None and actor.agency != agency:
        raise Forbidden(
            f"this token acts for agency {actor.agency!r}; the record belongs to {agency!r}",
            agency=str(actor.agency),
            owner=agency,
        )


def authorize_planning(actor: TokenRecord, initiative_agency: str, milestone_agency: str) -> None:
    """Raise Forbidden unless ``actor`` may plan a milestone owned by ``milestone_agency``
    under an initiative owned by ``initiative_agency``."""
    authorize(actor, MILESTONE_PLAN)
    for what, agency in (("initiative", initiative_agency), ("milestone", milestone_agency)):
        if actor.role in AGENCY_SCOPED_ROLES and actor.agency != agency:
            raise Forbidden(
                f"this token acts for agency {actor.agency!r}; the {what} belongs to {agency!r}"
            )
