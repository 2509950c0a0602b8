"""How people respond to a step's contacts: reception, acceptance, relaxation, state media.

One compiled pass over the people does all four (the audience's steps 1 to 3; see
:mod:`sim.model.audience`), reading and writing each person's numbers once. At 10^7
people a step's work is bounded by memory traffic, and separate NumPy expressions would
each read and write the whole population again.

Reception draws are counter-based: person ``i`` in durability class ``c`` at step ``t``
is reached when ``u < p`` for the uniform number ``u = uniform(key, counter)`` with
``counter = (t * C + c) * N + i`` (``C`` classes, ``N`` people). ``uniform`` is
SplitMix64 (Steele, Lea & Flood 2014, "Fast splittable pseudorandom number generators",
OOPSLA): the ``counter``-th output of the generator seeded with ``key``, which passes
BigCrush; its top 53 bits make a double in [0, 1) (:mod:`sim.model.counter_rng`). So:

- a number is computed only where a segment is reached at all (in the no-spending
  counterfactual, almost nowhere), and no N-sized array of draws is ever stored;
- a run and its counterfactual (same seed, same key) see the same number for the same
  person, class and step, so whoever is reached in both is reached by the same draw (the
  common random numbers of the matched comparison), as before;
- the numbers do not depend on how many were used before, so skipping is free.

:func:`respond_reference` is the same arithmetic written plainly in NumPy and Python, for
tests; :func:`respond` runs the compiled loop.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from sim.model.compiled import compiled
from sim.model.counter_rng import GAMMA, MIX1, MIX2, TOP53, uniform

#: Where every funded message pulls people (the funder's position on the [-1, 1] scale).
MESSAGE_TARGET = 1.0


def reach_chances(
    contacts: np.ndarray, strength: np.ndarray, sizes: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Chance of being reached, and the dose when reached, per class and segment (plain).

    Contacts spread over a segment's real members as a Poisson count with mean
    ``lam = contacts / size``: reached with chance ``1 - exp(-lam)``; a reached person
    gets ``lam / p`` contacts on average, each of the mean strength ``strength /
    contacts`` (ODD 7.9).
    """
    p = np.zeros_like(contacts)
    dose = np.zeros_like(contacts)
    for c, k in np.ndindex(contacts.shape):
        lam = contacts[c, k] / sizes[k] if sizes[k] > 0 else 0.0
        p[c, k] = -math.expm1(-lam)
        mean_strength = strength[c, k] / contacts[c, k] if contacts[c, k] > 0 else 0.0
        dose[c, k] = lam / p[c, k] * mean_strength if p[c, k] > 0 else 0.0
    return p, dose


