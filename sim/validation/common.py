"""Building blocks shared by the validation anchors: plans of independent calls, statistics.

An anchor is computed in two parts: independent *calls* (top-level functions with plain
arguments, so that they can run on worker processes) and a *reduction* of their values
to the anchor's numbers, done where the calls were made. A :class:`Plan` holds both.
:meth:`Plan.run` runs the calls one after another in this process (what tests do); the
validation report (:mod:`sim.validation.report`) gathers the calls of every anchor and
runs them together on an executor of :mod:`sim.sweep.execute`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Call:
    """One independent piece of work: ``function(*args)``.

    Attributes:
        function: A top-level function of an importable module (picklable).
        args: Its positional arguments (plain, picklable data).
        name: What it is, for error messages.
        cost: Relative cost (about seconds on one core), to start the longest first.
    """

    function: Callable[..., Any]
    args: tuple[Any, ...] = ()
    name: str = ""
    cost: float = 1.0

    def __call__(self) -> Any:
        """Run the call."""
        return self.function(*self.args)


@dataclass(frozen=True)
class Plan[R]:
    """Independent calls and how their values become an anchor's result.

    Attributes:
        calls: The calls.
        reduce: Turns the calls' values (in the order of ``calls``) into the result.
    """

    calls: tuple[Call, ...]
    reduce: Callable[[list[Any]], R]

    def run(self) -> R:
        """Run every call in this process, in order, and reduce their values."""
        return self.reduce([call() for call in self.calls])


@dataclass(frozen=True)
class Spread:
    """Replicate values of one quantity and their summary.

    Attributes:
        values: One value per replicate (seed).
    """

    values: tuple[float, ...]

    @property
    def n(self) -> int:
        """Number of replicates."""
        return len(self.values)

    @property
    def mean(self) -> float:
        """Mean over the replicates."""
        return float(np.mean(self.values))

    @property
    def sd(self) -> float:
        """Sample standard deviation (0 for a single replicate)."""
        return float(np.std(self.values, ddof=1)) if self.n > 1 else 0.0

    @property
    def se(self) -> float:
        """Standard error of the mean."""
        return self.sd / math.sqrt(self.n) if self.n else math.nan


@dataclass(frozen=True)
class Agreement:
    """Two settings' means of one quantity, and whether they agree within a tolerance.

    Attributes:
        quantity: The quantity's name.
        a: Replicates under the first setting.
        b: Replicates under the second setting.
        tolerance: Largest allowed absolute difference of the means.
        rule: How the tolerance was set, in words.
    """

    quantity: str
    a: Spread
    b: Spread
    tolerance: float
    rule: str

    @property
    def difference(self) -> float:
        """Mean of ``a`` minus mean of ``b``."""
        return self.a.mean - self.b.mean

    @property
    def passed(self) -> bool:
        """Whether the difference is within the tolerance."""
        return abs(self.difference) <= self.tolerance


def agreement(
    quantity: str,
    a: Sequence[float],
    b: Sequence[float],
    *,
    k: float = 3.0,
    floor: float = 0.0,
) -> Agreement:
    """Compare two settings' replicate means with a tolerance set from their spread.

    The tolerance is ``k`` standard errors of the difference of two independent means,
    ``sqrt(sd_a**2 / n_a + sd_b**2 / n_b)``, but at least ``floor`` (so that a quantity
    that does not vary between seeds is not held to exact equality).

    Args:
        quantity: The quantity's name.
        a: Replicate values under the first setting.
        b: Replicate values under the second setting.
        k: Standard errors allowed.
        floor: Smallest tolerance.

    Returns:
        The comparison.
    """
    sa, sb = Spread(tuple(map(float, a))), Spread(tuple(map(float, b)))
    se = math.sqrt(sa.sd**2 / sa.n + sb.sd**2 / sb.n)
    tolerance = max(k * se, floor)
    rule = f"{k:g} standard errors of the difference ({se:.2g})"
    if tolerance == floor and floor > 0:
        rule = f"floor {floor:g} (above {k:g} standard errors, {k * se:.2g})"
    return Agreement(quantity, sa, sb, tolerance, rule)


def binomial_se(p: float, n: int) -> float:
    """Standard error of a proportion ``p`` estimated from ``n`` trials.

    >>> round(binomial_se(0.5, 100), 3)
    0.05
    """
    return math.sqrt(p * (1.0 - p) / n) if n else math.nan


def seed_batches(n_runs: int, batch: int) -> list[tuple[int, int]]:
    """Split ``n_runs`` replicate numbers into ``(first, count)`` batches of at most ``batch``.

    >>> seed_batches(5, 2)
    [(0, 2), (2, 2), (4, 1)]
    """
    return [(start, min(batch, n_runs - start)) for start in range(0, n_runs, batch)]


@dataclass(frozen=True)
class Failed:
    """What a guarded call returns instead of a value when the function raised.

    Attributes:
        error: One line naming the exception and its message.
        traceback: The traceback, for the report.
    """

    error: str
    traceback: str


def guarded_call(function: Callable[..., Any], args: tuple[Any, ...]) -> tuple[Any, float]:
    """Call ``function(*args)``; return its value (or a :class:`Failed`) and the seconds.

    Runs on workers: an anchor whose calls fail is reported as failed while the other
    anchors still complete.
    """
    import time
    import traceback

    started = time.perf_counter()
    try:
        value = function(*args)
    except Exception as exc:  # reported in the anchor's section
        value = Failed(f"{type(exc).__name__}: {exc}", traceback.format_exc())
    return value, time.perf_counter() - started
