"""Summary functions: what a calibration target compares with an observation.

A summary function turns one :class:`~sim.run.RunResult` into one number, given the
target's ``args`` (a date, a segment, an outlet...). The built-in ones are registered
here by name; a calibration file names one per target. Every scalar sweep metric of
:mod:`sim.sweep.metrics` is available too, as ``summary: metric`` with
``args: {name: share_leaked}``, so that one definition of each derived number serves
sweeps and calibrations alike.

Each summary declares the arguments it takes (a pydantic model): a calibration file
with a missing or unknown argument is refused when it is loaded, before any run.
To add one::

    from sim.calibration.summaries import register_summary

    class ReachArgs(SummaryArgs):
        date: dt.date

    @register_summary("reach_at", "Share of people reached at a date.", ReachArgs)
    def reach_at(result, args):
        return float(result.trajectories.loc[row_at(result, args.date), "reach_share"])
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator

from sim.model.actors.holder import REPLACEMENT_EVENT
from sim.model.kinds import ACTOR_KINDS, account_kind
from sim.run import RunResult
from sim.sweep.metrics import METRICS

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class SummaryArgs(BaseModel):
    """Arguments of a summary function (unknown keys are errors)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


SummaryFunction = Callable[[RunResult, Any], float]


@dataclass(frozen=True)
class Summary:
    """A registered summary function.

    Attributes:
        name: What a target's ``summary:`` says.
        description: What it measures, with its unit.
        args: The pydantic model of its arguments.
        function: Computes it from a run and its validated arguments.
        share: Whether the value is a share in [0, 1] (a survey sample size then gives
            the observation's binomial standard deviation).
    """

    name: str
    description: str
    args: type[SummaryArgs]
    function: SummaryFunction
    share: bool = False


#: Registered summary functions, by name.
SUMMARIES: dict[str, Summary] = {}


def register_summary(
    name: str, description: str, args: type[SummaryArgs], *, share: bool = False
) -> Callable[[SummaryFunction], SummaryFunction]:
    """Register a summary function under ``name`` (a decorator).

    Args:
        name: Lower-case letters, digits and '_', starting with a letter.
        description: What it measures, with its unit.
        args: The pydantic model of its arguments.
        share: Whether it returns a share in [0, 1].

    Returns:
        The decorator, which returns the function unchanged.

    Raises:
        ValueError: If the name is malformed or already taken by another function.
    """
    if not _NAME.match(name):
        raise ValueError(f"summary name '{name}' must match {_NAME.pattern}")

    def decorate(function: SummaryFunction) -> SummaryFunction:
        known = SUMMARIES.get(name)
        if known is not None and known.function is not function:
            raise ValueError(f"summary '{name}' is already registered")
        SUMMARIES[name] = Summary(name, description, args, function, share)
        return function

    return decorate


def row_at(table: pd.DataFrame, date: dt.date) -> int:
    """The index of the last row of ``table`` dated on or before ``date``.

    Raises:
        ValueError: If ``date`` is before the table's first date.
    """
    dates = pd.to_datetime(table["date"]).dt.date
    before = [i for i, d in zip(table.index, dates, strict=True) if d <= date]
    if not before:
        raise ValueError(f"{date} is before the first simulated date {dates.iloc[0]}")
    return before[-1]


def decimal_year(date: dt.date) -> float:
    """A date as a year with a fraction (2025-07-01 -> about 2025.496).

    >>> decimal_year(dt.date(2020, 1, 1))
    2020.0
    """
    start = dt.date(date.year, 1, 1)
    days = (dt.date(date.year + 1, 1, 1) - start).days
    return date.year + (date - start).days / days


# -- built-in summaries -----------------------------------------------------------------------


class ShareAtDate(SummaryArgs):
    """A segment's (or everyone's) share at a date."""

    date: dt.date = Field(description="The survey's date (the step on or before it is used).")
    segment: str | None = Field(default=None, description="A segment id; everyone when not given.")


def _segment_rows(result: RunResult, segment: str) -> pd.DataFrame:
    rows = result.segments[result.segments["segment"] == segment]
    if rows.empty:
        known = ", ".join(sorted(set(result.segments["segment"])))
        raise ValueError(f"no segment '{segment}' (segments: {known})")
    return rows


def _at(result: RunResult, args: ShareAtDate, column: str) -> float:
    table = result.trajectories if args.segment is None else _segment_rows(result, args.segment)
    return float(table.loc[row_at(table, args.date), column])


@register_summary(
    "favourable_share",
    "Share of people (of one segment, or everyone) favourable to the funder at a date.",
    ShareAtDate,
    share=True,
)
def favourable_share(result: RunResult, args: ShareAtDate) -> float:
    """Favourable share at the step on or before ``args.date``."""
    return _at(result, args, "favourable_share")


@register_summary(
    "mean_opinion",
    "Mean opinion (of one segment, or everyone) at a date, on [-1, 1].",
    ShareAtDate,
)
def mean_opinion(result: RunResult, args: ShareAtDate) -> float:
    """Mean opinion at the step on or before ``args.date``."""
    return _at(result, args, "opinion_mean")


class MoneyWindow(SummaryArgs):
    """A part of the money, over a window of dates."""

    part: Literal["leaked", "for_show", "substantive"] = Field(
        default="leaked", description="Which part of the disbursed money."
    )
    start: dt.date | None = Field(default=None, description="First date (default: the start).")
    end: dt.date | None = Field(default=None, description="Last date (default: the end).")


