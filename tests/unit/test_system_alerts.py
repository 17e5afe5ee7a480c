"""System alerts on fakeredis: a stored checkpoint refusal is raised once per checkpoint
it is refused against, to the subscriptions that watch everything, and a refusal stored
as plain text by an earlier version still raises one."""

from __future__ import annotations

import json

from service.alerts.notifier import delivery_log
from service.alerts.system import SystemAlerts, checkpoint_refused
from service.bootstrap import Services


def refusal(size: int, root: str = "cm9vdA==") -> str:
    return json.dumps(
        {
            "reason": f"the tree is not consistent with the checkpoint of {size} events",
            "checkpoint_size": size,
            "checkpoint_root": root,
            "tree_size": size + 3,
            "refused_at": "2026-11-25T09:00:00.000000Z",
        }
    )


def test_raised_once_per_refused_checkpoint_to_unscoped_subscriptions(services: Services) -> None:
    admin = services.tokens.create("admin", None, "admin")[1]
    everything = services.alerts.subscribe(admin, "email", address="audit@example.org")
    scoped = services.alerts.subscribe(admin, "email", address="desk@example.org", agency="PGO")
    system = SystemAlerts(services)
    assert system.raise_pending() == 0  # nothing refused

    services.redis.set(services.keys.checkpoint_refusal, refusal(7))
    assert system.raise_pending() == 1
    services.redis.set(services.keys.checkpoint_refusal, refusal(7))  # refused again
    assert system.raise_pending() == 0
    services.redis.set(services.keys.checkpoint_refusal, refusal(9, "b3RoZXI="))
    assert system.raise_pending() == 1  # against a later checkpoint: a new alert

    log = delivery_log(services)
    told = log.page(everything.subscription.id, None, 10)[0]
    assert [d.kind for d in told] == ["system", "system"]
    assert log.page(scoped.subscription.id, None, 10)[0] == []
    stored = system.get(told[0].events[0]["id"])
    assert stored is not None and stored.details["checkpoint_size"] == 9


def test_a_refusal_stored_as_text_by_an_earlier_version_is_still_raised() -> None:
    alert = checkpoint_refused("the tree of 8 events is not consistent; refusing to sign")
    assert alert.details["reason"].startswith("the tree of 8 events")
    assert "The log refused to sign a checkpoint" in alert.summary
    assert alert.id == checkpoint_refused("another text").id  # one per unknown checkpoint
