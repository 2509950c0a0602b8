"""The registry of experimental designs: names, sizes, samplers and sensitivity analyses.

One entry per design. The sweep file's allowed ``design.type`` values, the number of
points a design has, how its unit-cube coordinates are drawn and which sensitivity
indices it supports all come from here (:mod:`sim.sweep.designs` turns the coordinates
into parameter values). A design without an ``analyse`` function gets no indices.

Sensitivity methods: Sobol' (Saltelli's scheme) and Morris need their own designs;
``random`` and ``lhs`` designs get first-order indices from RBD-FAST (Tarantola et al.
2006, with Plischke's 2010 permutation and Tissot & Prieur's 2012 bias correction, as
SALib's ``SALib.analyze.rbd_fast`` implements them), which works on any random sample.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from SALib.analyze import morris as morris_analyze
from SALib.analyze import rbd_fast as rbd_fast_analyze
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample
from scipy.stats import qmc

#: ``analyse(problem, unit, y, design, num_resamples, conf_level, seed)`` -> index arrays.
Analyse = Callable[
    [dict[str, Any], np.ndarray, np.ndarray, Mapping[str, Any], int, float, int],
    dict[str, np.ndarray],
]


@dataclass(frozen=True)
class DesignKind:
    """A registered experimental design.

    Attributes:
        name: The sweep file's ``design.type``.
        description: One line for the documentation.
        size: ``(samples, parameters, second_order) -> points``; None for the grid,
            whose size comes from its levels.
        sample: ``(problem, samples, levels, second_order, rng) -> unit coordinates``;
            None for the grid, which enumerates its levels.
        analyse: Sensitivity indices from the unit coordinates and the per-point means,
            or None when the design supports none.
        index_columns: The columns ``analyse`` returns, in table order.
        bounded_only: Whether every parameter must have finite bounds.
        listed: Whether the points are listed by the user (read from a file when the
            sweep is loaded, :mod:`sim.sweep.points`) rather than sampled.
        on_levels: Whether the sampled coordinates lie on a grid of ``levels`` levels
            (a range then takes the same clean level values as in a grid).
    """

    name: str
    description: str
    size: Callable[[int, int, bool], int] | None
    sample: Callable[[dict[str, Any], int, int, bool, np.random.Generator], np.ndarray] | None
    analyse: Analyse | None = None
    index_columns: tuple[str, ...] = ()
    bounded_only: bool = False
    listed: bool = False
    on_levels: bool = False


def _latin_hypercube(d: int, rng: np.random.Generator) -> qmc.LatinHypercube:
    try:
        return qmc.LatinHypercube(d=d, rng=rng)
    except TypeError:  # SciPy before 1.15 calls it seed
        return qmc.LatinHypercube(d=d, seed=rng)


def _sobol_indices(
    problem: dict[str, Any],
    unit: np.ndarray,
    y: np.ndarray,
    design: Mapping[str, Any],
    num_resamples: int,
    conf_level: float,
    seed: int,
) -> dict[str, np.ndarray]:
    return sobol_analyze.analyze(
        problem,
        y,
        calc_second_order=bool(design["second_order"]),
        num_resamples=num_resamples,
        conf_level=conf_level,
        seed=seed,
    )


def _morris_indices(
    problem: dict[str, Any],
    unit: np.ndarray,
    y: np.ndarray,
    design: Mapping[str, Any],
    num_resamples: int,
    conf_level: float,
    seed: int,
) -> dict[str, np.ndarray]:
    return morris_analyze.analyze(
        problem,
        unit,
        y,
        num_resamples=num_resamples,
        conf_level=conf_level,
        num_levels=int(design["levels"]),
        seed=seed,
    )


#: Fewest points RBD-FAST indices are computed from.
RBD_FAST_MIN_POINTS = 16
#: Most harmonics RBD-FAST sums (SALib's default).
RBD_FAST_HARMONICS = 10


def rbd_fast_harmonics(points: int) -> int:
    """Harmonics for RBD-FAST on ``points`` points: SALib's 10, fewer for small samples.

    The bias correction divides by ``1 - 2M/N`` and the bootstrap resamples half the
    points, so ``M`` stays below an eighth of them.

    >>> rbd_fast_harmonics(1000), rbd_fast_harmonics(40)
    (10, 5)
    """
    return max(1, min(RBD_FAST_HARMONICS, points // 8))


def _rbd_fast_indices(
    problem: dict[str, Any],
    unit: np.ndarray,
    y: np.ndarray,
    design: Mapping[str, Any],
    num_resamples: int,
    conf_level: float,
    seed: int,
) -> dict[str, np.ndarray]:
    if len(y) < RBD_FAST_MIN_POINTS:
        raise ValueError(
            f"RBD-FAST indices need at least {RBD_FAST_MIN_POINTS} points; this design has {len(y)}"
        )
    return rbd_fast_analyze.analyze(
        problem,
        unit,
        y,
        M=rbd_fast_harmonics(len(y)),
        num_resamples=num_resamples,
        conf_level=conf_level,
        seed=seed,
    )


#: Every design, by name, in the order the documentation lists them.
DESIGNS: dict[str, DesignKind] = {
    d.name: d
    for d in (
        DesignKind("grid", "every combination", None, None),
        DesignKind(
            "random",
            "independent uniform draws",
            lambda n, d, second: n,
            lambda problem, n, levels, second, rng: rng.random((n, problem["num_vars"])),
            _rbd_fast_indices,
            ("S1", "S1_conf"),
        ),
        DesignKind(
            "lhs",
            "Latin hypercube",
            lambda n, d, second: n,
            lambda problem, n, levels, second, rng: _latin_hypercube(
                problem["num_vars"], rng
            ).random(n),
            _rbd_fast_indices,
            ("S1", "S1_conf"),
        ),
        DesignKind(
            "sobol",
            "Saltelli's scheme for Sobol' indices",
            lambda n, d, second: n * (2 * d + 2 if second else d + 2),
            lambda problem, n, levels, second, rng: sobol_sample.sample(
                problem, n, calc_second_order=second, seed=rng
            ),
            _sobol_indices,
            ("S1", "S1_conf", "ST", "ST_conf"),
        ),
        DesignKind(
            "morris",
            "Morris trajectories",
            lambda n, d, second: n * (d + 1),
            lambda problem, n, levels, second, rng: morris_sample.sample(
                problem, n, num_levels=levels, seed=rng
            ),
            _morris_indices,
            ("mu_star", "mu_star_conf", "mu", "sigma"),
            bounded_only=True,
            on_levels=True,
        ),
        DesignKind("file", "the points listed in a CSV file", None, None, listed=True),
    )
}
#: Designs that give sensitivity indices.
SENSITIVITY_DESIGNS = tuple(name for name, d in DESIGNS.items() if d.analyse is not None)
