"""Command-line interface: a thin layer over the public functions in :mod:`sim`.

Exit status: 0 success, 2 bad input (scenario, arguments, a folder that is not a
result, no browser for --images), 1 anything else.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from tqdm import tqdm

from sim import compare_tables
from sim.atomic import OccupiedError, claim_output
from sim.calibration.cli import add_calibrate_parser, cmd_calibrate
from sim.compare import classify, default_out, run_comparison
from sim.compare_tables import parse_thresholds
from sim.dashboards.decomposition import (
    factor_labels,
    metric_format,
    metric_title,
    render_decomposition,
)
from sim.dashboards.images import BrowserNotFoundError, require_browser
from sim.dashboards.load import COMPARISON_FILE, NotAResultError
from sim.dashboards.report import (
    render_any,
    render_comparison_folder,
    render_run,
    update_index,
)
from sim.dashboards.sweep_dashboard import NotASweepError, render_sweep
from sim.dashboards.text import share as share_text
from sim.decompose import (
    DEFAULT_REPLICATES,
    SUMMARY_FILE,
    Decomposition,
    DecompositionError,
    decompose,
    planned_runs,
    with_bands,
    write_decomposition,
    write_table,
)
from sim.locks import LockedError
from sim.model.clock import step_dates
from sim.model.ledger import BooksUnbalancedError
from sim.output import MANIFEST, NonFiniteOutputError, write_run
from sim.quantities import money_shares
from sim.run import simulate
from sim.scenario import Scenario, ScenarioError, load_scenario
from sim.sweep.cli import add_sweep_parsers, cmd_sweep
from sim.sweep.discovery import MIN_COVERAGE, DiscoveryError
from sim.sweep.execute import ExecutorError, RunFailedError, make_executor
from sim.sweep.seeds import replicate_seeds

RESULTS_DIR = Path("results")


class UsageError(ValueError):
    """A command-line argument that argparse cannot check by itself."""


#: Largest seed a scenario accepts (and NumPy's SeedSequence takes).
MAX_SEED = 2**63 - 1


def seed_value(text: str) -> int:
    """An argparse type: a whole number from 0 to 2**63 - 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, found '{text}'") from None
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"must be between 0 and 2**63 - 1, found {value}")
    return value


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="run_sim.py",
        description="Simulate influence operations: money, leakage and what it buys.",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="run a scenario and write its results")
    run.add_argument("scenario", help="scenario YAML file")
    run.add_argument("--seed", type=seed_value, help="root random seed (default: the scenario's)")
    run.add_argument("--out", help=f"output folder (default: {RESULTS_DIR}/<scenario>-seed<N>)")
    run.add_argument("--no-dashboard", action="store_true", help="do not write dashboard.html")
    _add_images(run)
    run.add_argument(
        "--decompose",
        action="store_true",
        help="also decompose the influence gap (see 'decompose'; "
        f"{DEFAULT_REPLICATES} replicates from the run's seed) into decomposition.csv",
    )
    _add_parameters(
        run,
        "run at its median and add bands of seed noise and of parameter uncertainty "
        "(uncertainty.html)",
    )
    run.add_argument(
        "--draws",
        type=int,
        default=20,
        help="with --posterior or --prior: runs per band (default: 20)",
    )
    _add_set(run)

    rep = sub.add_parser(
        "report",
        help="re-render the page of a saved result folder (run, comparison, sweep, "
        "calibration or decomposition)",
    )
    rep.add_argument(
        "folder",
        metavar="RESULT_DIR",
        help="a result folder (a sweep's page: its first metric; see sweep-report for more)",
    )
    _add_images(rep)

    cmp_ = sub.add_parser(
        "compare",
        help="run scenarios N times each and compare them on one page",
        description="Run each scenario file N times (the same seeds for every file) or load "
        "saved run folders, then write one comparison page. The first is the baseline.",
    )
    cmp_.add_argument(
        "inputs", nargs="+", metavar="SCENARIO_OR_RESULT_DIR", help="scenario files or run folders"
    )
    cmp_.add_argument(
        "--replicates", type=int, default=10, help="runs per scenario file (default: 10)"
    )
    cmp_.add_argument("--out", help=f"output folder (default: {RESULTS_DIR}/compare-<a>-vs-<b>)")
    cmp_.add_argument(
        "--seed",
        type=seed_value,
        help="first seed; replicates use seed, seed+1, ... (default: the first scenario's)",
    )
    cmp_.add_argument(
        "--workers",
        type=int,
        default=1,
        help="local worker processes running the replicates (default: 1, in this process)",
    )
    cmp_.add_argument(
        "--scheduler",
        metavar="tcp://HOST:PORT",
        help="run the replicates on the Dask cluster with this scheduler instead of locally",
    )
    cmp_.add_argument(
        "--threshold",
        action="append",
        default=[],
        metavar="[METRIC=]X",
        help="differences.csv gives the probability that each difference from the first "
        "scenario is above X (default 0); METRIC=X sets it for one number of summary.csv "
        "(e.g. attributable_final=0.001); repeatable",
    )
    _add_parameters(
        cmp_,
        "replicate k of every scenario uses seed k and parameter set k drawn from it; a "
        "second ensemble at its median parameters keeps the seed-noise band",
    )
    _add_images(cmp_)
    _add_set(cmp_)

    val = sub.add_parser("validate", help="check a scenario file without running it")
    val.add_argument("scenario", help="scenario YAML file")
    _add_set(val)

    sub.add_parser("schema", help="print the scenario JSON Schema")

    cls = sub.add_parser(
        "classroom",
        help="build the offline classroom lesson (one folder, open lesson.html)",
        description="Precompute the lesson's grid of runs and write a self-contained "
        "lesson folder that works offline from a USB stick (see docs/teaching.md).",
    )
    cls.add_argument("--out", help=f"output folder (default: {RESULTS_DIR}/classroom)")

    add_sweep_parsers(sub)
    srep = sub.add_parser(
        "sweep-report", help="write the dashboard of a sweep's results folder (dashboard.html)"
    )
    srep.add_argument("folder", metavar="DIR", help="a sweep's results folder")
    srep.add_argument("--metric", help="metric to explain (default: the sweep's first)")
    srep.add_argument(
        "--condition",
        help="scenario discovery: a condition on a metric, METRIC OP NUMBER with OP one of "
        "> >= < <= (e.g. 'mean_attributable_opinion > 0.01'): PRIM box, classification tree "
        "and feature scores (needs the optional extra 'analysis')",
    )
    srep.add_argument(
        "--min-coverage",
        type=float,
        default=MIN_COVERAGE,
        help=f"the chosen PRIM box is the densest with at least this coverage (default: "
        f"{MIN_COVERAGE})",
    )
    _add_decompose_parser(sub)
    add_calibrate_parser(sub)
    return p


