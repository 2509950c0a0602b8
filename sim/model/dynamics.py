"""Peer opinion-dynamics kernels as pure functions on NumPy arrays.

Opinions live on [-1, 1] and so do the kernel parameters (a bounded-confidence threshold of
1.2 here is 0.6 on the [0, 1] scale used in much of the literature). Every kernel takes the
current opinions ``x``, the network in CSR form (``indptr``, ``indices``; see
:func:`sim.model.network.neighbour_arrays`), a number of interactions and a
``numpy.random.Generator``, and returns the opinions after one step without mutating ``x``.

Random-stream alignment: the random numbers a kernel draws depend only on the number of
interactions, the graph and the generator's state, never on the opinion values. Two runs that
start from the same seed therefore pick the same people and the same partners at every step
even when their opinions differ, which is what the matched counterfactual (a run with and
without an influence operation) relies on. The ``"none"`` rule draws nothing at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


def _draw_pairs(
    n_people: int, indptr: np.ndarray, indices: np.ndarray, n_draws: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draw focal people uniformly and one uniformly random neighbour for each.

    Exactly ``n_draws`` integers and ``n_draws`` floats are taken from ``rng`` whatever the
    graph or the opinions, so the stream stays aligned across runs sharing a seed.

    Args:
        n_people: Number of people N.
        indptr: CSR row pointer of shape (N + 1,).
        indices: CSR column indices (neighbour lists).
        n_draws: Number of focal draws.
        rng: Random generator.

    Returns:
        ``(focal, partner, valid)``, each of length ``n_draws``. ``valid`` is False where the
        focal person has no neighbours; ``partner`` is meaningless there.

    Raises:
        ValueError: If ``n_draws`` is negative.
    """
    if n_draws < 0:
        raise ValueError(f"number of interactions must be >= 0; got {n_draws}")
    focal = rng.integers(0, n_people, size=n_draws)
    u = rng.random(n_draws)
    start = indptr[focal]
    degree = indptr[focal + 1] - start
    valid = degree > 0
    if indices.size == 0:
        return focal, focal, valid
    # u < 1 so the offset is below the degree; the clamp only guards rounding and keeps
    # degree-0 draws (offset 0, masked out by ``valid``) inside the index array.
    pos = start + np.minimum((u * degree).astype(np.int64), np.maximum(degree - 1, 0))
    np.minimum(pos, indices.size - 1, out=pos)
    return focal, indices[pos], valid


