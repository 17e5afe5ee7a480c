"""Each API worker keeps the milestones it loaded; what another worker appended meanwhile
is always folded in before a decision, so a cached copy never decides on stale state."""

from __future__ import annotations

import pytest

from service.bootstrap import Services
from service.tracking.tracker import PreconditionFailed, Tracker
from tests.integration.api_helpers import seed


def test_a_worker_sees_what_another_worker_appended_to_a_cached_milestone(
    client, tokens, services: Services
) -> None:
    s = seed(client, tokens)
    reporter = services.tokens.authenticate(tokens["reporter_a"])
    assert reporter is not None
    first, second = Tracker(services.store), Tracker(services.store)  # two workers

    started = first.command(reporter, s.milestone_id, "start", {"note": ""})
    second.command(reporter, s.milestone_id, "comment", {"text": "from the other worker"})
    second.command(reporter, s.milestone_id, "report-progress", {"percent": 20, "note": ""})

    # The first worker's cached copy is two events behind; its next decision is not.
    with pytest.raises(PreconditionFailed):
        first.command(
            reporter,
            s.milestone_id,
            "report-progress",
            {"percent": 30, "note": ""},
            expected_version=started.loaded.version,
        )
    outcome = first.command(
        reporter,
        s.milestone_id,
        "report-progress",
        {"percent": 30, "note": ""},
        expected_version=started.loaded.version + 2,
    )
    assert outcome.loaded.version == started.loaded.version + 3
    assert outcome.loaded.state.progress == 30
    assert outcome.loaded.state.comment_count == 1
    assert outcome.loaded.state == services.tracker.load("milestone", s.milestone_id).state
    assert outcome.loaded.events[0].version == 1  # created_at still comes from the first
