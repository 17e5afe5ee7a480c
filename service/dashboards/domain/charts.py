"""What the dashboard charts show and where: a milestone timeline per initiative (Gantt),
weekly trends of % complete and of milestones by RAG, and on-time delivery per agency.

Pure: dashboard rows and weekly points in, shapes in SVG user units out. Drawing them is
the templates' job (service/templates/_charts.html), so the numbers a chart shows can be
tested without parsing SVG, and the table printed under each chart comes from the same
objects as its shapes. Every chart also says in words (its description) what a reader
would otherwise have to see.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from service.dashboards.domain.phrases import Month, Phrase
from service.dashboards.domain.rag import AMBER, GREEN, RED

WIDTH = 760.0  # every chart is this wide (viewBox units); the page scales it
LABEL_WIDTH = 250.0  # room for the milestone titles left of a timeline
RIGHT = WIDTH - 16.0
ROW = 30.0  # height of one milestone or delivery row
TOP = 34.0  # room for the axis labels above the rows
WEEKS = 26  # how far back a trend looks
PLOT_HEIGHT = 150.0
COLOURS = (RED, AMBER, GREEN)  # stacking order of the RAG bars, worst at the bottom


def _clip(text: str, limit: int = 34) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@dataclass(frozen=True)
class Tick:
    at: float
    label: str


@dataclass(frozen=True)
class TimeScale:
    """Days mapped onto the x axis between ``left`` and ``right``."""

    first: date
    last: date
    left: float = LABEL_WIDTH
    right: float = RIGHT

    def x(self, day: date) -> float:
        span = max((self.last - self.first).days, 1)
        return round(self.left + (day - self.first).days / span * (self.right - self.left), 1)

    def months(self) -> list[Tick]:
        """The first of each month in range, at most eight labels (every nth month)."""
        firsts, month = [], date(self.first.year, self.first.month, 1)
        while month <= self.last:
            if month >= self.first:
                firsts.append(month)
            month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
        step = max(1, math.ceil(len(firsts) / 8))
        return [Tick(self.x(day), Month(day)) for day in firsts[::step]]


# --- Gantt: one bar per milestone ---------------------------------------------------


@dataclass(frozen=True)
class GanttBar:
    milestone_id: str
    title: str
    label: str  # the title, shortened to fit left of the bar
    status: str
    colour: str  # RAG
    progress: int
    planned_start: str
    planned_due_date: str
    due_date: str
    slip_days: int
    days_overdue: int
    y: float
    planned_x: float
    planned_width: float
    slip_x: float  # the slip: from the planned due date on to a later current due date
    slip_width: float
    due_x: float  # the current due date

    @property
    def summary(self) -> str:
        """What the bar shows, in words (its tooltip and the row's last cell)."""
        said = Phrase(
            "%(status)s, %(progress)s%%, RAG %(colour)s",
            status=Phrase(self.status.replace("_", " ")),
            progress=self.progress,
            colour=Phrase(self.colour),
        )
        if self.slip_days:
            slip = f"{self.slip_days:+d}"
            said = Phrase("%(summary)s, slipped %(days)s days", summary=said, days=slip)
        if self.days_overdue:
            days = self.days_overdue
            said = Phrase("%(summary)s, %(days)s days overdue", summary=said, days=days)
        return said


@dataclass(frozen=True)
class Gantt:
    bars: tuple[GanttBar, ...]
    months: tuple[Tick, ...]
    today: date
    today_x: float
    height: float
    description: str


def gantt(rows: Sequence[dict[str, Any]], today: date) -> Gantt:
    """Milestone rows (as the initiative dashboard gives them) in their given order: the
    planned span, the slip to the current due date, and a line at ``today``."""
    days = [today]
    for row in rows:
        days += [date.fromisoformat(row[key]) for key in ("planned_start", "planned_due_date")]
        days.append(date.fromisoformat(row["due_date"]))
    pad = timedelta(days=max(3, (max(days) - min(days)).days // 30))
    scale = TimeScale(min(days) - pad, max(days) + pad)
    bars = []
    for index, row in enumerate(rows):
        start, planned, due = (
            scale.x(date.fromisoformat(row[key]))
            for key in ("planned_start", "planned_due_date", "due_date")
        )
        bars.append(
            GanttBar(
                milestone_id=row["milestone_id"],
                title=row["title"],
                label=_clip(row["title"]),
                status=row["status"],
                colour=row["rag"]["colour"],
                progress=row["progress"],
                planned_start=row["planned_start"],
                planned_due_date=row["planned_due_date"],
                due_date=row["due_date"],
                slip_days=row["slip_days"],
                days_overdue=row["days_overdue"],
                y=TOP + index * ROW,
                planned_x=start,
                planned_width=max(round(planned - start, 1), 2.0),
                slip_x=planned,
                slip_width=max(round(due - planned, 1), 0.0),
                due_x=due,
            )
        )
    slipped = sum(1 for bar in bars if bar.slip_days > 0)
    overdue = sum(1 for bar in bars if bar.days_overdue)
    counts = {"first": scale.first, "last": scale.last, "slipped": slipped, "overdue": overdue}
    description = (
        Phrase(
            "1 milestone from %(first)s to %(last)s: %(slipped)s slipped past the planned due "
            "date, %(overdue)s overdue on %(today)s. The table below gives every date.",
            today=today,
            **counts,
        )
        if len(bars) == 1
        else Phrase(
            "%(count)s milestones from %(first)s to %(last)s: %(slipped)s slipped past the "
            "planned due date, %(overdue)s overdue on %(today)s. The table below gives every "
            "date.",
            count=len(bars),
            today=today,
            **counts,
        )
        if bars
        else Phrase("No milestones.")
    )
    return Gantt(
        tuple(bars),
        tuple(scale.months()),
        today,
        scale.x(today),
        TOP + len(bars) * ROW + 8,
        description,
    )


# --- Trends: one column per week --------------------------------------------------------


@dataclass(frozen=True)
class WeekPoint:
    """A scope's standing at the end of one week, as the as-of dashboard gave it."""

    day: date
    percent_complete: float | None
    counts_by_rag: dict[str, int]

    @property
    def milestones(self) -> int:
        return sum(self.counts_by_rag.values())


def week_ends(until: date, weeks: int = WEEKS) -> list[date]:
    """The ends (Sundays) of the weeks before ``until``'s, then ``until`` itself: ``weeks``
    days, oldest first. Sundays are the days whose end-of-day snapshots are kept past the
    last month, so each point starts from one (service/dashboards/end_of_day.py)."""
    last_sunday = until - timedelta(days=until.isoweekday() % 7)
    earlier = weeks if last_sunday == until else weeks - 1
    ends = [last_sunday - timedelta(weeks=back) for back in reversed(range(earlier))]
    return ends if last_sunday == until else [*ends, until]


@dataclass(frozen=True)
class Segment:
    colour: str
    count: int
    y: float
    height: float


@dataclass(frozen=True)
class TrendColumn:
    point: WeekPoint
    x: float  # the column's centre
    percent_y: float | None
    segments: tuple[Segment, ...]  # RAG counts stacked, red at the bottom


@dataclass(frozen=True)
class Trend:
    columns: tuple[TrendColumn, ...]
    bar_width: float
    line: str  # the % complete polyline's points; breaks are not drawn (weeks without data)
    percent_ticks: tuple[Tick, ...]
    count_ticks: tuple[Tick, ...]
    base_y: float
    height: float
    percent_description: str
    rag_description: str

    @property
    def label_every(self) -> int:
        """Label every nth week on the x axis, so that at most seven dates are printed."""
        return max(1, math.ceil(len(self.columns) / 7))

    def labelled(self, index: int) -> bool:
        """The newest week is always labelled, and every ``label_every``-th before it."""
        return (len(self.columns) - 1 - index) % self.label_every == 0


def _count_step(most: int) -> int:
    for step in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000):
        if most / step <= 5:
            return step
    return 10 ** len(str(most))


def trend(points: Sequence[WeekPoint]) -> Trend:
    base = 16.0 + PLOT_HEIGHT  # 16 units above the plot for the top tick's label
    left, right = 56.0, RIGHT
    slot = (right - left) / max(len(points), 1)
    most = max((p.milestones for p in points), default=0)
    step = _count_step(max(most, 1))
    ceiling = step * max(1, math.ceil(most / step))

    def height(count: float, of: float) -> float:
        return round(count / of * PLOT_HEIGHT, 1)

    columns = []
    for index, point in enumerate(points):
        segments, y = [], base
        for colour in COLOURS:
            count = point.counts_by_rag.get(colour, 0)
            if count:
                y = round(y - height(count, ceiling), 1)
                segments.append(Segment(colour, count, y, height(count, ceiling)))
        percent = point.percent_complete
        columns.append(
            TrendColumn(
                point,
                round(left + slot * (index + 0.5), 1),
                None if percent is None else round(base - height(percent, 100), 1),
                tuple(segments),
            )
        )
    line = " ".join(f"{c.x},{c.percent_y}" for c in columns if c.percent_y is not None)
    first, last = (points[0], points[-1]) if points else (None, None)
    return Trend(
        tuple(columns),
        round(min(slot * 0.6, 28.0), 1),
        line,
        tuple(
            Tick(round(base - height(p, 100), 1), Phrase("%(value)s%%", value=p))
            for p in (0, 25, 50, 75, 100)
        ),
        tuple(
            Tick(round(base - height(n, ceiling), 1), str(n)) for n in range(0, ceiling + 1, step)
        ),
        base,
        base + 24,
        _percent_words(first, last, len(points)),
        _rag_words(last, len(points)),
    )


def _weeks(count: int) -> str:
    return Phrase("1 week") if count == 1 else Phrase("each of %(count)s weeks", count=count)


def _percent(value: float | None) -> str:
    return Phrase("no milestones") if value is None else Phrase("%(value)s%%", value=value)


def _percent_words(first: WeekPoint | None, last: WeekPoint | None, weeks: int) -> str:
    if first is None or last is None:
        return Phrase("No weeks to show.")
    return Phrase(
        "Percent complete at the end of %(weeks)s: %(first)s on %(first_day)s, %(last)s on "
        "%(last_day)s. The table below gives every week.",
        weeks=_weeks(weeks),
        first=_percent(first.percent_complete),
        first_day=first.day,
        last=_percent(last.percent_complete),
        last_day=last.day,
    )


def _rag_words(last: WeekPoint | None, weeks: int) -> str:
    if last is None:
        return Phrase("No weeks to show.")
    return Phrase(
        "Milestones by RAG colour at the end of %(weeks)s, stacked red, amber, green from the "
        "bottom; on %(day)s: %(red)s red, %(amber)s amber, %(green)s green. The table below "
        "gives every week.",
        weeks=_weeks(weeks),
        day=last.day,
        **{colour: last.counts_by_rag.get(colour, 0) for colour in COLOURS},
    )


# --- On-time delivery: one bar per completed milestone -----------------------------------


@dataclass(frozen=True)
class DeliveryBar:
    milestone_id: str
    title: str
    label: str
    planned_due_date: str
    completed_on: str
    days_late: int
    on_time: bool
    y: float
    x: float
    width: float

    @property
    def summary(self) -> str:
        if self.days_late > 0:
            return Phrase("%(days)s days late", days=self.days_late)
        if self.days_late < 0:
            return Phrase("%(days)s days early", days=-self.days_late)
        return Phrase("on the baseline due date")


@dataclass(frozen=True)
class OnTime:
    bars: tuple[DeliveryBar, ...]
    zero_x: float
    ticks: tuple[Tick, ...]
    height: float
    description: str


def on_time(deliveries: Sequence[dict[str, Any]], completed: int | None = None) -> OnTime:
    """Completed milestones (a scorecard's ``deliveries``: the latest of ``completed``, all
    of them when None): a bar from the baseline due date to the day completion was
    claimed, left for early, right for late."""
    reach = max([7, *(abs(d["days_late"]) for d in deliveries)])  # at least a week each way
    step = _count_step(reach)
    reach = step * math.ceil(reach / step)
    left, right = LABEL_WIDTH, RIGHT - 60.0  # room on the right for "12 days late"
    middle = (left + right) / 2

    def x(days: int) -> float:
        return round(middle + days / reach * (right - left) / 2, 1)

    def _width(delivery: dict[str, Any]) -> float:
        return max(round(abs(x(delivery["days_late"]) - x(0)), 1), 2.0)

    bars = tuple(
        DeliveryBar(
            milestone_id=d["milestone_id"],
            title=d["title"],
            label=_clip(d["title"]),
            planned_due_date=d["planned_due_date"],
            completed_on=d["completed_on"],
            days_late=d["days_late"],
            on_time=d["on_time"],
            y=TOP + index * ROW,
            # At least 2 units wide, so a day early or late still shows; it grows away
            # from the due-date line, never across it.
            x=round(x(0) - _width(d) if d["days_late"] < 0 else x(0), 1),
            width=_width(d),
        )
        for index, d in enumerate(deliveries)
    )
    punctual = sum(1 for bar in bars if bar.on_time)
    if not bars:
        description = Phrase("No milestone has been completed yet.")
    elif completed is None or completed <= len(bars):
        description = Phrase(
            "%(punctual)s of %(count)s completed milestones were claimed complete on or before "
            "their baseline due date. Each bar runs from the baseline due date to the day "
            "completion was claimed: to the left when early, to the right when late.",
            punctual=punctual,
            count=len(bars),
        )
    else:
        description = Phrase(
            "The latest %(count)s of %(completed)s completed milestones: %(punctual)s of them "
            "were claimed complete on or before their baseline due date. Each bar runs from "
            "the baseline due date to the day completion was claimed: to the left when "
            "early, to the right when late.",
            punctual=punctual,
            count=len(bars),
            completed=completed,
        )
    ticks = tuple(
        Tick(x(days), Phrase("%(days)s d", days=format(days, "+d")) if days else Phrase("due"))
        for days in range(-reach, reach + 1, step)
    )
    return OnTime(bars, x(0), ticks, TOP + len(bars) * ROW + 8, description)
