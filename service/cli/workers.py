"""`reform-tracker worker` and `reform-tracker scheduler`: the background processes.

Both log through the service's JSON logging (configured by the CLI before they start):
rq adds its own plain-text handlers only when it finds none. The worker serves the
projection queue before the alert queue (service/runtime/jobs.py).
"""

from __future__ import annotations

import argparse

from rq import Worker
from rq.cron import CronScheduler

from service.cli.base import add_connection_options, connected
from workers.registry import QUEUES, register_periodic_jobs


def arguments(parser: argparse.ArgumentParser) -> None:
    add_connection_options(parser)


def worker_arguments(parser: argparse.ArgumentParser) -> None:
    add_connection_options(parser)
    parser.add_argument(
        "--burst",
        action="store_true",
        help="run the jobs queued now, then exit (no scheduler)",
    )


def run_worker(args: argparse.Namespace) -> int:
    # RQ pickles job data, so its connection must not decode replies to text.
    config, connection = connected(args, decode=False)
    worker = Worker(list(QUEUES), connection=connection)  # projection first
    worker.work(burst=args.burst, with_scheduler=not args.burst, logging_level=config.log_level)
    return 0


def run_scheduler(args: argparse.Namespace) -> int:
    config, connection = connected(args, decode=False)
    scheduler = CronScheduler(connection=connection, logging_level=config.log_level)
    register_periodic_jobs(scheduler)
    # Runs until SIGTERM/SIGINT; with no jobs registered it only sends heartbeats.
    scheduler.start()
    return 0