def deffuant_step(
    x: np.ndarray,
    indptr: np.ndarray,
    indices: np.ndarray,
    n_pairs: int,
    confidence: float,
    convergence: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """Advance bounded-confidence (Deffuant) dynamics by one synchronous step.

    In the model of Deffuant, Neau, Amblard and Weisbuch (2000, Advances in Complex Systems
    3), two people who meet compare opinions; only if they are closer than a confidence
    threshold do they compromise, each moving a fixed fraction of the way toward the other.
    Here ``n_pairs`` focal people are drawn uniformly at random, each meets a uniformly random
    neighbour in the network (focal people without neighbours are skipped), and every pair
    with ``|x_i - x_j| < confidence`` produces a pull of ``convergence * (x_j - x_i)`` on
    ``i`` and the opposite pull on ``j``. All pulls are computed from the old state and each
    person moves by the average of the pulls they received this step (pairs beyond the
    threshold do not count), so nobody overshoots however many pairs they are in. When no
    person is in two pairs this is exactly classic sequential Deffuant, and it conserves the
    mean opinion; it always conserves it on graphs where partners are fixed (a matching).

    The pairs drawn depend only on ``n_pairs``, the graph and the state of ``rng``, not on
    ``x``: two runs sharing a seed interact along identical pairs.

    Args:
        x: Opinions in [-1, 1], shape (N,).
        indptr: CSR row pointer of the network, shape (N + 1,).
        indices: CSR neighbour indices of the network.
        n_pairs: Number of focal draws this step (>= 0).
        confidence: Bounded-confidence threshold on the [-1, 1] scale (>= 0); a pair
            interacts only when its opinion gap is strictly smaller.
        convergence: Fraction of the gap each side moves, in (0, 0.5].
        rng: Random generator; consumes ``n_pairs`` integers and ``n_pairs`` floats.

    Returns:
        A new float array with the updated opinions, clipped to [-1, 1].

    Raises:
        ValueError: If ``confidence`` is negative, ``convergence`` is outside (0, 0.5] or
            ``n_pairs`` is negative.

    Two people linked to each other: every draw pairs them, and they meet halfway when
    close enough (and not at all when they are not):

    >>> indptr, indices = np.array([0, 1, 2]), np.array([1, 0])
    >>> rng = np.random.default_rng(0)
    >>> deffuant_step(np.array([0.0, 0.4]), indptr, indices, 1, 0.5, 0.5, rng)
    array([0.2, 0.2])
    >>> deffuant_step(np.array([-0.5, 0.5]), indptr, indices, 1, 0.5, 0.5, rng)
    array([-0.5,  0.5])
    """
    if not confidence >= 0:
        raise ValueError(f"confidence must be >= 0; got {confidence!r}")
    if not 0 < convergence <= 0.5:
        raise ValueError(f"convergence must be in (0, 0.5]; got {convergence!r}")
    x = np.asarray(x, dtype=np.float64)
    n = x.size
    i, j, valid = _draw_pairs(n, indptr, indices, n_pairs, rng)
    m = i.size
    pull = x[j]
    pull -= x[i]  # gap x_j - x_i
    close = np.abs(pull) < confidence
    close &= valid
    pull *= convergence
    pull *= close  # pairs beyond the threshold (or without a partner) pull by 0
    # Weighted bincounts over all draws are cheaper than compressing to the close pairs;
    # buffers are reused in place because fresh large allocations are costly.
    who = np.empty(2 * m, dtype=np.int64)
    who[:m] = i
    who[m:] = j
    weights = np.empty(2 * m, dtype=np.float64)
    weights[:m] = pull
    np.negative(pull, out=weights[m:])
    new = np.bincount(who, weights=weights, minlength=n)  # summed pulls
    weights[:m] = close
    weights[m:] = close
    count = np.bincount(who, weights=weights, minlength=n)  # number of pulls received
    np.maximum(count, 1.0, out=count)
    new /= count
    new += x
    np.clip(new, -1.0, 1.0, out=new)
    return new


def voter_step(
    x: np.ndarray,
    indptr: np.ndarray,
    indices: np.ndarray,
    n_updates: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Advance the voter model by one synchronous step.

    In the voter model (Holley & Liggett 1975, Annals of Probability 3; on heterogeneous
    networks Sood & Redner 2005, Physical Review Letters 94) a randomly chosen person simply
    adopts the opinion of a randomly chosen neighbour. Here ``n_updates`` people are drawn
    uniformly at random (with replacement) and each copies a uniformly random neighbour's
    opinion, all read from the old state; if a person is drawn more than once, the last
    draw wins. People without neighbours keep their opinion. On a regular graph the mean
    opinion is a martingale, so the probability that an opinion takes over equals its
    initial share.

    The people and neighbours drawn depend only on ``n_updates``, the graph and the state of
    ``rng``, not on ``x``: two runs sharing a seed make identical copy choices.

    Args:
        x: Opinions, shape (N,). Only existing values are ever copied.
        indptr: CSR row pointer of the network, shape (N + 1,).
        indices: CSR neighbour indices of the network.
        n_updates: Number of people drawn to update this step (>= 0).
        rng: Random generator; consumes ``n_updates`` integers and ``n_updates`` floats.

    Returns:
        A new array with the updated opinions (same dtype as ``x``).

    Raises:
        ValueError: If ``n_updates`` is negative.

    Two linked people: whoever is drawn copies the other.

    >>> indptr, indices = np.array([0, 1, 2]), np.array([1, 0])
    >>> out = voter_step(np.array([-1.0, 1.0]), indptr, indices, 1, np.random.default_rng(0))
    >>> sorted(out.tolist()) in ([-1.0, -1.0], [1.0, 1.0])
    True
    """
    x = np.asarray(x)
    i, j, valid = _draw_pairs(x.size, indptr, indices, n_updates, rng)
    i, j = i[valid], j[valid]
    new = x.copy()
    new[i] = x[j]
    return new


def no_peer_step(
    x: np.ndarray,
    indptr: np.ndarray,
    indices: np.ndarray,
    n: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Leave opinions unchanged: the rule for a population without peer influence.

    It draws no random numbers, so the generator stream is NOT aligned with that of
    :func:`deffuant_step` or :func:`voter_step`; compare runs only within the same rule.

    Args:
        x: Opinions, shape (N,).
        indptr: Unused; accepted for a uniform kernel signature.
        indices: Unused.
        n: Unused.
        rng: Unused; nothing is drawn from it.

    Returns:
        ``x`` itself (not a copy).
    """
    return x


@dataclass(frozen=True)
class PeerRule:
    """A registered peer-influence rule.

    Attributes:
        name: The name a scenario gives in ``audience.peer.rule``.
        description: One line for the scenario-format documentation.
        kernel: ``kernel(x, indptr, indices, n, rng, **params) -> new x``.
        params: Fields of ``audience.peer`` passed to the kernel by keyword.
    """

    name: str
    description: str
    kernel: Callable[..., np.ndarray]
    params: tuple[str, ...] = ()

    def step(
        self,
        x: np.ndarray,
        indptr: np.ndarray,
        indices: np.ndarray,
        n: int,
        rng: np.random.Generator,
        spec: object,
    ) -> np.ndarray:
        """Run the kernel once, taking its parameters from the scenario's peer section."""
        params = {name: getattr(spec, name) for name in self.params}
        return self.kernel(x, indptr, indices, n, rng=rng, **params)


#: Every peer rule, by name: the schema's allowed names and the audience's dispatch.
PEER_RULES: dict[str, PeerRule] = {
    rule.name: rule
    for rule in (
        PeerRule(
            "deffuant",
            "bounded confidence (Deffuant et al. 2000): close pairs compromise",
            deffuant_step,
            ("confidence", "convergence"),
        ),
        PeerRule("voter", "voter model: copy a random neighbour's opinion", voter_step),
        PeerRule("none", "no peer influence", no_peer_step),
    )
}
