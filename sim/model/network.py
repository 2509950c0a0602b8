"""Social network generators built with NumPy and SciPy only.

The simulator needs graphs with up to about a million people, so everything here works on
flat edge arrays: edges are drawn in bulk, collisions (self loops and repeated edges) are
found by sorting integer edge keys and redrawn for a few rounds, and the result is assembled
straight into a symmetric CSR matrix. No networkx is involved.

Two generators are provided:

* ``"random"``: an Erdős–Rényi-like graph with segment homophily. About
  ``N * mean_degree / 2`` undirected edges are drawn; each edge's first endpoint is uniform
  over the population and, with probability ``homophily``, its partner is uniform within the
  first endpoint's segment, otherwise uniform over everyone.
* ``"small_world"``: a Watts–Strogatz-style graph (Watts & Strogatz 1998, Nature 393). People
  are placed on a ring in (stable) segment order, each is linked to its ``k // 2`` nearest
  neighbours on either side with ``k = round(mean_degree)``, and every lattice edge is
  rewired with probability ``rewiring``: it keeps its first endpoint and gets a new partner
  drawn as in ``"random"``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from sim.model.compiled import compiled

#: First endpoints of the edges a generator fixes, their partners, and the first
#: endpoints of the edges whose partners are drawn with homophily.
EdgePlan = tuple[np.ndarray, np.ndarray, np.ndarray]


@dataclass(frozen=True)
class NetworkGenerator:
    """A registered network generator.

    Attributes:
        name: The name a scenario gives in ``audience.network.generator``.
        description: One line for the scenario-format documentation.
        edges: ``(order, mean_degree, rewiring, rng) -> EdgePlan``: the edges it fixes
            and the first endpoints of those whose partner is drawn (with homophily);
            ``order`` lists the people in stable segment order.
    """

    name: str
    description: str
    edges: Callable[[np.ndarray, float, float, np.random.Generator], EdgePlan]


#: Every network generator, by name: the schema's allowed names and the dispatch.
GENERATORS: dict[str, NetworkGenerator] = {}


def register_generator(
    name: str, description: str
) -> Callable[[Callable[..., EdgePlan]], Callable[..., EdgePlan]]:
    """Register an edge planner under ``name`` (a decorator)."""

    def decorate(edges: Callable[..., EdgePlan]) -> Callable[..., EdgePlan]:
        if name in GENERATORS:
            raise ValueError(f"network generator '{name}' is already registered")
        GENERATORS[name] = NetworkGenerator(name, description, edges)
        return edges

    return decorate


@register_generator("random", "Erdos-Renyi-like: N * mean_degree / 2 edges, homophilous partners")
def _random_edges(
    order: np.ndarray, mean_degree: float, rewiring: float, rng: np.random.Generator
) -> EdgePlan:
    """Every edge gets a uniform first endpoint and a drawn partner."""
    n = order.size
    m = round(n * mean_degree / 2)
    none = np.empty(0, dtype=np.int64)
    return none, none.copy(), rng.integers(0, n, size=m)


@register_generator(
    "small_world", "Watts-Strogatz-like ring lattice; each edge rewired with 'rewiring'"
)
def _small_world_edges(
    order: np.ndarray, mean_degree: float, rewiring: float, rng: np.random.Generator
) -> EdgePlan:
    """A ring lattice in segment order; rewired edges keep their first endpoint."""
    n = order.size
    half = round(mean_degree) // 2
    if half < 1:
        raise ValueError(
            f"small_world needs round(mean_degree) >= 2 for a non-empty ring lattice; "
            f"got mean_degree={mean_degree!r}"
        )
    if 2 * half >= n:
        raise ValueError(
            f"small_world needs 2 * (round(mean_degree) // 2) < N (N={n}); "
            f"got mean_degree={mean_degree!r}"
        )
    pos = np.arange(n, dtype=np.int64)
    u_lat = np.tile(order, half)
    v_lat = np.concatenate([order[(pos + d) % n] for d in range(1, half + 1)])
    rewire = rng.random(u_lat.size) < rewiring
    return u_lat[~rewire], v_lat[~rewire], u_lat[rewire]


# Rounds of redrawing partners whose edge was a self loop or a repeat. A few rounds remove
# practically all collisions; the cap only matters when an edge cannot be placed at all
# (e.g. homophily 1 and a segment of a single person), in which case it is dropped.
_MAX_REDRAW_ROUNDS = 50


def build_network(
    segment_of: np.ndarray,
    mean_degree: float,
    homophily: float,
    generator: str,
    rng: np.random.Generator,
    rewiring: float = 0.1,
) -> sp.csr_array:
    """Build an undirected social network with segment homophily.

    Args:
        segment_of: Integer array of shape (N,); the segment index (0..S-1) of each person.
        mean_degree: Requested mean number of contacts per person; must satisfy
            ``0 < mean_degree < N``. For ``"random"`` it sets the number of edges,
            ``round(N * mean_degree / 2)``; for ``"small_world"`` the lattice has
            ``k // 2`` neighbours on each side with ``k = round(mean_degree)``, so an odd
            ``k`` gives degree ``k - 1``.
        homophily: Probability in [0, 1] that a newly drawn partner comes from the first
            endpoint's own segment rather than from the whole population.
        generator: ``"random"`` or ``"small_world"``.
        rng: Source of randomness. The result depends only on the inputs and this
            generator's state.
        rewiring: Probability in [0, 1] that a lattice edge is rewired (``"small_world"``
            only).

    Returns:
        A symmetric ``scipy.sparse.csr_array`` of shape (N, N) with ``int8`` ones as data,
        no self loops, no duplicate entries and sorted column indices within each row.
        ``indices`` is ``int32`` when N < 2**31.

    Raises:
        ValueError: On an unknown generator, ``mean_degree`` outside (0, N), ``homophily``
            or ``rewiring`` outside [0, 1], a malformed ``segment_of``, or a small-world
            request whose lattice would be empty or would wrap onto itself.
    """
    seg = _check_segments(segment_of)
    n = seg.size
    if generator not in GENERATORS:
        raise ValueError(
            f"unknown network generator {generator!r}; expected one of {tuple(GENERATORS)}"
        )
    if not np.isfinite(mean_degree) or not 0 < mean_degree < n:
        raise ValueError(
            f"mean_degree must satisfy 0 < mean_degree < N (N={n}); got {mean_degree!r}"
        )
    if not 0.0 <= homophily <= 1.0:
        raise ValueError(f"homophily must be in [0, 1]; got {homophily!r}")
    if not 0.0 <= rewiring <= 1.0:
        raise ValueError(f"rewiring must be in [0, 1]; got {rewiring!r}")

    order = np.argsort(seg, kind="stable")
    sizes = np.bincount(seg)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))

    def draw_partner(u: np.ndarray) -> np.ndarray:
        """Draw one partner per first endpoint: own segment w.p. homophily, else anyone."""
        same = rng.random(u.size) < homophily
        s = seg[u]
        # Drawn for every edge so the number of draws never depends on the coin flips.
        within = order[starts[s] + (rng.random(u.size) * sizes[s]).astype(np.int64)]
        anyone = rng.integers(0, n, size=u.size)
        return np.where(same, within, anyone)

    u_fixed, v_fixed, u_new = GENERATORS[generator].edges(order, mean_degree, rewiring, rng)
    keys = _place_edges(u_fixed, v_fixed, u_new, draw_partner, n)
    return _csr_from_keys(keys, n)


def neighbour_arrays(
    adj: sp.csr_array | sp.csr_matrix,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the CSR arrays of an adjacency matrix in the form the dynamics kernels use.

    Args:
        adj: Square CSR adjacency matrix, e.g. from :func:`build_network`.

    Returns:
        ``(indptr, indices, degree)``: ``indptr`` as int64 of shape (N + 1,), ``indices`` as
        int32 (int64 if N >= 2**31) with the neighbours of person ``i`` in
        ``indices[indptr[i]:indptr[i + 1]]``, and ``degree`` as int64 of shape (N,).
    """
    adj = sp.csr_array(adj)
    n = adj.shape[0]
    indptr = np.ascontiguousarray(adj.indptr, dtype=np.int64)
    idx_dtype = np.int32 if n < 2**31 else np.int64
    indices = np.ascontiguousarray(adj.indices, dtype=idx_dtype)
    degree = np.diff(indptr)
    return indptr, indices, degree


