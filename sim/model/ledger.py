"""An append-only money ledger in integer cents, and the end-of-run balance check.

Accounts are strings ``kind:id``. Money enters the books from the accounts of the
actor kinds whose role is ``funder`` (which may go negative: that is the budget
disbursed) and ends either in the balance of a kind that holds money (role
``intermediary`` or ``grantee``: ``intermediary:``, ``ngo:``, ``outlet:``; never
negative) or in a sink:
``pocket:`` (leaked), ``activity:`` (spent on events) or ``operations:`` (an
outlet's running costs). Every transfer has a kind, and the balance check compares
the totals by kind with the balances replayed from the rows.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, replace

import numpy as np

from sim.model.kinds import kinds_with_role

#: Kinds of transfer and what they mean for the books.
KINDS = {
    "disbursement": "funder pays an intermediary (money enters the books)",
    "grant": "intermediary pays an NGO or outlet",
    "leak": "kept by the payer's people (skimmed, stolen)",
    "for_show": "spent on an event done for the report",
    "substantive": "spent on substantive work or an outlet's operations",
}


def account_prefixes(*roles: str) -> tuple[str, ...]:
    """Account-name prefixes (``"ngo:"``...) of the registered actor kinds with these roles."""
    return tuple(f"{k.name}:" for k in kinds_with_role(*roles))


class BooksUnbalancedError(RuntimeError):
    """Raised when the ledger's totals and balances disagree, even by one cent."""


@dataclass(frozen=True)
class Transfer:
    """One row of the ledger."""

    step: int
    date: dt.date
    source: str
    destination: str
    cents: int
    kind: str


@dataclass(frozen=True)
class MoneySummary:
    """Where the money went, in cents.

    Attributes:
        disbursed: Paid out by funders.
        leaked: Kept along the chain, all hops.
        leaked_by_hop: Leaked at each kind of holder (intermediary, ngo, outlet).
        for_show: Spent on events done for the report.
        substantive: Spent on substantive work and outlet operations.
        unspent: Still held by intermediaries, NGOs and outlets at the end.
        balanced: Whether every check passed (a summary exists only when they did, so
            this records the outcome for the outputs rather than being tested).
    """

    disbursed: int
    leaked: int
    leaked_by_hop: dict[str, int]
    for_show: int
    substantive: int
    unspent: int
    balanced: bool

    @property
    def activity(self) -> int:
        """Spent on activities and outlets, for show and substantive together."""
        return self.for_show + self.substantive


