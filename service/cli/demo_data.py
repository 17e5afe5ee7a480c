"""What `reform-tracker demo` loads: the Prosecutor General's "Law and Order in the Army"
and "Digital Prevention" projects of an army reform, at different stages of delivery, with
the eight months of history that brought them there.

Days are counted from the clock's today (negative = in the past). Each fact carries the
day it happened on, and the loader records it on that day, so "status as of" a past date,
the trends and the on-time figures show the programme as it was. A fact never happens
before the milestone it is about was planned, nor after today.
"""

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
PROGRAMME_CREATED = -250  # the day the history starts

Step = tuple[int, str, dict[str, Any]]  # (day it happened, milestone command verb, arguments)


@dataclass(frozen=True)
class DemoMilestone:
    title: str
    description: str
    planned_on: int
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
    launched_on: int
    fields: dict[str, Any]
    milestones: tuple[DemoMilestone, ...]


def start(day: int, note: str) -> Step:
    return (day, "start", {"note": note})


def progress(day: int, percent: int, note: str) -> Step:
    return (day, "report-progress", {"percent": percent, "note": note})


def reschedule(today: date, day: int, due: int, reason: str) -> Step:
    return (day, "reschedule", {"new_due_date": today + timedelta(days=due), "reason": reason})


def evidence(day: int, document: bytes, uri: str, captured_at: datetime, description: str) -> Step:
    # The SHA-256 pins the exact file; anyone holding it can check it was not swapped.
    digest = hashlib.sha256(document).hexdigest()
    return (
        day,
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
        -248,
        {
            "title": "Law and Order in the Army",
            "owner_agency": PGO,
            "description": "Prevent abuse of soldiers through recording and inspection.",
            "lead": "Deputy Prosecutor General",
        },
        (
            DemoMilestone(
                "Video surveillance in units",
                "CCTV covering barracks corridors, guard posts and duty rooms.",
                -247,
                -240,
                -30,
                (
                    start(-238, "Survey of units finished"),
                    progress(-180, 30, "13 of 42 units done"),
                    progress(-120, 55, "23 of 42 units done"),
                    progress(-62, 80, "34 of 42 units done"),
                    evidence(
                        -35,
                        acceptance,
                        "https://evidence.example.org/cctv-acceptance.pdf",
                        now - timedelta(days=36),
                        "Signed acceptance report",
                    ),
                    (-33, "report-complete", {"note": "All 42 units covered"}),
                    (-26, "verify", {"note": "Oversight spot check of 4 units"}),
                ),
            ),
            DemoMilestone(
                "Body cameras for duty and guard soldiers",
                "Every soldier on duty or guard wears a recording body camera.",
                -200,
                -150,
                -12,
                (
                    start(-147, "Supply contract signed"),
                    progress(-105, 20, "Cameras delivered to the first garrison"),
                    progress(-70, 40, "Issued in 2 of 5 garrisons"),
                    progress(-40, 60, "Issued in 3 of 5 garrisons"),
                ),
            ),
            DemoMilestone(
                "Quarterly prosecutor inspections of guard duty",
                "Unannounced inspections with findings published.",
                -20,
                14,
                100,
            ),
        ),
    )
    digital_prevention = DemoInitiative(
        -245,
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
                -100,
                -90,
                10,
                (
                    start(-88, "Channel design approved"),
                    progress(-45, 20, "Phone line staffed"),
                    progress(0, 45, "Web form live"),
                ),
            ),
            DemoMilestone(
                "Consultation channel contacts posted in every unit",
                "Posters and leaflets with the channel's contacts.",
                -45,
                -40,
                -3,
            ),
            DemoMilestone(
                "Audio and video recording of draft and medical commissions",
                "Every commission session is recorded.",
                -70,
                -60,
                -5,
                (
                    start(-58, "Pilot in two regional commissariats"),
                    progress(-40, 10, "Pilot equipment installed"),
                    progress(-20, 25, "Pilot recording"),
                    reschedule(today, -8, 60, "Equipment tender had to be re-run"),
                ),
                owner=MOD,
            ),
            DemoMilestone(
                "Commission recordings digitized and remotely accessible",
                "Recordings archived and available to oversight staff remotely.",
                -70,
                20,
                150,
                owner=MOD,
            ),
        ),
    )
    return [law_and_order, digital_prevention]
