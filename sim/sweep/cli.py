"""The ``sweep`` command: run a sweep file locally or on a Dask cluster, resumably.

``sim/cli.py`` adds it with :func:`add_sweep_parsers` and dispatches to
:func:`cmd_sweep`, which handles its own errors and returns the exit status:
0 every run stored without error, 1 some runs failed or were lost, 2 bad input
(sweep file, options, results folder, or a folder another process is writing),
130 interrupted (Ctrl-C: the workers are stopped, every stored run is kept, and the
``--resume`` command is printed).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shlex
import sys
from pathlib import Path
from typing import Any

from tqdm import tqdm

from sim.dashboards.report import update_index
from sim.locks import LockedError
from sim.scenario.errors import ScenarioError
from sim.sweep.analysis import sensitivity
from sim.sweep.execute import ExecutorError, make_executor
from sim.sweep.load import assignment, load_sweep
from sim.sweep.runner import SweepInterrupted, SweepPlan, SweepReport, execute_sweep, prepare_sweep
from sim.sweep.samplers import SENSITIVITY_DESIGNS
from sim.sweep.store import SweepStore, SweepStoreError

RESULTS_DIR = Path("results")
#: Failures listed at the end of a sweep (all are in the summary table).
SHOWN_FAILURES = 10


def default_workers() -> int:
    """The CPUs this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def add_sweep_parsers(subparsers: Any) -> None:
    """Add the ``sweep`` command to the CLI's subparsers.

    Args:
        subparsers: What ``ArgumentParser.add_subparsers`` returned.
    """
    p = subparsers.add_parser(
        "sweep",
        help="run a sweep file: many runs over a design of parameters, stored as Parquet",
        description="Run every point of a sweep file's design with its replicates, on local "
        "worker processes or a Dask cluster, storing each run as it finishes. Interrupt "
        "it at any time; --resume continues where it stopped.",
    )
    p.add_argument("sweep", metavar="SWEEP.yaml", help="sweep file")
    p.add_argument(
        "--workers",
        type=int,
        help=f"local worker processes (default: the CPUs available, here {default_workers()}; "
        "1 runs in this process)",
    )
    p.add_argument("--out", help=f"results folder (default: {RESULTS_DIR}/sweep-<file name>)")
    p.add_argument(
        "--resume",
        action="store_true",
        help="continue the sweep stored in the results folder (only runs not stored yet)",
    )
    p.add_argument(
        "--scheduler",
        metavar="tcp://HOST:PORT",
        help="run on the Dask cluster with this scheduler instead of locally",
    )


def cmd_sweep(args: argparse.Namespace) -> int:
    """Run (or resume) a sweep and print what it stored."""
    workers = default_workers() if args.workers is None else args.workers
    if workers < 1:
        return _error(f"--workers must be at least 1, got {workers}")
    try:
        sweep = load_sweep(args.sweep)
    except ScenarioError as exc:
        return _error(exc.render())
    out = Path(args.out) if args.out else RESULTS_DIR / f"sweep-{Path(args.sweep).stem}"
    limit = sweep.spec.run_time_limit_s
    try:
        with make_executor(workers, args.scheduler, time_limit=limit) as executor:
            plan = prepare_sweep(sweep, out, resume=args.resume)
            with plan:  # holds the folder's lock (execute_sweep lets it go at its end)
                print(_describe(plan, executor.description))
                with _bar(plan) as bar:
                    report = execute_sweep(plan, executor, progress=bar.update)
    except (ExecutorError, SweepStoreError, LockedError) as exc:
        return _error(str(exc))
    except KeyboardInterrupt as exc:  # SweepInterrupted, or Ctrl-C before the runs started
        stored = exc.report.stored if isinstance(exc, SweepInterrupted) else _stored(out)
        again = [*_command(), "sweep", args.sweep, "--out", str(out), "--resume"]
        if args.workers is not None:
            again += ["--workers", str(args.workers)]
        if args.scheduler:
            again += ["--scheduler", args.scheduler]
        resume = shlex.join(again)
        if stored is None:
            print("interrupted before the sweep started; nothing was stored", file=sys.stderr)
        else:
            print(
                f"interrupted: {stored:,} of {sweep.runs:,} runs are stored in {out}; "
                f"continue with:\n  {resume}",
                file=sys.stderr,
            )
        return 130
    return _finish(plan, report)


