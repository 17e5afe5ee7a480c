"""The gate in front of anything that copies the log elsewhere (an export, a rebuild of
the read models): a log that does not verify is refused, naming its first bad event,
unless the operator forces it on.

Copying a broken log silently launders it: an export would lose the evidence of the
breach, and dashboards folded from it would show an altered history as if recorded.
"""

from __future__ import annotations

from service.ledger.domain.chain import Breach
from service.ledger.eventstore import EventStore


class BrokenLog(Exception):
    """The log does not verify; ``breach`` is its first bad event."""

    def __init__(self, breach: Breach, refused: str) -> None:
        super().__init__(
            f"the log does not verify; its first bad event is at {breach}. "
            f"Nothing was {refused}; run `reform-tracker verify` for the report, or "
            f"pass --force to go on regardless."
        )
        self.breach = breach


def first_breach(store: EventStore, *, force: bool, refused: str) -> Breach | None:
    """None for an intact log. For a broken one raise BrokenLog (``refused`` says what was
    not done), or with ``force`` return the breach for the caller to report."""
    breach = store.verify().breach
    if breach is not None and not force:
        raise BrokenLog(breach, refused)
    return breach