def _add_decompose_parser(sub: argparse._SubParsersAction) -> None:
    """The ``decompose`` subcommand."""
    dec = sub.add_parser(
        "decompose",
        help="where did the influence go? split the gap to an ideal programme among "
        "leakage, spending for show, host filtering and shocks",
        description="Compare the programme with an ideal one (same money; no leakage, no "
        "spending for show, no host filtering, no shocks): run all 16 combinations of the "
        "four factors on and off with the same seeds and split the gap with Shapley values "
        "(see docs/decomposition.md).",
    )
    dec.add_argument("scenario", help="scenario YAML file")
    dec.add_argument(
        "--replicates",
        type=int,
        default=DEFAULT_REPLICATES,
        help=f"seeds per combination (default: {DEFAULT_REPLICATES})",
    )
    dec.add_argument(
        "--seed",
        type=seed_value,
        help="first seed; replicates use seed, seed+1, ... (default: the scenario's)",
    )
    dec.add_argument(
        "--workers",
        type=int,
        default=1,
        help="local worker processes running the combinations (default: 1, in this process)",
    )
    dec.add_argument(
        "--scheduler",
        metavar="tcp://HOST:PORT",
        help="run on the Dask cluster with this scheduler instead of locally",
    )
    dec.add_argument("--out", help=f"output folder (default: {RESULTS_DIR}/decompose-<scenario>)")
    _add_parameters(
        dec,
        "replicate k of all 16 combinations uses seed k and parameter set k drawn from it; a "
        "second set at its median parameters keeps the seed-noise band",
    )
    _add_set(dec)


