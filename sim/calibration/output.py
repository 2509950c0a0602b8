"""Write a calibration's results: posterior, diagnostics, summaries, predictive check.

Every file is written atomically (:func:`sim.atomic.atomic_file`), the manifest last,
into the results folder that also holds pyabc's history; the tables are read from
that history, so rewriting them after ``--resume`` gives the full calibration.

Files:

- ``particles.parquet``: every generation's particles: ``generation``, ``particle``,
  ``weight``, ``distance``, ``seed``, one column per parameter (named by its path) and
  ``simulated:<target>`` per target;
- ``posterior.parquet``: the last generation's particles (the posterior sample);
- ``diagnostics.csv``: per generation, epsilon, runs, accepted particles, acceptance
  rate, effective sample size and wall time;
- ``posterior_summary.csv``: per parameter, the prior, the weighted mean, sd, median,
  50% and 90% intervals, and the 90% interval's width relative to the prior's;
- ``posterior_correlations.csv``: weighted correlations between parameters (long);
- ``targets.csv``: per target, the observation, its sd and the posterior predictive
  median and 90% interval;
- ``predictive.csv`` and ``predictive_trajectories.parquet``: the posterior predictive
  runs (parameter sets drawn from the posterior by weight, one seed each);
- ``manifest.json``: the calibration file, base scenario, seeds, sessions, versions.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.atomic import atomic_file
from sim.calibration.engine import HISTORY, CalibrationReport
from sim.calibration.load import Calibration
from sim.calibration.model import (
    PREDICTIVE_STREAM,
    SEED_KEY,
    CalibrationModel,
    parameter_keys,
    predictive_run,
    stream_seed,
)
from sim.calibration.posterior import (
    QUANTILES,
    effective_sample_size,
    weighted_correlations,
    weighted_quantile,
)
from sim.output import FLOAT_FORMAT, git_commit, versions
from sim.sweep.execute import Executor, Job, run_each
from sim.sweep.store import to_json_value

MANIFEST = "manifest.json"
KIND = "calibration"
SIMULATED = "simulated:"


def read_particles(out: Path, calibration: Calibration) -> pd.DataFrame:
    """Every stored generation's particles, with parameters named by their paths."""
    import pyabc

    history = pyabc.History(f"sqlite:///{(out / HISTORY).resolve()}")
    history.id = 1
    keys = parameter_keys(len(calibration.priors))
    frames = []
    for t in range(history.max_t + 1):
        df = history.get_population_extended(t=t).reset_index()
        frame = pd.DataFrame(
            {
                "generation": t,
                "particle": df["particle_id"].astype("int64"),
                "weight": df["w"] / df["w"].sum(),
                "distance": df["distance"].astype(float),
                "seed": df[f"sumstat_{SEED_KEY}"].astype("int64"),
            }
        )
        for k, p in zip(keys, calibration.priors, strict=True):
            frame[p.path] = df[f"par_{k}"].astype(float)
        for target in calibration.targets:
            frame[SIMULATED + target.name] = df[f"sumstat_{target.name}"].astype(float)
        frames.append(frame.sort_values("particle", kind="stable"))
    return pd.concat(frames, ignore_index=True)


def diagnostics(out: Path, particles: pd.DataFrame) -> pd.DataFrame:
    """Per generation: epsilon, runs, accepted, acceptance rate, ESS, wall time."""
    import pyabc

    history = pyabc.History(f"sqlite:///{(out / HISTORY).resolve()}")
    history.id = 1
    pops = history.get_all_populations()
    pops = pops[pops["t"] >= 0].sort_values("t")
    rows = []
    for _, p in pops.iterrows():
        w = particles.loc[particles["generation"] == p["t"], "weight"].to_numpy()
        runs = int(p["samples"])
        rows.append(
            {
                "generation": int(p["t"]),
                "epsilon": float(p["epsilon"]),
                "runs": runs,
                "accepted": int(p["particles"]),
                "acceptance_rate": int(p["particles"]) / runs if runs else math.nan,
                "ess": effective_sample_size(w),
                "wall_time_s": float(p["wall_time"]),
            }
        )
    return pd.DataFrame(rows)


