"""Run (or load) several scenarios N times each and save them as a comparison folder.

Layout of a comparison folder::

    OUT/comparison.json                   what was compared, seeds, run folders, tables
    OUT/summary.csv                       per scenario and number: mean, interval, n
    OUT/differences.csv                   each scenario minus the first, paired by seed
    OUT/runs/<label>/seed-<n>/            one run folder per replicate (write_run)
    OUT/comparison.html                   the page (written by the dashboards)

Every scenario is run with the same seeds (``root``, ``root + 1``, ...), so the
replicates of two scenarios share their random numbers seed by seed (common random
numbers) and their differences are sharper than independent runs would give. A result
folder given instead of a scenario file is copied in as a single replicate.

The replicates run on an executor of :mod:`sim.sweep.execute`: in this process, on
local worker processes or on a Dask cluster. Workers only simulate; each
:class:`~sim.run.RunResult` comes back to this process, which writes its run folder as
it arrives. The folder is built beside its target and renamed into place at the end,
so a failed run (the comparison needs every run) leaves nothing behind. The two
tables (:mod:`sim.compare_tables`) are computed from the written run folders, inside
the same temporary folder.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sim.atomic import atomic_directory
from sim.compare_tables import (
    CONFIDENCE,
    DIFFERENCES_FILE,
    RESAMPLES,
    SEED_NOISE,
    SUMMARY_FILE,
    differences_table,
    summary_table,
    write_csv,
)
from sim.dashboards.load import COMPARISON_FILE, NotAResultError, is_comparison_folder, load_run
from sim.output import MANIFEST, TABLES, write_run
from sim.run import simulate
from sim.scenario import Scenario, load_scenario
from sim.sweep.execute import Executor, Job, make_executor, run_each
from sim.sweep.seeds import replicate_seeds

#: What needs every run, in error messages.
_PURPOSE = "the comparison"


@dataclass(frozen=True)
class Input:
    """One thing to compare: a scenario file or a saved run folder.

    Attributes:
        path: The file or folder as given.
        label: A short unique name, used for folder names (file stem or folder name).
        is_result: True for a saved run folder.
    """

    path: Path
    label: str
    is_result: bool


def classify(paths: Sequence[str | os.PathLike[str]]) -> list[Input]:
    """Decide for each argument whether it is a scenario file or a run folder.

    Raises:
        NotAResultError: For a comparison folder, a folder that is not a run, or a
            path that does not exist.
    """
    inputs: list[Input] = []
    used: set[str] = set()
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            if is_comparison_folder(path):
                raise NotAResultError(
                    f"{path}: is a comparison, not a run; pass its scenario files or "
                    "run folders instead (or re-render it with 'report')"
                )
            load_run(path)  # raises NotAResultError with the reason
            is_result, stem = True, path.resolve().name
        elif path.is_file():
            is_result, stem = False, path.stem
        else:
            raise NotAResultError(f"{path}: no such scenario file or result folder")
        label, n = stem, 2
        while label in used:
            label, n = f"{stem}-{n}", n + 1
        used.add(label)
        inputs.append(Input(path, label, is_result))
    return inputs


def default_out(inputs: Sequence[Input], results_dir: Path) -> Path:
    """``results/compare-<a>-vs-<b>...`` (at most four labels, then a count)."""
    labels = [i.label for i in inputs]
    name = "-vs-".join(labels[:4])
    if len(labels) > 4:
        name += f"-and-{len(labels) - 4}-more"
    return results_dir / f"compare-{name}"


def run_comparison(
    paths: Sequence[str | os.PathLike[str]],
    out: str | os.PathLike[str],
    replicates: int,
    seed: int | None = None,
    overrides: Sequence[str] = (),
    progress: Callable[[int], object] | None = None,
    *,
    workers: int = 1,
    scheduler: str | None = None,
    executor: Executor | None = None,
    threshold: float = 0.0,
    thresholds: dict[str, float] | None = None,
) -> Path:
    """Run or load every input and write the comparison folder (without its page).

    The folder's contents do not depend on where the runs ran.

    Args:
        paths: Scenario files and run folders; the first is the baseline.
        out: The comparison folder (replaced if it exists).
        replicates: Runs per scenario file.
        seed: Root seed; the first scenario file's seed when None (0 if none).
        overrides: ``PATH=VALUE`` overrides applied to every scenario file.
        progress: Called with 1 after each run is done or loaded.
        workers: Local worker processes (1: run in this process). Ignored with a
            ``scheduler`` or an ``executor``.
        scheduler: Address of a Dask scheduler (``tcp://HOST:PORT``) to run on.
            Ignored with an ``executor``.
        executor: An executor already inside its ``with`` block, used instead of one
            made from ``workers`` and ``scheduler``.
        threshold: ``differences.csv`` gives the probability that a difference is
            above this (in each number's unit).
        thresholds: Per-number thresholds overriding ``threshold``.

    Returns:
        The comparison folder.

    Raises:
        NotAResultError: For an input that is neither a scenario nor a run folder.
        ScenarioError: For a scenario file that does not load.
        ValueError: If ``replicates`` is below 1.
        ExecutorError: If the executor cannot start (e.g. an unreachable scheduler).
        RunFailedError: If a run fails or its worker is lost (nothing is written).
    """
    inputs = classify(paths)
    scenarios = {i.label: load_scenario(i.path, list(overrides)) for i in inputs if not i.is_result}
    if seed is None:
        seed = next(iter(scenarios.values())).seed if scenarios else 0
    seeds = replicate_seeds(seed, replicates)
    target = Path(out).resolve()
    limits = (threshold, dict(thresholds or {}))
    if executor is None:
        with make_executor(workers, scheduler) as own:
            _write_comparison(
                inputs, scenarios, seeds, seed, overrides, target, own, progress, limits
            )
    else:
        _write_comparison(
            inputs, scenarios, seeds, seed, overrides, target, executor, progress, limits
        )
    return target


def _write_comparison(
    inputs: Sequence[Input],
    scenarios: dict[str, Scenario],
    seeds: list[int],
    root_seed: int,
    overrides: Sequence[str],
    target: Path,
    executor: Executor,
    progress: Callable[[int], object] | None,
    limits: tuple[float, dict[str, float]],
) -> None:
    """Copy the run folders, run the replicates, write the tables and ``comparison.json``."""
    with atomic_directory(target, COMPARISON_FILE) as tmp:
        runs: dict[str, list[Path]] = {}
        jobs: list[Job] = []
        destinations: dict[int, tuple[Path, str]] = {}  # run_id -> (run folder, source)
        for item in inputs:
            if item.is_result:
                runs[item.label] = [_copy_run(item.path, tmp / "runs" / item.label)]
                if progress:
                    progress(1)
                continue
            runs[item.label] = [tmp / "runs" / item.label / f"seed-{s}" for s in seeds]
            for s, folder in zip(seeds, runs[item.label], strict=True):
                name = f"the run of {item.path} with seed {s}"
                jobs.append(Job(len(jobs), name, simulate, (scenarios[item.label], s)))
                destinations[jobs[-1].run_id] = (folder, str(item.path))
        # Results arrive in any order; each is written at once to its own folder.
        for job, result in run_each(executor, jobs, _PURPOSE):
            folder, source = destinations[job.run_id]
            write_run(result, folder, source=source)
            if progress:
                progress(1)
        entries = []
        for item in inputs:
            manifest = json.loads((runs[item.label][0] / MANIFEST).read_text(encoding="utf-8"))
            entries.append(
                {
                    "label": item.label,
                    "name": manifest.get("scenario_name", item.label),
                    "source": str(item.path),
                    "kind": "result folder" if item.is_result else "scenario file",
                    "runs": [r.relative_to(tmp).as_posix() for r in runs[item.label]],
                }
            )
        loaded = {label: [load_run(r) for r in folders] for label, folders in runs.items()}
        names = {e["label"]: e["name"] for e in entries}
        default, per_metric = limits
        write_csv(summary_table(loaded, names), tmp / SUMMARY_FILE)
        write_csv(differences_table(loaded, root_seed, per_metric, default), tmp / DIFFERENCES_FILE)
        doc = {
            "created_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "root_seed": root_seed,
            "replicates": len(seeds),
            "seeds": seeds,
            "overrides": list(overrides),
            "scenarios": entries,
            "tables": {
                "summary": SUMMARY_FILE,
                "differences": DIFFERENCES_FILE,
                "reference": inputs[0].label,
                "threshold": default,
                "thresholds": per_metric,
                "bootstrap_resamples": RESAMPLES,
                "confidence": CONFIDENCE,
                "intervals_include": SEED_NOISE,
            },
        }
        (tmp / COMPARISON_FILE).write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")


def _copy_run(source: Path, parent: Path) -> Path:
    """Copy a run folder's tables and manifest to ``parent/seed-<n>``."""
    seed = load_run(source).seed
    dest = parent / f"seed-{seed}"
    dest.mkdir(parents=True)
    for name in (MANIFEST, *(f"{t}.csv" for t in TABLES)):
        shutil.copy2(source / name, dest / name)
    return dest
