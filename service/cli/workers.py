"""`reform-tracker worker` and `reform-tracker scheduler`: the background processes.

Both talk to the Redis of RQ's queues: the log's, or the one RT_QUEUE_REDIS_URL names,
which a Redis Cluster needs (they refuse to start on a cluster without it). Both outlive
a Redis restart. A lost connection is waited out with backoff
(service/runtime/reconnect.py) and the process carries on: the worker starts a fresh RQ
worker on the same queues, the scheduler keeps its schedule in memory and resumes it.
Only a stop request (SIGTERM, Ctrl-C) ends them; a Redis that is unreachable or unsafe
when they *start* is still refused at once with a one-line message (exit code 2).

The worker serves the projection queue before the alert queue (service/runtime/jobs.py).
Both log through the service's JSON logging (configured by the CLI before they start):
rq adds its own plain-text handlers only when it finds none.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import threading
import time
from types import FrameType
from typing import Any

from rq import Worker
from rq.cron import CronScheduler

from service.cli.base import add_connection_options, queues_connected
from service.runtime.connection import UNAVAILABLE, Client
from service.runtime.reconnect import MAX_DELAY, Backoff, wait_until_reachable
from workers.registry import QUEUES, register_periodic_jobs

log = logging.getLogger("reform_tracker.worker")
# The scheduler wakes at least this often (heartbeat, due jobs), so it notices a lost
# Redis, and reports itself alive, within seconds rather than RQ's minute.
SCHEDULER_TICK = 5.0
# A worker that ran this long before failing starts again without waiting: the backoff
# is for a worker that fails at once, again and again.
STEADY_SECONDS = 60.0


def arguments(parser: argparse.ArgumentParser) -> None:
    add_connection_options(parser)


def worker_arguments(parser: argparse.ArgumentParser) -> None:
    add_connection_options(parser)
    parser.add_argument(
        "--burst",
        action="store_true",
        help="run the jobs queued now, then exit (no scheduler)",
    )


class _StoppableWorker(Worker):
    """RQ's worker, telling the loop around it that the stop was asked for (RQ's own
    loop ends the same way after a stop request and after a lost connection)."""

    stopping: threading.Event

    def request_stop(self, signum: Any, frame: Any) -> None:
        self.stopping.set()
        super().request_stop(signum, frame)


def run_worker(args: argparse.Namespace) -> int:
    config, connection = queues_connected(args)
    if args.burst:
        Worker(list(QUEUES), connection=connection).work(burst=True, logging_level=config.log_level)
        return 0
    stopping = threading.Event()
    backoff = Backoff()
    while not stopping.is_set():
        worker = _StoppableWorker(list(QUEUES), connection=connection)
        worker.stopping = stopping
        worker.max_connection_wait_time = MAX_DELAY  # RQ's own retry, while it dequeues
        started = time.monotonic()
        try:
            worker.work(with_scheduler=True, logging_level=config.log_level)
        except UNAVAILABLE as error:  # its farewell to Redis failed too
            log.warning("worker: lost redis: %s", error)
        if stopping.is_set():
            break
        _stop_on_signal(stopping)  # RQ's handlers belong to the worker that just ended
        if time.monotonic() - started > STEADY_SECONDS:
            backoff.reset()
        log.warning("worker: RQ worker stopped unexpectedly; starting a new one")
        if wait_until_reachable(connection, stopping, "worker"):
            stopping.wait(backoff.next_delay())
    return 0


def run_scheduler(args: argparse.Namespace) -> int:
    config, connection = queues_connected(args)
    scheduler = CronScheduler(connection=connection, logging_level=config.log_level)
    register_periodic_jobs(scheduler)
    stopping = threading.Event()
    _stop_on_signal(stopping)
    # RQ's CronScheduler.start() ends at the first Redis error; this loop does its steps
    # (enqueue what is due, heartbeat, sleep) and waits out an outage instead.
    registered = False
    while not stopping.is_set():
        try:
            if not registered:
                scheduler.register_birth()
                registered = True
            if scheduler.enqueue_jobs():
                scheduler.save()  # the next run times, for `rq cron` status
            scheduler.heartbeat()
        except UNAVAILABLE as error:
            log.warning("scheduler: lost redis: %s", error)
            registered = False  # a Redis restored from an older file may have forgotten it
            wait_until_reachable(connection, stopping, "scheduler")
            continue
        stopping.wait(min(scheduler.calculate_sleep_interval(), SCHEDULER_TICK))
    _farewell(scheduler, connection)
    return 0


def _farewell(scheduler: CronScheduler, connection: Client) -> None:
    with contextlib.suppress(*UNAVAILABLE):  # its registry entry expires by itself
        scheduler.register_death()
    connection.close()


def _stop_on_signal(stopping: threading.Event) -> None:
    def request_stop(signum: int, _frame: FrameType | None) -> None:
        log.info("stop requested (signal %d)", signum)
        stopping.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
