import datetime as dt
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.model.ledger import KIND_CODES, KINDS, BooksUnbalancedError, Ledger, split_cents

D = dt.date(2020, 1, 1)


@given(
    total=st.integers(min_value=0, max_value=10**13),
    weights=st.lists(st.floats(min_value=0.001, max_value=1e6), min_size=1, max_size=30),
)
def test_split_cents_is_exact_and_proportional(total, weights):
    parts = split_cents(total, weights)
    assert sum(parts) == total
    assert all(p >= 0 for p in parts)
    share = total / sum(weights)
    for p, w in zip(parts, weights, strict=True):
        assert abs(p - w * share) < 1 + 1e-9 * total


def _reference_split(total: int, weights: list[float]) -> list[int]:
    """The rule written out: floors, then one cent each by largest remainder, lowest index first."""
    w_sum = 0.0
    for x in weights:
        w_sum += x
    exact = [total * (x / w_sum) for x in weights]
    parts = [math.floor(e) for e in exact]
    left = total - sum(parts)
    order = sorted(range(len(weights)), key=lambda i: (parts[i] - exact[i], i))
    for n in range(abs(left)):
        parts[order[n % len(order)]] += 1 if left > 0 else -1
    return parts


@given(
    total=st.integers(min_value=0, max_value=10**15),
    weights=st.lists(
        st.sampled_from([0.0, 1.0, 0.5, 0.25, 1 / 3, 2.0, 1e-6, 7.0]), min_size=1, max_size=12
    ).filter(lambda w: sum(w) > 0),
)
def test_split_cents_follows_the_rule_including_ties(total, weights):
    assert split_cents(total, weights) == _reference_split(total, weights)


def test_split_cents_remainder_goes_to_largest_fractions():
    assert split_cents(10, [1, 1, 1]) == [4, 3, 3]
    assert split_cents(5, [0.5, 0.25, 0.25]) == [3, 1, 1]


def _books() -> Ledger:
    led = Ledger()
    led.transfer(1, D, "funder:f", "intermediary:a", 10_000, "disbursement")
    led.transfer(1, D, "intermediary:a", "pocket:intermediary:a", 3_000, "leak")
    led.transfer(1, D, "intermediary:a", "ngo:n", 6_000, "grant")
    led.transfer(1, D, "ngo:n", "activity:party", 2_500, "for_show")
    led.transfer(1, D, "ngo:n", "activity:course", 3_000, "substantive")
    return led


def test_books_balance_and_summarise():
    m = _books().check_books()
    assert (m.disbursed, m.leaked, m.for_show, m.substantive, m.unspent) == (
        10_000,
        3_000,
        2_500,
        3_000,
        1_500,
    )
    assert m.leaked_by_hop == {"intermediary": 3_000}
    assert m.activity == 5_500


def test_holder_cannot_overspend():
    led = _books()
    with pytest.raises(ValueError, match="holds"):
        led.transfer(2, D, "ngo:n", "activity:party", 501, "for_show")


@pytest.mark.parametrize("cents", [-1, 1.5])
def test_amounts_must_be_whole_nonnegative_cents(cents):
    with pytest.raises(ValueError, match="cents"):
        Ledger().transfer(1, D, "funder:f", "intermediary:a", cents, "disbursement")


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="kind"):
        Ledger().transfer(1, D, "funder:f", "intermediary:a", 1, "gift")


def test_transfers_by_code_are_transfers_by_name():
    by_name = _books()
    by_code = Ledger()
    for step, date, source, destination, cents, kind in (
        (r.step, r.date, r.source, r.destination, r.cents, r.kind) for r in by_name.rows
    ):
        codes = by_code.account(source), by_code.account(destination)
        by_code.at(step, date)
        by_code.move(*codes, cents, KIND_CODES[kind])
        assert by_code.held(codes[1]) == by_code.balance(destination)
    assert by_code.rows == by_name.rows
    assert by_code.check_books() == by_name.check_books()
    assert by_code.account("ngo:n") == by_code.account("ngo:n")  # opened once


def test_overspending_by_code_names_the_account():
    led = _books()
    with pytest.raises(ValueError, match="ngo:n pays 501 cents but holds 500"):
        led.at(2, D)
        led.move(led.account("ngo:n"), led.account("activity:x"), 501, KIND_CODES["grant"])


def test_zero_transfers_are_not_recorded():
    led = Ledger()
    led.transfer(1, D, "funder:f", "intermediary:a", 0, "disbursement")
    assert led.rows == ()


def test_tampered_books_fail_loudly():
    led = _books()
    led._balance[led._code["ngo:n"]] += 1  # a cent appears from nowhere
    with pytest.raises(BooksUnbalancedError):
        led.check_books()
    led = _books()
    led._totals[list(KINDS).index("leak")] -= 1
    with pytest.raises(BooksUnbalancedError):
        led.check_books()
