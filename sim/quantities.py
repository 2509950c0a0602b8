"""Derived quantities: one definition of each number computed from a run's results.

The dashboards, the sweep metrics, the classroom pack and the command line all call
these functions, so a number means the same wherever it is shown. Each works on plain
values (cents, shares, tables), from a fresh :class:`~sim.run.RunResult` or from a
saved result folder alike.

Definitions:

- **share of the money disbursed**: an amount divided by the money the funders paid
  out; NaN when nothing was paid out.
- **additional favourable people**: the attributable favourable share (actual minus
  the no-spending counterfactual) times the real population the simulation stands for;
  negative when the programme lost people.
- **cost per additional favourable person**: USD disbursed divided by the additional
  favourable people; NaN when nothing was disbursed, infinite when the money bought
  no additional favourable person (zero or fewer). Applied to the last step or to the
  average over all steps (see :func:`cost_per_additional_person`).
- **money flows**: the ledger summed per (payer, payee, kind), plus each holder's
  balance at the end as a flow into ``"unspent"``, so every stage sums to the books.
- **replicate interval**: the mean of a number over replicates with its 90% interval,
  the 5th to the 95th percentile of the replicates.
- **share of the gap**: in the influence-gap decomposition (:mod:`sim.decompose`), a
  factor's contribution divided by the gap between the ideal and the actual programme;
  NaN when there is no gap.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from sim.model.ledger import account_prefixes

#: The target and kind of the flows that hold each holder's balance at the end.
UNSPENT = "unspent"


def share_of_disbursed(part: float, disbursed: float) -> float:
    """``part / disbursed`` (any one unit), NaN when nothing was disbursed.

    >>> share_of_disbursed(25, 100)
    0.25
    >>> share_of_disbursed(0, 0)
    nan
    """
    return part / disbursed if disbursed else math.nan


def money_shares(money_cents: Mapping[str, int]) -> dict[str, float]:
    """Where the disbursed money went, as shares of it.

    Args:
        money_cents: ``disbursed``, ``leaked``, ``for_show``, ``substantive`` and
            ``unspent``, in cents (or all in any one unit).

    Returns:
        ``leaked``, ``for_show``, ``substantive`` and ``unspent`` as shares of
        ``disbursed`` (NaN when nothing was disbursed).
    """
    disbursed = money_cents["disbursed"]
    return {
        k: share_of_disbursed(money_cents[k], disbursed)
        for k in ("leaked", "for_show", "substantive", "unspent")
    }


def additional_favourable_people(attributable_share: float, real_population: int) -> float:
    """Real people favourable because of the money (negative when it lost people).

    >>> additional_favourable_people(0.001, 10_000_000)
    10000.0
    """
    return attributable_share * real_population


def cost_per_additional_person(disbursed_usd: float, additional_people: float) -> float:
    """USD disbursed per additional favourable person.

    >>> cost_per_additional_person(1000.0, 10.0)
    100.0
    >>> cost_per_additional_person(1000.0, 0.0)
    inf
    >>> cost_per_additional_person(0.0, 10.0)
    nan
    """
    if disbursed_usd == 0:
        return math.nan
    return disbursed_usd / additional_people if additional_people > 0 else math.inf


def money_flows(ledger: pd.DataFrame) -> pd.DataFrame:
    """Aggregate a ledger into flows, adding each holder's unspent balance.

    Args:
        ledger: Transfers with ``from``, ``to``, ``kind`` and integer ``cents``.

    Returns:
        One row per (``source``, ``target``, ``kind``) with the summed ``cents``, in the
        order the flows first appear; then one ``kind == "unspent"`` row (target
        ``"unspent"``) per holder with money left at the end.
    """
    flows = (
        ledger.groupby(["from", "to", "kind"], sort=False, as_index=False)["cents"]
        .sum()
        .rename(columns={"from": "source", "to": "target"})
    )
    holders = account_prefixes("intermediary", "grantee")
    paid_in = ledger.groupby("to", sort=False)["cents"].sum()
    paid_out = ledger.groupby("from")["cents"].sum()
    balance = {
        a: int(paid_in.get(a, 0) - paid_out.get(a, 0))
        for a in paid_in.index
        if str(a).startswith(holders)
    }
    unspent = pd.DataFrame(
        [
            {"source": a, "target": UNSPENT, "kind": UNSPENT, "cents": b}
            for a, b in balance.items()
            if b > 0
        ],
        columns=["source", "target", "kind", "cents"],
    )
    out = pd.concat([flows, unspent], ignore_index=True) if len(unspent) else flows
    return out.astype({"cents": "int64"})


#: Quantiles of the replicate intervals: the 5th and 95th percentiles (a 90% interval).
INTERVAL_QUANTILES = (0.05, 0.95)


def replicate_interval(values: Sequence[float]) -> tuple[float, float, float]:
    """Mean and 90% interval (5th and 95th percentiles) of the finite values.

    Percentiles interpolate linearly between order statistics (NumPy's default), so
    with few replicates the interval is close to their range. The same definition as
    the comparison pages' intervals.

    Args:
        values: One number per replicate (NaN and infinities are left out).

    Returns:
        ``(mean, low, high)``; all NaN when no value is finite.

    >>> replicate_interval([1.0, 2.0, 3.0])
    (2.0, 1.1, 2.9)
    >>> replicate_interval([math.nan])
    (nan, nan, nan)
    """
    finite = np.asarray([float(v) for v in values if math.isfinite(float(v))])
    if finite.size == 0:
        return (math.nan, math.nan, math.nan)
    low, high = np.quantile(finite, INTERVAL_QUANTILES)
    return (float(finite.mean()), float(low), float(high))


def share_of_gap(contribution: float, gap: float) -> float:
    """A factor's part of an influence gap (ideal minus actual), NaN for no gap.

    In a Shapley decomposition the factors' contributions add up to the gap, so their
    shares add up to 1; a factor working against the others has a negative share.

    >>> share_of_gap(0.003, 0.004)
    0.75
    >>> share_of_gap(0.0, 0.0)
    nan
    """
    return contribution / gap if gap else math.nan
