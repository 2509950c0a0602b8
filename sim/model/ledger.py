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
import math
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
_KIND_NAMES = tuple(KINDS)
#: Kind -> its code, as :meth:`Ledger.move` takes it.
KIND_CODES = {k: n for n, k in enumerate(_KIND_NAMES)}
_KIND_CODE = KIND_CODES
#: Entries per ledger row: step, date, from, to, cents, kind.
ROW = 6


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
    """Append-only record of every transfer, with running balances.

    Rows are kept in one flat list, six entries a row (accounts and kinds as small
    integer codes), not as one object per transfer: recording one is a single list
    extend that leaves no new object behind for the cyclic garbage collector to scan
    (a tuple per row made it run several times a run), and :meth:`columns` hands the
    whole ledger over as arrays at the end. Amounts are exact integer cents throughout.
    """

    def __init__(self) -> None:
        self._sources = account_prefixes("funder")
        self._holders = account_prefixes("intermediary", "grantee")
        # Accounts, by code (in order of first use), and what each one is.
        self._code: dict[str, int] = {}
        self._accounts: list[str] = []
        self._is_source: list[bool] = []
        self._balance: list[int] = []
        self._totals = [0] * len(KINDS)
        # The rows, one after the other: step, date, from code, to code, cents, kind code.
        self._flat: list[int | dt.date] = []
        self._transposed: tuple[tuple, ...] | None = None
        # The step and date of the transfers being recorded (see :meth:`at`).
        self._step, self._date = 0, dt.date.min

    def __len__(self) -> int:
        return len(self._flat) // ROW

    def _columns(self) -> tuple[tuple, ...]:
        """The rows as six columns: step, date, from, to, cents, kind (codes for the others).

        Kept until the next transfer (the balance check and :meth:`columns` both read them).
        """
        if self._transposed is None or len(self._transposed[0]) != len(self):
            self._transposed = tuple(self._flat[n::ROW] for n in range(ROW))
        return self._transposed

    @property
    def rows(self) -> tuple[Transfer, ...]:
        """All transfers, oldest first (built on demand; :meth:`columns` is cheaper)."""
        names, kinds = self._accounts, _KIND_NAMES
        return tuple(
            Transfer(step, date, names[s], names[d], cents, kinds[k])
            for step, date, s, d, cents, k in zip(*self._columns(), strict=True)
        )

    def columns(self) -> dict[str, np.ndarray | list]:
        """The ledger as columns: ``step``, ``date``, ``from``, ``to``, ``cents``, ``kind``.

        ``cents`` is an int64 array (exact), ``step`` an int64 array, the others lists.
        """
        names, kinds = self._accounts, _KIND_NAMES
        step, date, source, destination, cents, kind = self._columns()
        return {
            "step": np.array(step, dtype=np.int64),
            "date": list(date),
            "from": [names[s] for s in source],
            "to": [names[d] for d in destination],
            "cents": np.array(cents, dtype=np.int64),
            "kind": [kinds[k] for k in kind],
        }

    def balance(self, account: str) -> int:
        """Return an account's balance in cents."""
        code = self._code.get(account)
        return 0 if code is None else self._balance[code]

    def totals(self) -> list[int]:
        """The totals of all transfers by kind, in the order of :data:`KINDS`, in cents."""
        return list(self._totals)

    def total(self, kind: str) -> int:
        """Return the total of all transfers of one kind, in cents."""
        code = _KIND_CODE.get(kind)
        return 0 if code is None else self._totals[code]

    def account(self, name: str) -> int:
        """The code of an account, for :meth:`move` (opened on first use)."""
        code = self._code.get(name)
        return self._open(name) if code is None else code

    def at(self, step: int, date: dt.date) -> None:
        """Date the transfers that follow (:meth:`move`): the model calls this each step."""
        self._step, self._date = step, date

    def held(self, code: int) -> int:
        """Return the balance in cents of the account with this code (:meth:`account`)."""
        return self._balance[code]

    def transfer(
        self, step: int, date: dt.date, source: str, destination: str, cents: int, kind: str
    ) -> None:
        """Record a transfer between accounts given by name. Zero amounts are not recorded.

        Raises:
            ValueError: On an unknown kind, a negative or non-integer amount, or a
                holder paying more than it holds.
        """
        k = _KIND_CODE.get(kind)
        if k is None:
            raise ValueError(f"unknown transfer kind '{kind}'")
        self.at(step, date)
        self.move(self.account(source), self.account(destination), cents, k)

    def move(self, source: int, destination: int, cents: int, kind: int) -> None:
        """Record a transfer between accounts and of a kind given by code, dated by :meth:`at`.

        Account codes come from :meth:`account`, kind codes from :data:`KIND_CODES`: the
        model's actors look theirs up once, so a step's transfers skip the name lookups.
        Zero amounts are not recorded.

        Raises:
            ValueError: On a negative or non-integer amount, or a holder paying more than
                it holds.
        """
        if type(cents) is not int:
            if not isinstance(cents, int | np.integer):
                raise ValueError(
                    f"amount must be a non-negative whole number of cents, got {cents!r}"
                )
            cents = int(cents)
        if cents <= 0:
            if cents == 0:
                return
            raise ValueError(f"amount must be a non-negative whole number of cents, got {cents!r}")
        balance = self._balance
        if balance[source] < cents and not self._is_source[source]:
            raise ValueError(
                f"{self._accounts[source]} pays {cents} cents but holds {balance[source]}"
            )
        balance[source] -= cents
        balance[destination] += cents
        self._totals[kind] += cents
        self._flat.extend((self._step, self._date, source, destination, cents, kind))

    def _open(self, account: str) -> int:
        """Give a new account its code."""
        code = self._code[account] = len(self._accounts)
        self._accounts.append(account)
        self._is_source.append(account.startswith(self._sources))
        self._balance.append(0)
        return code

    def activity_total(self) -> int:
        """Spent on activities and outlets so far, for show and substantive, in cents."""
        return self.total("for_show") + self.total("substantive")

    def unspent(self) -> int:
        """Money still held by intermediaries, NGOs and outlets, in cents."""
        return sum(self.holder_balances().values())

    def holder_balances(self) -> dict[str, int]:
        """Balances of every intermediary, NGO and outlet account."""
        return {
            a: b
            for a, b in zip(self._accounts, self._balance, strict=True)
            if a.startswith(self._holders)
        }

    def check_books(self) -> MoneySummary:
        """Check that the books balance to the cent and summarise them.

        Replays every row into fresh balances and totals (exact int64 sums), compares
        them with the running ones, and checks disbursed = leaked + for show +
        substantive + unspent.

        Returns:
            The money summary.

        Raises:
            BooksUnbalancedError: If anything differs by even one cent.
        """
        n = len(self._accounts)
        _, _, source, destination, amounts, kind = self._columns()
        src = np.array(source, dtype=np.intp)
        cents = np.array(amounts, dtype=np.int64)
        kinds = np.array(kind, dtype=np.intp)
        replayed = np.zeros(n, dtype=np.int64)
        np.subtract.at(replayed, src, cents)
        np.add.at(replayed, np.array(destination, dtype=np.intp), cents)
        totals = np.zeros(len(KINDS), dtype=np.int64)
        np.add.at(totals, kinds, cents)
        leaked_from = np.zeros(n, dtype=np.int64)
        leaks = kinds == _KIND_CODE["leak"]
        np.add.at(leaked_from, src[leaks], cents[leaks])
        balance = dict(zip(self._accounts, replayed.tolist(), strict=True))
        by_hop: dict[str, int] = defaultdict(int)
        for account, kept in zip(self._accounts, leaked_from.tolist(), strict=True):
            if kept:
                by_hop[account.split(":", 1)[0]] += kept
        holders = {a: b for a, b in balance.items() if a.startswith(self._holders) and b}
        if holders != {a: b for a, b in self.holder_balances().items() if b}:
            raise BooksUnbalancedError("replayed balances differ from running balances")
        if any(b < 0 for b in holders.values()):
            raise BooksUnbalancedError(f"negative balance: {holders}")
        if totals.tolist() != self._totals:
            raise BooksUnbalancedError("replayed totals differ from running totals")
        total = dict(zip(_KIND_NAMES, totals.tolist(), strict=True))
        funded = -sum(b for a, b in balance.items() if a.startswith(self._sources))
        summary = MoneySummary(
            disbursed=total["disbursement"],
            leaked=total["leak"],
            leaked_by_hop=dict(sorted(by_hop.items())),
            for_show=total["for_show"],
            substantive=total["substantive"],
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
    if total == 0 or len(weights) == 0:
        return [0] * len(weights)
    return CentSplitter(weights)(total)


class CentSplitter:
    """:func:`split_cents` for weights that stay the same from one split to the next.

    The weights are checked and turned into shares once; each split then only does the
    arithmetic of :func:`split_cents`, with the same numbers (an actor splitting its
    money the same way every step keeps one).

    Args:
        weights: Non-negative finite weights, not all zero (at least one).

    Raises:
        ValueError: As :func:`split_cents`.

    >>> split = CentSplitter([1, 1, 1])
    >>> split(100), split(10)
    ([34, 33, 33], [4, 3, 3])
    """

    def __init__(self, weights: np.ndarray | list[float]) -> None:
        w = [float(x) for x in weights]
        # Plain Python: the weights are a handful (grantees, activities, intermediaries),
        # where NumPy's per-call overhead is most of the cost. The sum is taken in order;
        # it is finite and positive exactly when every weight is finite and none is
        # negative (an infinite or NaN weight makes it infinite or NaN).
        w_sum = 0.0
        for x in w:
            w_sum += x
        if not (math.isfinite(w_sum) and w_sum > 0 and min(w) >= 0):
            raise ValueError(
                f"split_cents needs finite non-negative weights with a positive finite sum; "
                f"got {w[:10]!r}"
            )
        self._shares = [x / w_sum for x in w]

    def __call__(self, total: int) -> list[int]:
        """Split ``total`` cents (>= 0) in proportion to the weights, exactly."""
        exact = [total * share for share in self._shares]
        parts = [math.floor(e) for e in exact]
        left = total - sum(parts)
        if left:
            # Largest remainder first; ties keep their order (a stable sort).
            gaps = [p - e for p, e in zip(parts, exact, strict=True)]
            if left == 1:  # the usual case: the first of the largest remainders
                parts[gaps.index(min(gaps))] += 1
                return parts
            order = sorted(range(len(parts)), key=gaps.__getitem__)
            step = 1 if left > 0 else -1
            for n in range(abs(left)):
                parts[order[n % len(order)]] += step
        return parts