def respond_reference(
    x: np.ndarray,
    predisposition: np.ndarray,
    susceptibility: np.ndarray,
    stock: np.ndarray,
    bounds: np.ndarray,
    contacts: np.ndarray,
    strength: np.ndarray,
    sizes: np.ndarray,
    decay: np.ndarray,
    step_mean: np.ndarray,
    key: int,
    step: int,
    params: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What :func:`respond` computes, written plainly (slow; for tests).

    Returns:
        New opinions, new stocks, and the number of people reached per segment.
    """
    hill, k_hill, latitude, backlash, effect, relax, state, stance = params
    n_classes, n = stock.shape
    p_reached, dose = reach_chances(contacts, strength, sizes)
    stock = stock * decay[:, None]
    reached_any = np.zeros(n, dtype=bool)
    for c in range(n_classes):
        for k in range(bounds.size - 1):
            for i in range(bounds[k], bounds[k + 1]):
                if (
                    p_reached[c, k] > 0
                    and uniform(key, (step * n_classes + c) * n + i) < (p_reached[c, k])
                ):
                    stock[c, i] += dose[c, k]
                    reached_any[i] = True
    total = sum(step_mean[c] * stock[c] for c in range(n_classes))
    x = x.copy()
    exposed = total > 0
    pull = np.array([math.pow(t, hill) for t in total[exposed]])  # the C library's pow
    pull = pull / (pull + k_hill)
    direction = MESSAGE_TARGET - x[exposed]
    far = np.abs(direction) > latitude
    direction[far] = -backlash * np.sign(direction[far])
    x[exposed] = susceptibility[exposed] * effect * pull * direction + x[exposed]
    x = (predisposition - x) * relax + x
    if state:
        x = (stance - x) * state + x
    x = np.clip(x, -1.0, 1.0)
    counts = np.array([reached_any[a:b].sum() for a, b in itertools.pairwise(bounds)])
    return x, stock, counts


#: People processed together: small enough that a block's scratch stays in the CPU cache.
BLOCK = 2048


def _respond_loop(
    x: np.ndarray,
    predisposition: np.ndarray,
    susceptibility: np.ndarray,
    stock: np.ndarray,
    bounds: np.ndarray,
    contacts: np.ndarray,
    strength: np.ndarray,
    sizes: np.ndarray,
    decay: np.ndarray,
    step_mean: np.ndarray,
    live: np.ndarray,
    key: np.uint64,
    first: np.uint64,
    params: np.ndarray,
    reached: np.ndarray,
    p_reached: np.ndarray,
    dose: np.ndarray,
) -> None:
    """The compiled pass: update ``x`` and ``stock`` in place, count ``reached``.

    People are taken in blocks of ``BLOCK`` within a segment; within a block, class by
    class and then person by person, so that every inner loop is simple enough to
    vectorise while each person's numbers are read and written once. Classes that are
    not ``live`` hold no exposure and receive none this step: they are neither read nor
    written. ``first`` is the counter of person 0 in class 0; ``p_reached`` and ``dose``
    are scratch space, one per class and segment (the arithmetic of
    :func:`reach_chances`).
    """
    hill, k_hill, latitude, backlash, effect, relax, state, stance = params
    n_classes, n = stock.shape
    for c in range(n_classes):
        for k in range(bounds.size - 1):
            lam = contacts[c, k] / sizes[k] if sizes[k] > 0 else 0.0
            p = -math.expm1(-lam)
            mean_strength = strength[c, k] / contacts[c, k] if contacts[c, k] > 0 else 0.0
            p_reached[c, k] = p
            dose[c, k] = lam / p * mean_strength if p > 0 else 0.0
            if p > 0:
                live[c] = True
    gamma, mix1, mix2 = np.uint64(GAMMA), np.uint64(MIX1), np.uint64(MIX2)
    s30, s27, s31, s11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)
    total = np.empty(BLOCK)
    hit = np.empty(BLOCK, dtype=np.bool_)
    for k in range(bounds.size - 1):
        drawn = False  # does any class have a chance of reaching this segment?
        for c in range(n_classes):
            if live[c] and p_reached[c, k] > 0.0:
                drawn = True
        count = 0
        for start in range(bounds[k], bounds[k + 1], BLOCK):
            m = min(BLOCK, bounds[k + 1] - start)
            if drawn:
                hit[:m] = False
            exposed = False  # has a live class been added to ``total`` yet?
            for c in range(n_classes):
                if not live[c]:
                    continue
                dc, sm, p = decay[c], step_mean[c], p_reached[c, k]
                row = stock[c, start : start + m]
                if p > 0.0:
                    add = dose[c, k]
                    # SplitMix64: the counter-th output is mix(key + (counter + 1) * gamma).
                    base = key + (first + np.uint64(c * n + start + 1)) * gamma
                    # Written with selects rather than branches (here and below), so that
                    # the compiler can run several people at once in vector registers.
                    for j in range(m):
                        z = base + np.uint64(j) * gamma
                        z = (z ^ (z >> s30)) * mix1
                        z = (z ^ (z >> s27)) * mix2
                        z = z ^ (z >> s31)
                        r = (z >> s11) * TOP53 < p  # top 53 bits * 2**-53
                        s = row[j] * dc
                        s = s + add if r else s
                        hit[j] = hit[j] or r
                        row[j] = s
                else:
                    for j in range(m):
                        row[j] = row[j] * dc
                if exposed:
                    for j in range(m):
                        total[j] = total[j] + sm * row[j]
                else:
                    for j in range(m):
                        total[j] = sm * row[j]
                exposed = True
            if drawn:
                for j in range(m):
                    count += hit[j]
            if exposed:
                xs = x[start : start + m]
                ss = susceptibility[start : start + m]
                if hill == 1.0:  # pow(t, 1) is t exactly
                    for j in range(m):
                        t = total[j]
                        xi = xs[j]
                        pull = t / (t + k_hill)
                        d = MESSAGE_TARGET - xi
                        d = d if abs(d) <= latitude else (-backlash if d > 0 else backlash)
                        moved = ss[j] * effect * pull * d + xi
                        xs[j] = moved if t > 0.0 else xi
                else:
                    for j in range(m):
                        t = total[j]
                        if t > 0.0:
                            xi = xs[j]
                            pull = t**hill
                            pull = pull / (pull + k_hill)
                            d = MESSAGE_TARGET - xi
                            if abs(d) > latitude:
                                d = -backlash if d > 0 else backlash
                            xs[j] = ss[j] * effect * pull * d + xi
            xs = x[start : start + m]
            ps = predisposition[start : start + m]
            if state != 0.0:
                for j in range(m):
                    xi = (ps[j] - xs[j]) * relax + xs[j]
                    xs[j] = min(max((stance - xi) * state + xi, -1.0), 1.0)
            else:
                for j in range(m):
                    xi = (ps[j] - xs[j]) * relax + xs[j]
                    xs[j] = min(max(xi, -1.0), 1.0)
        reached[k] = count


def respond(
    x: np.ndarray,
    predisposition: np.ndarray,
    susceptibility: np.ndarray,
    stock: np.ndarray,
    bounds: np.ndarray,
    contacts: np.ndarray,
    strength: np.ndarray,
    sizes: np.ndarray,
    decay: np.ndarray,
    step_mean: np.ndarray,
    live: np.ndarray,
    key: int,
    step: int,
    params: np.ndarray,
    scratch: tuple[np.ndarray, np.ndarray],
) -> np.ndarray:
    """One step of reception, acceptance, relaxation and state pull, in place.

    Opinions end the pass clipped to [-1, 1] (backlash can push beyond -1).

    Args:
        x: Opinions, updated in place.
        predisposition: What opinions relax to.
        susceptibility: Per person, scales the effect of exposure.
        stock: Exposure stock per durability class and person, updated in place.
        bounds: Segment ``k`` is people ``bounds[k]`` to ``bounds[k + 1] - 1``.
        contacts: Real people contacted this step, per class and segment.
        strength: Their summed persuasive strength, per class and segment.
        sizes: Real people per segment.
        decay: Share of each class's stock left after one step.
        step_mean: Mean over the step of a stock that starts at 1, per class.
        live: Per class: does it hold exposure? Others are skipped; a class that
            receives some this step is marked, in place.
        key: The run's reception key.
        step: The step's index (0-based).
        params: Hill exponent, K**hill, latitude, backlash, effect, relaxation, state
            pull and stance, per step where a rate.
        scratch: Two float64 arrays shaped like ``contacts`` the loop may overwrite.

    Returns:
        The number of people reached per segment.
    """
    reached = np.zeros(bounds.size - 1, dtype=np.int64)
    first = np.uint64(step * stock.shape[0] * stock.shape[1])
    compiled(_respond_loop)(
        x,
        predisposition,
        susceptibility,
        stock,
        bounds,
        contacts,
        strength,
        sizes,
        decay,
        step_mean,
        live,
        np.uint64(key),
        first,
        params,
        reached,
        *scratch,
    )
    return reached