def _add_parameters(p: argparse.ArgumentParser, what: str) -> None:
    """``--posterior DIR`` and ``--prior CALIBRATION.yaml`` (one of them)."""
    group = p.add_mutually_exclusive_group()
    group.add_argument(
        "--posterior",
        metavar="DIR",
        help=f"a calibration's results folder: {what} (see docs/calibration.md)",
    )
    group.add_argument(
        "--prior",
        metavar="CALIBRATION.yaml",
        help="a calibration file: as --posterior, with parameter sets drawn from its priors",
    )


def _parameter_source(args: argparse.Namespace) -> Any:
    """The ``--posterior`` or ``--prior`` source of a command (None without either).

    Raises:
        UsageError: If the folder or file cannot be used.
        ScenarioError: If a --prior calibration file has problems.
    """
    from sim.calibration.sources import PosteriorError, load_source

    try:
        return load_source(args.posterior, args.prior)
    except PosteriorError as exc:
        raise UsageError(str(exc)) from None


def _add_set(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help="override a field, e.g. --set audience.population=1000000 or "
        "--set 'ngos[compatriot_union].skim_rate=0' (repeatable)",
    )


def _add_images(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--images",
        action="store_true",
        help="also save every figure as PNG and SVG under images/ (needs Chromium)",
    )


def _percent(share: float) -> str:
    return "n/a" if math.isnan(share) else f"{share:.0%}"


def _describe(s: Scenario) -> str:
    dates = step_dates(s.time)
    return (
        f"{s.name}: {len(dates)} {s.time.step}ly steps {dates[0]}..{dates[-1]}, "
        f"{s.audience.population:,} people, {len(s.funders)} funder(s), "
        f"{len(s.intermediaries)} intermediaries, {len(s.ngos)} NGOs, {len(s.outlets)} outlets, "
        f"{len(s.shocks)} shocks"
    )


#: Output folders this command holds (locked, see sim.locks); main() lets go at the end.
_HELD = contextlib.ExitStack()


def _claim(out: Path, marker: str) -> None:
    """Lock ``out`` for this command and check it may be replaced, before any run.

    A second command writing the same folder is refused at once (exit 2, naming the
    holder); the lock is kept until :func:`main` returns.
    """
    _HELD.enter_context(claim_output(out, marker))


def cmd_run(args: argparse.Namespace) -> int:
    """Run a scenario and write its results folder."""
    if args.images:
        require_browser()  # fail before the run, not after
    scenario = load_scenario(args.scenario, args.overrides)
    seed = scenario.seed if args.seed is None else args.seed
    out = Path(args.out) if args.out else RESULTS_DIR / f"{Path(args.scenario).stem}-seed{seed}"
    _claim(out, MANIFEST)  # before the run, not after it
    planned = _planned_decomposition(scenario, seed) if args.decompose else None
    uncertainty = None
    if args.posterior or args.prior:
        result, uncertainty = _posterior_run(args, seed)
        scenario = result.scenario
    else:
        steps = 2 * len(step_dates(scenario.time))
        with tqdm(
            total=steps,
            desc="simulating (run + counterfactual)",
            unit="step",
            delay=2.0,
            file=sys.stderr,
            dynamic_ncols=True,
            mininterval=0.2 if sys.stderr.isatty() else 15.0,  # logs get a line now and then
        ) as bar:
            result = simulate(scenario, seed, progress=bar.update)
    decomposition = None
    if planned is not None:
        try:
            decomposition = _run_decomposition(scenario, planned)
        except RunFailedError as exc:
            print(f"error: {exc}; nothing was written", file=sys.stderr)
            return 1
    folder = write_run(result, out, source=args.scenario)
    if uncertainty is not None:
        from sim.calibration.uncertainty import write_uncertainty

        shown = write_uncertainty(folder, *uncertainty)[-1]
        print(f"uncertainty page (seed noise vs parameter uncertainty): {_shown(shown)}")
    if decomposition is not None:
        write_table(decomposition, folder)  # before the dashboard, which shows it
    last = result.trajectories.iloc[-1]
    shares = {k: _percent(v) for k, v in money_shares(asdict(result.money)).items()}
    print(_describe(scenario))
    print(
        f"disbursed ${result.money.disbursed / 100:,.0f}: leaked {shares['leaked']}, "
        f"for show {shares['for_show']}, substantive {shares['substantive']}, "
        f"unspent {shares['unspent']} (books {'balance' if result.books_balance else 'UNBALANCED'})"
    )
    print(
        f"final opinion {last['opinion_mean']:+.3f} (no-spending counterfactual "
        f"{last['counterfactual_opinion_mean']:+.3f}); attributable "
        f"{last['attributable_opinion']:+.4f}; "
        f"reported to the funder {last['reported_influence']:+.3f}"
    )
    print(f"results: {_shown(folder)}")
    if decomposition is not None:
        _print_decomposition(decomposition)
    written = render_run(folder, page=not args.no_dashboard, images=args.images)
    _print_written(written, folder)
    _index(folder)
    return 0