def _check_segments(segment_of: np.ndarray) -> np.ndarray:
    """Validate ``segment_of`` and return it as a 1-D int64 array."""
    seg = np.asarray(segment_of)
    if seg.ndim != 1 or seg.size < 2:
        raise ValueError(f"segment_of must be a 1-D array of at least 2 people; got {seg.shape}")
    if not np.issubdtype(seg.dtype, np.integer):
        raise ValueError(f"segment_of must hold integers; got dtype {seg.dtype}")
    if seg.min() < 0:
        raise ValueError("segment_of must hold non-negative segment indices")
    return seg.astype(np.int64, copy=False)


def _edge_keys(u: np.ndarray, v: np.ndarray, n: int) -> np.ndarray:
    """Encode undirected edges as ``min * n + max`` (int64)."""
    lo = np.minimum(u, v).astype(np.int64)
    hi = np.maximum(u, v).astype(np.int64)
    return lo * n + hi


def _place_edges(
    u_fixed: np.ndarray,
    v_fixed: np.ndarray,
    u_new: np.ndarray,
    draw_partner: Callable[[np.ndarray], np.ndarray],
    n: int,
) -> np.ndarray:
    """Draw partners for ``u_new``, redrawing collisions, and return sorted unique edge keys.

    Fixed edges (kept lattice edges) take precedence: they are assumed distinct and free of
    self loops. A drawn edge is rejected if it is a self loop, repeats a fixed edge, or
    repeats an edge drawn earlier in the array; rejected edges keep their first endpoint and
    get a fresh partner, for up to ``_MAX_REDRAW_ROUNDS`` rounds.
    """
    fixed = _edge_keys(u_fixed, v_fixed, n)
    fixed.sort()  # in place: the keys are a fresh array (np.sort would copy them)
    v_new = draw_partner(u_new)
    k_new = _edge_keys(u_new, v_new, n)
    ok = u_new != v_new
    if fixed.size:
        ok &= ~_isin_sorted(k_new, fixed)
    # Repeats among the new edges: find the (few) repeated keys by sorting, then keep the
    # first valid occurrence of each. This avoids a full argsort of the edge keys.
    sk = np.sort(k_new)
    repeated = np.unique(sk[1:][sk[1:] == sk[:-1]])
    if repeated.size:
        cand = np.flatnonzero(ok & _isin_sorted(k_new, repeated))
        _, first = np.unique(k_new[cand], return_index=True)
        drop = np.ones(cand.size, dtype=bool)
        drop[first] = False
        ok[cand[drop]] = False
    accepted_new = k_new[ok]
    accepted_new.sort()
    accepted = np.concatenate((fixed, accepted_new))
    accepted.sort(kind="stable")  # merges the 2 sorted runs
    u_pending = u_new[~ok]

    extra = np.empty(0, dtype=np.int64)
    for _ in range(_MAX_REDRAW_ROUNDS):
        if u_pending.size == 0:
            break
        v_try = draw_partner(u_pending)
        k_try = _edge_keys(u_pending, v_try, n)
        ok = u_pending != v_try
        ok &= ~_isin_sorted(k_try, accepted)
        ok &= ~_isin_sorted(k_try, extra)
        # Among this round's draws, keep the first occurrence of each key.
        _, first_idx = np.unique(k_try, return_index=True)
        is_first = np.zeros(k_try.size, dtype=bool)
        is_first[first_idx] = True
        ok &= is_first
        extra = np.concatenate((extra, k_try[ok]))
        extra.sort()
        u_pending = u_pending[~ok]

    if extra.size:
        accepted = np.concatenate((accepted, extra))
        accepted.sort(kind="stable")
    return accepted


