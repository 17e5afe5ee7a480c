"""What `reform-tracker demo` loads: the Prosecutor General's "Law and Order in the Army"
and "Digital Prevention" projects of an army reform, at different stages of delivery.

Days are counted from the clock's today (negative = in the past)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from service.runtime.clock import isoformat

PGO = "Prosecutor General's Office"
MOD = "Ministry of Defence"

PROGRAMME: dict[str, Any] = {
    "title": "Army reform 2026",
    "description": "Rule of law and prevention of abuse in the armed forces.",
    "lead_agency": PGO,
}

Step = tuple[str, dict[str, Any]]  # (milestone command verb, its arguments)


@dataclass(frozen=True)
class DemoMilestone:
    title: str
    description: str
    starts: int
    due: int
    steps: tuple[Step, ...] = ()
    owner: str | None = None  # None: the initiative's agency

    def fields(self, today: date) -> dict[str, Any]:
        return {
            "title": self.title,
            "description": self.description,
            "owner_agency": self.owner,
            "planned_start": today + timedelta(days=self.starts),
            "due_date": today + timedelta(days=self.due),
        }


@dataclass(frozen=True)
class DemoInitiative:
    fields: dict[str, Any]
    milestones: tuple[DemoMilestone, ...]


def start(note: str) -> Step:
    return ("start", {"note": note})


def progress(percent: int, note: str) -> Step:
    return ("report-progress", {"percent": percent, "note": note})


def reschedule(today: date, due: int, reason: str) -> Step:
    return ("reschedule", {"new_due_date": today + timedelta(days=due), "reason": reason})


def evidence(document: bytes, uri: str, captured_at: datetime, description: str) -> Step:
    # The SHA-256 pins the exact file; anyone holding it can check it was not swapped.
    digest = hashlib.sha256(document).hexdigest()
    return (
        "attach-evidence",
        {
            "uri": uri,
            "sha256": digest,
            "media_type": "application/pdf",
            "captured_at": isoformat(captured_at),
            "description": description,
        },
    )


def initiatives(today: date, now: datetime) -> list[DemoInitiative]:
    acceptance = b"Acceptance report: CCTV installed and recording in 42 of 42 units."
    law_and_order = DemoInitiative(
        {
            "title": "Law and Order in the Army",
            "owner_agency": PGO,
            "description": "Prevent abuse of soldiers through recording and inspection.",
            "lead": "Deputy Prosecutor General",
        },
        (
            DemoMilestone(
                "Body cameras for duty and guard soldiers",
                "Every soldier on duty or guard wears a recording body camera.",
                -150,
                -12,
                (start("Supply contract signed"), progress(60, "Issued in 3 of 5 garrisons")),
            ),
            DemoMilestone(
                "Video surveillance in units",
                "CCTV covering barracks corridors, guard posts and duty rooms.",
                -240,
                -30,
                (
                    start("Survey of units finished"),
                    progress(80, "34 of 42 units done"),
                    evidence(
                        acceptance,
                        "https://evidence.example.org/cctv-acceptance.pdf",
                        now - timedelta(days=35),
                        "Signed acceptance report",
                    ),
                    ("report-complete", {"note": "All 42 units covered"}),
                    ("verify", {"note": "Oversight spot check of 4 units"}),
                ),
            ),
            DemoMilestone(
                "Quarterly prosecutor inspections of guard duty",
                "Unannounced inspections with findings published.",
                14,
                100,
            ),
        ),
    )
    digital_prevention = DemoInitiative(
        {
            "title": "Digital Prevention",
            "owner_agency": PGO,
            "description": "Make it easy for conscripts to report abuse, and record the draft "
            "and medical commissions.",
            "lead": "Head of the Digital Prevention project",
        },
        (
            DemoMilestone(
                "Expanded online consultation channel for conscripts",
                "Chat, phone and web form, so every conscript knows where to turn.",
                -90,
                10,
                (start("Channel design approved"), progress(45, "Web form live")),
            ),
            DemoMilestone(
                "Consultation channel contacts posted in every unit",
                "Posters and leaflets with the channel's contacts.",
                -40,
                -3,
            ),
            DemoMilestone(
                "Audio and video recording of draft and medical commissions",
                "Every commission session is recorded.",
                -60,
                -5,
                (
                    start("Pilot in two regional commissariats"),
                    progress(25, "Pilot recording"),
                    reschedule(today, 60, "Equipment tender had to be re-run"),
                ),
                owner=MOD,
            ),
            DemoMilestone(
                "Commission recordings digitized and remotely accessible",
                "Recordings archived and available to oversight staff remotely.",
                20,
                150,
                owner=MOD,
            ),
        ),
    )
    return [law_and_order, digital_prevention]