def _posterior_run(args: argparse.Namespace, seed: int) -> tuple[Any, tuple[Any, Any, Any]]:
    """``run --posterior`` or ``--prior``: the run at the median and the two ensembles."""
    from sim.calibration.uncertainty import ensembles, scenario_document

    if args.decompose:
        raise UsageError(
            f"{'--posterior' if args.posterior else '--prior'} and --decompose cannot be "
            "combined (use decompose --posterior or --prior)"
        )
    if args.draws < 2:
        raise UsageError(f"--draws must be at least 2, got {args.draws}")
    posterior = _parameter_source(args)
    doc = scenario_document(args.scenario, args.overrides)
    with _runs_bar(2 * args.draws, f"runs ({posterior.kind} median, seeds, draws)") as bar:
        main, bands, draws = ensembles(
            doc, args.scenario, posterior, seed, args.draws, progress=bar.update
        )
    return main, (posterior, bands, draws)


def _planned_decomposition(scenario: Scenario, seed: int) -> tuple[list[int], int]:
    """The seeds and the number of runs of ``run --decompose`` (checked before the run)."""
    seeds = replicate_seeds(seed, DEFAULT_REPLICATES)
    try:
        return seeds, planned_runs(scenario, len(seeds))
    except DecompositionError as exc:
        raise UsageError(str(exc)) from None


def _runs_bar(total: int, desc: str = "runs") -> tqdm:
    return tqdm(
        total=total,
        desc=desc,
        unit="run",
        file=sys.stderr,
        dynamic_ncols=True,
        mininterval=0.2 if sys.stderr.isatty() else 15.0,
    )


def _run_decomposition(scenario: Scenario, planned: tuple[list[int], int]) -> Decomposition:
    """The decomposition of ``run --decompose``, in this process."""
    seeds, runs = planned
    with _runs_bar(runs, "decomposition runs") as bar:
        return decompose(scenario, seeds, progress=bar.update)


def _print_decomposition(d: Decomposition) -> None:
    """The gap in the first metric, then one line per factor with its share of it.

    With two bands (``--posterior`` or ``--prior``), once per band.
    """
    summary = d.summary()
    if "band" in summary.columns:
        for band, part in summary.groupby("band", sort=False):
            print(f"[{band}]")
            _print_summary(d, part.drop(columns="band"))
    else:
        _print_summary(d, summary)


def _print_summary(d: Decomposition, summary: Any) -> None:
    metric = d.metrics[0]
    fmt = metric_format(metric)
    rows = summary[summary["metric"] == metric].set_index("term")

    def shown(term: str) -> str:
        r = rows.loc[term]
        return f"{fmt(r['mean'])} (90%: {fmt(r['low'])} to {fmt(r['high'])})"

    print(
        f"{metric_title(metric)}: actual {shown('actual')}, ideal {shown('ideal')}; "
        f"gap {shown('gap')}"
    )
    labels = factor_labels()
    width = max(len(labels.get(f, f)) for f in d.factors)
    for f in d.factors:
        print(
            f"  {labels.get(f, f):<{width}}  {shown(f)}: "
            f"{share_text(rows.loc[f, 'share_of_gap'])} of the gap"
        )


