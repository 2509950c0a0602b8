"""Tests for the network generator and the opinion-dynamics kernels."""

import numpy as np
import pytest
import scipy.sparse as sp

from sim.model.dynamics import (
    PEER_RULES,
    deffuant_step,
    draw_pairs,
    hk_step,
    no_peer_step,
    voter_step,
)
from sim.model.network import build_network, neighbour_arrays

# ---------------------------------------------------------------------------- helpers


def complete_graph(n: int, blocks: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """CSR (indptr, indices) of ``blocks`` disjoint complete graphs on ``n`` nodes each."""
    within = np.array([j for i in range(n) for j in range(n) if j != i], dtype=np.int64)
    indices = (within[None, :] + n * np.arange(blocks)[:, None]).ravel()
    indptr = np.arange(0, n * blocks * (n - 1) + 1, n - 1, dtype=np.int64)
    return indptr, indices


def matching_graph(n: int) -> tuple[np.ndarray, np.ndarray]:
    """CSR of a perfect matching: 0-1, 2-3, ... (n even)."""
    return np.arange(n + 1, dtype=np.int64), np.arange(n) ^ 1


def cluster_sizes(x: np.ndarray, gap: float = 0.05) -> np.ndarray:
    """Sizes of groups of sorted opinions separated by gaps larger than ``gap``."""
    s = np.sort(x)
    cuts = np.flatnonzero(np.diff(s) > gap) + 1
    return np.diff(np.concatenate(([0], cuts, [s.size])))


def run_deffuant(x, indptr, indices, steps, confidence, rng, convergence=0.5):
    for _ in range(steps):
        x = deffuant_step(x, indptr, indices, x.size // 2, confidence, convergence, rng)
    return x


def small_world(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    adj = build_network(np.zeros(n, dtype=np.int64), 10, 0.0, "small_world", rng, rewiring=0.3)
    indptr, indices, _ = neighbour_arrays(adj)
    return indptr, indices


# ---------------------------------------------------------------------------- Deffuant


@pytest.mark.parametrize("graph", ["complete", "small_world"])
def test_deffuant_wide_confidence_reaches_consensus(graph):
    rng = np.random.default_rng(1)
    n = 200
    indptr, indices = complete_graph(n) if graph == "complete" else small_world(n, rng)
    x0 = rng.uniform(-1, 1, n)
    x = run_deffuant(x0, indptr, indices, 1500, confidence=1.2, rng=rng)
    assert np.ptp(x) < 0.05
    # The compromise happens around the middle of the initial spread.
    assert abs(x.mean() - x0.mean()) < 0.2


def test_deffuant_narrow_confidence_stays_fragmented():
    rng = np.random.default_rng(2)
    n = 300
    indptr, indices = complete_graph(n)
    x = run_deffuant(rng.uniform(-1, 1, n), indptr, indices, 3000, confidence=0.2, rng=rng)
    sizes = cluster_sizes(x)
    assert len(sizes) >= 3
    major = int((sizes >= 0.02 * n).sum())  # theory: about 1 / (2 * 0.1) = 5 on [0, 1]
    assert 3 <= major <= 9
    assert np.ptp(x) > 1.0


def test_deffuant_matching_conserves_mean_and_respects_threshold():
    n = 2000
    indptr, indices = matching_graph(n)
    x = np.random.default_rng(3).uniform(-1, 1, n)
    x_before = x.copy()
    confidence, mu = 0.5, 0.3
    new = deffuant_step(x, indptr, indices, 3 * n, confidence, mu, np.random.default_rng(30))

    np.testing.assert_array_equal(x, x_before)  # input not mutated
    assert new is not x
    assert abs(new.mean() - x.mean()) < 1e-12
    assert new.min() >= -1 and new.max() <= 1

    gap = x[1::2] - x[::2]
    new_gap = new[1::2] - new[::2]
    far = np.abs(gap) >= confidence
    assert far.sum() > 100
    np.testing.assert_array_equal(new[::2][far], x[::2][far])
    np.testing.assert_array_equal(new[1::2][far], x[1::2][far])

    # Sequential encounters: a close pair that met k times keeps its midpoint and its gap
    # shrinks by (1 - 2 mu) ** k (it stays close, so every meeting counts).
    focal, _, _ = draw_pairs(n, indptr, indices, 3 * n, np.random.default_rng(30))
    meetings = np.bincount(focal // 2, minlength=n // 2)
    close = ~far
    assert (meetings[close] >= 2).sum() > 0.5 * close.sum()
    np.testing.assert_allclose(
        new_gap[close], (1 - 2 * mu) ** meetings[close] * gap[close], rtol=1e-9, atol=1e-15
    )
    mid = (x[::2] + x[1::2]) / 2
    np.testing.assert_allclose((new[::2] + new[1::2]) / 2, mid, atol=1e-15)


def test_deffuant_single_pair_is_classic_update():
    rng = np.random.default_rng(4)
    n = 50
    indptr, indices = complete_graph(n)
    x = rng.uniform(-1, 1, n)
    new = deffuant_step(x, indptr, indices, 1, 2.5, 0.25, rng)
    changed = np.flatnonzero(new != x)
    assert changed.size == 2
    i, j = changed
    assert new[i] == pytest.approx(x[i] + 0.25 * (x[j] - x[i]))
    assert new[j] == pytest.approx(x[j] + 0.25 * (x[i] - x[j]))


def test_deffuant_never_overshoots_or_leaves_range():
    rng = np.random.default_rng(5)
    n = 40
    indptr, indices = complete_graph(n)
    x = rng.choice([-1.0, 1.0], n)
    for _ in range(50):
        new = deffuant_step(x, indptr, indices, 5 * n, 2.5, 0.5, rng)
        assert new.min() >= -1 and new.max() <= 1
        assert new.min() >= x.min() - 1e-12 and new.max() <= x.max() + 1e-12
        x = new


def test_deffuant_skips_isolated_people():
    rng = np.random.default_rng(6)
    # Person 0 and 3 are isolated; 1-2 are a pair.
    indptr = np.array([0, 0, 1, 2, 2])
    indices = np.array([2, 1])
    x = np.array([-0.9, 0.1, 0.3, 0.9])
    new = deffuant_step(x, indptr, indices, 100, 1.0, 0.5, rng)
    assert new[0] == x[0] and new[3] == x[3]
    assert new[1] == pytest.approx(0.2) and new[2] == pytest.approx(0.2)
    # A graph with no edges at all leaves everyone in place.
    empty = deffuant_step(x, np.zeros(5, dtype=np.int64), np.zeros(0, np.int64), 10, 1.0, 0.5, rng)
    np.testing.assert_array_equal(empty, x)


@pytest.mark.parametrize(
    ("confidence", "convergence", "n_pairs"),
    [(-0.1, 0.3, 10), (0.5, 0.0, 10), (0.5, 0.6, 10), (0.5, 0.3, -1)],
)
def test_deffuant_rejects_bad_parameters(confidence, convergence, n_pairs):
    indptr, indices = complete_graph(5)
    with pytest.raises(ValueError):
        deffuant_step(
            np.zeros(5), indptr, indices, n_pairs, confidence, convergence, np.random.default_rng(0)
        )


# ---------------------------------------------------------------------------- voter


def test_voter_exit_probability_equals_initial_share():
    """On regular graphs P(+1 wins) equals the initial share of +1 (martingale)."""
    rng = np.random.default_rng(7)
    n, blocks, share = 30, 600, 0.3
    indptr, indices = complete_graph(n, blocks)  # independent replicates, one per block
    one = np.where(np.arange(n) < round(share * n), 1.0, -1.0)
    x = np.concatenate([rng.permutation(one) for _ in range(blocks)])
    for _ in range(5000):
        x = voter_step(x, indptr, indices, x.size, rng)
        per_block = x.reshape(blocks, n)
        if np.all(per_block.min(axis=1) == per_block.max(axis=1)):
            break
    else:
        pytest.fail("voter replicates did not all reach consensus")
    wins = (per_block[:, 0] == 1.0).mean()
    sigma = np.sqrt(share * (1 - share) / blocks)
    assert abs(wins - share) < 3 * sigma


def test_voter_only_copies_existing_values():
    rng = np.random.default_rng(8)
    adj = build_network(np.zeros(500, dtype=np.int64), 6, 0.0, "random", rng)
    indptr, indices, _ = neighbour_arrays(adj)
    values = np.array([-1.0, -0.3, 0.25, 1.0])
    x = rng.choice(values, 500)
    x_before = x.copy()
    new = voter_step(x, indptr, indices, 300, rng)
    np.testing.assert_array_equal(x, x_before)
    assert new is not x
    assert set(np.unique(new)) <= set(values)
    changed = np.flatnonzero(new != x)
    assert changed.size > 0
    for i in changed:  # every change copies a neighbour's old opinion
        assert new[i] in x[indices[indptr[i] : indptr[i + 1]]]
    for _ in range(50):
        x = voter_step(x, indptr, indices, 300, rng)
    assert set(np.unique(x)) <= set(values)


def test_voter_is_one_synchronous_copy_of_the_drawn_pairs():
    """Every drawn person copies the old opinion of their drawn partner; the last draw wins."""
    adj = build_network(np.zeros(300, dtype=np.int64), 6, 0.0, "random", np.random.default_rng(31))
    indptr, indices, _ = neighbour_arrays(adj)
    x = np.random.default_rng(32).uniform(-1, 1, 300)
    i, j, valid = draw_pairs(300, indptr, indices, 700, np.random.default_rng(33))
    expected = x.copy()
    expected[i[valid]] = x[j[valid]]  # NumPy's fancy assignment: the last write wins
    np.testing.assert_array_equal(
        voter_step(x, indptr, indices, 700, np.random.default_rng(33)), expected
    )


def test_voter_isolated_people_keep_opinion():
    indptr = np.array([0, 0, 1, 2])
    indices = np.array([2, 1])
    x = np.array([0.5, -1.0, 1.0])
    new = voter_step(x, indptr, indices, 50, np.random.default_rng(9))
    assert new[0] == 0.5


# ---------------------------------------------------------------------------- stream alignment


def test_voter_same_seed_same_copy_pattern():
    n = 400
    adj = build_network(np.zeros(n, dtype=np.int64), 8, 0.0, "random", np.random.default_rng(10))
    indptr, indices, _ = neighbour_arrays(adj)
    x1 = np.linspace(-1, 1, n)  # all distinct, so the source of each value is identifiable
    x2 = np.random.default_rng(11).permutation(x1)
    rng1, rng2 = np.random.default_rng(12), np.random.default_rng(12)
    new1 = voter_step(x1, indptr, indices, n, rng1)
    new2 = voter_step(x2, indptr, indices, n, rng2)
    src1 = np.searchsorted(x1, new1)
    order2 = np.argsort(x2)
    src2 = order2[np.searchsorted(x2[order2], new2)]
    assert (src1 != np.arange(n)).sum() > n / 2
    np.testing.assert_array_equal(src1, src2)
    assert rng1.bit_generator.state == rng2.bit_generator.state


def test_deffuant_same_seed_same_pairs_whatever_the_opinions():
    n = 400
    adj = build_network(np.zeros(n, dtype=np.int64), 8, 0.0, "random", np.random.default_rng(13))
    indptr, indices, _ = neighbour_arrays(adj)
    x1 = np.random.default_rng(14).uniform(-1, 1, n)
    x2 = np.random.default_rng(15).uniform(-1, 1, n)
    rng1, rng2 = np.random.default_rng(16), np.random.default_rng(16)
    # Confidence above the widest possible gap: every drawn pair interacts, so the people
    # who move are exactly the people drawn into a pair.
    new1 = deffuant_step(x1, indptr, indices, n // 4, 2.5, 0.3, rng1)
    new2 = deffuant_step(x2, indptr, indices, n // 4, 2.5, 0.3, rng2)
    moved1, moved2 = new1 != x1, new2 != x2
    assert 0 < moved1.sum() < n
    np.testing.assert_array_equal(moved1, moved2)
    assert rng1.bit_generator.state == rng2.bit_generator.state
    # A different threshold changes who moves but not what is drawn from the stream.
    rng3 = np.random.default_rng(16)
    deffuant_step(x1, indptr, indices, n // 4, 0.05, 0.3, rng3)
    assert rng3.bit_generator.state == rng1.bit_generator.state


# ---------------------------------------------------------------------------- none


def test_none_rule_leaves_opinions_and_stream_untouched():
    rng = np.random.default_rng(17)
    state = rng.bit_generator.state
    indptr, indices = complete_graph(10)
    x = np.linspace(-1, 1, 10)
    out = PEER_RULES["none"].kernel(x, indptr, indices, 100, rng)
    assert out is x
    np.testing.assert_array_equal(out, np.linspace(-1, 1, 10))
    assert rng.bit_generator.state == state
    assert PEER_RULES["none"].kernel is no_peer_step
    assert PEER_RULES["deffuant"].kernel is deffuant_step
    assert PEER_RULES["voter"].kernel is voter_step
    assert PEER_RULES["hk"].kernel is hk_step


# ---------------------------------------------------------------------------- network


def check_simple_undirected(adj: sp.csr_array, n: int) -> None:
    assert adj.shape == (n, n)
    assert (adj != adj.T).nnz == 0, "not symmetric"
    assert adj.diagonal().sum() == 0, "self loops"
    indptr, indices, degree = neighbour_arrays(adj)
    row = np.repeat(np.arange(n), degree)
    step = np.diff(indices.astype(np.int64))
    same_row = row[1:] == row[:-1]
    assert np.all(step[same_row] > 0), "unsorted or duplicate neighbours"
    assert indptr.dtype == np.int64 and degree.dtype == np.int64
    assert indices.dtype == np.int32
    np.testing.assert_array_equal(degree, np.diff(adj.indptr))


def same_segment_share(adj: sp.csr_array, seg: np.ndarray) -> float:
    upper = sp.triu(adj).tocoo()
    return float((seg[upper.row] == seg[upper.col]).mean())


@pytest.fixture(scope="module")
def segments() -> np.ndarray:
    return np.random.default_rng(20).choice(4, 20_000, p=[0.4, 0.3, 0.2, 0.1])


@pytest.mark.parametrize("generator", ["random", "small_world"])
def test_network_is_simple_symmetric_and_has_requested_degree(generator, segments):
    n = segments.size
    adj = build_network(segments, 10, 0.5, generator, np.random.default_rng(21))
    check_simple_undirected(adj, n)
    assert abs(adj.nnz / n - 10) < 0.5


def test_random_network_homophily(segments):
    n = segments.size
    mixing = float(((np.bincount(segments) / n) ** 2).sum())  # about 0.30
    high = build_network(segments, 10, 0.9, "random", np.random.default_rng(22))
    none = build_network(segments, 10, 0.0, "random", np.random.default_rng(23))
    assert same_segment_share(high, segments) >= 0.85
    assert abs(same_segment_share(none, segments) - mixing) < 0.02


def test_small_world_degrees():
    n = 5000
    seg = np.random.default_rng(24).integers(0, 3, n)
    lattice = build_network(seg, 10, 0.5, "small_world", np.random.default_rng(25), rewiring=0.0)
    np.testing.assert_array_equal(neighbour_arrays(lattice)[2], 10)
    rewired = build_network(seg, 10, 0.5, "small_world", np.random.default_rng(25), rewiring=0.2)
    check_simple_undirected(rewired, n)
    degree = neighbour_arrays(rewired)[2]
    assert degree.mean() == 10.0
    assert degree.min() >= 5  # every person keeps the edges it owns on the lattice
    assert (degree != 10).any()
    odd = build_network(seg, 5, 0.5, "small_world", np.random.default_rng(25), rewiring=0.0)
    np.testing.assert_array_equal(neighbour_arrays(odd)[2], 4)  # k // 2 = 2 per side


@pytest.mark.parametrize("generator", ["random", "small_world"])
def test_network_is_deterministic_given_rng(generator, segments):
    a = build_network(segments, 8, 0.7, generator, np.random.default_rng(26))
    b = build_network(segments, 8, 0.7, generator, np.random.default_rng(26))
    c = build_network(segments, 8, 0.7, generator, np.random.default_rng(27))
    assert (a != b).nnz == 0
    assert (a != c).nnz > 0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"generator": "scale_free"},
        {"mean_degree": 0},
        {"mean_degree": -3},
        {"mean_degree": 100},
        {"homophily": -0.1},
        {"homophily": 1.5},
        {"rewiring": 1.5},
        {"generator": "small_world", "mean_degree": 1},
    ],
)
def test_network_rejects_bad_arguments(kwargs):
    args = {"mean_degree": 4, "homophily": 0.5, "generator": "random"} | kwargs
    with pytest.raises(ValueError):
        build_network(np.zeros(100, dtype=np.int64), rng=np.random.default_rng(0), **args)
