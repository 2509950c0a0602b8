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
from typing import Any

import numpy as np
import yaml
from scipy import stats

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
    values = from_unit(param, np.array(u))
    if param.integer:  # rounding may merge neighbouring levels
        seen: dict[Any, float] = {}
        for value, coordinate in zip(values, u, strict=True):
            seen.setdefault(value, coordinate)
        return list(seen), list(seen.values())
    return values, u


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


def yaml_text(value: Any) -> str:
    """The value as one line of YAML that reads back as the same value.

    Raises:
        ValueError: If it does not read back equal (NaN, for one).
    """
    text = yaml.safe_dump(value, default_flow_style=True, width=10**9).strip()
    text = text.removesuffix("...").strip()
    if yaml.safe_load(text) != value:
        raise ValueError(f"value {value!r} cannot be written as YAML")
    return text
