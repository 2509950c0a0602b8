"""From the unit interval to a parameter's values, and how those values are stored.

Every design samples the unit hypercube; each parameter then maps its coordinate
``u`` in [0, 1] to a value through the inverse of its distribution function. A range
is uniform (in the logarithm with ``log``), a list of values is a discrete uniform
distribution (``u`` picks the item ``floor(u * k)``), and normal, log-normal and
triangular distributions use SciPy's quantile functions (a truncated distribution
draws within ``truncate`` with its shape unchanged).
"""

from __future__ import annotations

import datetime as dt
import math
from fractions import Fraction
from typing import Any

import numpy as np
from scipy import stats

from sim.scenario.overrides import yaml_text
from sim.sweep.spec import ParameterSpec

#: How far from 0 and 1 an unbounded distribution's coordinate is kept (its quantiles
#: at exactly 0 and 1 are infinite).
_EDGE = 1e-12


def from_unit(param: ParameterSpec, u: np.ndarray) -> list[Any]:
    """Map unit coordinates to the parameter's values.

    Args:
        param: The parameter.
        u: Coordinates in [0, 1].

    Returns:
        One value per coordinate: a float, an int (``integer``), or an item of ``values``.
    """
    u = np.asarray(u, dtype=float)
    if param.values is not None:
        k = len(param.values)
        index = np.minimum(np.floor(u * k).astype(int), k - 1)
        return [param.values[i] for i in index]
    if param.range is not None:
        low, high = param.range
        if param.log:
            x = np.exp(math.log(low) + u * (math.log(high) - math.log(low)))
            x = np.clip(x, low, high)  # exp(log(x)) may overshoot an end by an ulp
        else:
            x = low + u * (high - low)
    else:
        x = _quantiles(param, u)
    if param.integer:
        return [int(v) for v in np.rint(x)]
    return [float(v) for v in x]


def to_unit(param: ParameterSpec, values: list[Any]) -> list[float]:
    """Each value's place in the parameter's distribution: the inverse of :func:`from_unit`.

    A range maps linearly (in the logarithm with ``log``) onto [0, 1]; item ``i`` of
    ``k`` listed values maps to ``(i + 0.5) / k``; a distribution maps through its
    distribution function (within ``truncate`` when given).

    >>> to_unit(ParameterSpec(range=(0.0, 2.0)), [0.0, 0.5, 2.0])
    [0.0, 0.25, 1.0]
    """
    if param.values is not None:
        k = len(param.values)
        return [(param.values.index(v) + 0.5) / k for v in values]
    x = np.asarray(values, dtype=float)
    if param.range is not None:
        low, high = param.range
        if param.log:
            u = (np.log(x) - math.log(low)) / (math.log(high) - math.log(low))
        else:
            u = (x - low) / (high - low)
    else:
        dist = _frozen(param)
        if param.truncate is not None:
            lo, hi = dist.cdf(param.truncate[0]), dist.cdf(param.truncate[1])
            u = (dist.cdf(x) - lo) / (hi - lo)
        else:
            u = dist.cdf(x)
    return [float(v) for v in np.clip(u, 0.0, 1.0)]


def _quantiles(param: ParameterSpec, u: np.ndarray) -> np.ndarray:
    dist = _frozen(param)
    if param.truncate is not None:
        low, high = param.truncate
        lo, hi = dist.cdf(low), dist.cdf(high)
        return np.clip(dist.ppf(lo + u * (hi - lo)), low, high)
    if param.bounded:  # triangular: finite quantiles at 0 and 1
        return dist.ppf(u)
    return dist.ppf(np.clip(u, _EDGE, 1 - _EDGE))


def _frozen(param: ParameterSpec) -> Any:
    if param.normal is not None:
        return stats.norm(loc=param.normal.mean, scale=param.normal.sd)
    if param.lognormal is not None:
        return stats.lognorm(s=param.lognormal.sigma, scale=param.lognormal.median)
    t = param.triangular
    assert t is not None
    return stats.triang(c=(t.mode - t.low) / (t.high - t.low), loc=t.low, scale=t.high - t.low)


