"""What a stored sweep says: replicates summarised per point, and sensitivity indices.

Both read the sweep folder, so they work on a finished sweep, on one still running
and on one interrupted (points without runs are left empty).

- :func:`aggregate`: per design point, the mean of each metric over its replicates
  and an interval between two quantiles of them (5% and 95% by default: the middle
  90% of the replicates).
- :func:`sensitivity`: Sobol' first-order and total-order indices with bootstrap
  confidence intervals (``sobol`` designs), Morris mu*, mu and sigma (``morris``
  designs), or RBD-FAST first-order indices with bootstrap intervals (``random`` and
  ``lhs`` designs), computed by SALib on the per-point means over replicates.
  Indices are in terms of the design's unit cube, i.e. of each parameter's
  distribution as the sweep file gives it; Morris mu* is the mean absolute change of
  the metric when a parameter moves across its whole range.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from sim.sweep.designs import salib_problem
from sim.sweep.samplers import DESIGNS, SENSITIVITY_DESIGNS
from sim.sweep.seeds import analysis_seed
from sim.sweep.store import SweepStore

Source = str | os.PathLike[str] | SweepStore


def open_sweep(source: Source) -> SweepStore:
    """The store of a sweep folder (or the store itself)."""
    return source if isinstance(source, SweepStore) else SweepStore(source)


def parameter_names(store: SweepStore) -> list[str]:
    """The sweep's parameters, in the sweep file's order."""
    return list(store.parameter_kinds)


def aggregate(
    source: Source, metrics: list[str] | None = None, interval: float = 0.90
) -> pd.DataFrame:
    """Summarise the replicates of every design point.

    Args:
        source: A sweep folder or store.
        metrics: Metrics to summarise (default: all recorded).
        interval: Central share of the replicates between the low and high quantiles.

    Returns:
        One row per point: ``point_id``, the parameter values, ``runs`` (stored),
        ``failed`` (stored with an error), and for each metric ``<metric>_mean``,
        ``<metric>_low`` and ``<metric>_high``. Runs with an error contribute the
        metrics they did compute; NaN values are left out.
    """
    if not 0 < interval < 1:
        raise ValueError(f"interval must be between 0 and 1, got {interval}")
    store = open_sweep(source)
    metrics = store.metrics if metrics is None else metrics
    names = parameter_names(store)
    design = store.read_design().to_pandas()[["point_id", *names]].set_index("point_id")
    summary = store.read_summary(columns=["point_id", "status", *metrics])
    groups = summary.groupby("point_id")
    out = design.copy()
    out["runs"] = groups.size().reindex(out.index, fill_value=0)
    out["failed"] = (
        (summary["status"] == "error").groupby(summary["point_id"]).sum().reindex(out.index)
    )
    out["failed"] = out["failed"].fillna(0).astype("int64")
    low, high = (1 - interval) / 2, 1 - (1 - interval) / 2
    for m in metrics:
        out[f"{m}_mean"] = groups[m].mean()
        out[f"{m}_low"] = _quantile(summary[m], summary["point_id"], low)
        out[f"{m}_high"] = _quantile(summary[m], summary["point_id"], high)
    return out.reset_index()


def _quantile(values: pd.Series, by: pd.Series, q: float) -> pd.Series:
    """Per-group quantiles (linear interpolation) that stay infinite next to an infinity.

    Plain interpolation gives NaN between two infinities (inf - inf); here an
    infinity is stood in for by the largest float, and a result beyond the group's
    finite values is an interpolation towards an infinity, hence infinite.
    """
    big = np.finfo(float).max
    result = values.clip(-big, big).groupby(by).quantile(q)
    finite = values.where(np.isfinite(values))
    top, bottom = finite.groupby(by).max(), finite.groupby(by).min()
    result[(result >= big) | (result > top)] = np.inf
    result[(result <= -big) | (result < bottom)] = -np.inf
    return result


def point_means(store: SweepStore, metric: str) -> np.ndarray:
    """The metric's mean over replicates at every point, in point order (NaN if none)."""
    summary = store.read_summary(columns=["point_id", metric])
    points = store.manifest["design"]["points"]
    means = summary.groupby("point_id")[metric].mean().reindex(range(points))
    return means.to_numpy(dtype=float)


def sensitivity(
    source: Source, metric: str, *, conf_level: float = 0.95, num_resamples: int = 1000
) -> pd.DataFrame:
    """Sensitivity indices of one metric, from a ``sobol``, ``morris``, ``random`` or ``lhs`` sweep.

    Args:
        source: A sweep folder or store.
        metric: The metric to explain.
        conf_level: Confidence level of the bootstrap intervals.
        num_resamples: Bootstrap resamples.

    Returns:
        One row per parameter. Sobol': ``S1``, ``S1_conf``, ``ST``, ``ST_conf`` (the
        ``_conf`` columns are half-widths of the confidence intervals). Morris:
        ``mu_star``, ``mu_star_conf``, ``mu``, ``sigma``. RBD-FAST (random, lhs):
        ``S1``, ``S1_conf``.

    Raises:
        ValueError: For other designs, an unknown metric, or a metric without a finite
            value at every point (an unfinished sweep, failed runs, or infinite values).
    """
    store = open_sweep(source)
    manifest = store.manifest
    kind = manifest["design"]["type"]
    design = DESIGNS[kind]
    if design.analyse is None:
        *first, last = SENSITIVITY_DESIGNS
        raise ValueError(
            f"sensitivity indices need a {', '.join(first)} or {last} design, not {kind}"
        )
    if metric not in store.metrics:
        raise ValueError(f"metric '{metric}' was not recorded; recorded: {store.metrics}")
    y = point_means(store, metric)
    bad = ~np.isfinite(y)
    if bad.any():
        raise ValueError(
            f"'{metric}' has no finite mean at {int(bad.sum())} of {len(y)} points (runs "
            "missing, failed, or infinite values); sensitivity needs every point"
        )
    if np.ptp(y) == 0:
        raise ValueError(f"'{metric}' is the same at every point: nothing to attribute")
    names = parameter_names(store)
    problem = salib_problem(names)
    seed = analysis_seed(int(manifest["spec"]["seed"]))
    unit = store.read_design().to_pandas()[[f"unit:{n}" for n in names]].to_numpy(float)
    si = design.analyse(
        problem, unit, y, manifest["spec"]["design"], num_resamples, conf_level, seed
    )
    keys = design.index_columns
    table = pd.DataFrame({k: np.asarray(si[k], dtype=float) for k in keys})
    table.insert(0, "parameter", names)
    return table
