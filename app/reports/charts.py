"""The indicators' horizontal bar charts: their geometry and titles, drawn as SVG by templates/reports/_chart.html.

Computed here so the template only places shapes: no arithmetic in Jinja, and the scales are testable.
Coordinates are viewBox units; the SVG scales with the page width, so they are not pixels.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from babel.dates import format_skeleton

from app.core.i18n import _

if TYPE_CHECKING:  # the figures are only read here; indicators imports this module to draw them
    from app.reports.indicators import PeriodCount, ProgrammeIndicators

ChartKind = Literal["count", "share"]

ROW_HEIGHT = 28
BAR_HEIGHT = 18
TOP = 28  # room for the scale's figures above the bars
PLOT_WIDTH = 400
VALUE_ROOM = 72  # right of the longest bar, for its figure
CHAR_WIDTH = 7.2  # average width of a 13-unit character, to size the label column
MIN_LABEL_WIDTH = 48
MAX_LABEL_CHARS = 28


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    y: float
    width: float
    height: float
    text_y: float
    value_x: float


@dataclass(frozen=True)
class Tick:
    value: float
    x: float


@dataclass(frozen=True)
class BarChart:
    """One chart: `kind` tells the template whether figures are counts or shares (0–1)."""

    chart_id: str
    title: str
    description: str
    kind: ChartKind
    bars: tuple[Bar, ...]
    ticks: tuple[Tick, ...]
    label_width: float
    plot_width: float
    width: float
    height: float

    @property
    def is_empty(self) -> bool:
        return not self.bars or all(bar.value == 0 for bar in self.bars)

    @property
    def plot_bottom(self) -> float:
        return self.height - 8

    @property
    def grid_top(self) -> float:
        return TOP - 6

    @property
    def scale_text_y(self) -> float:
        return TOP - 11


def nice_maximum(value: float) -> tuple[float, float]:
    """The top of a count scale and its step: 1, 2 or 5 times a power of ten, about four steps."""
    if value <= 0:
        return 1.0, 1.0
    rough = value / 4
    magnitude = 10 ** math.floor(math.log10(rough))
    step = next(factor * magnitude for factor in (1, 2, 5, 10) if factor * magnitude >= rough)
    step = max(step, 1.0)  # counts are whole numbers
    return step * math.ceil(value / step), step


def _short(label: str) -> str:
    return label if len(label) <= MAX_LABEL_CHARS else label[: MAX_LABEL_CHARS - 1] + "…"


def bar_chart(
    *, chart_id: str, title: str, description: str, kind: ChartKind, data: Sequence[tuple[str, float]]
) -> BarChart:
    """Bars for (label, value) pairs in the given order; shares run from 0 to 1, counts to a round maximum."""
    labels = [_short(label) for label, _value in data]
    label_width = max(MIN_LABEL_WIDTH, max((len(label) for label in labels), default=0) * CHAR_WIDTH + 12)
    if kind == "share":
        top, step = 1.0, 0.25
    else:
        top, step = nice_maximum(max((value for _label, value in data), default=0))
    scale = PLOT_WIDTH / top
    bars = []
    for index, (label, (_full, value)) in enumerate(zip(labels, data, strict=True)):
        y = TOP + index * ROW_HEIGHT + (ROW_HEIGHT - BAR_HEIGHT) / 2
        width = min(value, top) * scale
        bars.append(
            Bar(
                label=label,
                value=value,
                y=y,
                width=round(width, 2),
                height=BAR_HEIGHT,
                text_y=y + BAR_HEIGHT / 2 + 4.5,
                value_x=round(label_width + width + 6, 2),
            )
        )
    tick_count = round(top / step)
    ticks = tuple(
        Tick(value=step * number, x=round(label_width + step * number * scale, 2)) for number in range(tick_count + 1)
    )
    return BarChart(
        chart_id=chart_id,
        title=title,
        description=description,
        kind=kind,
        bars=tuple(bars),
        ticks=ticks,
        label_width=label_width,
        plot_width=PLOT_WIDTH,
        width=label_width + PLOT_WIDTH + VALUE_ROOM,
        height=TOP + len(bars) * ROW_HEIGHT + 8,
    )


def period_label(period: PeriodCount, by: Literal["month", "year"], locale: str, *, short: bool = False) -> str:
    """A month as "2024 m. sausis" / "January 2024" ("2024-01" / "Jan 2024" on a chart), or a year."""
    if by == "year":
        return str(period.start.year)
    return format_skeleton("yMMM" if short else "yMMMM", period.start, locale=locale)


def indicator_charts(indicators: ProgrammeIndicators, locale: str) -> dict[str, BarChart]:
    """The dashboard's three charts, titled and described in the reader's language."""
    same_figures = _("The table after the chart gives the same figures.")
    with_rate = [course for course in indicators.courses if course.completion_rate is not None]
    by_year = indicators.registrations_by == "year"
    return {
        "completions": bar_chart(
            chart_id="chart-completions",
            title=_("Completions per course"),
            description=_("Horizontal bars, one per course, labelled by course code: completions in the period.")
            + " "
            + same_figures,
            kind="count",
            data=[(course.code, course.completions) for course in indicators.courses],
        ),
        "rates": bar_chart(
            chart_id="chart-rates",
            title=_("Completion rate per course"),
            description=_(
                "Horizontal bars from 0 to 100 percent, one per course with participants, labelled by course code: "
                "the share of participants who completed the course."
            )
            + " "
            + same_figures,
            kind="share",
            data=[(course.code, course.completion_rate or 0.0) for course in with_rate],
        ),
        "registrations": bar_chart(
            chart_id="chart-registrations",
            title=_("Registered learners per year") if by_year else _("Registered learners per month"),
            description=_("Horizontal bars, one per period in time order: learners who registered in it.")
            + " "
            + same_figures,
            kind="count",
            data=[
                (period_label(period, indicators.registrations_by, locale, short=True), period.count)
                for period in indicators.registrations
            ],
        ),
    }
