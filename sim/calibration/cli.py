"""The ``calibrate`` command: run (or resume) a calibration file and write its results.

``sim/cli.py`` adds it with :func:`add_calibrate_parser` and dispatches to
:func:`cmd_calibrate`, which handles its own errors and returns the exit status:
0 done, 1 a posterior predictive run failed, 2 bad input (calibration file, options,
results folder, pyabc not installed), 130 interrupted (finished generations are
kept and the ``--resume`` command is printed).
"""

from __future__ import annotations

import argparse
import contextlib
import shlex
import sys
import time
from pathlib import Path
from typing import Any

from tqdm import tqdm

from sim.dashboards.report import update_index
from sim.locks import LockedError
from sim.scenario.errors import ScenarioError
from sim.sweep.cli import _command
from sim.sweep.execute import ExecutorError, RunFailedError, make_executor

RESULTS_DIR = Path("results")


def add_calibrate_parser(subparsers: Any) -> None:
    """Add the ``calibrate`` command to the CLI's subparsers."""
    p = subparsers.add_parser(
        "calibrate",
        help="infer parameters from observations (ABC-SMC); resumable",
        description="Run approximate Bayesian computation by sequential Monte Carlo "
        "(pyabc) over a calibration file's priors, matching its targets; write the "
        "posterior, diagnostics, a posterior predictive check and a page "
        "(see docs/calibration.md). Interrupt at any time; --resume continues from the "
        "last finished generation.",
    )
    p.add_argument("calibration", metavar="CALIBRATION.yaml", help="calibration file")
    where = p.add_mutually_exclusive_group()
    where.add_argument(
        "--workers",
        type=int,
        default=1,
        help="local worker processes running the model (default: 1, in this process)",
    )
    where.add_argument(
        "--scheduler",
        metavar="tcp://HOST:PORT",
        help="run the model on the Dask cluster with this scheduler instead of locally",
    )
    p.add_argument("--out", help=f"results folder (default: {RESULTS_DIR}/calibrate-<file name>)")
    p.add_argument(
        "--resume",
        action="store_true",
        help="continue the calibration stored in the results folder",
    )


def _error(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def cmd_calibrate(args: argparse.Namespace) -> int:
    """Run or resume a calibration, then write its results and page."""
    if args.workers < 1:
        return _error(f"--workers must be at least 1, got {args.workers}")
    try:
        import pyabc  # noqa: F401
    except ImportError:
        return _error(
            "calibration needs pyabc, an optional dependency: pip install -e '.[calibration]'"
        )
    from sim.calibration.engine import (
        CalibrationError,
        CalibrationInterrupted,
        Generation,
        run_calibration,
    )
    from sim.calibration.load import load_calibration
    from sim.calibration.output import write_results
    from sim.dashboards.calibration import render_calibration

    try:
        calibration = load_calibration(args.calibration)
    except ScenarioError as exc:
        return _error(exc.render())
    out = Path(args.out) if args.out else RESULTS_DIR / f"calibrate-{Path(args.calibration).stem}"
    method = calibration.method
    bar = tqdm(
        total=method.generations,
        desc="generations",
        unit="gen",
        file=sys.stderr,
        dynamic_ncols=True,
        smoothing=0.0,  # ETA from the average: later generations accept less often
        mininterval=0.2 if sys.stderr.isatty() else 15.0,
    )

    def started(done: int, where: str) -> None:
        resumed = f"{done} generation(s) already stored, " if done else ""
        bar.write(
            f"{calibration.spec.name}: {len(calibration.priors)} parameter(s), "
            f"{len(calibration.targets)} target(s), ABC-SMC with {method.population_size} "
            f"particles x up to {method.generations} generations; {resumed}running on {where}"
        )
        bar.update(done)

    postfix: dict[str, str] = {}  # the last generation's numbers
    shown = [0.0]  # when the runs were last shown

    def generation(g: Generation) -> None:
        postfix.update(
            eps=f"{g.epsilon:.3g}", acc=f"{g.accepted / max(g.runs, 1):.0%}", ess=f"{g.ess:.0f}"
        )
        bar.set_postfix(postfix, refresh=False)
        bar.update(1)

    def runs(n: int) -> None:
        # Model runs so far in the generation being sampled: the bar moves only once a
        # generation, which can take minutes. Shown no more often than the bar refreshes.
        now = time.monotonic()
        if now - shown[0] >= bar.mininterval:
            shown[0] = now
            bar.set_postfix({**postfix, "runs": str(n)})

    try:
        with bar:
            report = run_calibration(
                calibration,
                out,
                workers=args.workers,
                scheduler=args.scheduler,
                resume=args.resume,
                on_generation=generation,
                on_start=started,
                on_runs=runs,
            )
    except (CalibrationError, LockedError, OSError) as exc:
        return _error(str(exc))
    except CalibrationInterrupted as exc:
        again = [*_command(), "calibrate", args.calibration, "--out", str(out), "--resume"]
        if args.scheduler:
            again += ["--scheduler", args.scheduler]
        elif args.workers != 1:
            again += ["--workers", str(args.workers)]
        print(
            f"interrupted: {exc.generations} generation(s) are stored in {out}; continue with:\n"
            f"  {shlex.join(again)}",
            file=sys.stderr,
        )
        return 130
    print(
        f"{report.generations} generation(s), {report.runs:,} model runs in all; "
        f"{report.stop_reason}; this session {report.seconds:,.1f} s"
    )
    try:
        with contextlib.ExitStack() as stack:
            try:
                executor = stack.enter_context(make_executor(args.workers, args.scheduler))
            except ExecutorError as exc:
                return _error(str(exc))
            pbar = stack.enter_context(
                tqdm(
                    total=method.predictive_draws,
                    desc="posterior predictive runs",
                    unit="run",
                    file=sys.stderr,
                    dynamic_ncols=True,
                    mininterval=0.2 if sys.stderr.isatty() else 15.0,
                )
            )
            write_results(calibration, out, report, executor, pbar.update)
    except RunFailedError as exc:
        print(f"error: {exc}; the posterior tables are written, the check is not", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(
            f"interrupted during the posterior predictive runs; every generation is stored in "
            f"{out}: rerun with --resume to write the results",
            file=sys.stderr,
        )
        return 130
    _print_summary(out)
    print(f"results: {out}")
    print(f"page: {render_calibration(out)}")
    index = update_index(out, RESULTS_DIR)
    if index is not None:
        print(f"index: {index}")
    return 0


def _print_summary(out: Path) -> None:
    import pandas as pd

    summary = pd.read_csv(out / "posterior_summary.csv")
    for _, r in summary.iterrows():
        print(
            f"  {r['parameter']}: median {r['median']:.4g} (50%: {r['q25']:.4g} to "
            f"{r['q75']:.4g}; 90%: {r['q05']:.4g} to {r['q95']:.4g}); 90% interval "
            f"{r['width90_vs_prior']:.0%} of the prior's"
        )
