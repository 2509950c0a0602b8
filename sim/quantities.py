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
"""

from __future__ import annotations

import math
from collections.abc import Mapping

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
