"""The compiled response pass against its plain reference, and its reception draws."""

import numpy as np
import pytest

from sim.model.counter_rng import splitmix64, uniform
from sim.model.response import respond, respond_reference


def _case(seed: int, n_classes: int = 3, sizes=(7, 0, 40, 13, 5000)):
    rng = np.random.default_rng(seed)
    n = sum(sizes)
    bounds = np.cumsum([0, *sizes]).astype(np.int64)
    shape = (n_classes, len(sizes))
    contacts = rng.exponential(50.0, shape) * (rng.random(shape) < 0.6)
    live = (contacts > 0).any(axis=1) | (rng.random(n_classes) < 0.5)
    stock = rng.random((n_classes, n)) * live[:, None]
    decay = rng.uniform(0.3, 0.99, n_classes)
    return {
        "x": rng.uniform(-1, 1, n),
        "predisposition": rng.uniform(-1, 1, n),
        "susceptibility": rng.uniform(0, 1, n),
        "stock": stock,
        "bounds": bounds,
        "contacts": contacts,
        "strength": contacts * rng.random(shape),
        "sizes": np.array([s * 90.0 for s in sizes]),
        "decay": decay,
        "step_mean": (1 - decay) / -np.log(decay),
        "live": live,
        "key": int(rng.integers(2**64, dtype=np.uint64)),
        "step": int(rng.integers(0, 1000)),
    }


def scratch(shape: tuple[int, int], dirty: bool = False) -> tuple[np.ndarray, ...]:
    """Scratch arrays for respond (filled with garbage when ``dirty``: it must not care)."""
    fill = np.nan if dirty else 0.0
    return (np.full(shape, fill), np.full(shape, fill))


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("hill", [1.0, 2.5])
@pytest.mark.parametrize("state", [0.0, 0.05])
def test_compiled_pass_equals_the_reference_bit_for_bit(seed, hill, state):
    case = _case(seed)
    params = np.array([hill, 0.1**hill, 0.9, 0.3, 0.2, 0.05, state, -0.4])
    x_ref, stock_ref, counts_ref = respond_reference(
        **{k: v for k, v in case.items() if k != "live"}, params=params
    )
    live_before = case["live"].copy()
    x, stock = case["x"].copy(), case["stock"].copy()
    counts = respond(
        x,
        case["predisposition"],
        case["susceptibility"],
        stock,
        case["bounds"],
        case["contacts"],
        case["strength"],
        case["sizes"],
        case["decay"],
        case["step_mean"],
        case["live"],
        case["key"],
        case["step"],
        params,
        scratch(case["contacts"].shape, dirty=True),
    )
    assert np.array_equal(x, x_ref)
    assert np.array_equal(stock, stock_ref)
    assert counts.tolist() == counts_ref.tolist()
    # a class that received contacts is live now; the others are as they were
    reached = (case["contacts"] > 0) & (case["sizes"] > 0)
    assert case["live"].tolist() == (live_before | reached.any(axis=1)).tolist()


def test_splitmix64_first_outputs_for_seed_zero():
    # Published first outputs of SplitMix64 seeded with 0 (Steele, Lea & Flood 2014).
    assert [hex(splitmix64(0, i)) for i in range(3)] == [
        "0xe220a8397b1dcdaf",
        "0x6e789e6aa1b965f4",
        "0x6c45d188009454f",
    ]


def test_reception_draws_are_uniform_and_independent_across_classes_and_steps():
    n = 200_000
    key = 12345
    u = np.array([uniform(key, c) for c in range(n)])
    assert abs(u.mean() - 0.5) < 4 * np.sqrt(1 / 12 / n)
    counts, _ = np.histogram(u, bins=20, range=(0, 1))
    expected = n / 20
    chi2 = ((counts - expected) ** 2 / expected).sum()
    assert chi2 < 43.8  # 99.9% point of chi-square with 19 degrees of freedom
    # Neighbouring counters (next person, next class, next step) are uncorrelated.
    for lag in (1, 1000):
        r = np.corrcoef(u[:-lag], u[lag:])[0, 1]
        assert abs(r) < 4 / np.sqrt(n)


def test_reached_share_matches_the_chance_of_being_reached():
    n = 100_000
    contacts = np.array([[-np.log1p(-0.3) * 1000.0]])  # 1 - exp(-lam) = 0.3 of 1,000 people
    reached = respond(
        np.zeros(n),
        np.zeros(n),
        np.zeros(n),
        np.zeros((1, n)),
        np.array([0, n]),
        contacts,
        contacts,
        np.array([1000.0]),
        np.array([0.5]),
        np.array([0.7]),
        np.array([True]),
        7,
        0,
        np.zeros(8),
        scratch((1, 1)),
    )
    assert abs(reached[0] / n - 0.3) < 4 * np.sqrt(0.3 * 0.7 / n)
