"""Time one model step at several population sizes against a naive one-agent-per-person Mesa model.

For every size the historical baseline is built with ``audience.population`` overridden, a few
steps are run to warm up, and then

* whole ``InfluenceModel.step()`` calls are timed (funders, intermediaries, grantees, exposure,
  opinion update, peer influence and data collection), and
* the peer kernel alone (:func:`sim.model.dynamics.deffuant_step`) is timed on the model's own
  opinion and CSR arrays with the number of pairs the model draws per step
  (``model.audience.rates.pairs``), and once more with one pair per person (``n_pairs = N``),
  which shows the kernel's marginal cost per interaction once its O(N) fixed costs are spread.

At the smallest size (10^4 by default) the same network and opinions are loaded into a naive Mesa
model with one ``mesa.Agent`` per person and Python adjacency lists, and two textbook Deffuant
steps are timed in the same process:

* ``sampled``: a Python loop over ``n_pairs`` focal people drawn uniformly with replacement, each
  meeting one random neighbour (the same interaction schedule as the vectorised kernel);
* ``sweep``: ``model.agents.shuffle_do("interact")``, every person once per step in random order
  (``N`` interactions per step), the usual Mesa idiom.

Times are per interaction (seconds / number of pair draws) so the two can be compared; the
headline ratio uses the faster naive variant, so it is the conservative one.

Run ``python benchmarks/bench_step.py --help`` for the options.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import mesa
import numpy as np
import scipy

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sim.model.dynamics import deffuant_step  # noqa: E402
from sim.model.model import InfluenceModel  # noqa: E402
from sim.scenario import load_scenario  # noqa: E402

DEFAULT_SCENARIO = ROOT / "scenarios" / "azerbaijan_2005_2025.yaml"
DEFAULT_OUT = ROOT / "benchmarks" / "output" / "step.json"


# ------------------------------------------------------------------------------ naive Mesa


class Person(mesa.Agent):
    """One person as a Mesa agent: an opinion and a list of neighbouring agents."""

    def __init__(self, model: NaiveDeffuantModel, opinion: float) -> None:
        super().__init__(model)
        self.opinion = opinion
        self.neighbours: list[Person] = []

    def interact(self) -> None:
        """Meet one random neighbour; compromise if the opinions are close enough."""
        if not self.neighbours:
            return
        other = self.random.choice(self.neighbours)
        gap = other.opinion - self.opinion
        if abs(gap) < self.model.confidence:
            shift = self.model.convergence * gap
            self.opinion += shift
            other.opinion -= shift


class NaiveDeffuantModel(mesa.Model):
    """Deffuant dynamics the straightforward Mesa way: one agent per person.

    Args:
        opinions: Initial opinions, shape (N,).
        indptr: CSR row pointer of the network.
        indices: CSR neighbour indices of the network.
        n_pairs: Focal draws per ``step()`` in the ``sampled`` schedule.
        confidence: Bounded-confidence threshold.
        convergence: Fraction of the gap each side moves.
        seed: Seed of the model's random generators.
        schedule: ``"sampled"`` (``n_pairs`` random focal people per step) or ``"sweep"``
            (``agents.shuffle_do``: everyone once per step).
    """

    def __init__(
        self,
        opinions: np.ndarray,
        indptr: np.ndarray,
        indices: np.ndarray,
        n_pairs: int,
        confidence: float,
        convergence: float,
        seed: int,
        schedule: str = "sampled",
    ) -> None:
        super().__init__(rng=seed)
        if schedule not in ("sampled", "sweep"):
            raise ValueError(f"unknown schedule {schedule!r}")
        self.schedule = schedule
        self.n_pairs = n_pairs
        self.confidence = confidence
        self.convergence = convergence
        self.people = [Person(self, float(x)) for x in opinions]
        neighbours = indices.tolist()
        bounds = indptr.tolist()
        for i, person in enumerate(self.people):
            person.neighbours = [self.people[j] for j in neighbours[bounds[i] : bounds[i + 1]]]

    @property
    def interactions_per_step(self) -> int:
        """Number of focal draws in one ``step()``."""
        return self.n_pairs if self.schedule == "sampled" else len(self.people)

    def step(self) -> None:
        """One step of pairwise interactions, applied sequentially."""
        if self.schedule == "sampled":
            for person in self.random.choices(self.people, k=self.n_pairs):
                person.interact()
        else:
            self.agents.shuffle_do("interact")

    def opinions(self) -> np.ndarray:
        """Current opinions as an array."""
        return np.fromiter((p.opinion for p in self.people), dtype=np.float64)


# ------------------------------------------------------------------------------ timing


def time_calls(fn: Callable[[], object], repeats: int, number: int) -> dict[str, float]:
    """Seconds per call of ``fn``: median and min over ``repeats`` batches of ``number`` calls.

    The garbage collector is off while timing, as in :mod:`timeit`.
    """
    per_call = []
    gc_was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        for _ in range(repeats):
            t0 = time.perf_counter()
            for _ in range(number):
                fn()
            per_call.append((time.perf_counter() - t0) / number)
    finally:
        if gc_was_enabled:
            gc.enable()
    return {
        "median_s": statistics.median(per_call),
        "min_s": min(per_call),
        "repeats": repeats,
        "calls_per_repeat": number,
    }


def per_interaction(timing: dict[str, float], interactions: int) -> dict[str, float]:
    """Divide a timing by the number of interactions it covers."""
    return {
        "median_s": timing["median_s"] / interactions,
        "min_s": timing["min_s"] / interactions,
    }


def build_model(scenario_path: Path, population: int, step: str, seed: int) -> InfluenceModel:
    """The baseline scenario at ``population`` people and ``step`` time steps."""
    overrides = [f"audience.population={population}", f"time.step={step}"]
    return InfluenceModel(load_scenario(scenario_path, overrides), seed)


def bench_size(
    scenario_path: Path, population: int, args: argparse.Namespace
) -> tuple[dict[str, Any], InfluenceModel]:
    """Time model steps and the peer kernel at one population size."""
    t0 = time.perf_counter()
    model = build_model(scenario_path, population, args.step, args.seed)
    build_s = time.perf_counter() - t0
    needed = args.warmup + args.repeats * args.steps
    if needed > model.n_steps:
        raise SystemExit(f"warmup + repeats x steps = {needed} exceeds the {model.n_steps} steps")
    for _ in range(args.warmup):
        model.step()
    step_t = time_calls(model.step, args.repeats, args.steps)

    a = model.audience
    peer = a.spec.peer
    pairs = a.rates.pairs
    x = a.opinion.copy()
    rng = np.random.default_rng(args.seed)

    def kernel(n_pairs: int) -> Callable[[], object]:
        return lambda: deffuant_step(
            x, a.indptr, a.indices, n_pairs, peer.confidence, peer.convergence, rng
        )

    kernel(pairs)()  # warm-up
    kernel_t = time_calls(kernel(pairs), args.repeats, args.kernel_calls)
    kernel_full_t = time_calls(kernel(population), args.repeats, args.kernel_calls)
    row = {
        "population": population,
        "edges": int(a.indices.size // 2),
        "pairs_per_step": pairs,
        "build_s": build_s,
        "model_step": step_t,
        "model_step_per_interaction": per_interaction(step_t, pairs),
        "kernel": kernel_t,
        "kernel_per_interaction": per_interaction(kernel_t, pairs),
        "kernel_pairs_eq_n": kernel_full_t,
        "kernel_pairs_eq_n_per_interaction": per_interaction(kernel_full_t, population),
    }
    return row, model


def bench_naive(model: InfluenceModel, args: argparse.Namespace) -> dict[str, Any]:
    """Time the naive Mesa Deffuant model on the network and opinions of ``model``."""
    a = model.audience
    peer = a.spec.peer
    out: dict[str, Any] = {"population": a.size, "pairs_per_step": a.rates.pairs}
    for schedule in ("sampled", "sweep"):
        t0 = time.perf_counter()
        naive = NaiveDeffuantModel(
            a.opinion,
            a.indptr,
            a.indices,
            a.rates.pairs,
            peer.confidence,
            peer.convergence,
            args.seed,
            schedule=schedule,
        )
        build_s = time.perf_counter() - t0
        naive.step()  # warm-up
        number = args.naive_steps if schedule == "sampled" else max(1, args.naive_steps // 10)
        t = time_calls(naive.step, args.repeats, number)
        k = naive.interactions_per_step
        out[schedule] = {
            "interactions_per_step": k,
            "build_s": build_s,
            "step": t,
            "per_interaction": per_interaction(t, k),
        }
        naive.remove_all_agents()
        del naive
        gc.collect()
    return out


def machine_info() -> dict[str, Any]:
    """Where and with what the benchmark ran."""
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "date_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "cpu_count": os.cpu_count(),
        "cpu": cpu,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "mesa": mesa.__version__,
    }


def ratios(sizes: list[dict[str, Any]], naive: dict[str, Any]) -> dict[str, Any]:
    """Naive / vectorised ratios at the naive model's size (both measured in this run)."""
    row = next(r for r in sizes if r["population"] == naive["population"])
    best_naive = min(naive["sampled"]["per_interaction"]["median_s"],
                     naive["sweep"]["per_interaction"]["median_s"])  # fmt: skip
    sampled = naive["sampled"]["per_interaction"]["median_s"]
    sweep = naive["sweep"]["per_interaction"]["median_s"]
    kern = row["kernel_per_interaction"]["median_s"]
    step = row["model_step_per_interaction"]["median_s"]
    full = row["kernel_pairs_eq_n_per_interaction"]["median_s"]
    return {
        "population": naive["population"],
        # Headline: per interaction, faster naive variant vs the kernel at the model's pairs.
        "per_interaction_kernel": best_naive / kern,
        "per_interaction_kernel_sampled": sampled / kern,
        "per_interaction_kernel_sweep": sweep / kern,
        # The whole vectorised model step (everything, not just peers) per pair drawn.
        "per_interaction_model_step": best_naive / step,
        # Same schedule size as the sweep (N interactions per step).
        "per_interaction_kernel_pairs_eq_n_vs_sweep": sweep / full,
        # Whole step vs whole step with the same number of peer interactions.
        "naive_sampled_step_over_model_step": naive["sampled"]["step"]["median_s"]
        / row["model_step"]["median_s"],
    }


