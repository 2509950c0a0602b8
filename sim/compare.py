"""Run (or load) several scenarios N times each and save them as a comparison folder.

Layout of a comparison folder::

    OUT/comparison.json                   what was compared, seeds, run folders, tables
    OUT/summary.csv                       per scenario and number: mean, interval, n
    OUT/differences.csv                   each scenario minus the first, paired by seed
    OUT/runs/<label>/seed-<n>/            one run folder per replicate (write_run)
    OUT/comparison.html                   the page (written by the dashboards)

With a parameter source (``compare --posterior DIR`` or ``--prior CALIBRATION.yaml``,
:mod:`sim.calibration.sources`) each scenario file is run twice per replicate:
at the source's median parameters with seed *k* (``runs/<label>/seed-<n>/``, the
seed-noise band, which the page's figures show) and with parameter set *k* drawn
from the source and seed *k* (``runs/<label>/draws/draw-<k>-seed-<n>/``, the
parameters-and-seed-noise band). Set *k* is the same for every scenario (common
random numbers and common parameters), so differences stay paired. Each run folder
then holds ``parameters.json`` (band, replicate, seed, source, values), and
``comparison.json`` records the source, the median and every drawn set.

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

import contextlib
import datetime as dt
import json
import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.atomic import atomic_directory
from sim.compare_tables import (
    CONFIDENCE,
    DIFFERENCES_FILE,
    RESAMPLES,
    SEED_NOISE,
    SUMMARY_FILE,
    comparison_tables,
    write_csv,
)
from sim.dashboards.load import COMPARISON_FILE, NotAResultError, is_comparison_folder, load_run
from sim.output import MANIFEST, TABLES, write_run
from sim.run import simulate
from sim.scenario import Scenario, load_scenario
from sim.scenario.errors import Problem, ScenarioError
from sim.sweep.execute import Executor, Job, make_executor, run_each
from sim.sweep.seeds import replicate_seeds

if TYPE_CHECKING:
    from sim.calibration.sources import ParameterSource, Plan

#: What needs every run, in error messages.
_PURPOSE = "the comparison"
#: Each run's record of its parameters, in a comparison with a parameter source.
PARAMETERS_FILE = "parameters.json"


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
    parameters: ParameterSource | None = None,
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
        parameters: A posterior or prior (:mod:`sim.calibration.sources`): adds the
            parameters-and-seed-noise band (see the module's description).

    Returns:
        The comparison folder.

    Raises:
        NotAResultError: For an input that is neither a scenario nor a run folder.
        ScenarioError: For a scenario file that does not load, or (with
            ``parameters``) one that lacks a calibrated path.
        ValueError: If ``replicates`` is below 1, or ``parameters`` is given with a
            result folder among the inputs.
        ExecutorError: If the executor cannot start (e.g. an unreachable scheduler).
        RunFailedError: If a run fails or its worker is lost (nothing is written).
    """
    inputs = classify(paths)
    scenarios = {i.label: load_scenario(i.path, list(overrides)) for i in inputs if not i.is_result}
    if seed is None:
        seed = next(iter(scenarios.values())).seed if scenarios else 0
    seeds = replicate_seeds(seed, replicates)
    uncertain = None
    if parameters is not None:
        uncertain = _parameter_scenarios(inputs, scenarios, overrides, parameters, replicates)
    target = Path(out).resolve()
    limits = (threshold, dict(thresholds or {}))
    with contextlib.ExitStack() as stack:
        if executor is None:
            executor = stack.enter_context(make_executor(workers, scheduler))
        _write_comparison(
            inputs, scenarios, seeds, seed, overrides, target, executor, progress, limits, uncertain
        )
    return target


#: With a parameter source: the plan, and per scenario label its median scenario and
#: one scenario per replicate.
_Uncertain = tuple["Plan", dict[str, tuple[Scenario, tuple[Scenario, ...]]]]


