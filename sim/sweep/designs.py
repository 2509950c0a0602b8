"""Experimental designs: which points of the parameter space a sweep runs.

Every design is a matrix of unit-cube coordinates, one row per point and one column
per parameter (in the sweep file's order), turned into values by each parameter's
distribution (:mod:`sim.sweep.distributions`):

- ``grid``: every combination of the parameters' levels and values, the first
  parameter varying slowest;
- ``random``: independent uniform draws;
- ``lhs``: a Latin hypercube (SciPy's ``qmc.LatinHypercube``);
- ``sobol``: Saltelli's extension of the scrambled Sobol' sequence, from SALib
  (``SALib.sample.sobol.sample``), as ``SALib.analyze.sobol`` expects;
- ``morris``: Morris trajectories on a grid of ``levels`` levels, from SALib
  (``SALib.sample.morris.sample``), as ``SALib.analyze.morris`` expects (a range takes
  the grid's clean level values, :func:`~sim.sweep.distributions.clean_level`);
- ``file``: exactly the points of a CSV file (read and checked by
  :mod:`sim.sweep.points` when the sweep is loaded); their unit coordinates are the
  values' places in each parameter's distribution (:func:`to_unit`).

Sampling designs draw from the sweep's design stream (:mod:`sim.sweep.seeds`), so
the same root seed gives the same points.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.sweep.distributions import clean_level, from_unit, grid_levels, to_unit
from sim.sweep.samplers import DESIGNS
from sim.sweep.seeds import design_rng
from sim.sweep.spec import SweepSpec


@dataclass(frozen=True)
class Design:
    """The points of a sweep.

    Attributes:
        names: Parameter paths, in the sweep file's order.
        unit: Unit-cube coordinates, shape (points, parameters); what SALib sampled.
        values: For each point, the value of each parameter.
    """

    names: tuple[str, ...]
    unit: np.ndarray
    values: tuple[tuple[Any, ...], ...]

    @property
    def size(self) -> int:
        """Number of points."""
        return len(self.values)


def salib_problem(names: tuple[str, ...] | list[str]) -> dict[str, Any]:
    """The SALib problem over the unit cube (values are mapped afterwards)."""
    return {"num_vars": len(names), "names": list(names), "bounds": [[0.0, 1.0]] * len(names)}


def design_size(spec: SweepSpec) -> int:
    """Number of points the spec's design has, without sampling it."""
    kind = DESIGNS[spec.design.type]
    if kind.listed:
        return len(spec.design.points or ())
    if kind.size is None:
        levels = spec.design.levels
        sizes = [len(grid_levels(p, levels)[0]) for p in spec.parameters.values()]
        return int(np.prod(sizes))
    return kind.size(spec.design.samples or 0, len(spec.parameters), spec.design.second_order)


def build_design(spec: SweepSpec) -> Design:
    """Sample (or enumerate) the design of a sweep.

    Args:
        spec: A validated sweep spec.

    Returns:
        The design, the same for the same spec.

    Raises:
        ValueError: For a distribution in a grid or an unbounded one in a Morris design.
    """
    names = tuple(spec.parameters)
    params = list(spec.parameters.values())
    if DESIGNS[spec.design.type].listed:
        values = tuple(tuple(point) for point in spec.design.points or ())
        columns = [to_unit(p, [v[j] for v in values]) for j, p in enumerate(params)]
        unit = np.array(columns, dtype=float).T.reshape(len(values), len(names))
        return Design(names, unit, values)
    if DESIGNS[spec.design.type].sample is None:
        levels = [grid_levels(p, spec.design.levels) for p in params]
        values = tuple(itertools.product(*(v for v, _ in levels)))
        unit = np.array(list(itertools.product(*(u for _, u in levels))), dtype=float)
        return Design(names, unit.reshape(len(values), len(names)), values)
    unit = _unit_sample(spec)
    columns = [from_unit(p, unit[:, j]) for j, p in enumerate(params)]
    if DESIGNS[spec.design.type].on_levels:
        levels = spec.design.levels
        columns = [
            _on_levels(p, unit[:, j], levels, column) if p.range is not None else column
            for j, (p, column) in enumerate(zip(params, columns, strict=True))
        ]
    return Design(names, unit, tuple(zip(*columns, strict=True)))


def _on_levels(param: Any, u: np.ndarray, levels: int, values: list[Any]) -> list[Any]:
    """A range's values at coordinates on the level grid, as clean as a grid's levels."""
    k = np.rint(u * (levels - 1))
    on = np.abs(u * (levels - 1) - k) < 1e-9
    return [
        clean_level(param, int(i), levels) if hit else v
        for i, hit, v in zip(k, on, values, strict=True)
    ]


def _unit_sample(spec: SweepSpec) -> np.ndarray:
    kind = DESIGNS[spec.design.type]
    n = spec.design.samples
    assert n is not None and kind.sample is not None
    if kind.bounded_only:
        unbounded = [k for k, p in spec.parameters.items() if not p.bounded]
        if unbounded:
            raise ValueError(
                f"a {kind.name} design needs bounded parameters (use truncate): {unbounded}"
            )
    problem = salib_problem(list(spec.parameters))
    return kind.sample(
        problem, n, spec.design.levels, spec.design.second_order, design_rng(spec.seed)
    )
