"""Calendar of a run: the date of each step and the length of a step in years."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated

from pydantic import Field

if TYPE_CHECKING:
    from sim.scenario.schema import TimeSpec

DAYS_PER_YEAR = 365.25

#: Earliest and latest dates a scenario may name: wide enough for any history or
#: projection, narrow enough that every step date (and a year after the end) exists.
MIN_DATE = dt.date(1900, 1, 1)
MAX_DATE = dt.date(2200, 12, 31)

#: A calendar date of a scenario, between :data:`MIN_DATE` and :data:`MAX_DATE`.
Date = Annotated[dt.date, Field(ge=MIN_DATE, le=MAX_DATE)]


def step_dates(time: TimeSpec) -> list[dt.date]:
    """Return the date each step starts on, from ``time.start`` while the date <= ``time.end``.

    Monthly steps keep the day of the month of ``start`` (clamped to 28 so that
    every month has it); weekly steps are 7 days apart.

    Args:
        time: The scenario's time specification.

    Returns:
        One date per step.
    """
    dates: list[dt.date] = []
    if time.step == "week":
        day = time.start
        while day <= time.end:
            dates.append(day)
            day += dt.timedelta(days=7)
        return dates
    k = 0
    while True:
        year, month0 = divmod(time.start.month - 1 + k, 12)
        day = dt.date(time.start.year + year, month0 + 1, min(time.start.day, 28))
        if day > time.end:
            return dates
        dates.append(day)
        k += 1


def years_per_step(time: TimeSpec) -> float:
    """Return the length of one step in years."""
    return 7 / DAYS_PER_YEAR if time.step == "week" else 1 / 12


def per_step(rate_per_year: float, years: float) -> float:
    """Convert a yearly rate (share per year) into the rate for a step of ``years`` years.

    Compounding twelve monthly steps gives back the yearly rate:

    >>> monthly = per_step(0.5, 1 / 12)
    >>> round(monthly, 6)
    0.056126
    >>> round(1 - (1 - monthly) ** 12, 12)
    0.5
    """
    return 1.0 - (1.0 - rate_per_year) ** years
