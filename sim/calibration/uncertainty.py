"""Runs that carry parameter uncertainty: draw parameter sets from a calibration's posterior.

``run SCENARIO --posterior DIR`` runs the scenario at the posterior's weighted median
(each parameter's own median; the written run), then two ensembles of ``--draws``
runs each with the same seeds:

- **seed noise**: the median parameters with seeds ``seed``, ``seed + 1``...;
- **parameters and seed noise**: parameter set *k* drawn from the posterior by weight,
  with seed ``seed + k``.

The first band shows what run-to-run randomness alone does; the second adds what the
observations leave unknown about the parameters. ``posterior_bands.csv`` holds both,
step by step, and ``uncertainty.html`` draws them, saying in one visible line which
band includes what.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.atomic import atomic_file
from sim.calibration.model import PREDICTIVE_STREAM, stream_seed
from sim.calibration.output import MANIFEST, is_calibration
from sim.calibration.posterior import weighted_quantile
from sim.output import FLOAT_FORMAT
from sim.run import RunResult, simulate
from sim.scenario.errors import Problem, ScenarioError
from sim.scenario.loader import resolve_extends, validate_document
from sim.scenario.overrides import apply_override
from sim.scenario.schema import Scenario
from sim.sweep.load import assignment
from sim.sweep.seeds import replicate_seeds

#: Measures whose bands are written.
MEASURES = ("favourable_share", "opinion_mean", "attributable_opinion")
SEED_BAND = "seed noise"
FULL_BAND = "parameters and seed noise"
BANDS_FILE = "posterior_bands.csv"
DRAWS_FILE = "posterior_draws.csv"


class PosteriorError(ValueError):
    """A --posterior folder that cannot be used with this scenario."""


@dataclass(frozen=True)
class Posterior:
    """A calibration's posterior sample.

    Attributes:
        folder: The calibration's results folder.
        paths: The calibrated fields.
        values: One row per particle, one column per path.
        weights: The particles' weights (summing to 1).
        root_seed: The calibration's root seed.
    """

    folder: Path
    paths: tuple[str, ...]
    values: np.ndarray
    weights: np.ndarray
    root_seed: int

    def median(self) -> dict[str, float]:
        """Each parameter's weighted median."""
        return {
            p: float(weighted_quantile(self.values[:, i], self.weights, 0.5))
            for i, p in enumerate(self.paths)
        }

    def draw(self, n: int) -> list[dict[str, float]]:
        """``n`` parameter sets drawn by weight, reproducibly (from the calibration's seed)."""
        rng = np.random.default_rng(stream_seed(self.root_seed, PREDICTIVE_STREAM, 10**6))
        picks = rng.choice(len(self.weights), size=n, p=self.weights)
        return [dict(zip(self.paths, map(float, self.values[i]), strict=True)) for i in picks]


def load_posterior(folder: str | os.PathLike[str]) -> Posterior:
    """Read a calibration's posterior sample.

    Raises:
        PosteriorError: If ``folder`` is not a finished calibration.
    """
    folder = Path(folder)
    if not is_calibration(folder) or not (folder / "posterior.parquet").is_file():
        raise PosteriorError(
            f"--posterior {folder}: not a calibration's results folder (expected "
            f"{MANIFEST} of kind 'calibration' and posterior.parquet; run calibrate first)"
        )
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    paths = tuple(p["path"] for p in manifest["parameters"])
    table = pd.read_parquet(folder / "posterior.parquet")
    w = table["weight"].to_numpy(dtype=float)
    return Posterior(
        folder, paths, table[list(paths)].to_numpy(float), w / w.sum(), int(manifest["root_seed"])
    )


def scenario_with(doc: dict[str, Any], values: dict[str, float], source: str) -> Scenario:
    """The scenario document with ``values`` set on their paths, validated.

    Raises:
        ScenarioError: If a path does not exist in the scenario or a value is refused.
    """
    doc = copy.deepcopy(doc)
    problems: list[Problem] = []
    for path, value in values.items():
        problems += [
            Problem(f"--posterior {path}", p.message)
            for p in apply_override(doc, assignment(path, value))
        ]
    if problems:
        raise ScenarioError(source, problems)
    return validate_document(doc, source)


def scenario_document(path: str | os.PathLike[str], overrides: Sequence[str]) -> dict[str, Any]:
    """The scenario file's document with ``extends`` resolved and ``--set`` applied."""
    doc = resolve_extends(Path(path))
    problems = [p for text in overrides for p in apply_override(doc, text)]
    if problems:
        raise ScenarioError(str(path), problems)
    return doc


def ensembles(
    doc: dict[str, Any],
    source: str,
    posterior: Posterior,
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
    median_scenario = scenario_with(doc, median, source)
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
        result = simulate(scenario_with(doc, values, source), s)
        runs[FULL_BAND].append(result.trajectories)
        rows.append(_row(FULL_BAND, k, s, values, result))
        if progress:
            progress(1)
    bands = pd.concat([_bands(name, tables) for name, tables in runs.items()], ignore_index=True)
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


def _bands(name: str, tables: list[pd.DataFrame]) -> pd.DataFrame:
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
    folder: Path, posterior: Posterior, bands: pd.DataFrame, draws: pd.DataFrame
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

    written.append(render_uncertainty(folder, posterior.folder, len(draws) // 2))
    return written
