"""Calibration memory: does the parent process grow with the number of generations?

Runs a small ABC-SMC calibration through :func:`sim.calibration.engine.run_calibration`
(what ``run_sim.py calibrate`` calls): ``scenarios/minimal.yaml`` at ``--population``
people (500 by default) over its three years in monthly steps, two parameters and two
targets (as ``tests/calibration/tiny.yaml``) whose observations are a run at known
values (integrity 0.6, persuasion 0.4: :func:`sim.calibration.recovery.with_synthetic_targets`,
so that later generations still accept particles), ``--particles`` particles (100) for
``--generations`` generations (10), on ``--workers`` workers (1 = in this process).
After every stored generation the engine's ``on_generation`` hook records the parent
process's current resident memory (RSS, from psutil) and its peak so far
(``getrusage``'s ``ru_maxrss``), the generation's epsilon and its model runs; then the
results are written (``write_results``, with ``--predictive`` posterior predictive
runs) and the memory measured once more. Flat memory means the RSS after the last
generation is no higher than after the first few, beyond noise.

Results go to ``benchmarks/output/calibration-memory.json``. Run on an otherwise idle
machine::

    .venv/bin/python benchmarks/bench_calibration_memory.py             # 1-3 minutes
    .venv/bin/python benchmarks/bench_calibration_memory.py --workers 2
    .venv/bin/python benchmarks/bench_calibration_memory.py --particles 40 --generations 8
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import math
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil
import yaml

from sim.calibration.engine import Generation, run_calibration
from sim.calibration.load import load_calibration
from sim.calibration.output import write_results
from sim.calibration.recovery import with_synthetic_targets
from sim.output import versions
from sim.sweep.execute import make_executor

ROOT = Path(__file__).resolve().parent.parent
MINIMAL = ROOT / "scenarios" / "minimal.yaml"
MIB = 2**20
#: The known values the synthetic observations come from.
TRUTH = {"intermediaries[curator].integrity": 0.6, "activities[language_course].persuasion": 0.4}


def calibration_file(
    folder: Path,
    population: int,
    particles: int,
    generations: int,
    predictive: int,
    quantile: float = 0.5,
) -> Path:
    """A calibration file for the minimal scenario; returns its path."""
    doc = {
        "name": "calibration memory benchmark",
        "base": str(MINIMAL),
        "set": {"audience.population": population},
        "seed": 5,
        "priors": {
            "intermediaries[curator].integrity": {"uniform": [0.1, 0.9]},
            "activities[language_course].persuasion": {"uniform": [0.05, 0.95]},
        },
        "targets": {
            "leaked": {
                "summary": "metric",
                "args": {"name": "share_leaked"},
                "observed": 0.3,
                "sd": 0.03,
            },
            "favourable_end": {
                "summary": "favourable_share",
                "args": {"date": "2022-12-01"},
                "observed": 0.1,
                "sample_size": 500,
            },
        },
        "method": {
            "population_size": particles,
            "generations": generations,
            "predictive_draws": predictive,
            "epsilon_quantile": quantile,
        },
    }
    path = folder / "memory.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def _rss_mib() -> float:
    return psutil.Process().memory_info().rss / MIB


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def measure(args: argparse.Namespace) -> dict[str, Any]:
    """Run the calibration and record memory after each generation."""
    rows: list[dict[str, Any]] = []
    total = [0]
    started = time.perf_counter()

    def after(g: Generation) -> None:
        gc.collect()  # what is still referenced, not what the collector has not reached yet
        total[0] += g.runs
        rows.append(
            {
                "generation": g.t,
                "epsilon": g.epsilon if math.isfinite(g.epsilon) else None,
                "runs": g.runs,
                "runs_so_far": total[0],
                "accepted": g.accepted,
                "ess": round(g.ess, 1),
                "rss_mib": round(_rss_mib(), 1),
                "peak_rss_mib": round(_peak_mib(), 1),
                "python_blocks": sys.getallocatedblocks(),
                "elapsed_s": round(time.perf_counter() - started, 2),
            }
        )
        r = rows[-1]
        print(
            f"generation {g.t:2d}: epsilon {g.epsilon:9.4g}, {g.runs:5d} runs, "
            f"RSS {r['rss_mib']:7.1f} MiB, peak {r['peak_rss_mib']:7.1f} MiB, "
            f"{r['python_blocks']:,} Python blocks, "
            f"{r['elapsed_s']:7.1f} s",
            flush=True,
        )

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = calibration_file(
            folder,
            args.population,
            args.particles,
            args.generations,
            args.predictive,
            args.epsilon_quantile,
        )
        calibration = with_synthetic_targets(load_calibration(path), TRUTH)
        rss_before = _rss_mib()
        report = run_calibration(
            calibration, folder / "out", workers=args.workers, on_generation=after
        )
        sampling = time.perf_counter() - started
        with make_executor(args.workers, None) as executor:
            write_results(calibration, folder / "out", report, executor)
        gc.collect()
        after_write = {"rss_mib": round(_rss_mib(), 1), "peak_rss_mib": round(_peak_mib(), 1)}
        print(
            f"after writing the results: RSS {after_write['rss_mib']:.1f} MiB, "
            f"peak {after_write['peak_rss_mib']:.1f} MiB"
        )
    rss = [r["rss_mib"] for r in rows]
    k = min(2, len(rss) - 1)  # from generation 2 on: imports and pools are warm
    first = rss[k]
    later_runs = rows[-1]["runs_so_far"] - rows[k]["runs_so_far"]
    return {
        "machine": {
            "cpus": psutil.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "load_average_at_end": [round(x, 2) for x in psutil.getloadavg()],
            "date_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            **versions(),
            "pyabc": _version("pyabc"),
            "psutil": psutil.__version__,
        },
        "settings": vars(args),
        "rss_before_mib": round(rss_before, 1),
        "generations": rows,
        "after_write": after_write,
        "runs": report.runs,
        "sampling_seconds": round(sampling, 2),
        "runs_per_minute": round(report.runs / sampling * 60, 1),
        "rss_growth_after_generation_2_mib": round(rss[-1] - first, 1),
        "rss_growth_per_generation_after_2_mib": round(
            (rss[-1] - first) / max(len(rss) - 1 - k, 1), 2
        ),
        "rss_growth_per_1000_runs_after_2_mib": round(
            (rss[-1] - first) / max(later_runs, 1) * 1000, 2
        ),
        "python_blocks_growth_after_generation_2": rows[-1]["python_blocks"]
        - rows[k]["python_blocks"],
    }


def _version(name: str) -> str:
    from importlib import metadata

    return metadata.version(name)


def main() -> None:
    """Parse the options, run, print and save the figures."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--population", type=int, default=500)
    p.add_argument("--particles", type=int, default=100)
    p.add_argument("--generations", type=int, default=10)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--predictive", type=int, default=20, help="posterior predictive runs")
    p.add_argument(
        "--epsilon-quantile",
        type=float,
        default=0.5,
        help="each epsilon is this quantile of the last distances (higher: slower descent, "
        "steadier runs per generation)",
    )
    p.add_argument("--out", default=str(ROOT / "benchmarks/output/calibration-memory.json"))
    args = p.parse_args()
    result = measure(args)
    print(
        f"{result['runs']} runs in {result['sampling_seconds']} s "
        f"({result['runs_per_minute']} runs/min); RSS growth after generation 2: "
        f"{result['rss_growth_after_generation_2_mib']} MiB "
        f"({result['rss_growth_per_generation_after_2_mib']} MiB per generation, "
        f"{result['rss_growth_per_1000_runs_after_2_mib']} MiB per 1,000 runs)"
    )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"written: {out}")


if __name__ == "__main__":
    main()