def cmd_decompose(args: argparse.Namespace) -> int:
    """Decompose the gap between the programme and an ideal one among the factors."""
    if args.replicates < 1:
        raise UsageError(f"--replicates must be at least 1, got {args.replicates}")
    if args.workers < 1:
        raise UsageError(f"--workers must be at least 1, got {args.workers}")
    scenario = load_scenario(args.scenario, args.overrides)
    parameters = _parameter_source(args)
    seed = scenario.seed if args.seed is None else args.seed
    out = Path(args.out) if args.out else RESULTS_DIR / f"decompose-{Path(args.scenario).stem}"
    _claim(out, SUMMARY_FILE)  # before the runs, not after them
    seeds = replicate_seeds(seed, args.replicates)
    drawn, planned = None, None
    if parameters is not None:  # every scenario is checked before any run
        from sim.calibration.sources import plan, scenario_document

        planned = plan(parameters, len(seeds))
        doc = scenario_document(args.scenario, args.overrides)
        scenario, drawn = planned.scenarios(doc, args.scenario)
    try:
        runs = planned_runs(scenario, len(seeds))
        if drawn is not None:
            runs += planned_runs(scenario, len(seeds), per_replicate=drawn)
    except DecompositionError as exc:
        raise UsageError(str(exc)) from None
    try:
        with contextlib.ExitStack() as stack:
            try:  # as compare: a bad --scheduler fails before any run
                executor = stack.enter_context(make_executor(args.workers, args.scheduler))
            except ExecutorError as exc:
                raise UsageError(str(exc)) from None
            bar = stack.enter_context(_runs_bar(runs))
            result = decompose(scenario, seeds, executor, progress=bar.update)
            if drawn is not None:
                uncertain = decompose(
                    scenario, seeds, executor, progress=bar.update, per_replicate=drawn
                )
                result = with_bands(result, uncertain)
    except RunFailedError as exc:  # raised through the executor, which stops its workers
        print(f"error: {exc}; nothing was written", file=sys.stderr)
        return 1
    folder = write_decomposition(
        result,
        out,
        source=args.scenario,
        overrides=args.overrides,
        parameters=None if planned is None else planned.manifest(),
    )
    print(
        f"decomposed {scenario.name}: {2 ** len(result.factors)} combinations x "
        f"{len(seeds)} replicates, {result.runs} distinct runs in {result.seconds:.1f} s"
    )
    _print_decomposition(result)
    print(f"results: {_shown(folder)}")
    print(f"page: {_shown(render_decomposition(folder))}")
    _index(folder)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """Re-render the page (and images) of a saved result folder of any kind."""
    if args.images:
        require_browser()
    folder = Path(args.folder)
    written = render_any(folder, images=args.images)
    _print_written(written, folder)
    _index(folder)
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    """Run or load several scenarios and write the comparison page."""
    if args.replicates < 1:
        raise UsageError(f"--replicates must be at least 1, got {args.replicates}")
    if args.workers < 1:
        raise UsageError(f"--workers must be at least 1, got {args.workers}")
    try:
        threshold, thresholds = parse_thresholds(args.threshold)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if args.images:
        require_browser()
    inputs = classify(args.inputs)
    parameters = _parameter_source(args)
    if parameters is not None:
        saved = [str(i.path) for i in inputs if i.is_result]
        if saved:
            raise UsageError(
                f"{parameters.flag} needs scenario files to run with drawn parameters; "
                f"{', '.join(saved)} is a saved run folder"
            )
    out = Path(args.out) if args.out else default_out(inputs, RESULTS_DIR)
    _claim(out, COMPARISON_FILE)  # checked before any run
    per_file = args.replicates * (1 if parameters is None else 2)
    runs = sum(1 if i.is_result else per_file for i in inputs)
    try:
        with contextlib.ExitStack() as stack:
            try:  # the executor as the sweep makes it; a bad --scheduler fails before any run
                executor = stack.enter_context(make_executor(args.workers, args.scheduler))
            except ExecutorError as exc:
                raise UsageError(str(exc)) from None
            bar = stack.enter_context(
                tqdm(
                    total=runs,
                    desc="runs",
                    unit="run",
                    file=sys.stderr,
                    dynamic_ncols=True,
                    mininterval=0.2 if sys.stderr.isatty() else 15.0,
                )
            )
            folder = run_comparison(
                args.inputs,
                out,
                args.replicates,
                args.seed,
                args.overrides,
                progress=bar.update,
                executor=executor,
                threshold=threshold,
                thresholds=thresholds,
                parameters=parameters,
            )
    except RunFailedError as exc:  # raised through the executor, which stops its workers
        print(f"error: {exc}; nothing was written", file=sys.stderr)
        return 1
    print(f"compared {len(inputs)} scenario(s), {runs} run(s): {_shown(folder)}")
    if parameters is None:
        bands = "intervals include seed noise only"
    else:
        bands = (
            f"column band: 'seed noise' at the {parameters.kind} median, 'parameters and "
            f"seed noise' with parameter sets drawn from the {parameters.kind}"
        )
    print(f"tables: {compare_tables.SUMMARY_FILE}, {compare_tables.DIFFERENCES_FILE} ({bands})")
    written = render_comparison_folder(folder, images=args.images)
    _print_written(written, folder)
    _index(folder)
    return 0


