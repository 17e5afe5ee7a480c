"""`reform-tracker demo`: load the example programme so there is something to look at."""

from __future__ import annotations

import argparse
from datetime import date, timedelta

from service.cli.base import CliError, add_connection_options, open_services
from service.cli.demo_loader import DemoAlreadyLoaded, load_demo
from service.dashboards.wake import wake_projector


def arguments(parser: argparse.ArgumentParser) -> None:
    add_connection_options(parser)


def run(args: argparse.Namespace) -> int:
    services = open_services(args)

    def wake(woke: bool | None) -> None:
        # As after an API append: dashboards show the demo as soon as a worker picks it up.
        wake_projector(services, woke)

    services.append_listeners.append(wake)
    try:
        summary = load_demo(services)
    except DemoAlreadyLoaded as error:
        raise CliError(str(error), exit_code=1) from None
    today = services.clock.today()
    print(
        f"Loaded programme 'Army reform 2026' (id {summary.programme_id}), with its history "
        f"from {summary.first_recorded_at[:10]} to today:"
    )
    for initiative, milestone in summary.milestones:
        overdue = (
            f"OVERDUE {milestone.days_overdue(today)} days" if milestone.is_overdue(today) else ""
        )
        print(
            f"  {initiative[:26]:<26}  {milestone.title[:58]:<58}  {milestone.status:<17} "
            f"{milestone.progress:>3}%  due {milestone.due_date}  {overdue}"
        )
    if summary.squeezed_after:
        print(
            f"Note: the log already held events up to {summary.squeezed_after}, and nothing "
            "is recorded before an event already in the log, so the history is recorded "
            "from then on; load the demo into an empty store to see it spread over months."
        )
    print(
        "Look back with 'Status as of' on any page, e.g. "
        f"/ui/programmes/{summary.programme_id}?as_of={_months_ago(today)}"
    )
    print(
        f"Events in the log: {services.store.head_position()}. "
        "Check them with: reform-tracker verify"
    )
    print(
        "Dashboards: /dashboard and /ui/. Overdue alerts reach /alerts with the "
        "scheduler's next scan (every 5 minutes while `reform-tracker up` runs)."
    )
    return 0


def _months_ago(today: date) -> str:
    return (today - timedelta(days=120)).isoformat()
