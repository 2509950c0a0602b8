"""Peer opinion-dynamics kernels as pure functions on NumPy arrays.

Opinions live on [-1, 1] and so do the kernel parameters (a bounded-confidence threshold of
1.2 here is 0.6 on the [0, 1] scale used in much of the literature). Every kernel takes the
current opinions ``x``, the network in CSR form (``indptr``, ``indices``; see
:func:`sim.model.network.neighbour_arrays`), a number of interactions and a source of
uniform doubles (:data:`Uniforms`: a ``numpy.random.Generator``, or the model's
counter-based :class:`~sim.model.counter_rng.CounterUniforms`, which hands out its doubles
through the same ``random`` method about six times faster), and returns the opinions after
one step without mutating ``x``.

Random-stream alignment: the random numbers a kernel draws depend only on the number of
interactions, the graph and the generator's state, never on the opinion values. Two runs that
start from the same seed therefore pick the same people and the same partners at every step
even when their opinions differ, which is what the matched counterfactual (a run with and
without an influence operation) relies on. The ``"none"`` rule draws nothing at all.

Step-length independence: the draws are uniform doubles, one per focal person and one per
partner, taken in order, and ``Generator.random`` (like ``CounterUniforms.random``) hands
out the same doubles whether it is asked for ``a + b`` of them at once or for ``a`` and
then ``b``. So the sequence of pairs (or
of focal people) is the same however the interactions are cut into model steps, and the
sequential kernels (:func:`deffuant_step`, :func:`hk_step`) apply them one at a time in that
order: two calls with ``a`` and ``b`` interactions give exactly what one call with ``a + b``
gives. The voter kernel draws the same way but is synchronous within a call, so its outcome
does depend on the step length (see :func:`voter_step`).

The sequential loops are compiled with Numba on first use (and cached on disk), so importing
this module stays cheap for code that only needs :data:`PEER_RULES`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from sim.model.compiled import compiled
from sim.model.counter_rng import CounterUniforms

#: Where a kernel takes its uniform doubles from: anything with ``Generator.random``'s
#: ``random(size)`` and ``random(out=...)``.
Uniforms = np.random.Generator | CounterUniforms


def draw_focal(n_people: int, n_draws: int, rng: Uniforms) -> np.ndarray:
    """Draw ``n_draws`` people uniformly at random, with replacement.

    Exactly ``n_draws`` doubles are taken from ``rng``; person ``floor(u * n_people)`` is
    drawn for each double ``u``.

    Args:
        n_people: Number of people N (>= 1).
        n_draws: Number of draws (>= 0).
        rng: Random generator.

    Returns:
        Person indices (int64) of length ``n_draws``.

    Raises:
        ValueError: If ``n_draws`` is negative.
    """
    if n_draws < 0:
        raise ValueError(f"number of interactions must be >= 0; got {n_draws}")
    focal = (rng.random(n_draws) * n_people).astype(np.int64)
    # u < 1, so the clamp only guards the (unreachable for N < 2**52) rounding up to N.
    return np.minimum(focal, n_people - 1, out=focal)


def draw_pairs(
    n_people: int, indptr: np.ndarray, indices: np.ndarray, n_draws: int, rng: Uniforms
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draw focal people uniformly and one uniformly random neighbour for each.

    Exactly ``2 * n_draws`` doubles are taken from ``rng`` whatever the graph or the
    opinions, interleaved as (focal, partner) per draw, so the stream stays aligned across
    runs sharing a seed, and drawing ``a`` and then ``b`` pairs gives the same pairs as
    drawing ``a + b`` at once.

    Args:
        n_people: Number of people N.
        indptr: CSR row pointer of shape (N + 1,).
        indices: CSR column indices (neighbour lists).
        n_draws: Number of focal draws.
        rng: Random generator.

    Returns:
        ``(focal, partner, valid)``, each of length ``n_draws``; ``focal`` and ``partner``
        are int64. ``valid`` is False where the focal person has no neighbours; ``partner``
        is meaningless there.

    Raises:
        ValueError: If ``n_draws`` is negative.
    """
    if n_draws < 0:
        raise ValueError(f"number of interactions must be >= 0; got {n_draws}")
    u = rng.random((n_draws, 2))
    focal = (u[:, 0] * n_people).astype(np.int64)
    np.minimum(focal, n_people - 1, out=focal)
    start = indptr[focal]
    degree = indptr[focal + 1] - start
    valid = degree > 0
    if indices.size == 0:
        return focal, focal, valid
    # u < 1 so the offset is below the degree; the clamp only guards rounding and keeps
    # degree-0 draws (offset 0, masked out by ``valid``) inside the index array.
    pos = start + np.minimum((u[:, 1] * degree).astype(np.int64), np.maximum(degree - 1, 0))
    np.minimum(pos, indices.size - 1, out=pos)
    return focal, indices[pos].astype(np.int64, copy=False), valid


