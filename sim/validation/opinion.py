"""The voter-model kernel against its published behaviour (Sood & Redner 2005).

In the voter model a randomly chosen person copies the opinion of a randomly chosen
neighbour (Holley & Liggett 1975). :func:`sim.model.dynamics.voter_step` draws ``n``
people per call and lets each copy a neighbour from the state before the call; here
every call draws ``N`` people, so time is counted in units of ``N`` updates ("sweeps").
Opinions are 0 and 1; a run ends when everybody holds the same one.

Three checks:

- :func:`regular_exit` (**exit probability on a regular graph**): the share of runs won
  by opinion 1 equals its initial share. The expected change of a person's opinion in a
  call is the same fraction of the gap to the mean of their neighbours for everyone, so
  on a regular graph the mean opinion is a martingale.
- :func:`heterogeneous_exit` (**degree-weighted exit probability**): on a graph with
  unequal degrees, the conserved quantity of this (direct) voter model is the
  degree-weighted mean opinion ``sum(d_i x_i) / sum(d_i)`` (Sood & Redner 2005), so the
  exit probability equals the degree-weighted initial share, not the plain one. Tested
  by putting opinion 1 on the best-connected people (or on the least connected).
- :func:`consensus_time` (**consensus time linear in N on the complete graph**): the mean
  number of sweeps to consensus from an even split grows as ``N``; the slope of
  ``log T`` against ``log N`` is about 1.

The regular graph is the ring lattice of :func:`sim.model.network.build_network`
(``small_world`` without rewiring, every degree exactly ``k``); the heterogeneous one is
its ``random`` (Erdos-Renyi) generator without homophily, reduced to its largest
connected component (isolated people would never agree).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from sim.model.dynamics import voter_step
from sim.model.network import build_network, neighbour_arrays
from sim.validation.common import Call, Plan, binomial_se, seed_batches

#: Initial shares of opinion 1 in the exit-probability checks.
SHARES = (0.2, 0.5, 0.8)
#: Population sizes of the consensus-time check.
SIZES = (25, 50, 100, 200)
#: Standard errors an exit probability may differ from its prediction.
EXIT_K = 3.0
#: Allowed distance of the log-log slope of the consensus time from 1.
SLOPE_TOLERANCE = 0.2
#: Runs per call (one call runs a batch of replicates, on one worker).
BATCH = 50


# ---------------------------------------------------------------------------- graphs


def ring_lattice(n_people: int, degree: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A ring lattice where everyone has exactly ``degree`` neighbours, in CSR form.

    Args:
        n_people: Number of people.
        degree: Even degree, below ``n_people``.
        seed: Seed of the generator (the lattice does not depend on it).

    Returns:
        ``(indptr, indices)`` as :func:`sim.model.network.neighbour_arrays` gives them.
    """
    adj = build_network(
        np.zeros(n_people, dtype=np.int64),
        degree,
        0.0,
        "small_world",
        np.random.default_rng(seed),
        rewiring=0.0,
    )
    indptr, indices, _ = neighbour_arrays(adj)
    return indptr, indices


