"""`reform-tracker worker` and `reform-tracker scheduler`: the background processes."""

from __future__ import annotations

import argparse

from rq import Worker
from rq.cron import CronScheduler

from service.cli.base import add_connection_options, connected
from workers.registry import QUEUE, register_periodic_jobs


def arguments(parser: argparse.ArgumentParser) -> None:
    add_connection_options(parser)


def run_worker(args: argparse.Namespace) -> int:
    # RQ pickles job data, so its connection must not decode replies to text.
    config, connection = connected(args, decode=False)
    worker = Worker([QUEUE], connection=connection)
    worker.work(with_scheduler=True, logging_level=config.log_level)
    return 0


def run_scheduler(args: argparse.Namespace) -> int:
    config, connection = connected(args, decode=False)
    scheduler = CronScheduler(connection=connection, logging_level=config.log_level)
    register_periodic_jobs(scheduler)
    # Runs until SIGTERM/SIGINT; with no jobs registered it only sends heartbeats.
    scheduler.start()
    return 0
