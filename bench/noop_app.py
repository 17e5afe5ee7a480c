"""The production WSGI app plus bench-only routes:
- a no-op POST, the ceiling for the HTTP benchmark;
- a no-op GET that only checks the caller's token, the floor of any dashboard read;
- the overview read the way it was before per-scope totals (every milestone record
  copied per request), the baseline of the dashboard benchmark.

Served by the same gunicorn command as `service.wsgi:app`, so the routes share every
per-request cost (request hooks, rate limiter, logging) except their own work.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

from flask import request

from service.api.auth import reader, services
from service.dashboards.domain.aggregates import Totals, counted_afresh, member_set
from service.dashboards.domain.dashboards import overview
from service.dashboards.queries import DashboardQueries
from service.dashboards.readmodels import ReadModels
from service.wsgi import app


def noop() -> dict[str, Any]:
    request.get_json()  # parse the body, as a command would
    return {"ok": True}


app.add_url_rule("/bench/noop", endpoint="bench_noop", view_func=noop, methods=["POST"])


def noop_read() -> dict[str, Any]:
    reader()  # the caller's token, as every dashboard read checks it
    return {"ok": True}


app.add_url_rule("/bench/noop-read", endpoint="bench_noop_read", view_func=noop_read)


class EveryRecord(ReadModels):
    """Scope totals counted from every one of the scope's records, on each read."""

    def kept(self, scopes: list[str], until: date) -> dict[str, tuple[Totals, list[str]]]:
        return {
            scope: counted_afresh(
                (asdict(r) for r in self.milestones(self.member_ids(*member_set(scope)))), until
            )
            for scope in scopes
        }


def every_record_overview() -> dict[str, Any]:
    reader()
    found = services()
    rules = DashboardQueries(found).rules
    source = EveryRecord(found.redis, found.keys)
    return {"programmes": overview(source, found.clock.today(), rules)}


app.add_url_rule(
    "/bench/every-record-dashboard", endpoint="bench_every_record", view_func=every_record_overview
)
