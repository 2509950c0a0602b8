"""Runs that carry parameter uncertainty: ``run SCENARIO --posterior DIR`` (or ``--prior``).

The parameter sets come from a :class:`~sim.calibration.sources.ParameterSource` (a
calibration's posterior, or a calibration file's priors). ``run`` runs the scenario at
the source's median (each parameter's own median; the written run), then two ensembles
of ``--draws`` runs each with the same seeds:

- **seed noise**: the median parameters with seeds ``seed``, ``seed + 1``...;
- **parameters and seed noise**: parameter set *k* drawn from the source (the posterior
  by weight, or the priors), with seed ``seed + k``.

The first band shows what run-to-run randomness alone does; the second adds what the
observations leave unknown about the parameters. ``posterior_bands.csv`` holds both,
step by step, and ``uncertainty.html`` draws them, saying in one visible line which
band includes what.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.atomic import atomic_file
from sim.calibration.sources import (
    FULL_BAND,
    SEED_BAND,
    ParameterSource,
    Posterior,
    PosteriorError,
    load_posterior,
    load_source,
    scenario_document,
    scenario_with,
)
from sim.output import FLOAT_FORMAT
from sim.run import RunResult, simulate
from sim.sweep.seeds import replicate_seeds

__all__ = [
    "FULL_BAND",
    "SEED_BAND",
    "ParameterSource",
    "Posterior",
    "PosteriorError",
    "ensembles",
    "load_posterior",
    "load_source",
    "scenario_document",
    "scenario_with",
    "write_uncertainty",
]

#: Measures whose bands are written.
MEASURES = ("favourable_share", "opinion_mean", "attributable_opinion")
BANDS_FILE = "posterior_bands.csv"
DRAWS_FILE = "posterior_draws.csv"


def ensembles(
    doc: dict[str, Any],
    source: str,
    posterior: ParameterSource,
    seed: int,
    draws: int,
    progress: Callable[[int], object] | None = None,
) -> tuple[RunResult, pd.DataFrame, pd.DataFrame]:
    """The median run, the two ensembles' bands and the draws' table.

    Returns:
        The run at the posterior median with ``seed``; the bands (long: ``date``,
        ``measure``, ``band``, ``q05``, ``q25``, ``median``, ``q75``, ``q95``); one row
        per ensemble run (``band``, ``draw``, ``seed``, parameters, final measures).
    """
    median = posterior.median()
    median_scenario = scenario_with(doc, median, source, posterior.flag)
    main = simulate(median_scenario, seed)  # also the seed band's first run
    seeds = replicate_seeds(seed, draws)
    runs: dict[str, list[pd.DataFrame]] = {SEED_BAND: [], FULL_BAND: []}
    rows = []
    for k, s in enumerate(seeds):
        result = main if k == 0 else simulate(median_scenario, s)
        runs[SEED_BAND].append(result.trajectories)
        rows.append(_row(SEED_BAND, k, s, median, result))
        if progress:
            progress(1)
    for k, (s, values) in enumerate(zip(seeds, posterior.draw(draws), strict=True)):
        result = simulate(scenario_with(doc, values, source, posterior.flag), s)
        runs[FULL_BAND].append(result.trajectories)
        rows.append(_row(FULL_BAND, k, s, values, result))
        if progress:
            progress(1)
    bands = pd.concat([band_table(n, tables) for n, tables in runs.items()], ignore_index=True)
    return main, bands, pd.DataFrame(rows)


def _row(band: str, k: int, seed: int, values: dict[str, float], r: RunResult) -> dict[str, Any]:
    last = r.trajectories.iloc[-1]
    return {
        "band": band,
        "draw": k,
        "seed": seed,
        **values,
        **{f"final_{m}": float(last[m]) for m in MEASURES},
    }


def band_table(name: str, tables: list[pd.DataFrame]) -> pd.DataFrame:
    """Quantiles of :data:`MEASURES` per step over runs' trajectories (one band, long form)."""
    dates = tables[0]["date"].astype(str).to_numpy()
    out = []
    for m in MEASURES:
        stack = np.vstack([t[m].to_numpy(dtype=float) for t in tables])
        q = np.quantile(stack, [0.05, 0.25, 0.5, 0.75, 0.95], axis=0)
        out.append(
            pd.DataFrame(
                {
                    "date": dates,
                    "measure": m,
                    "band": name,
                    "q05": q[0],
                    "q25": q[1],
                    "median": q[2],
                    "q75": q[3],
                    "q95": q[4],
                }
            )
        )
    return pd.concat(out, ignore_index=True)


def write_uncertainty(
    folder: Path, posterior: ParameterSource, bands: pd.DataFrame, draws: pd.DataFrame
) -> list[Path]:
    """Add the bands, the draws and their page to a run's folder (each file atomically)."""
    written = []
    for name, frame in ((BANDS_FILE, bands), (DRAWS_FILE, draws)):
        written.append(
            atomic_file(
                folder / name,
                lambda p, f=frame: f.to_csv(
                    p, index=False, float_format=FLOAT_FORMAT, lineterminator="\n"
                ),
            )
        )
    from sim.dashboards.uncertainty import render_uncertainty

    written.append(render_uncertainty(folder, posterior, len(draws) // 2))
    return written