@register_summary(
    "money_share",
    "Share of the money disbursed within [start, end] that was leaked (or spent for show, "
    "or on substantive work) within it; NaN when nothing was disbursed.",
    MoneyWindow,
    share=True,
)
def money_share(result: RunResult, args: MoneyWindow) -> float:
    """Part / disbursed over the window, from the cumulative money columns."""
    t = result.trajectories
    dates = pd.to_datetime(t["date"]).dt.date
    inside = [
        (args.start is None or d >= args.start) and (args.end is None or d <= args.end)
        for d in dates
    ]
    rows = t[inside]
    if rows.empty:
        return math.nan
    first = rows.index[0]
    before = t.index.get_loc(first)

    def grown(column: str) -> float:
        start = float(t[column].iloc[before - 1]) if before > 0 else 0.0
        return float(rows[column].iloc[-1]) - start

    disbursed = grown("disbursed_usd")
    if disbursed <= 0:
        return math.nan
    return grown(f"{args.part}_usd") / disbursed


class EventCount(SummaryArgs):
    """Events of one kind."""

    kind: str = Field(description="The event kind, as in events.csv (e.g. audit).")
    target: str | None = Field(default=None, description="Only events with this target.")


@register_summary(
    "event_count",
    "Number of events of one kind (audits, shocks...) in the run's events log.",
    EventCount,
)
def event_count(result: RunResult, args: EventCount) -> float:
    """Events of ``args.kind`` (and ``args.target``)."""
    e = result.events
    keep = e["kind"] == args.kind
    if args.target is not None:
        keep &= e["target"] == args.target
    return float(keep.sum())


class ReplacementCount(SummaryArgs):
    """Changes of leadership, optionally of one kind of holder, one holder or a window."""

    actor_kind: str | None = Field(
        default=None,
        description="Only holders of this kind (intermediary, ngo, outlet...); all when not given.",
    )
    actor: str | None = Field(default=None, description="Only the holder with this id.")
    start: dt.date | None = Field(default=None, description="First date (default: the start).")
    end: dt.date | None = Field(default=None, description="Last date (default: the end).")

    @field_validator("actor_kind")
    @classmethod
    def _holder_kind(cls, value: str | None) -> str | None:
        holders = [k.name for k in ACTOR_KINDS.values() if k.holds_money]
        if value is not None and value not in holders:
            raise ValueError(
                f"expected a kind of money holder ({', '.join(holders)}), found '{value}'"
            )
        return value


@register_summary(
    "replacements",
    "Number of changes of leadership (after an audit that caught a holder keeping more "
    "than the funder tolerates, or by an intermediary_replacement shock), from the "
    "replacement events of the run's events log.",
    ReplacementCount,
)
def replacements(result: RunResult, args: ReplacementCount) -> float:
    """Replacement events, filtered by holder kind, holder id and dates."""
    e = result.events
    keep = e["kind"] == REPLACEMENT_EVENT
    accounts = e["target"].astype(str)
    if args.actor_kind is not None:
        keep &= accounts.map(account_kind) == args.actor_kind
    if args.actor is not None:
        keep &= accounts.str.partition(":")[2] == args.actor
    if args.start is not None or args.end is not None:
        dates = pd.to_datetime(e["date"]).dt.date
        if args.start is not None:
            keep &= dates >= args.start
        if args.end is not None:
            keep &= dates <= args.end
    return float(keep.sum())


class OutletStop(SummaryArgs):
    """When an outlet stopped."""

    outlet: str = Field(description="The outlet id.")
    statuses: tuple[str, ...] = Field(
        default=("shut",), min_length=1, description="Statuses that count as stopped."
    )


@register_summary(
    "outlet_stop_year",
    "Date (as a decimal year) of the first step at which an outlet is stopped; the year "
    "after the run's end when it never stops.",
    OutletStop,
)
def outlet_stop_year(result: RunResult, args: OutletStop) -> float:
    """Decimal year of the first step with a stopped status."""
    o = result.outlets
    rows = o[o["outlet"] == args.outlet]
    if rows.empty:
        raise ValueError(f"no outlet '{args.outlet}'")
    stopped = rows[rows["status"].isin(args.statuses)]
    if stopped.empty:
        last = pd.to_datetime(rows["date"]).dt.date.iloc[-1]
        return float(last.year + 1)
    return decimal_year(pd.to_datetime(stopped["date"]).dt.date.iloc[0])


class MetricName(SummaryArgs):
    """A sweep metric by name."""

    name: Literal[tuple(METRICS)] = Field(  # type: ignore[valid-type]
        description="A registered sweep metric (see docs/sweeps.md)."
    )


@register_summary(
    "metric",
    "Any registered sweep metric (sim/sweep/metrics.py), e.g. share_leaked or "
    "final_attributable_opinion.",
    MetricName,
)
def metric(result: RunResult, args: MetricName) -> float:
    """The sweep metric's value."""
    return float(METRICS[args.name].function(result))


#: Sweep metrics whose value is a share in [0, 1].
SHARE_METRICS = frozenset(
    {"final_favourable_share", "share_leaked", "share_for_show", "share_substantive"}
)


def is_share(summary: str, args: SummaryArgs) -> bool:
    """Whether this summary with these arguments is a share in [0, 1]."""
    if summary == "metric":
        return getattr(args, "name", None) in SHARE_METRICS
    return SUMMARIES[summary].share
