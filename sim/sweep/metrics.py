"""Scalar outcomes of one run, recorded per run in a sweep's summary table.

A metric is a function of a :class:`~sim.run.RunResult` returning a float. The
built-in ones are registered here by name; a sweep file lists the names it wants.
Two ways to add one:

- register it under a name, in code imported before the sweep runs (and on every
  worker)::

      from sim.sweep.metrics import register_metric

      @register_metric("final_reach", "Share of people reached in the last step.")
      def final_reach(result):
          return float(result.trajectories["reach_share"].iloc[-1])

- or name it in the sweep file as ``package.module:function``; the module is
  imported where the run happens, so it only has to be importable there (the same
  virtual environment on every worker).

Shares and costs are defined once, in :mod:`sim.quantities`: ratios are NaN when
nothing was disbursed, and the costs per additional favourable person are ``inf`` when
money was disbursed but bought no additional favourable person (the attributable
favourable share, in the last step or on average over the steps, is zero or less).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from sim.quantities import (
    additional_favourable_people,
    cost_per_additional_person,
    share_of_disbursed,
)
from sim.run import RunResult

MetricFunction = Callable[[RunResult], float]

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_REFERENCE = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")


@dataclass(frozen=True)
class Metric:
    """A named scalar outcome.

    Attributes:
        name: The column name in the summary table.
        description: What it measures, with its unit.
        function: Computes it from a run.
    """

    name: str
    description: str
    function: MetricFunction


#: Registered metrics, by name.
METRICS: dict[str, Metric] = {}


def register_metric(name: str, description: str) -> Callable[[MetricFunction], MetricFunction]:
    """Register a metric under ``name`` (a decorator).

    Args:
        name: Lower-case letters, digits and '_', starting with a letter.
        description: What it measures, with its unit.

    Returns:
        The decorator, which returns the function unchanged.

    Raises:
        ValueError: If the name is malformed or already taken by another function.
    """
    if not _NAME.match(name):
        raise ValueError(f"metric name '{name}' must match {_NAME.pattern}")

    def decorate(function: MetricFunction) -> MetricFunction:
        known = METRICS.get(name)
        if known is not None and known.function is not function:
            raise ValueError(f"metric '{name}' is already registered")
        METRICS[name] = Metric(name, description, function)
        return function

    return decorate


def is_reference(name: str) -> bool:
    """Whether ``name`` has the form ``package.module:function``."""
    return bool(_REFERENCE.match(name))


@cache
def resolve_metric(name: str) -> Metric:
    """The metric a sweep file names: a registered name or ``package.module:function``.

    Args:
        name: The name as written in the sweep file.

    Returns:
        The metric.

    Raises:
        KeyError: If no metric has that name.
        ImportError: If a referenced module or function cannot be imported.
    """
    if name in METRICS:
        return METRICS[name]
    if not is_reference(name):
        raise KeyError(name)
    module_name, _, attribute = name.partition(":")
    function = getattr(importlib.import_module(module_name), attribute, None)
    if not callable(function):
        raise ImportError(f"module '{module_name}' has no function '{attribute}'")
    doc = (function.__doc__ or "").strip().splitlines()
    return Metric(name, doc[0] if doc else name, function)


def _last(result: RunResult, column: str) -> float:
    return float(result.trajectories[column].iloc[-1])


def _share(part_cents: int, result: RunResult) -> float:
    return share_of_disbursed(part_cents, result.money.disbursed)


def _additional_people(result: RunResult, share: float) -> float:
    return additional_favourable_people(share, result.scenario.audience.real_population)


@register_metric("final_opinion", "Mean opinion in the last step, on [-1, 1].")
def final_opinion(result: RunResult) -> float:
    """Mean opinion in the last step."""
    return _last(result, "opinion_mean")


@register_metric("peak_opinion", "Highest mean opinion of any step, on [-1, 1].")
def peak_opinion(result: RunResult) -> float:
    """Highest mean opinion of any step."""
    return float(result.trajectories["opinion_mean"].max())


@register_metric("final_favourable_share", "Share of people favourable in the last step.")
def final_favourable_share(result: RunResult) -> float:
    """Share favourable in the last step."""
    return _last(result, "favourable_share")


@register_metric(
    "final_attributable_opinion",
    "Mean opinion minus the no-spending counterfactual's, in the last step.",
)
def final_attributable_opinion(result: RunResult) -> float:
    """Attributable opinion in the last step."""
    return _last(result, "attributable_opinion")


@register_metric(
    "mean_attributable_opinion",
    "Attributable opinion averaged over all steps (influence over the whole period).",
)
def mean_attributable_opinion(result: RunResult) -> float:
    """Attributable opinion averaged over the steps."""
    return float(result.trajectories["attributable_opinion"].mean())


@register_metric(
    "peak_attributable_opinion", "Highest attributable opinion of any step, on [-2, 2]."
)
def peak_attributable_opinion(result: RunResult) -> float:
    """Highest attributable opinion of any step."""
    return float(result.trajectories["attributable_opinion"].max())


@register_metric(
    "final_attributable_favourable_share",
    "Favourable share minus the counterfactual's, in the last step.",
)
def final_attributable_favourable_share(result: RunResult) -> float:
    """Attributable favourable share in the last step."""
    return _last(result, "attributable_favourable_share")


@register_metric(
    "mean_attributable_favourable_share",
    "Attributable favourable share averaged over all steps.",
)
def mean_attributable_favourable_share(result: RunResult) -> float:
    """Attributable favourable share averaged over the steps."""
    return float(result.trajectories["attributable_favourable_share"].mean())


@register_metric(
    "final_reported_influence", "Influence the funder's reports claim, in the last step."
)
def final_reported_influence(result: RunResult) -> float:
    """Reported influence in the last step."""
    return _last(result, "reported_influence")


@register_metric("disbursed_usd", "Money the funders paid out, USD.")
def disbursed_usd(result: RunResult) -> float:
    """Money paid out by the funders."""
    return result.money.disbursed / 100


@register_metric("share_leaked", "Share of the disbursed money kept along the chain.")
def share_leaked(result: RunResult) -> float:
    """Leaked / disbursed (NaN when nothing was disbursed)."""
    return _share(result.money.leaked, result)


@register_metric("share_for_show", "Share of the disbursed money spent on events for show.")
def share_for_show(result: RunResult) -> float:
    """For show / disbursed (NaN when nothing was disbursed)."""
    return _share(result.money.for_show, result)


@register_metric("share_substantive", "Share of the disbursed money spent on substantive work.")
def share_substantive(result: RunResult) -> float:
    """Substantive / disbursed (NaN when nothing was disbursed)."""
    return _share(result.money.substantive, result)


@register_metric("share_unspent", "Share of the disbursed money still unspent at the end.")
def share_unspent(result: RunResult) -> float:
    """Unspent / disbursed (NaN when nothing was disbursed)."""
    return _share(result.money.unspent, result)


@register_metric(
    "additional_favourable_people",
    "Real people favourable in the last step because of the money (may be negative).",
)
def additional_favourable_people_metric(result: RunResult) -> float:
    """Additional favourable real people in the last step."""
    return _additional_people(result, _last(result, "attributable_favourable_share"))


@register_metric(
    "cost_per_favourable_person",
    "USD disbursed per additional favourable real person in the last step; "
    "inf when none was gained, NaN when nothing was disbursed.",
)
def cost_per_favourable_person(result: RunResult) -> float:
    """Disbursed USD / additional favourable real people at the end."""
    gained = _additional_people(result, _last(result, "attributable_favourable_share"))
    return cost_per_additional_person(result.money.disbursed / 100, gained)


@register_metric(
    "cost_per_average_favourable_person",
    "USD disbursed per additional favourable real person averaged over all steps; "
    "inf when none was gained on average, NaN when nothing was disbursed.",
)
def cost_per_average_favourable_person(result: RunResult) -> float:
    """Disbursed USD / additional favourable real people averaged over the steps."""
    share = float(result.trajectories["attributable_favourable_share"].mean())
    return cost_per_additional_person(
        result.money.disbursed / 100, _additional_people(result, share)
    )


#: Recorded when a sweep file names no metrics.
DEFAULT_METRICS = (
    "final_opinion",
    "peak_opinion",
    "final_attributable_opinion",
    "mean_attributable_opinion",
    "final_attributable_favourable_share",
    "share_leaked",
    "share_for_show",
    "cost_per_favourable_person",
)
