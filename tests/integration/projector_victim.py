"""A projector process for the crash and race tests (run with `python -m`).

It pauses between projecting a batch and committing it, and announces each batch in a
marker file first, so a test can SIGKILL it exactly while a batch is in flight. At the end
it prints how many of its batches another worker's commit made it redo.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path

from prometheus_client import REGISTRY

from service.bootstrap import bootstrap
from service.dashboards.projector import Projector
from service.dashboards.projector_status import projector_status
from service.ledger.domain.chain import RecordedEvent
from service.runtime.config import Config


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("redis_url")
    parser.add_argument("--prefix", default="rt")
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--pause", type=float, default=0.0)
    parser.add_argument("--lease-ms", type=int, default=300)
    parser.add_argument("--marker", type=Path)
    parser.add_argument("--ready", type=Path, help="create this file when started")
    parser.add_argument("--go", type=Path, help="start projecting once this file exists")
    parser.add_argument("--stop", type=Path, help="keep projecting until this file exists")
    args = parser.parse_args()
    services = bootstrap(Config(redis_url=args.redis_url, key_prefix=args.prefix))

    def in_flight(events: Sequence[RecordedEvent]) -> None:
        if args.marker:
            args.marker.write_text(f"{events[0].position} {events[-1].position}")
        time.sleep(args.pause)

    projector = Projector(
        services, batch_size=args.batch, lease_ttl_ms=args.lease_ms, before_commit=in_flight
    )
    if args.ready:
        args.ready.touch()
    while args.go and not args.go.exists():
        time.sleep(0.01)
    while projector_status(services)["lag"] > 0 or (args.stop and not args.stop.exists()):
        projector.catch_up(wait_seconds=30)
    print(int(REGISTRY.get_sample_value("reform_tracker_projector_conflicts_total") or 0))


if __name__ == "__main__":
    main()
