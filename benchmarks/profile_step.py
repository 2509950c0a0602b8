"""Profile model steps with cProfile: where does the time of a step go?

Builds the baseline at ``--population`` people, runs ``--warmup`` steps (so money flows and the
exposure stock is non-zero, as in most of a run), profiles ``--steps`` further steps and prints
the functions with the most time of their own. ``--out`` also saves the raw profile (open it with
``python -m pstats FILE`` or snakeviz).

Run ``python benchmarks/profile_step.py --help`` for the options.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))  # fallback when the package is not installed

from sim.model.model import InfluenceModel  # noqa: E402
from sim.scenario import load_scenario  # noqa: E402

DEFAULT_SCENARIO = ROOT / "scenarios" / "azerbaijan_2005_2025.yaml"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--scenario", type=Path, default=DEFAULT_SCENARIO)
    p.add_argument("--population", type=int, default=1_000_000)
    p.add_argument("--step", choices=["week", "month"], default="week")
    p.add_argument("--seed", type=int, default=2025)
    p.add_argument("--warmup", type=int, default=60, help="steps before profiling")
    p.add_argument("--steps", type=int, default=100, help="steps to profile")
    p.add_argument("--top", type=int, default=20, help="functions to print")
    p.add_argument("--sort", default="tottime", help="pstats sort key (tottime, cumtime, ...)")
    p.add_argument("--out", type=Path, default=None, help="save the raw profile here")
    args = p.parse_args(argv)

    overrides = [f"audience.population={args.population}", f"time.step={args.step}"]
    model = InfluenceModel(load_scenario(args.scenario, overrides), args.seed)
    if args.warmup + args.steps > model.n_steps:
        raise SystemExit(f"warmup + steps exceeds the {model.n_steps} steps of the run")
    for _ in range(args.warmup):
        model.step()

    before = resource.getrusage(resource.RUSAGE_SELF)
    profile = cProfile.Profile()
    t0 = time.perf_counter()
    profile.enable()
    for _ in range(args.steps):
        model.step()
    profile.disable()
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_SELF)

    print(
        f"{args.population:,} people, {args.step}ly: {wall / args.steps * 1e3:.2f} ms/step under "
        f"the profiler; {(after.ru_stime - before.ru_stime) / args.steps * 1e3:.1f} ms/step "
        f"system time, {(after.ru_minflt - before.ru_minflt) / args.steps:,.0f} page faults/step"
    )
    stats = pstats.Stats(profile)
    stats.sort_stats(args.sort).print_stats(args.top)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        stats.dump_stats(args.out)
        print(f"profile saved to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
