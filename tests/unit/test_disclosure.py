"""The public portal's rules (service/access/disclosure.py) on each kind of record."""

from __future__ import annotations

from datetime import date

from service.access.disclosure import public_document, public_event, public_record
from service.dashboards.domain.rag import Thresholds, timing
from service.dashboards.domain.readmodel import MilestoneRecord


def disputed() -> MilestoneRecord:
    return MilestoneRecord(
        milestone_id="m",
        initiative_id="i",
        programme_id="p",
        title="Body cameras",
        owner_agency="PGO",
        planned_start="2026-01-15",
        planned_due_date="2027-06-01",
        due_date="2027-06-01",
        status="disputed",
        dispute_reason="footage missing for unit 12",
        verified_by="token-1",
        cancel_reason="kept",
    )


def test_a_record_loses_its_internal_fields_and_keeps_the_rest() -> None:
    shown = public_record(disputed())
    assert shown.dispute_reason is None and shown.verified_by is None
    assert shown.cancel_reason == "kept" and shown.title == "Body cameras"


def test_the_public_rag_reason_says_disputed_without_the_reasoning() -> None:
    rules = Thresholds(30, 14, 30)
    today = date(2026, 11, 25)
    assert timing(disputed(), today, rules).reasons[0] == (
        "completion disputed: footage missing for unit 12"
    )
    public = timing(public_record(disputed()), today, rules).reasons
    assert public[0] == "completion disputed"
    assert not any("footage" in reason for reason in public)


def test_documents_lose_actors_and_notes() -> None:
    alert = {"alert_id": "a", "state": "acknowledged", "acknowledged_note": "n"}
    alert["acknowledged_by"] = {"token_id": "t"}
    assert public_document(alert) == {"alert_id": "a", "state": "acknowledged"}


def test_events_lose_comments_and_internal_payload_fields() -> None:
    assert public_event("CommentAdded", {"text": "between us"}) is None
    assert public_event("CompletionDisputed", {"reason": "r"}) == {}
    assert public_event("CompletionVerified", {"note": "n"}) == {}
    assert public_event("MilestoneRescheduled", {"reason": "procurement"}) == {
        "reason": "procurement"
    }