def posterior_summary(calibration: Calibration, posterior: pd.DataFrame) -> pd.DataFrame:
    """Per parameter: the prior, weighted mean, sd, quantiles, and the width ratio."""
    w = posterior["weight"].to_numpy()
    rows = []
    for prior in calibration.priors:
        x = posterior[prior.path].to_numpy()
        mean = float(np.average(x, weights=w))
        sd = math.sqrt(float(np.average((x - mean) ** 2, weights=w)))
        q = {k: float(weighted_quantile(x, w, v)) for k, v in QUANTILES.items()}
        d = prior.frozen()
        p05, p95 = float(d.ppf(0.05)), float(d.ppf(0.95))
        rows.append(
            {
                "parameter": prior.path,
                "prior": prior.label,
                "prior_q05": p05,
                "prior_median": float(d.median()),
                "prior_q95": p95,
                "mean": mean,
                "sd": sd,
                **q,
                "width90_vs_prior": (q["q95"] - q["q05"]) / (p95 - p05),
            }
        )
    return pd.DataFrame(rows)


def correlations(calibration: Calibration, posterior: pd.DataFrame) -> pd.DataFrame:
    """Weighted correlations between every pair of parameters, long format."""
    paths = [p.path for p in calibration.priors]
    corr = weighted_correlations(posterior[paths], posterior["weight"].to_numpy())
    return pd.DataFrame(
        [
            {"parameter_a": a, "parameter_b": b, "correlation": float(corr.loc[a, b])}
            for i, a in enumerate(paths)
            for b in paths[i + 1 :]
        ],
        columns=["parameter_a", "parameter_b", "correlation"],
    )


def predictive_plan(
    calibration: Calibration, posterior: pd.DataFrame
) -> list[tuple[int, tuple[float, ...], int]]:
    """The posterior predictive draws: (draw, parameter values, seed), reproducibly."""
    n = calibration.method.predictive_draws
    if n == 0 or posterior.empty:
        return []
    root = calibration.spec.seed
    rng = np.random.default_rng(stream_seed(root, PREDICTIVE_STREAM, 0))
    w = posterior["weight"].to_numpy()
    picks = rng.choice(len(posterior), size=n, p=w / w.sum())
    paths = [p.path for p in calibration.priors]
    values = posterior[paths].to_numpy(dtype=float)
    return [
        (k, tuple(float(v) for v in values[i]), stream_seed(root, PREDICTIVE_STREAM, k + 1))
        for k, i in enumerate(picks)
    ]


