"""Dashboard reads at scale: JSON and HTML dashboards served by gunicorn at 100,000
milestones to 16 concurrent readers, the projector's lag behind a sustained 1,000 events/s
with those readers running, and every page kind at 10,000 milestones.

The data is months of history (bench/scale_log.py) ending today, appended with the
store's batch append and fsync off, and projected before anything is timed. Baselines from
the same run: the overview read the way it was before per-scope totals (every milestone
record copied per request; one reader, since 16 would queue for minutes); a no-op GET
that only checks the caller's token (the floor of the stack: gunicorn, Flask, the rate
limiter, the token) for the JSON reads; the JSON reads for the HTML pages; and the
projector's lag with no readers for the lag with them.

Readers are wrk's connections (bench/http_load.py; Python client processes where wrk is
not installed, which cost more of the CPU they share with gunicorn on a small machine).
Run `python -m bench.dashboard_scale` (full) or `--quick`.
"""

from __future__ import annotations

import bisect
import http.client
import multiprocessing as mp
import tempfile
import threading
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any
from urllib.parse import quote
from urllib.request import Request, urlopen

from bench.http_load import generator_name, get_load
from bench.http_server import gunicorn
from bench.own_redis import redis_url_or_own, run_section_from_command_line
from bench.projector_log import ACTOR
from bench.results import compared, percentile
from bench.scale_log import append_history
from bench.settings import Settings
from bench.workloads import BENCH_KEYS, progress_event, unfsynced_setup, unlink_matching
from service.bootstrap import Services, bootstrap
from service.dashboards.domain import charts
from service.dashboards.end_of_day import Stamp
from service.dashboards.projector import Projector, advance_log, catch_up
from service.dashboards.readmodels import ReadModels
from service.dashboards.snapshot_checks import rebuild_snapshot
from service.ledger.batch import append_each
from service.runtime.clock import FrozenClock
from service.runtime.config import Config
from service.tracking.domain import milestone as ms

READERS = 16
DAYS = 365
BENCH_PATTERNS = (f"{{{BENCH_KEYS.prefix}}}*", f"{{{BENCH_KEYS.prefix}:*")
WRITE_RATE = 1_000  # events/s
EVENTS_PER_APPEND = 10
SAMPLE_SECONDS = 0.002
WRITERS = 2
TARGETS = {"json": 20.0, "html": 50.0, "lag": 1000.0, "page": 100.0}
SIZES = {  # milestones for the page check, for the loaded reads; seconds of load
    True: (300, 1_000, 1.0),
    False: (10_000, 100_000, 20.0),
}
PAGE_REQUESTS = {True: 5, False: 40}


def _services(url: str, clock: FrozenClock | None = None) -> Services:
    return bootstrap(Config(redis_url=url, key_prefix=BENCH_KEYS.prefix), clock=clock)


def grow(services: Services, clock: FrozenClock, milestones: int, seed: int) -> dict[str, Any]:
    started = time.perf_counter()
    last_day = datetime.now(UTC).date()
    first_day = last_day - timedelta(days=DAYS - 1)
    ends: dict[date, int] = {}  # day -> the log position its last event took

    def day_done(number: int) -> None:
        ends[first_day + timedelta(days=number)] = services.store.head_position()

    with unfsynced_setup(services):
        history = append_history(
            services,
            clock,
            last_day=last_day,
            days=DAYS,
            milestones=milestones,
            seed=seed,
            after_day=day_done,
        )
        # Setup only: the days' snapshots are measured in "As-of at scale".
        Projector(services, end_of_day=False).catch_up()
        sunday_snapshots(services, ends, last_day)
    return {"history": history, "seconds": time.perf_counter() - started}


def sunday_snapshots(services: Services, ends: dict[date, int], last_day: date) -> None:
    """The end-of-day snapshots a deployment running for half a year keeps for the trend
    charts' weeks (the last 25 Sundays), written by the worker's own repair path: folded
    from the one before, then digested. The projector would also have written a daily one
    for the last month, which the pages do not read."""
    sundays = [d for d in charts.week_ends(last_day)[:-1] if d in ends]
    for day in sundays:
        [event] = services.store.read_log(ends[day] - 1, 1, sealed=False)
        rebuild_snapshot(services, Stamp(day.isoformat(), event.position, event.id, event.hash))


