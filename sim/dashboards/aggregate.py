"""Summaries over replicates: mean and 90% band per step, differences, intervals.

Pure functions on DataFrames. A "replicate frame" has one row per date and one column
per replicate seed. Bands are the 5th and 95th percentiles across replicates (linear
interpolation between order statistics, NumPy's default), so with few replicates the
band is close to the range of the runs.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
import pandas as pd

from sim.dashboards.headline import headline
from sim.dashboards.load import RunData
from sim.quantities import INTERVAL_QUANTILES, replicate_interval

LOW, HIGH = INTERVAL_QUANTILES


def replicate_frame(runs: Sequence[RunData], column: str) -> pd.DataFrame:
    """One trajectory column of several runs: rows are dates, columns are seeds."""
    return pd.DataFrame(
        {r.seed: r.trajectories.set_index("date")[column] for r in runs}
    ).sort_index()


def band(frame: pd.DataFrame, low: float = LOW, high: float = HIGH) -> pd.DataFrame:
    """Mean and percentile band across the columns of a replicate frame.

    Args:
        frame: Rows are dates, columns replicates.
        low: Lower quantile (default 5%).
        high: Upper quantile (default 95%).

    Returns:
        Columns ``mean``, ``low``, ``high`` indexed like ``frame``.
    """
    values = frame.to_numpy(dtype=float)
    return pd.DataFrame(
        {
            "mean": values.mean(axis=1),
            "low": np.quantile(values, low, axis=1),
            "high": np.quantile(values, high, axis=1),
        },
        index=frame.index,
    )


def differences(baseline: pd.DataFrame, other: pd.DataFrame) -> pd.DataFrame:
    """Replicate-wise differences ``other - baseline``.

    Replicates with the same seed are paired (common random numbers). When the two
    frames share no seed, every pair of replicates is used instead.

    Returns:
        A replicate frame of differences (columns: seed, or ``"a-b"`` for pairs).
    """
    common = [c for c in other.columns if c in baseline.columns]
    index = baseline.index.intersection(other.index)
    if common:
        return other.loc[index, common] - baseline.loc[index, common]
    pairs = {
        f"{b}-{a}": other.loc[index, b] - baseline.loc[index, a]
        for a, b in itertools.product(baseline.columns, other.columns)
    }
    return pd.DataFrame(pairs, index=index)


def run_metrics(runs: Sequence[RunData]) -> pd.DataFrame:
    """Headline numbers of each run: one row per run, one column per number."""
    return pd.DataFrame([headline(r).as_dict() for r in runs], index=[r.seed for r in runs])


def interval(values: pd.Series) -> tuple[float, float, float]:
    """Mean, 5th and 95th percentile of the finite values (NaN when there are none).

    The one definition is :func:`sim.quantities.replicate_interval`.
    """
    return replicate_interval(values.astype(float))


def summary(metrics: dict[str, pd.DataFrame], columns: Sequence[str]) -> pd.DataFrame:
    """Mean and 90% interval of chosen headline numbers per scenario.

    Args:
        metrics: Scenario label -> :func:`run_metrics` frame.
        columns: Which numbers.

    Returns:
        One row per (scenario, number) with ``mean``, ``low``, ``high``, ``runs``.
    """
    rows = []
    for label, frame in metrics.items():
        for col in columns:
            m, lo, hi = interval(frame[col])
            rows.append(
                {
                    "scenario": label,
                    "metric": col,
                    "mean": m,
                    "low": lo,
                    "high": hi,
                    "runs": len(frame),
                }
            )
    return pd.DataFrame(rows)