def run_predictive(
    calibration: Calibration,
    posterior: pd.DataFrame,
    executor: Executor,
    progress: Callable[[int], object] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run the posterior predictive draws on ``executor``.

    Returns:
        One row per draw (``draw``, ``seed``, parameters, targets), and the draws'
        favourable-share and opinion paths (``draw``, ``date``, ``segment``...).
    """
    model = CalibrationModel.of(calibration)
    plan = predictive_plan(calibration, posterior)
    jobs = [
        Job(k, f"posterior predictive draw {k} (seed {seed})", predictive_run, (model, v, seed))
        for k, v, seed in plan
    ]
    rows: dict[int, dict[str, Any]] = {}
    paths: dict[int, pd.DataFrame] = {}
    for job, (values, table) in run_each(executor, jobs, "the posterior predictive check"):
        k, v, seed = plan[job.run_id]
        row: dict[str, Any] = {"draw": k, "seed": seed}
        row.update({p.path: x for p, x in zip(calibration.priors, v, strict=True)})
        row.update(values)
        rows[k] = row
        paths[k] = table.assign(draw=k)
        if progress is not None:
            progress(1)
    cols = [
        "draw",
        "seed",
        *(p.path for p in calibration.priors),
        *(t.name for t in calibration.targets),
    ]
    table = pd.DataFrame([rows[k] for k in sorted(rows)], columns=cols)
    trajectories = (
        pd.concat([paths[k] for k in sorted(paths)], ignore_index=True)
        if paths
        else pd.DataFrame(columns=["draw", "date", "segment", "favourable_share", "opinion_mean"])
    )
    trajectories = trajectories[["draw", "date", "segment", "favourable_share", "opinion_mean"]]
    return table, trajectories


def targets_table(calibration: Calibration, predictive: pd.DataFrame) -> pd.DataFrame:
    """Per target: the observation, its sd, and the posterior predictive interval."""
    rows = []
    for t in calibration.targets:
        sim = predictive[t.name].dropna().to_numpy() if t.name in predictive else np.array([])
        q = np.quantile(sim, [0.05, 0.5, 0.95]) if len(sim) else [math.nan] * 3
        rows.append(
            {
                "target": t.name,
                "summary": t.spec.summary,
                "args": json.dumps(to_json_value(t.spec.args), sort_keys=True),
                "observed": t.observed,
                "sd": t.sd,
                "sample_size": t.spec.sample_size,
                "distance": t.spec.distance,
                "predictive_q05": float(q[0]),
                "predictive_median": float(q[1]),
                "predictive_q95": float(q[2]),
                "source": t.spec.source,
            }
        )
    return pd.DataFrame(rows)


def _csv(frame: pd.DataFrame, path: Path) -> None:
    atomic_file(
        path, lambda p: frame.to_csv(p, index=False, float_format=FLOAT_FORMAT, lineterminator="\n")
    )


def _parquet(frame: pd.DataFrame, path: Path) -> None:
    atomic_file(path, lambda p: frame.to_parquet(p, index=False))


def write_results(
    calibration: Calibration,
    out: Path,
    report: CalibrationReport,
    executor: Executor,
    progress: Callable[[int], object] | None = None,
) -> Path:
    """Write every table and the manifest (last) into ``out``.

    Returns:
        The manifest's path.
    """
    particles = read_particles(out, calibration)
    last = int(particles["generation"].max())
    posterior = particles[particles["generation"] == last].reset_index(drop=True)
    _parquet(particles, out / "particles.parquet")
    _parquet(posterior, out / "posterior.parquet")
    diag = diagnostics(out, particles)
    _csv(diag, out / "diagnostics.csv")
    summary = posterior_summary(calibration, posterior)
    _csv(summary, out / "posterior_summary.csv")
    _csv(correlations(calibration, posterior), out / "posterior_correlations.csv")
    predictive, paths = run_predictive(calibration, posterior, executor, progress)
    _csv(predictive, out / "predictive.csv")
    _parquet(paths, out / "predictive_trajectories.parquet")
    _csv(targets_table(calibration, predictive), out / "targets.csv")
    return _write_manifest(calibration, out, report, diag)


def _write_manifest(
    calibration: Calibration, out: Path, report: CalibrationReport, diag: pd.DataFrame
) -> Path:
    path = out / MANIFEST
    sessions = []
    if path.is_file():
        sessions = json.loads(path.read_text(encoding="utf-8")).get("sessions", [])
    sessions.append(
        {
            "finished_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "sampler": report.sampler,
            "generations_before": report.generations_before,
            "generations_after": report.generations,
            "seconds": round(report.seconds, 3),
        }
    )
    doc = {
        "kind": KIND,
        "name": calibration.spec.name,
        "description": calibration.spec.description,
        "calibration_file": str(calibration.path),
        "base_scenario_file": str(calibration.base_path),
        "created_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "method": calibration.method.model_dump(mode="json"),
        "root_seed": calibration.spec.seed,
        "parameters": [
            {
                "path": p.path,
                "prior": p.label,
                "scipy": {"name": p.scipy_name, "args": list(p.args), "kwargs": dict(p.kwargs)},
            }
            for p in calibration.priors
        ],
        "targets": [t.name for t in calibration.targets],
        "generations": report.generations,
        "runs": report.runs,
        "stop_reason": report.stop_reason,
        "final_epsilon": _finite(diag["epsilon"].iloc[-1]) if len(diag) else None,
        "final_ess": _finite(diag["ess"].iloc[-1]) if len(diag) else None,
        "sessions": sessions,
        "versions": {**versions(), "pyabc": _pyabc_version()},
        "git_commit": git_commit(),
        "calibration": to_json_value(calibration.spec.model_dump(mode="json")),
        "base_scenario": to_json_value(calibration.base_doc),
    }
    text = json.dumps(doc, indent=2, allow_nan=False) + "\n"
    return atomic_file(path, lambda p: p.write_text(text, encoding="utf-8"))


def _finite(value: float) -> float | None:
    """The value, or None when it is infinite or NaN (JSON has neither)."""
    return float(value) if math.isfinite(value) else None


def _pyabc_version() -> str:
    from importlib import metadata

    return metadata.version("pyabc")


def is_calibration(folder: str | os.PathLike[str]) -> bool:
    """Whether ``folder`` holds a finished calibration's results."""
    path = Path(folder) / MANIFEST
    if not path.is_file():
        return False
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("kind") == KIND
    except (OSError, ValueError):
        return False