def random_graph(
    n_people: int, mean_degree: float, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The largest connected component of an Erdos-Renyi-like graph, in CSR form.

    Args:
        n_people: Number of people before the component is taken.
        mean_degree: Mean degree requested from the generator.
        seed: Seed of the generator.

    Returns:
        ``(indptr, indices, degree)`` of the component, people renumbered from 0.
    """
    adj = sp.csr_array(
        build_network(
            np.zeros(n_people, dtype=np.int64),
            mean_degree,
            0.0,
            "random",
            np.random.default_rng(seed),
        )
    )
    _, label = connected_components(adj, directed=False)
    keep = np.flatnonzero(label == np.bincount(label).argmax())
    return neighbour_arrays(adj[keep][:, keep])


def complete_graph(n_people: int) -> tuple[np.ndarray, np.ndarray]:
    """The complete graph without self-loops, in CSR form.

    >>> indptr, indices = complete_graph(3)
    >>> indptr.tolist(), indices.tolist()
    ([0, 2, 4, 6], [1, 2, 0, 2, 0, 1])
    """
    _, col = np.nonzero(~np.eye(n_people, dtype=bool))
    indptr = np.arange(0, n_people * (n_people - 1) + 1, n_people - 1, dtype=np.int64)
    return indptr, col.astype(np.int32)


# ---------------------------------------------------------------------------- runs


def run_to_consensus(
    x: np.ndarray,
    indptr: np.ndarray,
    indices: np.ndarray,
    rng: np.random.Generator,
    max_sweeps: int,
) -> tuple[float, int]:
    """Run the voter kernel, ``N`` updates per call, until everybody agrees.

    Args:
        x: Initial opinions (0 or 1).
        indptr: CSR row pointer.
        indices: CSR neighbour indices.
        rng: Random generator.
        max_sweeps: Calls after which the run is abandoned.

    Returns:
        ``(winner, sweeps)``: the opinion everybody holds (NaN if not reached) and the
        calls it took.
    """
    n = x.size
    for sweep in range(1, max_sweeps + 1):
        x = voter_step(x, indptr, indices, n, rng)
        if x.min() == x.max():
            return float(x[0]), sweep
    return math.nan, max_sweeps


def _place(
    n_people: int,
    share: float,
    order: np.ndarray | None,
    rng: np.random.Generator | None,
) -> np.ndarray:
    """Opinion 1 for ``round(share * N)`` people: the first of ``order``, or at random."""
    ones = round(share * n_people)
    x = np.zeros(n_people)
    if order is None:
        assert rng is not None
        order = rng.permutation(n_people)
    chosen = order[:ones]
    x[chosen] = 1.0
    return x


def regular_runs(
    n_people: int, degree: int, share: float, first: int, count: int, seed: int
) -> list[tuple[float, int]]:
    """Replicates ``first .. first + count - 1`` of the voter model on a ring lattice.

    Each replicate places opinion 1 on ``round(share * N)`` people drawn at random.

    Returns:
        ``(winner, sweeps)`` per replicate.
    """
    indptr, indices = ring_lattice(n_people, degree)
    out = []
    for rep in range(first, first + count):
        rng = np.random.default_rng([seed, rep, round(share * 1000)])
        x = _place(n_people, share, None, rng)
        out.append(run_to_consensus(x, indptr, indices, rng, 200 * n_people))
    return out


def heterogeneous_runs(
    n_people: int,
    mean_degree: float,
    share: float,
    placement: str,
    first: int,
    count: int,
    seed: int,
) -> list[tuple[float, int]]:
    """Replicates of the voter model on one random graph, opinion 1 placed by degree.

    Args:
        n_people: People before the largest component is taken.
        mean_degree: Mean degree requested.
        share: Share of the component's people starting with opinion 1.
        placement: ``"hubs"`` (on the best-connected people) or ``"periphery"`` (on the
            least connected); ties broken at random, once per graph.
        first: First replicate number.
        count: Replicates.
        seed: Seed of the graph and of the replicates.

    Returns:
        ``(winner, sweeps)`` per replicate.
    """
    indptr, indices, degree = random_graph(n_people, mean_degree, seed)
    order = _degree_order(degree, placement, seed)
    out = []
    for rep in range(first, first + count):
        rng = np.random.default_rng([seed, rep, round(share * 1000), int(placement == "hubs")])
        x = _place(degree.size, share, order, rng)
        out.append(run_to_consensus(x, indptr, indices, rng, 200 * degree.size))
    return out


def _degree_order(degree: np.ndarray, placement: str, seed: int) -> np.ndarray:
    """People by decreasing (hubs) or increasing (periphery) degree, ties at random."""
    if placement not in ("hubs", "periphery"):
        raise ValueError(f"placement must be 'hubs' or 'periphery'; got {placement!r}")
    tie = np.random.default_rng([seed, 2]).random(degree.size)
    key = -degree if placement == "hubs" else degree
    return np.lexsort((tie, key))


def complete_runs(n_people: int, first: int, count: int, seed: int) -> list[tuple[float, int]]:
    """Replicates of the voter model on the complete graph from an even split."""
    indptr, indices = complete_graph(n_people)
    out = []
    for rep in range(first, first + count):
        rng = np.random.default_rng([seed, n_people, rep])
        x = _place(n_people, 0.5, None, rng)
        out.append(run_to_consensus(x, indptr, indices, rng, 200 * n_people))
    return out


# ---------------------------------------------------------------------------- results


@dataclass(frozen=True)
class ExitProbability:
    """Exit probability of opinion 1 against its prediction.

    Attributes:
        label: The setting.
        initial_share: Plain initial share of opinion 1.
        predicted: The predicted exit probability.
        wins: Runs won by opinion 1.
        runs: Runs that reached consensus.
        unfinished: Runs that did not reach consensus in time.
        mean_sweeps: Mean sweeps to consensus.
        degree_weighted_share: Degree-weighted initial share (the prediction on a
            heterogeneous graph; equal to ``initial_share`` on a regular one).
    """

    label: str
    initial_share: float
    predicted: float
    wins: int
    runs: int
    unfinished: int
    mean_sweeps: float
    degree_weighted_share: float

    @property
    def measured(self) -> float:
        """Share of finished runs won by opinion 1."""
        return self.wins / self.runs if self.runs else math.nan

    @property
    def standard_error(self) -> float:
        """Binomial standard error of the measured share, at the prediction."""
        return binomial_se(self.predicted, self.runs)

    @property
    def tolerance(self) -> float:
        """Allowed absolute difference: :data:`EXIT_K` standard errors."""
        return EXIT_K * self.standard_error

    @property
    def passed(self) -> bool:
        """Whether every run finished and the measured share is within the tolerance."""
        return self.unfinished == 0 and abs(self.measured - self.predicted) <= self.tolerance


def _exit(
    label: str, share: float, predicted: float, weighted: float, outcomes: list
) -> ExitProbability:
    done = [(w, s) for w, s in outcomes if not math.isnan(w)]
    return ExitProbability(
        label=label,
        initial_share=share,
        predicted=predicted,
        wins=sum(1 for w, _ in done if w == 1.0),
        runs=len(done),
        unfinished=len(outcomes) - len(done),
        mean_sweeps=float(np.mean([s for _, s in done])) if done else math.nan,
        degree_weighted_share=weighted,
    )


def regular_exit_plan(
    shares: tuple[float, ...] = SHARES,
    n_people: int = 100,
    degree: int = 10,
    n_runs: int = 400,
    seed: int = 1,
) -> Plan[list[ExitProbability]]:
    """Plan of :func:`regular_exit`."""
    calls, index = [], []
    for share in shares:
        for first, count in seed_batches(n_runs, BATCH):
            calls.append(
                Call(
                    regular_runs,
                    (n_people, degree, share, first, count, seed),
                    f"voter runs on a ring lattice, share {share}",
                    cost=0.01 * count,
                )
            )
            index.append(share)

    def reduce(values: list) -> list[ExitProbability]:
        out = []
        for share in shares:
            outcomes = [o for s, v in zip(index, values, strict=True) if s == share for o in v]
            ones = round(share * n_people) / n_people
            label = f"ring lattice, N={n_people}, k={degree}, share {share:g}"
            out.append(_exit(label, ones, ones, ones, outcomes))
        return out

    return Plan(tuple(calls), reduce)


def regular_exit(**kwargs: object) -> list[ExitProbability]:
    """Exit probability on a regular graph equals the initial share.

    Args:
        **kwargs: ``shares``, ``n_people``, ``degree``, ``n_runs``, ``seed`` (see
            :func:`regular_exit_plan`; defaults: shares 0.2, 0.5, 0.8, 100 people,
            degree 10, 400 runs each).

    Returns:
        One :class:`ExitProbability` per initial share.
    """
    return regular_exit_plan(**kwargs).run()  # type: ignore[arg-type]


def heterogeneous_exit_plan(
    settings: tuple[tuple[str, float], ...] = (("hubs", 0.2), ("periphery", 0.5)),
    n_people: int = 200,
    mean_degree: float = 4.0,
    n_runs: int = 400,
    seed: int = 1,
) -> Plan[list[ExitProbability]]:
    """Plan of :func:`heterogeneous_exit`."""
    _, _, degree = random_graph(n_people, mean_degree, seed)
    calls, index = [], []
    for setting in settings:
        placement, share = setting
        for first, count in seed_batches(n_runs, BATCH):
            calls.append(
                Call(
                    heterogeneous_runs,
                    (n_people, mean_degree, share, placement, first, count, seed),
                    f"voter runs on a random graph, opinion 1 on the {placement}",
                    cost=0.02 * count,
                )
            )
            index.append(setting)

    def reduce(values: list) -> list[ExitProbability]:
        out = []
        for setting in settings:
            placement, share = setting
            outcomes = [o for s, v in zip(index, values, strict=True) if s == setting for o in v]
            x = _place(degree.size, share, _degree_order(degree, placement, seed), None)
            weighted = float((degree * x).sum() / degree.sum())
            label = (
                f"random graph (largest component, N={degree.size}, mean degree "
                f"{degree.mean():.1f}, max {degree.max()}), opinion 1 on the {placement}"
            )
            out.append(_exit(label, float(x.mean()), weighted, weighted, outcomes))
        return out

    return Plan(tuple(calls), reduce)


def heterogeneous_exit(**kwargs: object) -> list[ExitProbability]:
    """Exit probability on a heterogeneous graph equals the degree-weighted initial share.

    Args:
        **kwargs: ``settings`` (``(placement, share)`` pairs), ``n_people``,
            ``mean_degree``, ``n_runs``, ``seed`` (see :func:`heterogeneous_exit_plan`;
            defaults: 20% on the hubs and 50% on the periphery of a 200-person random
            graph of mean degree 4, 400 runs each).

    Returns:
        One :class:`ExitProbability` per setting; ``predicted`` is the degree-weighted
        share, ``initial_share`` the plain one.
    """
    return heterogeneous_exit_plan(**kwargs).run()  # type: ignore[arg-type]


@dataclass(frozen=True)
class ConsensusTime:
    """Mean consensus time on the complete graph against the population size.

    Attributes:
        sizes: Population sizes.
        mean_sweeps: Mean sweeps (units of N updates) to consensus, per size.
        standard_errors: Their standard errors.
        runs: Finished runs per size.
        unfinished: Runs that did not finish, over all sizes.
        slope: Least-squares slope of log mean time against log N (weighted by the
            inverse variance of each log mean).
        slope_se: Standard error of the slope.
    """

    sizes: tuple[int, ...]
    mean_sweeps: tuple[float, ...]
    standard_errors: tuple[float, ...]
    runs: tuple[int, ...]
    unfinished: int
    slope: float
    slope_se: float

    @property
    def passed(self) -> bool:
        """Whether every run finished and the slope is within 1 +- SLOPE_TOLERANCE."""
        return self.unfinished == 0 and abs(self.slope - 1.0) <= SLOPE_TOLERANCE


def consensus_time_plan(
    sizes: tuple[int, ...] = SIZES, n_runs: int = 400, seed: int = 1
) -> Plan[ConsensusTime]:
    """Plan of :func:`consensus_time`."""
    calls, index = [], []
    for n in sizes:
        for first, count in seed_batches(n_runs, BATCH):
            calls.append(
                Call(
                    complete_runs,
                    (n, first, count, seed),
                    f"voter runs on the complete graph of {n}",
                    cost=0.0002 * n * count,
                )
            )
            index.append(n)

    def reduce(values: list) -> ConsensusTime:
        means, ses, runs, unfinished = [], [], [], 0
        for n in sizes:
            outcomes = [o for s, v in zip(index, values, strict=True) if s == n for o in v]
            t = np.array([s for w, s in outcomes if not math.isnan(w)], dtype=float)
            unfinished += len(outcomes) - t.size
            means.append(float(t.mean()))
            ses.append(float(t.std(ddof=1) / math.sqrt(t.size)))
            runs.append(int(t.size))
        slope, slope_se = _loglog_slope(np.array(sizes), np.array(means), np.array(ses))
        return ConsensusTime(
            tuple(sizes), tuple(means), tuple(ses), tuple(runs), unfinished, slope, slope_se
        )

    return Plan(tuple(calls), reduce)


def consensus_time(**kwargs: object) -> ConsensusTime:
    """Mean consensus time of the voter model on the complete graph grows linearly in N.

    Args:
        **kwargs: ``sizes``, ``n_runs``, ``seed`` (see :func:`consensus_time_plan`;
            defaults: N in 25, 50, 100, 200, 400 runs each, from an even split).

    Returns:
        The times and the fitted log-log slope.
    """
    return consensus_time_plan(**kwargs).run()  # type: ignore[arg-type]


def _loglog_slope(n: np.ndarray, t: np.ndarray, se: np.ndarray) -> tuple[float, float]:
    """Weighted least-squares slope of log t on log n, and its standard error."""
    x, y = np.log(n), np.log(t)
    w = 1.0 / np.maximum(se / t, 1e-12) ** 2  # the variance of log t is about (se / t)^2
    xm = np.sum(w * x) / w.sum()
    sxx = np.sum(w * (x - xm) ** 2)
    slope = float(np.sum(w * (x - xm) * (y - np.sum(w * y) / w.sum())) / sxx)
    return slope, float(math.sqrt(1.0 / sxx))
