"""Peer-influence kernels against a plain reference and published results.

Everything here is on the model's opinion scale [-1, 1]; functions that reproduce a
published figure take the confidence bound ``eps`` on the literature's [0, 1] scale and
double it (and map uniform opinions on [0, 1] to [-1, 1]).

Clusters are groups of sorted opinions separated by gaps larger than :data:`CLUSTER_GAP`
(2e-3 on [-1, 1], i.e. 1e-3 on [0, 1]). On sparse graphs bounded confidence leaves
stragglers: people all of whose neighbours moved out of their reach keep their opinion for
good, each a group of one. So two counts are kept: all groups, and *major* clusters holding
at least :data:`MAJOR_SHARE` of the people (the distinction of Weisbuch et al. 2002); the
published cluster numbers are about major clusters.

* :func:`deffuant_cluster_check` compares :func:`sim.model.dynamics.deffuant_step` with
  :func:`reference_deffuant`, a plain Python loop of classic sequential Deffuant that draws
  its own pairs from Python's :mod:`random`: the two see the same graphs and initial
  opinions but independent encounters, so their mean cluster counts agree only if the
  kernel is statistically the classic model (Deffuant et al. 2000; Weisbuch et al. 2002:
  about ``1 / (2 eps)`` clusters; Fortunato 2004: consensus for ``eps > 0.5``).
* :func:`hk_cluster_scan` runs :func:`sim.model.dynamics.hk_step` on the complete graph
  from equally spaced opinions (Fortunato 2005: consensus threshold about 0.2; Lorenz 2006:
  a window of three clusters between 0.176 and 0.191 for the synchronous model).
"""

from __future__ import annotations

import random

import numpy as np

from sim.model.dynamics import deffuant_step, hk_step

#: Gap (on [-1, 1]) between sorted opinions that separates two clusters: 1e-3 on [0, 1].
CLUSTER_GAP = 2e-3

#: Smallest share of the people a major cluster holds (10 of 500).
MAJOR_SHARE = 0.02

#: Confidence bounds on [0, 1] of the Deffuant check (the issue's grid).
DEFFUANT_EPS = (0.15, 0.25, 0.35, 0.45, 0.55)