#: Rows of doubles drawn at a time by the sequential kernels (1 MiB for Deffuant's pairs).
CHUNK_ROWS = 1 << 16


def _uniform_chunks(rng: Uniforms, rows: int, columns: int) -> Iterator[np.ndarray]:
    """Yield ``rng.random((rows, columns))`` in consecutive blocks of at most CHUNK_ROWS rows.

    ``Generator.random`` (and ``CounterUniforms.random``) takes one 64-bit draw per double,
    so the blocks hold exactly the doubles of a single call, in the same order. Reusing one
    buffer keeps the doubles in cache while a compiled loop reads them. Each block is only
    valid until the next one.
    """
    if rows < 0:
        raise ValueError(f"number of interactions must be >= 0; got {rows}")
    buffer = np.empty((min(rows, CHUNK_ROWS), columns))
    for start in range(0, rows, CHUNK_ROWS):
        block = buffer[: min(CHUNK_ROWS, rows - start)]
        rng.random(out=block)
        yield block


# ------------------------------------------------------------------ sequential loops
# Plain Python loops, compiled by Numba on first use (see ``_compiled``); uncompiled they
# give the same results, only about a hundred times more slowly. They turn the uniform
# doubles into people with the same arithmetic as :func:`draw_focal` and
# :func:`draw_pairs` (multiply, truncate, clamp), so they act on exactly the people those
# functions return for the same doubles; doing it inside the loop saves the temporary
# arrays, which cost more than the encounters themselves.


def _deffuant_loop(
    x: np.ndarray,
    u: np.ndarray,
    indptr: np.ndarray,
    indices: np.ndarray,
    confidence: float,
    convergence: float,
) -> None:
    """Apply Deffuant encounters one at a time, in order, to ``x`` in place.

    Row ``k`` of ``u`` (shape (n, 2)) picks the focal person and their partner of
    encounter ``k``.
    """
    n_people = x.size
    for k in range(u.shape[0]):
        i = min(np.int64(u[k, 0] * n_people), n_people - 1)
        start = indptr[i]
        degree = indptr[i + 1] - start
        if degree <= 0:
            continue
        j = indices[min(start + min(np.int64(u[k, 1] * degree), degree - 1), indices.size - 1)]
        xi = x[i]
        xj = x[j]
        gap = xj - xi
        # Written without a branch (a pair beyond the bound "moves" by 0.0, which leaves
        # both opinions as they are): an unpredictable branch costs more than the stores.
        pull = convergence * gap if abs(gap) < confidence else 0.0
        # The clip only guards rounding at the ends of the scale (a compromise of two
        # opinions in [-1, 1] lies between them).
        x[i] = min(max(xi + pull, -1.0), 1.0)
        x[j] = min(max(xj - pull, -1.0), 1.0)


def _hk_loop(
    x: np.ndarray,
    u: np.ndarray,
    indptr: np.ndarray,
    indices: np.ndarray,
    confidence: float,
) -> None:
    """Apply Hegselmann–Krause updates one person at a time, in order, to ``x`` in place.

    Entry ``k`` of ``u`` (shape (n,)) picks the person of update ``k``.
    """
    n_people = x.size
    for k in range(u.size):
        i = min(np.int64(u[k] * n_people), n_people - 1)
        xi = x[i]
        total = 0.0  # sum of the gaps x_j - x_i over neighbours within the bound
        count = 1  # the person counts themself (gap 0)
        for p in range(indptr[i], indptr[i + 1]):
            gap = x[indices[p]] - xi
            if abs(gap) < confidence:
                total += gap
                count += 1
        x[i] = min(max(xi + total / count, -1.0), 1.0)  # the clip only guards rounding