def print_report(result: dict[str, Any]) -> None:
    """Print the tables."""
    m = result["machine"]
    print(
        f"\n{m['date_utc']}  {m['cpu_count']} CPUs ({m['cpu']})  Python {m['python']}  "
        f"NumPy {m['numpy']}  Mesa {m['mesa']}  step={result['config']['step']}"
    )
    hdr = (
        f"{'people':>10} {'pairs/step':>10} {'build s':>8} {'step ms (med/min)':>19} "
        f"{'kernel ms':>10} {'step ns/pair':>12} {'kernel ns/pair':>14} {'kernel@N ns/pair':>16}"
    )
    print(hdr)
    print("-" * len(hdr))
    for r in result["sizes"]:
        st, k = r["model_step"], r["kernel"]
        print(
            f"{r['population']:>10,} {r['pairs_per_step']:>10,} {r['build_s']:>8.2f} "
            f"{st['median_s'] * 1e3:>9.2f}/{st['min_s'] * 1e3:<9.2f} "
            f"{k['median_s'] * 1e3:>10.3f} "
            f"{r['model_step_per_interaction']['median_s'] * 1e9:>12.0f} "
            f"{r['kernel_per_interaction']['median_s'] * 1e9:>14.1f} "
            f"{r['kernel_pairs_eq_n_per_interaction']['median_s'] * 1e9:>16.1f}"
        )
    nv = result.get("naive")
    if nv:
        print(f"\nnaive Mesa (one agent per person) at {nv['population']:,} people:")
        for s in ("sampled", "sweep"):
            d = nv[s]
            print(
                f"  {s:<8} {d['interactions_per_step']:>7,} interactions/step  "
                f"step {d['step']['median_s'] * 1e3:8.2f} ms  "
                f"{d['per_interaction']['median_s'] * 1e9:8.0f} ns/interaction  "
                f"(build {d['build_s']:.2f} s)"
            )
        r = result["ratios"]
        print("\nratios naive / vectorised (same run):")
        for key, value in r.items():
            if key != "population":
                print(f"  {key:<44} {value:10.1f}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--scenario", type=Path, default=DEFAULT_SCENARIO)
    p.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    p.add_argument("--step", choices=["week", "month"], default="week", help="time step")
    p.add_argument("--seed", type=int, default=2025)
    p.add_argument("--warmup", type=int, default=5, help="model steps before timing")
    p.add_argument("--repeats", type=int, default=5, help="timed batches (median/min)")
    p.add_argument("--steps", type=int, default=20, help="model steps per batch")
    p.add_argument("--kernel-calls", type=int, default=20, help="kernel calls per batch")
    p.add_argument("--naive-size", type=int, default=10_000, help="0 to skip the naive model")
    p.add_argument("--naive-steps", type=int, default=20, help="naive sampled steps per batch")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = p.parse_args(argv)

    sizes = sorted(set(args.sizes) | ({args.naive_size} if args.naive_size else set()))
    rows, naive = [], None
    for n in sizes:
        print(f"timing {n:,} people ...", file=sys.stderr, flush=True)
        row, model = bench_size(args.scenario, n, args)
        rows.append(row)
        if n == args.naive_size:
            print(f"timing naive Mesa at {n:,} people ...", file=sys.stderr, flush=True)
            naive = bench_naive(model, args)
        del model
        gc.collect()

    result: dict[str, Any] = {
        "machine": machine_info(),
        "config": {
            "scenario": str(args.scenario),
            "step": args.step,
            "seed": args.seed,
            "warmup": args.warmup,
            "repeats": args.repeats,
            "steps_per_repeat": args.steps,
            "kernel_calls_per_repeat": args.kernel_calls,
            "naive_steps_per_repeat": args.naive_steps,
        },
        "sizes": rows,
    }
    if naive is not None:
        result["naive"] = naive
        result["ratios"] = ratios(rows, naive)
    print_report(result)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nwritten {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