def _parameter_scenarios(
    inputs: Sequence[Input],
    plain: dict[str, Scenario],
    overrides: Sequence[str],
    parameters: ParameterSource,
    replicates: int,
) -> _Uncertain:
    """Every scenario at the median and at each drawn parameter set, checked before any run."""
    from sim.calibration.sources import erased_differences, plan, scenario_document

    saved = [str(i.path) for i in inputs if i.is_result]
    if saved:
        raise ValueError(
            f"{parameters.flag} needs scenario files to run with drawn parameters; "
            f"{', '.join(saved)} is a saved run folder"
        )
    p = plan(parameters, replicates)
    scenarios = {
        i.label: p.scenarios(scenario_document(i.path, list(overrides)), str(i.path))
        for i in inputs
    }
    # A difference between the scenarios in a calibrated field would be overwritten.
    first = inputs[0]
    reference = (plain[first.label], scenarios[first.label][0])
    for item in inputs[1:]:
        erased = erased_differences(reference, (plain[item.label], scenarios[item.label][0]))
        if erased:
            raise ScenarioError(
                str(item.path),
                [
                    Problem(
                        f"{parameters.flag} {field}",
                        f"this scenario has {mine!r} where {first.path} has {theirs!r}, but "
                        f"{parameters.flag} sets this field to the same drawn value in "
                        "every scenario, so the comparison would lose that difference; "
                        "compare scenarios that differ outside the calibrated fields",
                    )
                    for field, mine, theirs in erased
                ],
            )
    return p, scenarios


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
    uncertain: _Uncertain | None = None,
) -> None:
    """Copy the run folders, run the replicates, write the tables and ``comparison.json``."""
    with atomic_directory(target, COMPARISON_FILE) as tmp:
        runs: dict[str, list[Path]] = {}
        drawn: dict[str, list[Path]] = {}
        jobs: list[Job] = []
        # run_id -> (run folder, source, its parameters.json record or None)
        destinations: dict[int, tuple[Path, str, dict[str, Any] | None]] = {}
        for item in inputs:
            if item.is_result:
                runs[item.label] = [_copy_run(item.path, tmp / "runs" / item.label)]
                if progress:
                    progress(1)
                continue
            runs[item.label] = [tmp / "runs" / item.label / f"seed-{s}" for s in seeds]
            median = scenarios[item.label] if uncertain is None else uncertain[1][item.label][0]
            for k, (s, folder) in enumerate(zip(seeds, runs[item.label], strict=True)):
                name = f"the run of {item.path} with seed {s}"
                jobs.append(Job(len(jobs), name, simulate, (median, s)))
                record = None if uncertain is None else _record(uncertain[0], None, k, s)
                destinations[jobs[-1].run_id] = (folder, str(item.path), record)
            if uncertain is None:
                continue
            base = tmp / "runs" / item.label / "draws"
            drawn[item.label] = [base / f"draw-{k}-seed-{s}" for k, s in enumerate(seeds)]
            for k, (s, folder) in enumerate(zip(seeds, drawn[item.label], strict=True)):
                name = f"the run of {item.path} with parameter set {k} and seed {s}"
                jobs.append(Job(len(jobs), name, simulate, (uncertain[1][item.label][1][k], s)))
                record = _record(uncertain[0], k, k, s)
                destinations[jobs[-1].run_id] = (folder, str(item.path), record)
        # Results arrive in any order; each is written at once to its own folder.
        for job, result in run_each(executor, jobs, _PURPOSE):
            folder, source, record = destinations[job.run_id]
            write_run(result, folder, source=source)
            if record is not None:
                text = json.dumps(record, indent=2) + "\n"
                (folder / PARAMETERS_FILE).write_text(text, encoding="utf-8")
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
            if item.label in drawn:
                entries[-1]["parameter_runs"] = [
                    r.relative_to(tmp).as_posix() for r in drawn[item.label]
                ]
        loaded = {label: [load_run(r) for r in folders] for label, folders in runs.items()}
        names = {e["label"]: e["name"] for e in entries}
        default, per_metric = limits
        loaded_drawn = (
            {label: [load_run(r) for r in folders] for label, folders in drawn.items()}
            if uncertain is not None
            else None
        )
        kind = uncertain[0].source.kind if uncertain is not None else "posterior"
        tables = comparison_tables(
            loaded, names, root_seed, per_metric, default, loaded_drawn, kind
        )
        for file_name, table in tables.items():
            write_csv(table, tmp / file_name)
        doc: dict[str, Any] = {
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
        if uncertain is not None:
            from sim.calibration.sources import interval_includes

            doc["tables"]["intervals_include"] = [SEED_NOISE, interval_includes(kind)]
            doc["parameters"] = uncertain[0].manifest()
        (tmp / COMPARISON_FILE).write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")


def _record(p: Plan, draw: int | None, replicate: int, seed: int) -> dict[str, Any]:
    """A run's ``parameters.json``: its band, replicate, seed, the source and the values."""
    from sim.calibration.sources import FULL_BAND, SEED_BAND

    return {
        "band": SEED_BAND if draw is None else FULL_BAND,
        "replicate": replicate,
        "seed": seed,
        "kind": p.source.kind,
        "source": p.source.location,
        "values": p.median if draw is None else p.draws[draw],
    }


def _copy_run(source: Path, parent: Path) -> Path:
    """Copy a run folder's tables and manifest to ``parent/seed-<n>``."""
    seed = load_run(source).seed
    dest = parent / f"seed-{seed}"
    dest.mkdir(parents=True)
    for name in (MANIFEST, *(f"{t}.csv" for t in TABLES)):
        shutil.copy2(source / name, dest / name)
    return dest