def _voter_loop(
    new: np.ndarray,
    x: np.ndarray,
    u: np.ndarray,
    indptr: np.ndarray,
    indices: np.ndarray,
) -> None:
    """Let the people drawn by ``u`` (shape (n, 2)) copy a neighbour's opinion in ``x``.

    Reads ``x`` (the old state) and writes ``new``; a person drawn twice keeps the last copy.
    """
    n_people = x.size
    for k in range(u.shape[0]):
        i = min(np.int64(u[k, 0] * n_people), n_people - 1)
        start = indptr[i]
        degree = indptr[i + 1] - start
        if degree <= 0:
            continue
        j = indices[min(start + min(np.int64(u[k, 1] * degree), degree - 1), indices.size - 1)]
        new[i] = x[j]


_LOOPS: dict[str, Callable[..., None]] = {
    "deffuant": _deffuant_loop,
    "hk": _hk_loop,
    "voter": _voter_loop,
}


def _compiled(name: str) -> Callable[..., None]:
    """The loop ``name``, compiled (see :mod:`sim.model.compiled`)."""
    return compiled(_LOOPS[name])


def _target(x: np.ndarray, out: np.ndarray | None) -> np.ndarray:
    """Where a kernel writes: a contiguous float64 copy of ``x``, or ``out`` holding ``x``."""
    if out is None:
        return np.array(x, dtype=np.float64)
    if out is not x:
        out[...] = x
    return out


