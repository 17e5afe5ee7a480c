"""A batch of consecutive events projected at once, for the projector and rebuilds.

Each event is applied only to the read-model families whose checkpoint is behind it, so
families at different positions (one of them freshly rebuilt, say) advance together.
"""

from __future__ import annotations

from collections.abc import Sequence

from service.dashboards.domain.milestone_projection import Facts
from service.dashboards.domain.projections import Change, LoggedEvent, Put, project
from service.dashboards.domain.readmodel import MILESTONES


class _BatchView:
    def __init__(self, milestones: dict[str, Facts | None]) -> None:
        self.records = milestones

    def milestone(self, milestone_id: str) -> Facts | None:
        return self.records.get(milestone_id)


def project_batch(
    events: Sequence[LoggedEvent],
    milestones: dict[str, Facts | None],
    checkpoints: dict[str, int],
) -> list[Change]:
    """Changes of a batch of consecutive events, each applied only to the families whose
    checkpoint is behind it. ``milestones`` holds the records the batch touches as they
    were before it, and is updated as the batch goes (an event sees the ones before it)."""
    view = _BatchView(milestones)
    every = frozenset(checkpoints)
    behind_all = max(checkpoints.values(), default=0)
    changes: list[Change] = []
    for event in events:
        families = (
            every
            if event.position > behind_all
            else frozenset(
                family for family, position in checkpoints.items() if position < event.position
            )
        )
        for change in project(event, view, families):
            if isinstance(change, Put) and change.family == MILESTONES:
                milestones[change.key] = change.record  # type: ignore[assignment]
            changes.append(change)
    return changes
