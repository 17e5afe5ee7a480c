"""A system alert's e-mail is written in its subscription's language too."""

from __future__ import annotations

import json

from service.alerts.system import checkpoint_refused

REFUSAL = {
    "reason": "root differs",
    "checkpoint_size": 12,
    "checkpoint_root": "ab",
    "tree_size": 15,
    "refused_at": "2026-11-25T10:00:00Z",
}


def test_a_checkpoint_refusal_is_told_in_russian_kazakh_and_english() -> None:
    alert = checkpoint_refused(json.dumps(REFUSAL))
    english = alert.lines("https://tracker.example")
    assert english[0] == alert.summary and alert.said("en") == alert.summary
    assert "Last checkpoint signed:  12 events, root ab" in english
    russian = alert.lines("https://tracker.example", "ru")
    assert russian[0].startswith("Журнал отказался подписать контрольную точку: ")
    assert "из 12 событий" in russian[0]
    assert "Последняя подписанная контрольная точка:  событий: 12, корень ab" in russian
    # The ledger's own words stay; the values line up under the longest label.
    assert (
        "Причина:".ljust(len("Последняя подписанная контрольная точка:  ")) + "root differs"
        in russian
    )
    kazakh = alert.lines("https://tracker.example", "kk")
    assert kazakh[0].startswith("Журнал бақылау нүктесіне қол қоюдан бас тартты")
    assert not any("Last checkpoint" in line for line in russian + kazakh)
