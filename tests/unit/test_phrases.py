"""A dashboard sentence is its English text everywhere but on a page."""

from __future__ import annotations

import copy
import json
import pickle

from service.dashboards.domain.phrases import Phrase


def test_a_phrase_is_its_english_text() -> None:
    reason = Phrase("%(days)s days overdue", days=9)
    assert reason == "9 days overdue" and isinstance(reason, str)
    assert json.dumps({"reasons": [reason]}) == '{"reasons": ["9 days overdue"]}'
    assert reason.template == "%(days)s days overdue" and reason.values == {"days": 9}


def test_a_phrase_nests_and_survives_copies() -> None:
    inner = Phrase("%(days)s days overdue", days=3)
    outer = Phrase("%(title)s: %(reason)s", title="100% done?", reason=inner)
    assert outer == "100% done?: 3 days overdue"
    for again in (copy.deepcopy(outer), pickle.loads(pickle.dumps(outer))):
        assert again == outer and again.template == outer.template
        assert again.values["reason"].values == {"days": 3}
