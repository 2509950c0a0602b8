"""Weighted posterior statistics: quantiles, intervals, correlations, effective sample size.

ABC-SMC particles carry importance weights, so every statistic here is weighted. A
weighted quantile interpolates the weighted empirical distribution function at the
midpoints of each particle's weight (the Hazen convention, which gives the plain
median for equal weights).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float | np.ndarray) -> np.ndarray:
    """Quantile(s) ``q`` of ``values`` under ``weights``.

    >>> float(weighted_quantile(np.array([1.0, 2.0, 3.0]), np.ones(3), 0.5))
    2.0
    >>> float(weighted_quantile(np.array([1.0, 2.0, 3.0]), np.array([0.0, 0.0, 1.0]), 0.5))
    3.0
    """
    values = np.asarray(values, dtype=float)
    weights = np.asarray(weights, dtype=float)
    keep = weights > 0
    values, weights = values[keep], weights[keep]
    order = np.argsort(values, kind="stable")
    v, w = values[order], weights[order] / weights.sum()
    cdf = np.cumsum(w) - 0.5 * w
    return np.interp(q, cdf, v)


def effective_sample_size(weights: np.ndarray) -> float:
    """Kish's effective sample size, (sum w)^2 / sum w^2.

    >>> effective_sample_size(np.ones(10))
    10.0
    """
    w = np.asarray(weights, dtype=float)
    return float(w.sum() ** 2 / (w**2).sum())


def weighted_correlations(frame: pd.DataFrame, weights: np.ndarray) -> pd.DataFrame:
    """The weighted correlation matrix of the columns of ``frame``."""
    x = frame.to_numpy(dtype=float)
    if x.shape[1] == 1 or len(x) < 2:
        return pd.DataFrame(np.eye(x.shape[1]), index=frame.columns, columns=frame.columns)
    cov = np.atleast_2d(np.cov(x, rowvar=False, aweights=weights))
    sd = np.sqrt(np.diag(cov))
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = cov / np.outer(sd, sd)
    return pd.DataFrame(corr, index=frame.columns, columns=frame.columns)


#: Quantiles reported per parameter: the 90% and 50% intervals and the median.
QUANTILES = {"q05": 0.05, "q25": 0.25, "median": 0.5, "q75": 0.75, "q95": 0.95}