def _isin_sorted(values: np.ndarray, sorted_ref: np.ndarray) -> np.ndarray:
    """Membership of ``values`` in the sorted array ``sorted_ref``."""
    if sorted_ref.size == 0:
        return np.zeros(values.size, dtype=bool)
    pos = np.searchsorted(sorted_ref, values)
    pos = np.minimum(pos, sorted_ref.size - 1)
    return sorted_ref[pos] == values


def _csr_from_keys(keys: np.ndarray, n: int) -> sp.csr_array:
    """Assemble a symmetric CSR adjacency from sorted unique undirected edge keys."""
    idx_dtype = np.int32 if n < 2**31 else np.int64
    indptr = np.zeros(n + 1, dtype=np.int64)
    indices = np.empty(2 * keys.size, dtype=idx_dtype)
    compiled(_csr_loop)(keys, n, indptr, indices)
    if indptr[-1] < 2**31:
        indptr = indptr.astype(idx_dtype)
    data = np.ones(indices.size, dtype=np.int8)
    adj = sp.csr_array((data, indices, indptr), shape=(n, n))
    adj.has_sorted_indices = True
    return adj


def _csr_loop(keys: np.ndarray, n: int, indptr: np.ndarray, indices: np.ndarray) -> None:
    """Fill ``indptr`` (zeros, N + 1) and ``indices`` (2E) from E sorted edge keys.

    A counting sort: count each person's edges, then place every edge in both of its
    rows, in key order. Row ``r`` first receives the partners below ``r`` (from keys
    ``lo * n + r`` with ``lo < r``, which come before ``r * n``) in increasing order, then
    those above it (keys ``r * n + hi``), also increasing: each row ends up sorted,
    without sorting anything.
    """
    for key in keys:
        lo = key // n
        indptr[lo + 1] += 1
        indptr[key - lo * n + 1] += 1
    for r in range(n):
        indptr[r + 1] += indptr[r]
    fill = indptr[:-1].copy()
    for key in keys:
        lo = key // n
        hi = key - lo * n
        indices[fill[lo]] = hi
        fill[lo] += 1
        indices[fill[hi]] = lo
        fill[hi] += 1
