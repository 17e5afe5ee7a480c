"""Chart data: one shape per milestone, week or delivery, placed where its numbers say,
and the weekly trend points equal to the as-of dashboards of those days."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import fakeredis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.access.policy import TokenRecord
from service.bootstrap import Services, bootstrap
from service.cli.demo_data import MOD, PGO
from service.cli.demo_loader import load_demo
from service.dashboards import charts as page_charts
from service.dashboards.domain import charts
from service.dashboards.domain.charts import LABEL_WIDTH, PLOT_HEIGHT, RIGHT, WeekPoint
from service.dashboards.projector import Projector
from service.dashboards.queries import DashboardQueries
from service.ledger.domain.errors import NotFound
from service.runtime.clock import FrozenClock
from service.runtime.config import Config

DAY = date(2026, 11, 25)
days = st.integers(min_value=-400, max_value=400)
titles = st.text("abcdefghij …", min_size=1, max_size=80)
# Generating these is cheap, but two cores shared by parallel runs can make it look slow.
patient = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
colours = st.sampled_from(["red", "amber", "green"])


@st.composite
def milestone_rows(draw: st.DrawFn) -> dict[str, Any]:
    start = DAY + timedelta(days=draw(days))
    planned_due = start + timedelta(days=draw(st.integers(0, 300)))
    due = max(start, planned_due + timedelta(days=draw(st.integers(-60, 200))))
    return {
        "milestone_id": str(draw(st.integers(0, 10**9))),
        "title": draw(titles),
        "status": draw(st.sampled_from(["planned", "in_progress", "verified"])),
        "rag": {"colour": draw(colours), "reasons": []},
        "progress": draw(st.integers(0, 100)),
        "planned_start": start.isoformat(),
        "planned_due_date": planned_due.isoformat(),
        "due_date": due.isoformat(),
        "slip_days": (due - planned_due).days,
        "days_overdue": max(0, (DAY - due).days),
    }


@patient
@given(st.lists(milestone_rows(), max_size=12), days)
def test_timeline_has_one_bar_per_milestone_placed_by_its_dates(
    rows: list[dict[str, Any]], offset: int
) -> None:
    today = DAY + timedelta(days=offset)
    chart = charts.gantt(rows, today)
    assert [bar.milestone_id for bar in chart.bars] == [row["milestone_id"] for row in rows]
    assert LABEL_WIDTH <= chart.today_x <= RIGHT
    for bar, row in zip(chart.bars, rows, strict=True):
        assert LABEL_WIDTH <= bar.planned_x <= bar.slip_x <= RIGHT
        assert bar.slip_x <= bar.planned_x + bar.planned_width + 0.2 or bar.planned_width == 2.0
        assert LABEL_WIDTH <= bar.due_x <= RIGHT
        assert (bar.slip_width > 0) == (row["due_date"] > row["planned_due_date"]) or (
            bar.slip_width == 0 and abs(bar.due_x - bar.slip_x) < 0.2
        )
        assert len(bar.label) <= 34 and bar.title == row["title"]
    ys = [bar.y for bar in chart.bars]
    assert ys == sorted(set(ys)) and chart.height > (ys[-1] if ys else 0)


def test_timeline_marks_a_slip_and_today() -> None:
    row = {
        "milestone_id": "m",
        "title": "Recording",
        "status": "in_progress",
        "rag": {"colour": "green", "reasons": []},
        "progress": 25,
        "planned_start": "2026-09-26",
        "planned_due_date": "2026-11-20",
        "due_date": "2027-01-24",
        "slip_days": 65,
        "days_overdue": 0,
    }
    chart = charts.gantt([row], DAY)
    (bar,) = chart.bars
    assert bar.slip_width > 0 and bar.slip_x + bar.slip_width == bar.due_x
    assert bar.slip_x < chart.today_x < bar.due_x  # today falls inside the slip
    assert bar.summary == "in progress, 25%, RAG green, slipped +65 days"
    assert "1 slipped past the planned due date, 0 overdue on 2026-11-25" in chart.description


week_points = st.builds(
    WeekPoint,
    st.just(DAY),
    st.one_of(st.none(), st.floats(0, 100).map(lambda f: round(f, 1))),
    st.fixed_dictionaries(
        {"red": st.integers(0, 900), "amber": st.integers(0, 900), "green": st.integers(0, 900)}
    ),
)


@patient
@given(st.lists(week_points, max_size=30))
def test_trend_has_one_column_per_week_and_bars_as_tall_as_their_counts(
    points: list[WeekPoint],
) -> None:
    chart = charts.trend(points)
    assert [column.point for column in chart.columns] == points
    top = chart.base_y - PLOT_HEIGHT
    ceiling = max(int(tick.label) for tick in chart.count_ticks)
    assert ceiling >= max((p.milestones for p in points), default=0)
    xs = [column.x for column in chart.columns]
    assert xs == sorted(set(xs))
    for column in chart.columns:
        stacked = sum(segment.height for segment in column.segments)
        assert abs(stacked - column.point.milestones / ceiling * PLOT_HEIGHT) < 0.5
        assert [s.colour for s in column.segments] == [
            c for c in ("red", "amber", "green") if column.point.counts_by_rag[c]
        ]
        assert all(top - 0.5 <= s.y <= chart.base_y for s in column.segments)
        percent = column.point.percent_complete
        if percent is None:
            assert column.percent_y is None
        else:
            assert column.percent_y is not None
            assert abs(chart.base_y - column.percent_y - percent / 100 * PLOT_HEIGHT) < 0.2
    labelled = [i for i in range(len(points)) if chart.labelled(i)]
    assert len(labelled) <= 7 and (not points or labelled[-1] == len(points) - 1)


@given(st.dates(date(2020, 1, 1), date(2030, 12, 31)))
def test_week_ends_are_sundays_a_week_apart_then_the_day(day: date) -> None:
    ends = charts.week_ends(day)
    assert len(ends) == charts.WEEKS and ends[-1] == day
    sundays = ends[:-1]
    assert {d.isoweekday() for d in sundays} == {7}
    assert {b - a for a, b in zip(sundays, sundays[1:], strict=False)} == {timedelta(days=7)}
    assert timedelta(days=1) <= day - sundays[-1] <= timedelta(days=7)


deliveries = st.builds(
    lambda late, title: {
        "milestone_id": title,
        "title": title,
        "planned_due_date": "2026-10-26",
        "completed_on": (date(2026, 10, 26) + timedelta(days=late)).isoformat(),
        "days_late": late,
        "on_time": late <= 0,
    },
    st.integers(-400, 400),
    titles,
)


@patient
@given(st.lists(deliveries, max_size=12))
def test_on_time_bars_run_from_the_due_date_left_when_early_right_when_late(
    completed: list[dict[str, Any]],
) -> None:
    chart = charts.on_time(completed)
    assert len(chart.bars) == len(completed)
    for bar in chart.bars:
        assert bar.x >= LABEL_WIDTH and bar.x + bar.width <= RIGHT
        if bar.days_late > 0:
            assert bar.x == chart.zero_x and bar.on_time is False
        elif bar.days_late < 0:
            assert abs(bar.x + bar.width - chart.zero_x) < 0.2 and bar.on_time is True
    punctual = sum(1 for d in completed if d["on_time"])
    if completed:
        assert chart.description.startswith(f"{punctual} of {len(completed)} completed")
    assert any(tick.label == "due" and tick.at == chart.zero_x for tick in chart.ticks)


@patient
@given(st.lists(deliveries, min_size=1, max_size=12), st.integers(0, 50))
def test_on_time_says_when_it_shows_only_the_latest_completions(
    shown: list[dict[str, Any]], more: int
) -> None:
    chart = charts.on_time(shown, len(shown) + more)
    punctual = sum(1 for d in shown if d["on_time"])
    if more:
        expected = f"The latest {len(shown)} of {len(shown) + more} completed milestones: "
        assert chart.description.startswith(expected + f"{punctual} of them")
    else:
        assert chart.description.startswith(f"{punctual} of {len(shown)} completed")


def test_trend_points_are_the_as_of_dashboards_of_each_week(services: Services) -> None:
    """The demo's history starts 250 days back: the programme has all 26 weeks, the
    Ministry of Defence the 11 since its first milestone was planned (day -70). With every
    event stamped at load time both would have a single week."""
    summary = load_demo(services)
    Projector(services).catch_up()
    queries = DashboardQueries(services)
    programme = queries.programme(summary.programme_id)
    trend = page_charts.programme_trend(queries, programme)
    assert len(trend.columns) == charts.WEEKS
    for column in trend.columns:
        then = queries.programme(summary.programme_id, column.point.day)
        assert column.point.percent_complete == then["percent_complete"]
        assert column.point.counts_by_rag == then["counts_by_rag"]
    first, last = trend.columns[0].point, trend.columns[-1].point
    assert (first.day, first.milestones, first.percent_complete) == (date(2026, 6, 7), 2, 15.0)
    assert (last.day, last.milestones) == (DAY, 7)
    assert last.counts_by_rag == {"green": 5, "amber": 2, "red": 0}

    ministry = page_charts.agency_trend(queries, queries.scorecard(MOD))
    assert [c.point.day for c in ministry.columns][:1] == [date(2026, 9, 20)]
    assert len(ministry.columns) == 11

    scorecard = queries.scorecard(PGO)
    delivered = page_charts.agency_on_time(scorecard)
    assert [(b.title, b.days_late, b.on_time) for b in delivered.bars] == [
        ("Video surveillance in units", -3, True)
    ]


def test_settled_weeks_are_read_once_and_the_newest_every_time() -> None:
    asked: list[date] = []
    answers = iter(range(1000))  # every answer differs from the one before
    created = DAY - timedelta(weeks=5)

    def read(day: date) -> dict[str, Any]:
        asked.append(day)
        if day < created:
            raise NotFound("programme")
        return {"percent_complete": float(next(answers)), "counts_by_rag": {"green": 1}}

    scope = ("test", "programme", str(uuid.uuid4()))
    first = page_charts.weekly(read, DAY, scope=scope, today=DAY)
    sundays = [date(2026, 10, 25) + timedelta(weeks=w) for w in range(5)]  # from created on
    assert [p.day for p in first] == [*sundays, DAY]
    assert len(asked) == 7  # six weeks, and the week before the programme existed
    asked.clear()
    again = page_charts.weekly(read, DAY, scope=scope, today=DAY)
    assert asked == [DAY], "only the week still open is asked again"
    assert again[:-1] == first[:-1] and again[-1] != first[-1]
    asked.clear()
    later = DAY + timedelta(days=2)  # two days on, DAY is settled too
    page_charts.weekly(read, DAY, scope=scope, today=later)
    page_charts.weekly(read, DAY, scope=scope, today=later)
    assert asked == [DAY]
    asked.clear()
    page_charts.weekly(read, DAY, scope=("another", *scope[1:]), today=DAY)
    assert len(asked) == 7, "another store or other rules remember nothing of this one"


def test_remembered_weeks_belong_to_their_own_log(services: Services, config: Config) -> None:
    """Two logs with an agency of the same name, on the same days: the second does not
    get the first one's settled weeks."""
    load_demo(services)
    Projector(services).catch_up()
    queries = DashboardQueries(services)
    assert len(page_charts.agency_trend(queries, queries.scorecard(PGO)).columns) == 26

    client = fakeredis.FakeRedis(server=fakeredis.FakeServer(), decode_responses=True)
    other = bootstrap(config, clock=FrozenClock(services.clock.now()), client=client)
    desk = TokenRecord("t-1", "overseer", None, "desk", "2026-11-25T09:00:00Z")
    programme = other.tracker.create_programme(desk, title="P", description="", lead_agency=PGO)
    initiative = other.tracker.launch_initiative(
        desk,
        programme.loaded.state.programme_id,
        title="I",
        description="",
        owner_agency=PGO,
        lead="",
    )
    other.tracker.plan_milestone(
        desk,
        initiative.loaded.state.initiative_id,
        title="M",
        description="",
        planned_start=DAY,
        due_date=DAY + timedelta(days=30),
    )
    Projector(other).catch_up()
    theirs = DashboardQueries(other)
    trend = page_charts.agency_trend(theirs, theirs.scorecard(PGO))
    assert [column.point.day for column in trend.columns] == [DAY]