def paths(services: Services, history: Any) -> dict[str, list[str]]:
    live = ReadModels(services.redis, services.keys)
    agencies = live.agencies()
    milestone_ids = sorted(live.member_ids("initiatives", "milestones", history.initiatives[0]))
    return {
        "json": ["/dashboard"]
        + [f"/programmes/{p}/dashboard" for p in history.programmes]
        + [f"/agencies/{a}/scorecard" for a in agencies],
        "html": ["/ui/"]
        + [f"/ui/programmes/{p}" for p in history.programmes]
        + [f"/ui/agencies/{a}" for a in agencies],
        "pages": ["/ui/", f"/ui/programmes/{history.programmes[0]}"]
        + [f"/ui/initiatives/{history.initiatives[0]}", f"/ui/agencies/{agencies[0]}"]
        + [f"/ui/milestones/{milestone_ids[0]}"],
    }


def warm_up(base: str, pages: list[str], headers: dict[str, str]) -> list[float]:
    """Each page read by 2 concurrent clients, 4 times each (so both gunicorn workers
    answer it): the seconds each of those reads took."""
    found: list[float] = []

    def read(page: str) -> None:
        for _ in range(4):
            started = time.perf_counter()
            with urlopen(Request(base + page, headers=headers), timeout=600) as reply:
                reply.read()
            found.append(time.perf_counter() - started)

    for page in pages:
        threads = [threading.Thread(target=read, args=(page,)) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    return found


def _quote(items: list[str]) -> list[str]:
    return [quote(item, safe="/") for item in items]


def page_latencies(url: str, cookie: dict[str, str], pages: list[str], count: int) -> dict:
    """p95 of each page kind, one reader at a time (no other load)."""
    found = {}
    host, port = url.removeprefix("http://").split(":")
    for page in _quote(pages):
        # The first view of a page draws its charts: 26 as-of answers (not timed).
        connection = http.client.HTTPConnection(host, int(port), timeout=600)
        latencies = []
        for warming in [True] + [False] * count:  # the first render compiles the template
            started = time.perf_counter()
            connection.request("GET", page, headers=cookie)
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError(f"GET {page} answered {response.status}")
            if not warming:
                latencies.append((time.perf_counter() - started) * 1000)
        connection.close()
        found[page.split("/")[2] if page != "/ui/" else "overview"] = percentile(latencies, 0.95)
    return found


def _write(url: str, streams: list[tuple[str, int]], stop: Event, acks: Any) -> None:
    """Append EVENTS_PER_APPEND progress reports per call, paced to this writer's share;
    reports when each append was acknowledged and the last position it was given."""
    services = _services(url)
    per_second = WRITE_RATE / EVENTS_PER_APPEND / WRITERS
    names = [stream for stream, _ in streams]
    versions = {stream: services.store.stream_version(stream) for stream in names}
    started, n, acknowledged = time.perf_counter(), 0, []
    while not stop.is_set():
        stream = names[n % len(names)]
        events = [progress_event(n * EVENTS_PER_APPEND + i) for i in range(EVENTS_PER_APPEND)]
        done = services.store.append(stream, events, expected_version=versions[stream], actor=ACTOR)
        acknowledged.append((time.perf_counter(), done.events[-1].position))
        versions[stream] += EVENTS_PER_APPEND
        n += 1
        pause = started + n / per_second - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
    acks.put(acknowledged)


def _project(url: str, stop: Event) -> None:
    """What the worker does on each wake-up: advance the log, then project it."""
    services = _services(url)
    while not stop.is_set():
        if not catch_up(services):
            time.sleep(0.005)


def _sample(url: str, stop: Event, results: Any) -> None:
    """The projected position, every SAMPLE_SECONDS."""
    services = _services(url)
    samples = []
    while not stop.is_set():
        checkpoint = ReadModels(services.redis, services.keys).checkpoint()
        samples.append((time.perf_counter(), checkpoint))
        time.sleep(SAMPLE_SECONDS)
    results.put(samples)


def lags(acks: list[tuple[float, int]], samples: list[tuple[float, int]]) -> list[float]:
    """For each acknowledged append, the ms until the first sample taken after it shows
    its events projected (appends the run ended before seeing projected are left out)."""
    times = [at for at, _ in samples]
    found = []
    for acked, position in acks:
        start = bisect.bisect_left(times, acked)
        done = next((at for at, seen in samples[start:] if seen >= position), None)
        if done is not None:
            found.append((done - acked) * 1000)
    return found


def writer_streams(services: Services, count: int) -> list[list[tuple[str, int]]]:
    """Started milestones the writers report progress on, split between the writers."""
    today = datetime.now(UTC).date()
    appends = []
    for _ in range(count):
        milestone_id = str(uuid.uuid4())
        planned = ms.plan(
            milestone_id=milestone_id,
            initiative_id=str(uuid.uuid4()),
            programme_id=str(uuid.uuid4()),
            title="Writer's milestone",
            description="",
            owner_agency="PGO",
            planned_start=today,
            due_date=today + timedelta(days=400),
        )
        state = ms.fold(planned)
        assert state is not None
        appends.append((f"milestone-{milestone_id}", planned + ms.start(state, "go"), 0))
    append_each(services.store, appends, actor=ACTOR)
    streams = [(stream, len(events)) for stream, events, _ in appends]
    return [streams[i::WRITERS] for i in range(WRITERS)]


def lag_run(
    url: str, base: str, readers: list[str], cookie: dict[str, str], seconds: float, streams: Any
) -> tuple[list[float], Any]:
    context = mp.get_context("fork")
    stop, results, acks = context.Event(), context.Queue(), context.Queue()
    helpers = [context.Process(target=_project, args=(url, stop))]
    helpers.append(context.Process(target=_sample, args=(url, stop, results)))
    helpers += [context.Process(target=_write, args=(url, share, stop, acks)) for share in streams]
    for process in helpers:
        process.start()
    try:
        if readers:
            load = get_load(base, readers, cookie, READERS, seconds)
        else:
            time.sleep(seconds)
            load = None
    finally:
        stop.set()
        samples = results.get(timeout=60)
        acknowledged = [ack for _ in streams for ack in acks.get(timeout=60)]
        for process in helpers:
            process.join(timeout=60)
    if any(process.exitcode for process in helpers):
        raise RuntimeError("a writer or the projector failed during the lag run")
    found = lags(acknowledged, samples)
    if not found:
        raise RuntimeError("no append was seen projected during the lag run")
    return found, load


def measure(settings: Settings, quick: bool) -> dict[str, Any]:
    pages_at, loaded_at, seconds = SIZES[quick]
    clock = FrozenClock(datetime.now(UTC))
    services = _services(settings.redis_url, clock)
    first = grow(services, clock, pages_at, seed=1)
    bearer, cookie = _reader(services)
    found: dict[str, Any] = {"setup_seconds": first["seconds"]}
    with tempfile.TemporaryDirectory(prefix="rt-bench-dash-") as folder:
        log = Path(folder) / "gunicorn.log"
        with gunicorn(settings, log) as base:
            urls = paths(services, first["history"])
            found["pages"] = page_latencies(base, cookie, urls["pages"], PAGE_REQUESTS[quick])
        # A new log rather than more of the same days appended after the first: a log
        # is in the order of its days, which the as-of answers and snapshots rely on.
        unlink_matching(services.redis, *BENCH_PATTERNS)
        second = grow(services, clock, loaded_at, seed=2)
        found["setup_seconds"] += second["seconds"]
        bearer, cookie = _reader(services)
        streams = writer_streams(services, 40)
        Projector(services, end_of_day=False).catch_up()
        # The worker seals and grows the Merkle tree before it projects; the set-up's
        # appends must not be what the first lag run waits for.
        advance_log(services)
        with gunicorn(settings, log) as base:
            urls = paths(services, second["history"])
            json_paths, html_paths = _quote(urls["json"]), _quote(urls["html"])
            # Each gunicorn process computes a page's first view itself (its charts' 25
            # settled weeks, its roll-ups): timed apart, before the loaded reads.
            found["warm_up"] = warm_up(base, json_paths, bearer) + warm_up(base, html_paths, cookie)
            found["json"] = get_load(base, json_paths, bearer, READERS, seconds)
            # The floor under any read: the same stack and token check, no dashboard.
            found["floor"] = get_load(base, ["/bench/noop-read"], bearer, READERS, seconds)
            # Each such read takes many seconds: long enough for a few to finish.
            found["every_record"] = get_load(
                base, ["/bench/every-record-dashboard"], bearer, 1, 3 * seconds
            )
            found["overview"] = get_load(base, ["/dashboard"], bearer, 1, seconds)
            found["html"] = get_load(base, html_paths, cookie, READERS, seconds)
            found["lag_alone"], _ = lag_run(settings.redis_url, base, [], {}, seconds, streams)
            found["lag"], found["json_during_writes"] = lag_run(
                settings.redis_url, base, json_paths, bearer, seconds, streams
            )
            found["sizes"] = {
                "dashboard_bytes": _size(base, "/dashboard", bearer),
                "ui_bytes": _size(base, "/ui/", cookie),
            }
    found["milestones"] = (pages_at, loaded_at)
    return found


def _reader(services: Services) -> tuple[dict[str, str], dict[str, str]]:
    """A viewer token's headers: for the API, and the pages' sign-in cookie."""
    token = services.tokens.create("viewer", None, "bench")[0]
    return {"Authorization": f"Bearer {token}"}, {"Cookie": f"rt_viewer={token}"}


def _size(base: str, path: str, headers: dict[str, str]) -> int:
    with urlopen(Request(base + path, headers=headers)) as reply:
        return len(reply.read())


def _row(case: str, metric: str, value: float, **more: Any) -> dict[str, Any]:
    return {"case": case, "metric": metric, "unit": "ms", "value": round(value, 2), **more}


def _against(
    case: str, metric: str, value: float, baseline: float, baseline_case: str, **more: Any
) -> dict[str, Any]:
    """A row beside its same-run baseline (one measurement of each)."""
    row = compared(case, metric, "ms", [round(value, 2)], [round(baseline, 2)], baseline_case)
    return row.to_dict() | more


def _rows(found: dict[str, Any]) -> list[dict[str, Any]]:
    pages_at, loaded_at = found["milestones"]
    at = f"{loaded_at:,} milestones, {READERS} readers"
    floor = "a no-op GET that checks the token, same load"
    json_reads, html = found["json"], found["html"]
    rows = [
        _against(
            f"dashboard JSON, {at}",
            "p99 latency",
            json_reads.p99_ms,
            found["floor"].p99_ms,
            floor,
            target=f"< {TARGETS['json']:.0f} ms",
            met=json_reads.p99_ms < TARGETS["json"],
        ),
        _against(
            f"dashboard JSON, {at}", "p50 latency", json_reads.p50_ms, found["floor"].p50_ms, floor
        ),
        _against(
            f"GET /dashboard, {loaded_at:,} milestones, 1 reader",
            "p50 latency",
            found["overview"].p50_ms,
            found["every_record"].p50_ms,
            "every record copied per request, 1 reader",
        ),
        _against(
            f"dashboard HTML pages, {at}",
            "p99 latency",
            html.p99_ms,
            json_reads.p99_ms,
            "the JSON reads, same load",
            target=f"< {TARGETS['html']:.0f} ms",
            met=html.p99_ms < TARGETS["html"],
        ),
        _row(f"dashboard HTML pages, {at}", "p50 latency", html.p50_ms),
    ]
    lag, alone = percentile(found["lag"], 0.99), percentile(found["lag_alone"], 0.99)
    rows.append(
        _against(
            f"projector lag at {WRITE_RATE:,} events/s, {READERS} JSON readers",
            "p99 lag",
            lag,
            alone,
            "no readers",
            target=f"< {TARGETS['lag']:.0f} ms",
            met=lag < TARGETS["lag"],
        )
    )
    rows.append(
        _row(
            f"dashboard JSON while {WRITE_RATE:,} events/s are appended",
            "p99 latency",
            found["json_during_writes"].p99_ms,
        )
    )
    for page, p95 in found["pages"].items():
        rows.append(
            _row(
                f"page {page}, {pages_at:,} milestones, 1 reader",
                "p95 latency",
                p95,
                target=f"< {TARGETS['page']:.0f} ms",
                met=p95 < TARGETS["page"],
            )
        )
    return rows


def run(quick: bool = True, redis_url: str | None = None) -> dict[str, Any]:
    with redis_url_or_own(redis_url, "dashboards") as url:
        settings = Settings.for_mode(url, quick)
        client = _services(url).redis
        unlink_matching(client, *BENCH_PATTERNS)
        try:
            found = measure(settings, quick)
        finally:
            unlink_matching(client, *BENCH_PATTERNS)
    sizes = found["sizes"]
    return {
        "rows": _rows(found),
        "notes": [
            f"set up in {found['setup_seconds']:.0f} s; GET /dashboard answers "
            f"{sizes['dashboard_bytes']:,} bytes, /ui/ {sizes['ui_bytes']:,} bytes; "
            f"writes: {WRITERS} processes appending {EVENTS_PER_APPEND} events per call; "
            f"lag: from each append's acknowledgement to the first sample of the projected "
            f"position (every {SAMPLE_SECONDS * 1000:.0f} ms) that covers it; before the "
            f"loaded reads, each page read 8 times by 2 clients (first views in each "
            f"process): {sum(found['warm_up']):.1f} s in all, the slowest read "
            f"{max(found['warm_up']) * 1000:,.0f} ms",
            f"readers: {generator_name()}",
        ],
    }


if __name__ == "__main__":
    run_section_from_command_line(
        "python -m bench.dashboard_scale", run, "1,000 milestones, short runs"
    )