def _print_written(written: list[Path], folder: Path) -> None:
    pages = [p for p in written if p.suffix == ".html"]
    images = [p for p in written if p.suffix != ".html"]
    for p in pages:
        print(f"page: {_shown(p.resolve())}")
    if images:
        print(f"images: {len(images)} files in {_shown((folder / 'images').resolve())}")


def _index(folder: Path) -> None:
    index = update_index(folder, RESULTS_DIR)
    if index is not None:
        print(f"index: {_shown(index)}")


def _shown(path: Path) -> Path:
    """The path relative to the working directory when it lies below it."""
    try:
        return path.relative_to(Path.cwd().resolve())
    except ValueError:
        return path


def cmd_validate(args: argparse.Namespace) -> int:
    """Check a scenario file."""
    print("ok: " + _describe(load_scenario(args.scenario, args.overrides)))
    return 0


def cmd_schema(_: argparse.Namespace) -> int:
    """Print the JSON Schema of scenario files."""
    print(json.dumps(Scenario.model_json_schema(), indent=2))
    return 0


def cmd_sweep_report(args: argparse.Namespace) -> int:
    """Write a sweep's dashboard from its stored results."""
    path = render_sweep(args.folder, args.metric, args.condition, args.min_coverage)
    print(f"dashboard: {_shown(path)}")
    index = update_index(path.parent, RESULTS_DIR)
    if index:
        print(f"index: {_shown(index)}")
    return 0


def cmd_classroom(args: argparse.Namespace) -> int:
    """Build the classroom pack."""
    from sim.classroom import build_classroom
    from sim.classroom.build import PAGE_NAME

    out = Path(args.out) if args.out else RESULTS_DIR / "classroom"
    _claim(out, PAGE_NAME)  # checked before any run
    pack = build_classroom(out)
    print(f"classroom pack: {pack.points} precomputed runs in {pack.seconds:.0f} s")
    print(f"folder: {_shown(pack.folder)}")
    print(f"page: {_shown(pack.page)}")
    return 0


COMMANDS = {
    "run": cmd_run,
    "report": cmd_report,
    "compare": cmd_compare,
    "validate": cmd_validate,
    "schema": cmd_schema,
    "classroom": cmd_classroom,
    "sweep": cmd_sweep,
    "sweep-report": cmd_sweep_report,
    "decompose": cmd_decompose,
    "calibrate": cmd_calibrate,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``run_sim.py``; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except ScenarioError as exc:
        print(f"error: {exc.render()}", file=sys.stderr)
        return 2
    except (
        NotAResultError,
        NotASweepError,
        DiscoveryError,
        UsageError,
        BrowserNotFoundError,
        OccupiedError,
        LockedError,
    ) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BooksUnbalancedError as exc:
        print(f"error: the books do not balance, results not written: {exc}", file=sys.stderr)
        return 1
    except NonFiniteOutputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; no results written", file=sys.stderr)
        return 130
    finally:
        _HELD.close()