def regular_graph(n_people: int, degree: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A uniformly random ``degree``-regular simple graph in CSR form.

    Args:
        n_people: Number of nodes (``n_people * degree`` must be even).
        degree: Degree of every node.
        seed: Seed for NetworkX's generator.

    Returns:
        ``(indptr, indices)`` with sorted neighbour lists (int64, int32), as
        :func:`sim.model.network.neighbour_arrays` gives.
    """
    import networkx as nx

    graph = nx.random_regular_graph(degree, n_people, seed=seed)
    edges = np.array(graph.edges(), dtype=np.int64).reshape(-1, 2)
    return _csr(n_people, edges)


def complete_graph(n_people: int) -> tuple[np.ndarray, np.ndarray]:
    """The complete graph on ``n_people`` nodes in CSR form (no self-loops).

    Args:
        n_people: Number of nodes.

    Returns:
        ``(indptr, indices)`` (int64, int32).
    """
    _, col = np.nonzero(~np.eye(n_people, dtype=bool))  # row by row, itself left out
    indptr = np.arange(0, n_people * (n_people - 1) + 1, n_people - 1, dtype=np.int64)
    return indptr, col.astype(np.int32)


def _csr(n_people: int, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """CSR arrays of the undirected graph with the given (u, v) edges."""
    both = np.concatenate([edges, edges[:, ::-1]])
    both = both[np.lexsort((both[:, 1], both[:, 0]))]
    indptr = np.zeros(n_people + 1, dtype=np.int64)
    np.cumsum(np.bincount(both[:, 0], minlength=n_people), out=indptr[1:])
    return indptr, both[:, 1].astype(np.int32)


def count_clusters(x: np.ndarray, gap: float = CLUSTER_GAP, min_share: float = 0.0) -> int:
    """Number of groups of sorted opinions separated by gaps larger than ``gap``.

    Args:
        x: Opinions.
        gap: Largest gap inside a cluster (on the scale of ``x``).
        min_share: Count only groups holding at least this share of the opinions.

    Returns:
        The number of clusters (0 for no opinions).

    >>> x = np.array([0.0, 0.0005, 0.5, 0.5, -1.0])
    >>> count_clusters(x), count_clusters(x, min_share=0.4)
    (3, 2)
    """
    if x.size == 0:
        return 0
    cuts = np.flatnonzero(np.diff(np.sort(x)) > gap) + 1
    sizes = np.diff(np.concatenate(([0], cuts, [x.size])))
    return int(np.count_nonzero(sizes >= min_share * x.size))


def reference_deffuant(
    x: np.ndarray,
    indptr: np.ndarray,
    indices: np.ndarray,
    n_interactions: int,
    confidence: float,
    convergence: float,
    seed: int,
) -> np.ndarray:
    """Classic sequential Deffuant, written as a plain Python loop with its own draws.

    One encounter at a time: a person ``i`` drawn uniformly, a neighbour ``j`` drawn
    uniformly (a person without neighbours does nothing); if ``|x_j - x_i| < confidence``
    both move ``convergence`` of the way toward each other. The draws come from
    ``random.Random(seed)``, independent of NumPy's generator and of the kernel's scheme.

    Args:
        x: Initial opinions on [-1, 1].
        indptr: CSR row pointer.
        indices: CSR neighbour indices.
        n_interactions: Number of encounters.
        confidence: Bound on the [-1, 1] scale.
        convergence: Fraction mu of the gap each side moves.
        seed: Seed of the reference's own random numbers.

    Returns:
        The opinions after the encounters (a new array).
    """
    rnd = random.Random(seed)
    ops = [float(v) for v in x]
    neighbours = [indices[indptr[i] : indptr[i + 1]].tolist() for i in range(len(ops))]
    n = len(ops)
    for _ in range(n_interactions):
        i = rnd.randrange(n)
        friends = neighbours[i]
        if not friends:
            continue
        j = friends[rnd.randrange(len(friends))]
        gap = ops[j] - ops[i]
        if abs(gap) < confidence:
            ops[i] += convergence * gap
            ops[j] -= convergence * gap
    return np.array(ops)


def _replicate(seed: int, n_people: int, degree: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Graph and uniform initial opinions of replicate ``seed`` (shared by both codes)."""
    indptr, indices = regular_graph(n_people, degree, seed)
    x0 = np.random.default_rng([seed, 1]).uniform(-1.0, 1.0, n_people)
    return indptr, indices, x0


def deffuant_clusters(
    eps: float,
    seeds: range | list[int],
    *,
    n_people: int = 500,
    degree: int = 10,
    sweeps: int = 300,
    convergence: float = 0.5,
    implementation: str = "kernel",
) -> tuple[np.ndarray, np.ndarray, float]:
    """Final cluster counts of Deffuant runs on random regular graphs, one per seed.

    Each replicate draws a random ``degree``-regular graph and uniform initial opinions
    from its seed, then runs ``sweeps * n_people`` encounters, either with the model's
    kernel (one call per sweep of ``n_people`` encounters) or with
    :func:`reference_deffuant`.

    Args:
        eps: Confidence bound on the [0, 1] scale (doubled for the model's scale).
        seeds: Replicate seeds.
        n_people: Number of people.
        degree: Degree of the regular graph.
        sweeps: Encounters per person (times ``n_people`` in all).
        convergence: Deffuant's mu.
        implementation: ``"kernel"`` or ``"reference"``.

    Returns:
        ``(major, groups, drift)``: per replicate the number of major clusters and of all
        groups, and, for the kernel, the largest absolute change of the mean opinion over
        one call (0.0 for the reference).

    Raises:
        ValueError: For an unknown ``implementation``.
    """
    if implementation not in ("kernel", "reference"):
        raise ValueError(f"implementation must be 'kernel' or 'reference'; got {implementation!r}")
    major, groups = [], []
    drift = 0.0
    for seed in seeds:
        indptr, indices, x = _replicate(seed, n_people, degree)
        if implementation == "reference":
            x = reference_deffuant(
                x, indptr, indices, sweeps * n_people, 2 * eps, convergence, seed=seed
            )
        else:
            rng = np.random.default_rng([seed, 2])
            for _ in range(sweeps):
                new = deffuant_step(x, indptr, indices, n_people, 2 * eps, convergence, rng)
                drift = max(drift, abs(float(new.mean() - x.mean())))
                x = new
        major.append(count_clusters(x, min_share=MAJOR_SHARE))
        groups.append(count_clusters(x))
    return np.array(major), np.array(groups), drift


def deffuant_cluster_check(
    eps_values: tuple[float, ...] = DEFFUANT_EPS, n_seeds: int = 64, **kwargs: object
) -> dict[float, dict[str, float]]:
    """Mean cluster counts of the kernel and of the plain reference, per confidence bound.

    The issue's check: random 10-regular graphs of 500 people, 300 sweeps, mu = 0.5,
    uniform initial opinions, 64 seeds; the kernel's mean number of major clusters should
    be within 0.2 of the reference's. With the defaults this takes about half a minute
    (the reference is plain Python).

    Args:
        eps_values: Confidence bounds on the [0, 1] scale.
        n_seeds: Replicates per bound (seeds 0 .. n_seeds - 1).
        **kwargs: Passed to :func:`deffuant_clusters` (``n_people``, ``degree``, ...).

    Returns:
        For each bound: ``kernel`` and ``reference`` (mean numbers of major clusters),
        ``difference`` (kernel minus reference) and ``standard_error`` (of that
        difference, from the two samples' spreads); ``kernel_groups`` and
        ``reference_groups`` (mean numbers of all groups, stragglers included); and
        ``mean_drift`` (the kernel's largest change of the mean opinion over one call of
        ``n_people`` encounters).
    """
    seeds = range(n_seeds)
    out: dict[float, dict[str, float]] = {}
    for eps in eps_values:
        kernel, kernel_groups, drift = deffuant_clusters(eps, seeds, **kwargs)
        reference, reference_groups, _ = deffuant_clusters(
            eps, seeds, implementation="reference", **kwargs
        )
        spread = kernel.var(ddof=1) + reference.var(ddof=1) if n_seeds > 1 else 0.0
        out[eps] = {
            "kernel": float(kernel.mean()),
            "reference": float(reference.mean()),
            "difference": float(kernel.mean() - reference.mean()),
            "standard_error": float(np.sqrt(spread / n_seeds)),
            "kernel_groups": float(kernel_groups.mean()),
            "reference_groups": float(reference_groups.mean()),
            "mean_drift": drift,
        }
    return out


def hk_complete_graph(
    eps: float,
    n_people: int = 500,
    seed: int = 0,
    max_sweeps: int = 2000,
    tolerance: float = 1e-9,
) -> tuple[int, int, int]:
    """Run the HK kernel on the complete graph from equally spaced opinions to rest.

    Opinions start equally spaced on [-1, 1] (on [0, 1] in the literature). The kernel is
    called with ``n_people`` updates (one sweep) at a time until no opinion moves by more
    than ``tolerance`` over a sweep, or ``max_sweeps`` is reached.

    Args:
        eps: Confidence bound on the [0, 1] scale.
        n_people: Number of people.
        seed: Seed of the update order.
        max_sweeps: Upper bound on the number of sweeps.
        tolerance: Largest change over a sweep that counts as at rest.

    Returns:
        ``(major, groups, sweeps)``: the final numbers of major clusters and of all groups,
        and the sweeps it took.
    """
    indptr, indices = complete_graph(n_people)
    x = np.linspace(-1.0, 1.0, n_people)
    rng = np.random.default_rng(seed)
    sweeps = 0
    while sweeps < max_sweeps:
        sweeps += 1
        new = hk_step(x, indptr, indices, n_people, 2 * eps, rng)
        moved = float(np.max(np.abs(new - x)))
        x = new
        if moved <= tolerance:
            break
    return count_clusters(x, min_share=MAJOR_SHARE), count_clusters(x), sweeps


def hk_cluster_scan(
    eps_values: tuple[float, ...], n_people: int = 500, n_seeds: int = 4
) -> dict[float, dict[str, float]]:
    """Final cluster counts of the HK kernel on the complete graph, per confidence bound.

    Args:
        eps_values: Confidence bounds on the [0, 1] scale.
        n_people: Number of people.
        n_seeds: Update orders per bound (seeds 0 .. n_seeds - 1).

    Returns:
        For each bound: ``mean_clusters``, ``min_clusters`` and ``max_clusters`` (major
        clusters over the seeds), ``consensus_share`` (share of seeds ending in a single
        major cluster), ``mean_groups`` (all groups, stragglers included) and
        ``max_sweeps`` (the slowest seed's sweeps to rest).
    """
    out: dict[float, dict[str, float]] = {}
    for eps in eps_values:
        runs = np.array([hk_complete_graph(eps, n_people, seed) for seed in range(n_seeds)])
        major = runs[:, 0]
        out[eps] = {
            "mean_clusters": float(major.mean()),
            "min_clusters": float(major.min()),
            "max_clusters": float(major.max()),
            "consensus_share": float(np.mean(major == 1)),
            "mean_groups": float(runs[:, 1].mean()),
            "max_sweeps": float(runs[:, 2].max()),
        }
    return out
