"""Command-line interface: a thin layer over the public functions in :mod:`sim`.

Exit status: 0 success, 2 bad input (scenario, arguments), 1 anything else.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from tqdm import tqdm

from sim.model.clock import step_dates
from sim.model.ledger import BooksUnbalancedError
from sim.output import write_run
from sim.run import simulate
from sim.scenario import Scenario, ScenarioError, load_scenario

RESULTS_DIR = Path("results")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="run_sim.py",
        description="Simulate influence operations: money, leakage and what it buys.",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="run a scenario and write its results")
    run.add_argument("scenario", help="scenario YAML file")
    run.add_argument("--seed", type=int, help="root random seed (default: the scenario's seed)")
    run.add_argument("--out", help=f"output folder (default: {RESULTS_DIR}/<scenario>-seed<N>)")
    _add_set(run)

    val = sub.add_parser("validate", help="check a scenario file without running it")
    val.add_argument("scenario", help="scenario YAML file")
    _add_set(val)

    sub.add_parser("schema", help="print the scenario JSON Schema")
    return p


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


def _describe(s: Scenario) -> str:
    dates = step_dates(s.time)
    return (
        f"{s.name}: {len(dates)} {s.time.step}ly steps {dates[0]}..{dates[-1]}, "
        f"{s.audience.population:,} people, {len(s.funders)} funder(s), "
        f"{len(s.intermediaries)} intermediaries, {len(s.ngos)} NGOs, {len(s.outlets)} outlets, "
        f"{len(s.shocks)} shocks"
    )


def cmd_run(args: argparse.Namespace) -> int:
    """Run a scenario and write its results folder."""
    scenario = load_scenario(args.scenario, args.overrides)
    seed = scenario.seed if args.seed is None else args.seed
    out = Path(args.out) if args.out else RESULTS_DIR / f"{Path(args.scenario).stem}-seed{seed}"
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
    folder = write_run(result, out, source=args.scenario)
    money = result.money_usd()
    last = result.trajectories.iloc[-1]
    disbursed = money["disbursed_usd"] or 1.0
    print(_describe(scenario))
    print(
        f"disbursed ${money['disbursed_usd']:,.0f}: leaked {money['leaked_usd'] / disbursed:.0%}, "
        f"for show {money['for_show_usd'] / disbursed:.0%}, "
        f"substantive {money['substantive_usd'] / disbursed:.0%}, "
        f"unspent {money['unspent_usd'] / disbursed:.0%} (books balance)"
    )
    print(
        f"final opinion {last['opinion_mean']:+.3f} (no-spending counterfactual "
        f"{last['counterfactual_opinion_mean']:+.3f}); attributable "
        f"{last['attributable_opinion']:+.4f}; "
        f"reported to the funder {last['reported_influence']:+.3f}"
    )
    print(f"results: {_shown(folder)}")
    return 0


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


COMMANDS = {"run": cmd_run, "validate": cmd_validate, "schema": cmd_schema}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``run_sim.py``; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except ScenarioError as exc:
        print(f"error: {exc.render()}", file=sys.stderr)
        return 2
    except BooksUnbalancedError as exc:
        print(f"error: the books do not balance, results not written: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; no results written", file=sys.stderr)
        return 130