def deffuant_step(
    x: np.ndarray,
    indptr: np.ndarray,
    indices: np.ndarray,
    n_pairs: int,
    confidence: float,
    convergence: float,
    rng: Uniforms,
    *,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Advance bounded-confidence (Deffuant) dynamics by ``n_pairs`` sequential encounters.

    In the model of Deffuant, Neau, Amblard and Weisbuch (2000, Advances in Complex Systems
    3), two people who meet compare opinions; only if they are closer than a confidence
    threshold do they compromise, each moving a fixed fraction of the way toward the other.
    Here ``n_pairs`` focal people are drawn uniformly at random, each meets a uniformly random
    neighbour in the network (focal people without neighbours are skipped), and the
    encounters are applied one at a time in the order drawn, each reading the opinions left
    by the previous one: if ``|x_j - x_i| < confidence`` then ``x_i += mu * (x_j - x_i)`` and
    ``x_j -= mu * (x_j - x_i)``. This is classic sequential Deffuant: the result is exactly
    (bit for bit) that of a plain Python loop over the same pairs. Each encounter moves two
    people by opposite amounts, so the mean opinion is conserved (up to rounding, about
    1e-16 per encounter), and with ``mu <= 0.5`` nobody leaves the range of the opinions.

    The loop runs compiled (Numba): about 7 to 14 ns per encounter, draws included, at
    10^4 to 10^5 people, and about 50 ns at 10^6, where random memory access dominates.
    Because the pairs are a prefix-stable function of the random stream (see
    :func:`draw_pairs`) and are applied in order, two calls with ``a`` and ``b`` pairs on the
    same generator give exactly the result of one call with ``a + b``: the outcome does not
    depend on how encounters are cut into model steps.

    The pairs drawn depend only on ``n_pairs``, the graph and the state of ``rng``, not on
    ``x``: two runs sharing a seed interact along identical pairs.

    Args:
        x: Opinions in [-1, 1], shape (N,).
        indptr: CSR row pointer of the network, shape (N + 1,).
        indices: CSR neighbour indices of the network.
        n_pairs: Number of focal draws (encounters) this step (>= 0).
        confidence: Bounded-confidence threshold on the [-1, 1] scale (>= 0); a pair
            interacts only when its opinion gap is strictly smaller.
        convergence: Fraction of the gap each side moves, in (0, 0.5].
        rng: Random generator; consumes ``2 * n_pairs`` doubles.
        out: Where to write the result; ``x`` itself updates in place. A new array when
            None.

    Returns:
        The updated opinions: ``out``, or a new float array. Every opinion an update moves
        is clipped to [-1, 1] (the clip only guards rounding at the ends of the scale).

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
    if n_pairs < 0:
        raise ValueError(f"number of interactions must be >= 0; got {n_pairs}")
    new = _target(x, out)
    loop = _compiled("deffuant")
    # The doubles of draw_pairs, in the same order, drawn in cache-sized chunks.
    for u in _uniform_chunks(rng, n_pairs, 2):
        if indices.size:
            loop(new, u, indptr, indices, float(confidence), float(convergence))
    return new


def hk_step(
    x: np.ndarray,
    indptr: np.ndarray,
    indices: np.ndarray,
    n_updates: int,
    confidence: float,
    rng: Uniforms,
    *,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Advance Hegselmann–Krause dynamics on the network by ``n_updates`` sequential updates.

    In the bounded-confidence model of Hegselmann and Krause (2002, Journal of Artificial
    Societies and Social Simulation 5(3)) a person adopts the average opinion of everyone
    they listen to whose opinion is within the confidence bound, themself included. Here the
    people a person listens to are their network neighbours, and the update is random
    sequential (asynchronous), as in Fortunato (2005, International Journal of Modern
    Physics C 16): ``n_updates`` people are drawn uniformly at random (with replacement) and,
    one at a time in the order drawn, each reading the opinions left by the previous update,
    person ``i`` moves to

        x_i <- mean of {x_i} and {x_j : j a neighbour of i, |x_j - x_i| < confidence}.

    Update rate: every draw is one update, so each person updates on average
    ``n_updates / N`` times per step; in the model ``n_updates = round(N * nu * years)``
    with ``nu`` the scenario's ``interactions_per_year``, i.e. ``nu`` updates per person per
    year, whatever the step length. As for :func:`deffuant_step`, two calls with ``a`` and
    ``b`` updates give exactly what one call with ``a + b`` gives. One update costs the
    person's degree. Unlike Deffuant, the update does not conserve the mean opinion. The
    classic model updates everyone at once from the old state (synchronous); that variant is
    not what this kernel does.

    The people drawn depend only on ``n_updates`` and the state of ``rng``, not on ``x``.

    Args:
        x: Opinions in [-1, 1], shape (N,).
        indptr: CSR row pointer of the network, shape (N + 1,).
        indices: CSR neighbour indices of the network.
        n_updates: Number of updates this step (>= 0).
        confidence: Bounded-confidence threshold on the [-1, 1] scale (>= 0); a neighbour
            counts only when its opinion gap is strictly smaller.
        rng: Random generator; consumes ``n_updates`` doubles.
        out: Where to write the result; ``x`` itself updates in place. A new array when
            None.

    Returns:
        The updated opinions: ``out``, or a new float array. Every opinion an update moves
        is clipped to [-1, 1] (the clip only guards rounding at the ends of the scale).

    Raises:
        ValueError: If ``confidence`` is negative or ``n_updates`` is negative.

    A person linked to two others adopts the mean of the three opinions when all are
    within the bound:

    >>> indptr, indices = np.array([0, 2, 3, 4]), np.array([1, 2, 0, 0])
    >>> rng = np.random.default_rng(0)  # draws person 1, then person 0
    >>> hk_step(np.array([0.0, 0.3, 0.6]), indptr, indices, 2, 0.7, rng).round(4).tolist()
    [0.25, 0.15, 0.6]
    """
    if not confidence >= 0:
        raise ValueError(f"confidence must be >= 0; got {confidence!r}")
    if n_updates < 0:
        raise ValueError(f"number of interactions must be >= 0; got {n_updates}")
    new = _target(x, out)
    loop = _compiled("hk")
    for u in _uniform_chunks(rng, n_updates, 1):  # the doubles of draw_focal, in order
        if indices.size:
            loop(new, u[:, 0], indptr, indices, float(confidence))
    return new


def voter_step(
    x: np.ndarray,
    indptr: np.ndarray,
    indices: np.ndarray,
    n_updates: int,
    rng: Uniforms,
    *,
    out: np.ndarray | None = None,
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

    Effective update rate: because several draws of the same person in one step collapse
    into one copy, a person copies a neighbour in a step with probability
    ``1 - (1 - 1/N) ** n_updates``, about ``1 - exp(-n_updates / N)``. With
    ``n_updates = N * nu * years`` per step (``nu`` the scenario's ``interactions_per_year``)
    that is ``(1 - exp(-nu * years)) / years`` effective copies per person per year, below
    ``nu`` and dependent on the step length: for ``nu = 12`` about 10.7 with weekly steps
    and 7.6 with monthly ones (``nu`` itself only in the limit of short steps). Unlike the
    sequential kernels, the voter step is therefore not independent of the step length.

    The people and neighbours drawn depend only on ``n_updates``, the graph and the state of
    ``rng``, not on ``x``: two runs sharing a seed make identical copy choices.

    Args:
        x: Opinions, shape (N,). Only existing values are ever copied.
        indptr: CSR row pointer of the network, shape (N + 1,).
        indices: CSR neighbour indices of the network.
        n_updates: Number of people drawn to update this step (>= 0).
        rng: Random generator; consumes ``2 * n_updates`` doubles.
        out: Where to write the result; ``x`` itself is allowed (the old state is then
            copied first). A new array when None.

    Returns:
        The updated opinions: ``out``, or a new array (same dtype as ``x``).

    Raises:
        ValueError: If ``n_updates`` is negative.

    Two linked people: whoever is drawn copies the other.

    >>> indptr, indices = np.array([0, 1, 2]), np.array([1, 0])
    >>> out = voter_step(np.array([-1.0, 1.0]), indptr, indices, 1, np.random.default_rng(0))
    >>> sorted(out.tolist()) in ([-1.0, -1.0], [1.0, 1.0])
    True
    """
    if n_updates < 0:
        raise ValueError(f"number of interactions must be >= 0; got {n_updates}")
    old = np.array(x) if out is x else np.ascontiguousarray(x)  # read while ``new`` changes
    new = out if out is x else _target(old, out)
    loop = _compiled("voter")
    for u in _uniform_chunks(rng, n_updates, 2):  # the doubles of draw_pairs, in order
        if indices.size:
            loop(new, old, u, indptr, indices)
    return new


def no_peer_step(
    x: np.ndarray,
    indptr: np.ndarray,
    indices: np.ndarray,
    n: int,
    rng: Uniforms,
    *,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Leave opinions unchanged: the rule for a population without peer influence.

    It draws no random numbers, so the generator stream is NOT aligned with that of the
    other rules; compare runs only within the same rule.

    Args:
        x: Opinions, shape (N,).
        indptr: Unused; accepted for a uniform kernel signature.
        indices: Unused.
        n: Unused.
        rng: Unused; nothing is drawn from it.
        out: Where to write the result, if given.

    Returns:
        ``x`` itself (not a copy), or ``out`` holding it.
    """
    if out is None or out is x:
        return x
    out[...] = x
    return out


@dataclass(frozen=True)
class PeerRule:
    """A registered peer-influence rule.

    Attributes:
        name: The name a scenario gives in ``audience.peer.rule``.
        description: One line for the scenario-format documentation.
        kernel: ``kernel(x, indptr, indices, n, rng, out=None, **params) -> new x``.
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
        rng: Uniforms,
        spec: object,
        *,
        out: np.ndarray | None = None,
    ) -> np.ndarray:
        """Run the kernel once, taking its parameters from the scenario's peer section.

        ``out=x`` updates ``x`` in place (see the kernels).
        """
        params = {name: getattr(spec, name) for name in self.params}
        return self.kernel(x, indptr, indices, n, rng=rng, out=out, **params)


#: Every peer rule, by name: the schema's allowed names and the audience's dispatch.
PEER_RULES: dict[str, PeerRule] = {
    rule.name: rule
    for rule in (
        PeerRule(
            "deffuant",
            "bounded confidence (Deffuant et al. 2000): random pairs of neighbours meet one "
            "at a time and compromise when close",
            deffuant_step,
            ("confidence", "convergence"),
        ),
        PeerRule("voter", "voter model: copy a random neighbour's opinion", voter_step),
        PeerRule(
            "hk",
            "Hegselmann-Krause bounded confidence on the network: random people, one at a "
            "time, adopt the mean of themselves and their neighbours within the confidence "
            "bound",
            hk_step,
            ("confidence",),
        ),
        PeerRule("none", "no peer influence", no_peer_step),
    )
}
