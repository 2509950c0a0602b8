"""Time one model step at several population sizes against naive one-agent-per-person Mesa models.

For every size the historical baseline is built with ``audience.population`` overridden, a few
steps are run to warm up, and then

* whole ``InfluenceModel.step()`` calls are timed (funders, intermediaries, grantees, exposure,
  opinion update, peer influence and data collection), and
* the peer kernel alone (:func:`sim.model.dynamics.deffuant_step`) is timed on the model's own
  opinion and CSR arrays with the number of pairs the model draws per step
  (``model.audience.rates.pairs``), and once more with one pair per person (``n_pairs = N``),
  which shows the kernel's marginal cost per interaction once its O(N) fixed costs are spread.

At the ``--naive-sizes`` (10^4 by default) the same network and opinions are also loaded into
naive Mesa models with one ``mesa.Agent`` per person, and their Deffuant steps are timed in the
same process, interleaved with the vectorised timings (one batch of each per repeat, so a change
in machine load hits both and the ratios are taken within a repeat):

* ``sampled``: neighbours as Python lists of agents (from the CSR arrays, no networkx); a Python
  loop over ``n_pairs`` focal people drawn uniformly with replacement, each meeting one random
  neighbour (the same interaction schedule as the vectorised kernel);
* ``sweep``: the same agents, ``model.agents.shuffle_do("interact")``: every person once per
  step in random order (``N`` interactions per step), the usual Mesa idiom;
* ``network``: context only: agents on ``mesa.discrete_space.Network`` cells (built through
  networkx), partners from ``cell.neighborhood.select_random_agent()``, ``sampled`` schedule.

Times are per interaction (seconds / number of pair draws). The headline ratio divides the
faster of the two lean variants (``sampled``, ``sweep``) by the kernel at the model's own number
of pairs, so it is the conservative one.

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
from mesa.discrete_space import Cell, FixedAgent, Network

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))  # fallback when the package is not installed

from sim.model.dynamics import deffuant_step  # noqa: E402
from sim.model.model import InfluenceModel  # noqa: E402
from sim.scenario import load_scenario  # noqa: E402

DEFAULT_SCENARIO = ROOT / "scenarios" / "azerbaijan_2005_2025.yaml"
DEFAULT_OUT = ROOT / "benchmarks" / "output" / "step.json"
#: Largest population for the mesa.discrete_space.Network variant of the naive model.
NETWORK_VARIANT_MAX = 100_000


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


class NetworkPerson(FixedAgent):
    """A person fixed to a cell of a ``mesa.discrete_space.Network``."""

    def __init__(self, model: NetworkDeffuantModel, cell: Cell, opinion: float) -> None:
        super().__init__(model)
        self.cell = cell
        self.opinion = opinion

    def interact(self) -> None:
        """Meet a random agent of the neighbouring cells; compromise if close enough."""
        other = self.cell.neighborhood.select_random_agent(default=None)
        if other is None:
            return
        gap = other.opinion - self.opinion
        if abs(gap) < self.model.confidence:
            shift = self.model.convergence * gap
            self.opinion += shift
            other.opinion -= shift


class NetworkDeffuantModel(mesa.Model):
    """The naive model with Mesa's own network space: context for the lean version above.

    Agents sit on the cells of ``mesa.discrete_space.Network`` (built from the same adjacency
    through networkx) and find partners with ``cell.neighborhood.select_random_agent()``; the
    schedule is the ``sampled`` one.
    """

    def __init__(
        self,
        opinions: np.ndarray,
        adjacency: Any,
        n_pairs: int,
        confidence: float,
        convergence: float,
        seed: int,
    ) -> None:
        import networkx as nx

        super().__init__(rng=seed)
        self.n_pairs = n_pairs
        self.confidence = confidence
        self.convergence = convergence
        graph = nx.from_scipy_sparse_array(adjacency)
        self.space = Network(graph, capacity=1, random=self.random, layout=None)
        cells = {cell.coordinate: cell for cell in self.space.all_cells}
        self.people = [NetworkPerson(self, cells[i], float(x)) for i, x in enumerate(opinions)]

    @property
    def interactions_per_step(self) -> int:
        """Number of focal draws in one ``step()``."""
        return self.n_pairs

    def step(self) -> None:
        """``n_pairs`` sequential interactions of randomly drawn people."""
        for person in self.random.choices(self.people, k=self.n_pairs):
            person.interact()


# ------------------------------------------------------------------------------ timing


def time_interleaved(
    tasks: dict[str, tuple[Callable[[], object], int]], repeats: int
) -> dict[str, list[float]]:
    """Seconds per call of each task, one batch of each per repeat, interleaved.

    ``tasks`` maps a name to ``(fn, calls per batch)``. Every repeat times one batch of every
    task in turn, so a change in machine load hits all of them alike and ratios can be taken
    within a repeat. The garbage collector is off while timing, as in :mod:`timeit`.
    """
    per_call: dict[str, list[float]] = {name: [] for name in tasks}
    gc_was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        for _ in range(repeats):
            for name, (fn, number) in tasks.items():
                t0 = time.perf_counter()
                for _ in range(number):
                    fn()
                per_call[name].append((time.perf_counter() - t0) / number)
    finally:
        if gc_was_enabled:
            gc.enable()
    return per_call


def summary(samples: list[float], interactions: int | None = None) -> dict[str, Any]:
    """Median and min of per-call seconds, and per interaction when ``interactions`` is given."""
    out: dict[str, Any] = {
        "median_s": statistics.median(samples),
        "min_s": min(samples),
        "samples_s": samples,
    }
    if interactions:
        out["per_interaction_median_s"] = out["median_s"] / interactions
        out["per_interaction_min_s"] = out["min_s"] / interactions
    return out


def build_model(scenario_path: Path, population: int, step: str, seed: int) -> InfluenceModel:
    """The baseline scenario at ``population`` people and ``step`` time steps."""
    overrides = [f"audience.population={population}", f"time.step={step}"]
    return InfluenceModel(load_scenario(scenario_path, overrides), seed)


def naive_models(model: InfluenceModel, seed: int, network: bool) -> dict[str, Any]:
    """Naive Mesa models on the network and opinions of ``model``, with build times."""
    a = model.audience
    peer = a.spec.peer
    out: dict[str, Any] = {}
    for schedule in ("sampled", "sweep"):
        t0 = time.perf_counter()
        out[schedule] = NaiveDeffuantModel(
            a.opinion,
            a.indptr,
            a.indices,
            a.rates.pairs,
            peer.confidence,
            peer.convergence,
            seed,
            schedule=schedule,
        )
        out[schedule].build_s = time.perf_counter() - t0
    if network:
        t0 = time.perf_counter()
        out["network"] = NetworkDeffuantModel(
            a.opinion, a.network, a.rates.pairs, peer.confidence, peer.convergence, seed
        )
        out["network"].build_s = time.perf_counter() - t0
    return out


def bench_size(
    scenario_path: Path, population: int, args: argparse.Namespace, naive: bool
) -> dict[str, Any]:
    """Time model steps, the peer kernel and (if ``naive``) the naive models at one size."""
    t0 = time.perf_counter()
    model = build_model(scenario_path, population, args.step, args.seed)
    build_s = time.perf_counter() - t0
    needed = args.warmup + args.repeats * args.steps + 1
    if needed > model.n_steps:
        raise SystemExit(f"warmup + repeats x steps = {needed} exceeds the {model.n_steps} steps")
    for _ in range(args.warmup):
        model.step()

    a = model.audience
    peer = a.spec.peer
    pairs = a.rates.pairs
    x = a.opinion.copy()
    rng = np.random.default_rng(args.seed)

    def kernel(n_pairs: int) -> Callable[[], object]:
        return lambda: deffuant_step(
            x, a.indptr, a.indices, n_pairs, peer.confidence, peer.convergence, rng
        )

    tasks: dict[str, tuple[Callable[[], object], int]] = {
        "model_step": (model.step, args.steps),
        "kernel": (kernel(pairs), args.kernel_calls),
        "kernel_pairs_eq_n": (kernel(population), args.kernel_calls),
    }
    network = args.naive_network and population <= NETWORK_VARIANT_MAX
    naives = naive_models(model, args.seed, network) if naive else {}
    for name, nv in naives.items():
        nv.step()  # warm-up
        # The sweep does N interactions per step: fewer calls keep the batches comparable.
        number = args.naive_steps if nv.interactions_per_step == pairs else 1
        tasks[f"naive_{name}"] = (nv.step, number)
    for fn, _ in tasks.values():
        if fn is not model.step:
            fn()  # warm-up
    samples = time_interleaved(tasks, args.repeats)

    row: dict[str, Any] = {
        "population": population,
        "edges": int(a.indices.size // 2),
        "pairs_per_step": pairs,
        "build_s": build_s,
        "model_step": summary(samples["model_step"], pairs),
        "kernel": summary(samples["kernel"], pairs),
        "kernel_pairs_eq_n": summary(samples["kernel_pairs_eq_n"], population),
    }
    if naives:
        row["naive"] = {
            name: {
                "interactions_per_step": nv.interactions_per_step,
                "build_s": nv.build_s,
                "step": summary(samples[f"naive_{name}"], nv.interactions_per_step),
            }
            for name, nv in naives.items()
        }
        row["ratios"] = ratios(samples, pairs, population, naives)
        for nv in naives.values():
            nv.remove_all_agents()
    return row


def ratios(
    samples: dict[str, list[float]], pairs: int, population: int, naives: dict[str, Any]
) -> dict[str, Any]:
    """Naive / vectorised time per interaction, the median over repeats of within-repeat ratios.

    Keys ``A_over_B`` divide A's time per interaction by B's (how many times faster B is).
    """

    def per(name: str, k: int) -> np.ndarray:
        return np.asarray(samples[name]) / k

    vect = {
        "kernel": per("kernel", pairs),
        "model_step": per("model_step", pairs),
        "kernel_pairs_eq_n": per("kernel_pairs_eq_n", population),
    }
    naive = {name: per(f"naive_{name}", nv.interactions_per_step) for name, nv in naives.items()}
    # The lean naive variants (adjacency lists); the faster one makes the headline.
    lean = np.minimum(naive["sampled"], naive["sweep"])
    out: dict[str, Any] = {
        "headline_naive_lean_over_kernel": float(np.median(lean / vect["kernel"])),
        "naive_lean_over_model_step": float(np.median(lean / vect["model_step"])),
        "naive_lean_over_kernel_pairs_eq_n": float(np.median(lean / vect["kernel_pairs_eq_n"])),
    }
    for name, t in naive.items():
        for vname, v in vect.items():
            out[f"naive_{name}_over_{vname}"] = float(np.median(t / v))
    out["naive_sampled_step_over_model_step"] = float(
        np.median(np.asarray(samples["naive_sampled"]) / np.asarray(samples["model_step"]))
    )
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


def print_report(result: dict[str, Any]) -> None:
    """Print the tables."""
    m = result["machine"]
    print(
        f"\n{m['date_utc']}  {m['cpu_count']} CPUs ({m['cpu']})  Python {m['python']}  "
        f"NumPy {m['numpy']}  Mesa {m['mesa']}  step={result['config']['step']}"
    )
    hdr = (
        f"{'people':>10} {'pairs/step':>10} {'build s':>8} {'step ms med/min':>17} "
        f"{'kernel ms':>10} {'step ns/pair':>12} {'kernel ns/pair':>14} {'kernel@N ns/pair':>16}"
    )
    print(hdr)
    print("-" * len(hdr))
    for r in result["sizes"]:
        st, k, kn = r["model_step"], r["kernel"], r["kernel_pairs_eq_n"]
        print(
            f"{r['population']:>10,} {r['pairs_per_step']:>10,} {r['build_s']:>8.2f} "
            f"{st['median_s'] * 1e3:>8.2f}/{st['min_s'] * 1e3:<8.2f} "
            f"{k['median_s'] * 1e3:>10.3f} "
            f"{st['per_interaction_median_s'] * 1e9:>12.0f} "
            f"{k['per_interaction_median_s'] * 1e9:>14.1f} "
            f"{kn['per_interaction_median_s'] * 1e9:>16.1f}"
        )
    for r in result["sizes"]:
        if "naive" not in r:
            continue
        print(f"\nnaive Mesa (one agent per person) at {r['population']:,} people:")
        for name, d in r["naive"].items():
            print(
                f"  {name:<8} {d['interactions_per_step']:>7,} interactions/step  "
                f"step {d['step']['median_s'] * 1e3:8.2f} ms  "
                f"{d['step']['per_interaction_median_s'] * 1e9:8.0f} ns/interaction  "
                f"(build {d['build_s']:.2f} s)"
            )
        print("ratios of time per interaction, median of within-repeat ratios (same run):")
        for key, value in r["ratios"].items():
            print(f"  {key:<44} {value:10.1f}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--scenario", type=Path, default=DEFAULT_SCENARIO)
    p.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    p.add_argument("--step", choices=["week", "month"], default="week", help="time step")
    p.add_argument("--seed", type=int, default=2025)
    p.add_argument("--warmup", type=int, default=5, help="model steps before timing")
    p.add_argument("--repeats", type=int, default=7, help="timed batches (median/min)")
    p.add_argument("--steps", type=int, default=20, help="model steps per batch")
    p.add_argument("--kernel-calls", type=int, default=20, help="kernel calls per batch")
    p.add_argument(
        "--naive-sizes",
        type=int,
        nargs="*",
        default=[10_000],
        help="sizes at which to time the naive models too (none: skip them)",
    )
    p.add_argument("--naive-steps", type=int, default=20, help="naive sampled steps per batch")
    p.add_argument(
        "--no-naive-network",
        dest="naive_network",
        action="store_false",
        help="skip the mesa.discrete_space.Network variant of the naive model "
        f"(it is only built up to {NETWORK_VARIANT_MAX:,} people: networkx is heavy)",
    )
    p.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = p.parse_args(argv)

    sizes = sorted(set(args.sizes) | set(args.naive_sizes))
    rows = []
    for n in sizes:
        naive = n in args.naive_sizes
        print(f"timing {n:,} people{' and the naive models' if naive else ''} ...", file=sys.stderr)
        rows.append(bench_size(args.scenario, n, args, naive))
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
    print_report(result)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nwritten {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