class Ledger:
    """Append-only record of every transfer, with running balances."""

    def __init__(self) -> None:
        self._sources = account_prefixes("funder")
        self._holders = account_prefixes("intermediary", "grantee")
        self._rows: list[Transfer] = []
        self._balance: dict[str, int] = defaultdict(int)
        self._totals: dict[str, int] = defaultdict(int)

    @property
    def rows(self) -> tuple[Transfer, ...]:
        """All transfers, oldest first."""
        return tuple(self._rows)

    def balance(self, account: str) -> int:
        """Return an account's balance in cents."""
        return self._balance.get(account, 0)

    def total(self, kind: str) -> int:
        """Return the total of all transfers of one kind, in cents."""
        return self._totals.get(kind, 0)

    def transfer(
        self, step: int, date: dt.date, source: str, destination: str, cents: int, kind: str
    ) -> None:
        """Record a transfer. Zero amounts are not recorded.

        Raises:
            ValueError: On an unknown kind, a negative or non-integer amount, or a
                holder paying more than it holds.
        """
        if kind not in KINDS:
            raise ValueError(f"unknown transfer kind '{kind}'")
        if not isinstance(cents, int | np.integer) or cents < 0:
            raise ValueError(f"amount must be a non-negative whole number of cents, got {cents!r}")
        if cents == 0:
            return
        cents = int(cents)
        if not source.startswith(self._sources) and self._balance[source] < cents:
            raise ValueError(f"{source} pays {cents} cents but holds {self._balance[source]}")
        self._rows.append(Transfer(step, date, source, destination, cents, kind))
        self._balance[source] -= cents
        self._balance[destination] += cents
        self._totals[kind] += cents

    def activity_total(self) -> int:
        """Spent on activities and outlets so far, for show and substantive, in cents."""
        return self.total("for_show") + self.total("substantive")

    def unspent(self) -> int:
        """Money still held by intermediaries, NGOs and outlets, in cents."""
        return sum(self.holder_balances().values())

    def holder_balances(self) -> dict[str, int]:
        """Balances of every intermediary, NGO and outlet account."""
        return {a: b for a, b in self._balance.items() if a.startswith(self._holders)}

    def check_books(self) -> MoneySummary:
        """Check that the books balance to the cent and summarise them.

        Replays every row into fresh balances and totals, compares them with the
        running ones, and checks disbursed = leaked + for show + substantive + unspent.

        Returns:
            The money summary.

        Raises:
            BooksUnbalancedError: If anything differs by even one cent.
        """
        balance: dict[str, int] = defaultdict(int)
        totals: dict[str, int] = defaultdict(int)
        by_hop: dict[str, int] = defaultdict(int)
        for row in self._rows:
            balance[row.source] -= row.cents
            balance[row.destination] += row.cents
            totals[row.kind] += row.cents
            if row.kind == "leak":
                by_hop[row.source.split(":", 1)[0]] += row.cents
        holders = {a: b for a, b in balance.items() if a.startswith(self._holders) and b}
        if holders != {a: b for a, b in self.holder_balances().items() if b}:
            raise BooksUnbalancedError("replayed balances differ from running balances")
        if any(b < 0 for b in holders.values()):
            raise BooksUnbalancedError(f"negative balance: {holders}")
        if dict(totals) != {k: v for k, v in self._totals.items() if v}:
            raise BooksUnbalancedError("replayed totals differ from running totals")
        funded = -sum(b for a, b in balance.items() if a.startswith(self._sources))
        summary = MoneySummary(
            disbursed=totals["disbursement"],
            leaked=totals["leak"],
            leaked_by_hop=dict(sorted(by_hop.items())),
            for_show=totals["for_show"],
            substantive=totals["substantive"],
            unspent=sum(holders.values()),
            balanced=False,
        )
        accounted = summary.leaked + summary.activity + summary.unspent
        if not summary.disbursed == funded == accounted:
            raise BooksUnbalancedError(
                f"disbursed {summary.disbursed} cents, funders paid {funded}, "
                f"accounted for {accounted} (leaked {summary.leaked} + for show "
                f"{summary.for_show} + substantive {summary.substantive} + unspent "
                f"{summary.unspent})"
            )
        return replace(summary, balanced=True)


def split_cents(total: int, weights: np.ndarray | list[float]) -> list[int]:
    """Split a whole number of cents in proportion to weights, exactly.

    Each part is the floor of its proportional share; the cents left over go one
    each to the parts with the largest remainders (ties: lowest index first).

    Args:
        total: Cents to split (>= 0).
        weights: Non-negative finite weights, not all zero.

    Returns:
        Whole cents per weight, summing exactly to ``total``.

    Raises:
        ValueError: If a weight is negative, infinite or NaN, or their sum is zero or
            overflows (the shares would be meaningless, and the leftover cents unbounded).

    >>> split_cents(100, [1, 1, 1])
    [34, 33, 33]
    >>> split_cents(10, [0.5, 0.25, 0.25])
    [5, 3, 2]
    >>> sum(split_cents(999_999_999_999, [0.1, 0.2, 0.7]))
    999999999999
    """
    w = np.asarray(weights, dtype=float)
    if total == 0 or w.size == 0:
        return [0] * w.size
    with np.errstate(over="ignore"):
        w_sum = w.sum()
    if not (np.isfinite(w).all() and (w >= 0).all() and np.isfinite(w_sum) and w_sum > 0):
        raise ValueError(
            f"split_cents needs finite non-negative weights with a positive finite sum; "
            f"got {w.tolist()[:10]!r}"
        )
    exact = total * (w / w_sum)
    parts = np.floor(exact).astype(np.int64)
    left = int(total - parts.sum())
    order = np.argsort(-(exact - parts), kind="stable")
    step = 1 if left > 0 else -1
    for n in range(abs(left)):
        parts[order[n % len(order)]] += step
    return [int(p) for p in parts]
