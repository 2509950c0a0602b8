r"""Parameter recovery: calibrate against synthetic observations from known values.

The check of Talts et al. (2018, "Validating Bayesian inference algorithms with
simulation-based calibration") in its simplest form: simulate the targets at known
parameter values (one seed), calibrate from the file's (wide) priors, and see whether
the known values fall inside the 90% credible intervals and how much narrower the
posterior is than the prior. A parameter whose posterior stays as wide as its prior
is not identifiable from those targets: that is a finding about the targets.

Full command (what docs/calibration.md reports)::

    python -m sim.calibration.recovery scenarios/calibration/recovery_minimal.yaml \\
        --truth 'intermediaries[curator].integrity=0.6' \\
        --truth 'activities[language_course].persuasion=0.5' \\
        --truth 'funders[funder].initial_belief=0.8' --out results/recovery
"""

from __future__ import annotations

import argparse
import copy
import sys
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

import pandas as pd

from sim.calibration.engine import run_calibration
from sim.calibration.load import Calibration, load_calibration
from sim.calibration.model import CalibrationModel, summarise
from sim.calibration.output import write_results
from sim.sweep.execute import make_executor

#: The seed of the synthetic observations' run (distinct from every particle's).
TRUTH_SEED = 20_181_023


def with_synthetic_targets(
    calibration: Calibration, truth: Mapping[str, float], seed: int = TRUTH_SEED
) -> Calibration:
    """The calibration with every target's observation replaced by a run at ``truth``.

    Args:
        calibration: The calibration (its observed values are ignored).
        truth: Parameter path -> known value; every prior's path must be given.
        seed: The synthetic run's seed.

    Raises:
        ValueError: If a prior's path has no known value, or a value is unknown.
    """
    paths = [p.path for p in calibration.priors]
    missing = [p for p in paths if p not in truth]
    extra = [p for p in truth if p not in paths]
    if missing or extra:
        raise ValueError(
            f"--truth must give exactly the priors' paths; missing {missing}, "
            f"not calibrated {extra}"
        )
    model = CalibrationModel.of(calibration)
    values = summarise(model.run([truth[p] for p in paths], seed), calibration.targets)
    targets = tuple(
        replace(t, spec=t.spec.model_copy(update={"observed": values[t.name]}))
        for t in calibration.targets
    )
    return replace(calibration, targets=targets)


def recovery_table(calibration: Calibration, truth: Mapping[str, float], out: Path) -> pd.DataFrame:
    """Per parameter: the truth, the 90% interval, whether it covers, width vs prior."""
    summary = pd.read_csv(out / "posterior_summary.csv").set_index("parameter")
    rows = []
    for p in calibration.priors:
        s = summary.loc[p.path]
        rows.append(
            {
                "parameter": p.path,
                "truth": truth[p.path],
                "median": s["median"],
                "q05": s["q05"],
                "q95": s["q95"],
                "covered": bool(s["q05"] <= truth[p.path] <= s["q95"]),
                "width90_vs_prior": s["width90_vs_prior"],
            }
        )
    return pd.DataFrame(rows)


def recover(
    path: str | Path,
    truth: Mapping[str, float],
    out: Path,
    *,
    workers: int = 1,
    population: int | None = None,
) -> pd.DataFrame:
    """Run the whole recovery; returns :func:`recovery_table` (results stay in ``out``).

    Args:
        path: The calibration file.
        truth: Parameter path -> known value.
        out: The results folder (new or empty).
        workers: Local worker processes.
        population: Simulated people, instead of the file's.
    """
    calibration = load_calibration(path)
    if population is not None:
        doc = copy.deepcopy(calibration.base_doc)
        doc["audience"]["population"] = population
        calibration = replace(calibration, base_doc=doc)
    synthetic = with_synthetic_targets(calibration, truth)
    report = run_calibration(synthetic, out, workers=workers)
    with make_executor(workers, None) as executor:
        write_results(synthetic, out, report, executor)
    table = recovery_table(synthetic, truth, out)
    table.to_csv(out / "recovery.csv", index=False)
    return table


#: Known values of the validation report's recovery (scenarios/calibration/recovery_minimal.yaml).
REPORT_TRUTH = (
    ("intermediaries[curator].integrity", 0.6),
    ("activities[language_course].persuasion", 0.5),
    ("funders[funder].initial_belief", 0.8),
)


def recovery_rows(
    path: str,
    truth: tuple[tuple[str, float], ...],
    population: int,
    particles: int,
    generations: int,
) -> dict[str, object]:
    """Run a recovery in a temporary folder (for the validation report's worker).

    Returns:
        ``rows`` (:func:`recovery_table` as records), ``runs`` and ``seconds``.
    """
    import tempfile
    import time

    started = time.perf_counter()
    calibration = load_calibration(path)
    doc = copy.deepcopy(calibration.base_doc)
    doc["audience"]["population"] = population
    method = calibration.spec.method.model_copy(
        update={"population_size": particles, "generations": generations, "predictive_draws": 0}
    )
    spec = calibration.spec.model_copy(update={"method": method})
    calibration = replace(calibration, base_doc=doc, spec=spec)
    synthetic = with_synthetic_targets(calibration, dict(truth))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "recovery"
        report = run_calibration(synthetic, out)
        with make_executor(1, None) as executor:
            write_results(synthetic, out, report, executor)
        table = recovery_table(synthetic, dict(truth), out)
    return {
        "rows": table.to_dict("records"),
        "runs": report.runs,
        "seconds": time.perf_counter() - started,
    }


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m sim.calibration.recovery``: run a recovery and print its table."""
    p = argparse.ArgumentParser(prog="python -m sim.calibration.recovery", description=__doc__)
    p.add_argument("calibration", help="calibration file (its observed values are replaced)")
    p.add_argument("--truth", action="append", default=[], metavar="PATH=VALUE", required=True)
    p.add_argument("--out", required=True, help="results folder (new or empty)")
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--population", type=int, help="simulated people (default: the file's)")
    args = p.parse_args(argv)
    truth = {}
    for text in args.truth:
        key, sep, value = text.partition("=")
        if not sep:
            p.error(f"--truth needs PATH=VALUE, found '{text}'")
        truth[key] = float(value)
    table = recover(
        args.calibration, truth, Path(args.out), workers=args.workers, population=args.population
    )
    with pd.option_context("display.width", 200):
        print(table.to_string(index=False))
    return 0 if table["covered"].all() else 1


if __name__ == "__main__":
    sys.exit(main())