def grid_levels(param: ParameterSpec, default_levels: int) -> tuple[list[Any], list[float]]:
    """The values a grid takes for this parameter, and their unit coordinates.

    Args:
        param: A range or a list of values.
        default_levels: Levels for a range that does not give its own.

    Returns:
        The values in order, and each one's coordinate in [0, 1].

    Raises:
        ValueError: For a distribution (a grid needs a range or values).
    """
    if param.values is not None:
        k = len(param.values)
        return list(param.values), [(i + 0.5) / k for i in range(k)]
    if param.range is None:
        raise ValueError(f"a grid needs a range or values, not a {param.kind} distribution")
    n = param.levels or default_levels
    u = [i / (n - 1) for i in range(n)]
    values: list[Any] = [clean_level(param, i, n) for i in range(n)]
    if param.integer:  # rounding may merge neighbouring levels
        seen: dict[Any, float] = {}
        for value, coordinate in zip(values, u, strict=True):
            seen.setdefault(value, coordinate)
        return list(seen), list(seen.values())
    return values, u


#: Relative distance within which a log level is snapped to a shorter decimal.
_SNAP = 1e-12


def clean_level(param: ParameterSpec, i: int, n: int) -> float | int:
    """Level ``i`` of ``n`` of a range, as the decimal a person would write.

    A linear level, ``low + i (high - low) / (n - 1)``, is computed exactly from the
    decimals written in the file (``range: [0.3, 0.9], levels: 3`` gives 0.6, not
    0.6000000000000001). A log level has no finite decimal in general; it is rounded to
    the fewest significant digits within a relative 1e-12 of the exact value, so the
    ends are the written ends and round levels are round (25M to 400M in 5 levels gives
    25M, 50M, 100M, 200M, 400M, not 399999999.99999934).

    Args:
        param: A range.
        i: The level, 0 to ``n - 1``.
        n: The number of levels (at least 2).

    Returns:
        The level (an int with ``integer``).
    """
    assert param.range is not None
    low, high = (Fraction(repr(v)) for v in param.range)
    if i == 0 or i == n - 1:
        exact = low if i == 0 else high
        value = float(exact)
    elif param.log:
        value = _shortest(math.exp(math.log(low) + i / (n - 1) * (math.log(high) - math.log(low))))
    else:
        value = float(low + (high - low) * i / (n - 1))
    return round(value) if param.integer else value


def _shortest(x: float) -> float:
    """The decimal with the fewest significant digits within a relative :data:`_SNAP` of x.

    >>> _shortest(399999999.99999934), _shortest(0.31622776601683794)
    (400000000.0, 0.316227766017)
    """
    for digits in range(1, 17):
        y = float(f"{x:.{digits}g}")
        if abs(y - x) <= _SNAP * abs(x):
            return y
    return x


def probe_values(param: ParameterSpec) -> list[tuple[Any, str]]:
    """Values to try on the base scenario when a sweep is loaded, each with a label.

    The ends of a range, every listed value, and for a distribution the ends of its
    truncation, or else its 0.1% and 99.9% quantiles and its median.
    """
    if param.values is not None:
        return [(v, "a listed value") for v in param.values]
    if param.range is not None or param.truncate is not None or param.triangular is not None:
        u, labels = [0.0, 1.0, 0.382], ["the lower end", "the upper end", "an inner value"]
    else:
        u, labels = [0.001, 0.999, 0.5], ["the 0.1% quantile", "the 99.9% quantile", "the median"]
    return list(zip(from_unit(param, np.array(u)), labels, strict=True))


def column_kind(param: ParameterSpec) -> str:
    """How the parameter's values are stored: 'float', 'int', 'bool' or 'string'."""
    if param.values is None:
        return "int" if param.integer else "float"
    values = param.values
    if all(isinstance(v, bool) for v in values):
        return "bool"
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return "int"
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return "float"
    return "string"


def column_value(kind: str, value: Any) -> Any:
    """A value as stored in a column of the given kind."""
    if kind == "float":
        return float(value)
    if kind != "string":
        return value
    if isinstance(value, str):
        return value
    if isinstance(value, dt.date):
        return value.isoformat()
    return yaml_text(value)