def _stored(out: Path) -> int | None:
    """Runs stored in ``out``, or None if it holds no sweep."""
    if not SweepStore.is_sweep(out):
        return None
    try:
        return len(SweepStore(out).completed_run_ids())
    except (OSError, ValueError):
        return None


def _error(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def _command() -> list[str]:
    """How this interpreter runs the CLI, e.g. ``.venv/bin/python run_sim.py``."""
    python = Path(sys.executable)
    with contextlib.suppress(ValueError):  # outside the working directory: keep the full path
        python = python.relative_to(Path.cwd())
    return [str(python), "run_sim.py"]


def _describe(plan: SweepPlan, where: str) -> str:
    spec = plan.sweep.spec
    done = len(plan.done)
    resumed = f"{done:,} already stored, " if done else ""
    return (
        f"{spec.name}: {len(spec.parameters)} parameter(s), {spec.design.type} design, "
        f"{plan.design.size:,} points x {spec.replicates} replicate(s) = {plan.total:,} runs; "
        f"{resumed}{plan.pending:,} to run ({where})"
    )


def _bar(plan: SweepPlan) -> tqdm:
    return tqdm(
        total=plan.total,
        initial=len(plan.done),
        desc="runs",
        unit="run",
        file=sys.stderr,
        dynamic_ncols=True,
        smoothing=0.05,  # ETA from the average rate: runs differ in length
        mininterval=0.2 if sys.stderr.isatty() else 15.0,  # logs get a line now and then
    )


def _finish(plan: SweepPlan, report: SweepReport) -> int:
    sweep, store = plan.sweep, plan.store
    failures = store.read_summary(columns=["point_id", "seed", "status", "error"])
    failures = failures[failures["status"] == "error"]
    missing = report.total - report.stored
    print(
        f"{report.total:,} runs: {report.stored - len(failures):,} ok, {len(failures):,} failed, "
        f"{missing:,} not run; this session ran {report.ok + report.failed:,} "
        f"in {report.seconds:,.0f} s"
    )
    for _, row in failures.head(SHOWN_FAILURES).iterrows():
        print(f"  run {row['run_id']} failed: {row['error']}")
        print(f"    rerun alone: {_reproduce(plan, int(row['point_id']), int(row['seed']))}")
    if len(failures) > SHOWN_FAILURES:
        print(f"  ... and {len(failures) - SHOWN_FAILURES} more (status 'error' in the summary)")
    if report.lost:
        print(
            f"{len(report.lost):,} runs were lost with their worker ({report.lost[0].reason}); "
            "rerun with --resume to do them"
        )
    if report.complete and sweep.spec.design.type in SENSITIVITY_DESIGNS:
        _print_sensitivity(store, sweep.spec.metrics[0])
    print(f"results: {report.out_dir}")
    index = update_index(report.out_dir, RESULTS_DIR)
    if index is not None:
        print(f"index: {index}")
    return 0 if report.complete and failures.empty else 1


def _reproduce(plan: SweepPlan, point: int, seed: int) -> str:
    """The ``run`` command that repeats one run of the sweep (with its full traceback)."""
    sweep, design = plan.sweep, plan.design
    sets = [assignment(k, v) for k, v in sweep.spec.set.items()]
    sets += list(sweep.assignments(design.values[point]))
    words = [*_command(), "run", str(sweep.base_path), "--seed", str(seed)]
    for text in sets:
        words += ["--set", text]
    return shlex.join(words)


def _print_sensitivity(store: SweepStore, metric: str) -> None:
    try:
        table = sensitivity(store, metric)
    except ValueError as exc:
        print(f"sensitivity of {metric}: not computed ({exc})")
        return
    key = next(k for k in ("ST", "mu_star", "S1") if k in table)
    table = table.sort_values(key, ascending=False)
    label = {
        "ST": "total-order Sobol' index",
        "mu_star": "Morris mu*",
        "S1": "RBD-FAST first-order index",
    }[key]
    print(f"what drives {metric} ({label}, with its confidence half-width):")
    for _, row in table.iterrows():
        print(f"  {row[key]:10.4g} ± {row[f'{key}_conf']:.2g}  {row['parameter']}")
