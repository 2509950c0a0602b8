"""Time one ``simulate`` (run and counterfactual) at two commits, interleaved in one run.

Checks the throughput target "at least 3x the previous commit for one ``simulate`` at
10^4 people, monthly" with both timings taken side by side, so that the load of a shared
machine hits both alike. The older commit is checked out into a temporary git worktree;
each commit runs in its own long-lived child process (imports and compilation done
once, then one warm-up ``simulate``), and the parent asks each child in turn for one
timed ``simulate`` per repeat. Reported: the median seconds of each, the median of the
within-repeat ratios, and the mean time per model step (run and counterfactual steps
together, as in docs/performance.md).

Usage::

    .venv/bin/python benchmarks/bench_versus.py --base dea0edd
    .venv/bin/python benchmarks/bench_versus.py --base dea0edd --population 100000 --repeats 5
    .venv/bin/python benchmarks/bench_versus.py --base dea0edd --clock cpu   # on a busy machine
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import sys, time
sys.path.insert(0, sys.argv[1])
from sim.run import simulate
from sim.scenario import load_scenario
clock = getattr(time, sys.argv[2])
scenario = load_scenario(sys.argv[3], sys.argv[4:])
result = simulate(scenario, 1)
print(len(result.trajectories), flush=True)
for line in sys.stdin:
    started = clock()
    simulate(scenario, int(line))
    print(clock() - started, flush=True)
"""
#: ``--clock`` choices: the time function each child reads.
CLOCKS = {"wall": "perf_counter", "cpu": "process_time"}


def _child(
    tree: Path, scenario: Path, overrides: list[str], clock: str
) -> tuple[subprocess.Popen, int]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(tree), CLOCKS[clock], str(scenario), *overrides],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=tree,
        env=env,
    )
    steps = int(proc.stdout.readline())
    return proc, steps


def _time(proc: subprocess.Popen, seed: int) -> float:
    proc.stdin.write(f"{seed}\n")
    proc.stdin.flush()
    return float(proc.stdout.readline())


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--base", required=True, help="the older commit (any git revision)")
    p.add_argument("--population", type=int, default=10_000)
    p.add_argument("--step", choices=["week", "month"], default="month")
    p.add_argument("--repeats", type=int, default=9)
    p.add_argument("--scenario", default="scenarios/azerbaijan_2005_2025.yaml")
    p.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "output" / "versus.json")
    p.add_argument(
        "--clock",
        choices=sorted(CLOCKS),
        default="wall",
        help="wall: elapsed seconds (the figure the targets use); cpu: the child's CPU "
        "seconds, less disturbed by other jobs on a shared machine (single-threaded runs)",
    )
    args = p.parse_args(argv)
    overrides = [f"audience.population={args.population}", f"time.step={args.step}"]

    with tempfile.TemporaryDirectory(prefix="bench-versus-") as tmp:
        base_tree = Path(tmp) / "base"
        subprocess.run(
            ["git", "worktree", "add", "--detach", "--quiet", str(base_tree), args.base],
            cwd=ROOT,
            check=True,
        )
        try:
            trees = {"base": base_tree, "head": ROOT}
            children = {
                name: _child(tree, tree / args.scenario, overrides, args.clock)
                for name, tree in trees.items()
            }
            times: dict[str, list[float]] = {name: [] for name in trees}
            for repeat in range(args.repeats):
                for name, (proc, _) in children.items():
                    times[name].append(_time(proc, 100 + repeat))
                print(
                    f"repeat {repeat + 1}/{args.repeats}: "
                    + ", ".join(f"{n} {t[-1]:.3f} s" for n, t in times.items()),
                    file=sys.stderr,
                )
            for proc, _ in children.values():
                proc.stdin.close()
                proc.wait()
        finally:
            subprocess.run(
                ["git", "worktree", "remove", "--force", str(base_tree)], cwd=ROOT, check=False
            )

    steps = children["head"][1]
    ratios = [b / h for b, h in zip(times["base"], times["head"], strict=True)]
    report = {
        "base": args.base,
        "population": args.population,
        "step": args.step,
        "clock": args.clock,
        "steps_per_run": steps,
        "base_median_s": statistics.median(times["base"]),
        "head_median_s": statistics.median(times["head"]),
        "speedup_median_of_ratios": statistics.median(ratios),
        "head_ms_per_model_step": 1e3 * statistics.median(times["head"]) / (2 * steps),
        "base_ms_per_model_step": 1e3 * statistics.median(times["base"]) / (2 * steps),
        "times": times,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print(json.dumps({k: v for k, v in report.items() if k != "times"}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
