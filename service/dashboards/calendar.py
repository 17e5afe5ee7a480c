"""iCalendar feeds (RFC 5545) of milestone due dates, for Outlook, Google Calendar and
any other calendar app to subscribe to.

One all-day VEVENT per milestone, on its current due date. What makes a subscribed
calendar follow the log:

* ``UID`` is the milestone's id at the service's host, the same in every feed and for
  ever, so a changed milestone updates its event instead of adding a second one;
* ``SEQUENCE`` counts the reschedules (plus one once cancelled), and ``LAST-MODIFIED``
  is the milestone's last update, so a reschedule is a newer revision of the same event;
* a cancelled milestone stays in the feed with ``STATUS:CANCELLED``, which removes it
  from the subscriber's view, where dropping it would leave a stale copy in some apps.

The feed is ``METHOD:PUBLISH`` with a name (``X-WR-CALNAME`` for Outlook and Google,
``NAME`` from RFC 7986) and a refresh interval hint. Every line is written by the
``icalendar`` library; the feed is streamed: the calendar's opening lines, one event per
milestone as its page is read, then ``END:VCALENDAR``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

from icalendar import Calendar, Event

from service.dashboards.domain.readmodel import MilestoneRecord
from service.tracking.domain import milestone as ms

PRODID = "-//Reform Tracker//Milestone due dates//EN"
REFRESH = timedelta(hours=1)
END = b"END:VCALENDAR\r\n"


def _calendar(name: str, description: str) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("name", name)
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-caldesc", description)
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", REFRESH)
    opened = calendar.to_ical()
    assert opened.endswith(END)
    return opened[: -len(END)]


def _utc(timestamp: str, fallback: datetime) -> datetime:
    return datetime.fromisoformat(timestamp.replace("Z", "+00:00")) if timestamp else fallback


def event(record: MilestoneRecord, base_url: str, stamp: datetime) -> bytes:
    due = date.fromisoformat(record.due_date)
    cancelled = record.status == ms.CANCELLED
    link = f"{base_url.rstrip('/')}/ui/milestones/{record.milestone_id}"
    found = Event()
    found.add("uid", f"{record.milestone_id}@{urlsplit(base_url).hostname or 'reform-tracker'}")
    found.add("dtstamp", stamp)
    found.add("last-modified", _utc(record.last_update, stamp))
    found.add("sequence", record.replan_count + (1 if cancelled else 0))
    found.add("dtstart", due)
    found.add("dtend", due + timedelta(days=1))
    found.add("summary", f"Due: {record.title}")
    found.add(
        "description",
        "\n".join(
            [
                f"Owner agency: {record.owner_agency}",
                f"Status: {record.status.replace('_', ' ')}, {record.progress}% complete",
                f"Planned due date: {record.planned_due_date}"
                + (f" (rescheduled {record.replan_count} times)" if record.replan_count else ""),
                link,
            ]
        ),
    )
    found.add("url", link)
    found.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    found.add("transp", "TRANSPARENT")  # a due date does not make anyone busy
    return bytes(found.to_ical())


def feed(
    name: str,
    description: str,
    records: Iterable[MilestoneRecord],
    base_url: str,
    stamp: datetime,
) -> Iterator[bytes]:
    """The feed, a chunk at a time: the calendar's opening, one event per record, the end."""
    yield _calendar(name, description)
    for record in records:
        yield event(record, base_url, stamp)
    yield END
