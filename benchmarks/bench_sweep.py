"""Sweep throughput and memory: runs per minute, and whether memory stays flat.

Two measurements, both through ``sim.sweep.run_sweep`` (what ``run_sim.py sweep`` calls):

1. **Throughput**: the historical baseline at ``--population`` people (10^4 by default,
   monthly steps, 2005-2025) over a random design of ``--runs`` points (curators'
   integrity and media control), one replicate each, with 1 and with 2 workers
   (1 = in this process; 2 = two local worker processes), then on a Dask
   ``LocalCluster`` with ``--cluster`` workers (1, 2 and 4 by default). Reported: runs
   per minute over the whole call (worker start-up, imports and storing included) and in
   the steady state (from the first finished run to the last), and the overhead per run
   (a worker's time per run beyond the run itself).
2. **Memory**: a sweep of ``--memory-runs`` (1,000) tiny runs (``scenarios/minimal.yaml``
   at 100 people over 6 months, about 20 ms a run) with trajectories kept, on 2
   workers, and the same with a tenth of the runs. A thread samples the resident
   memory (RSS) of this process and of its worker processes every 50 ms; the peak of
   each and the parent's RSS after 10%, 50% and 100% of the runs are reported. Flat
   memory means the 1,000-run peak is no higher than the 100-run one.

Results go to ``benchmarks/output/sweep.json``. Run on an otherwise idle machine::

    .venv/bin/python benchmarks/bench_sweep.py                  # about 3 minutes
    .venv/bin/python benchmarks/bench_sweep.py --runs 8 --memory-runs 200   # quick
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psutil
import yaml

from sim.sweep import SweepStore, load_sweep, run_sweep

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "azerbaijan_2005_2025.yaml"
MINIMAL = ROOT / "scenarios" / "minimal.yaml"
MIB = 2**20


def _write(folder: Path, name: str, doc: dict[str, Any]) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def throughput_sweep(folder: Path, population: int, runs: int) -> Path:
    return _write(
        folder,
        "throughput",
        {
            "name": "throughput",
            "base": str(BASELINE),
            "set": {"audience.population": population},
            "parameters": {
                "intermediaries[*].integrity": {"range": [0.1, 0.9]},
                "host_state.media_control": {"range": [0.2, 0.95]},
            },
            "design": {"type": "random", "samples": runs},
            "replicates": 1,
            "seed": 1,
        },
    )


def memory_sweep(folder: Path, runs: int) -> Path:
    return _write(
        folder,
        f"memory{runs}",
        {
            "name": "memory",
            "base": str(MINIMAL),
            "set": {"audience.population": 100, "time.end": "2020-06-30"},
            "parameters": {
                "intermediaries[*].integrity": {"range": [0.1, 0.9]},
                "host_state.media_control": {"range": [0.0, 1.0]},
            },
            "design": {"type": "random", "samples": runs // 4},
            "replicates": 4,
            "seed": 1,
            "keep_trajectories": True,
        },
    )


class Sampler:
    """Samples the RSS of this process and of its descendants in a thread."""

    def __init__(self, interval: float = 0.05) -> None:
        self.interval = interval
        self.peak_parent = self.peak_children = self.peak_total = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._me = psutil.Process()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.sample()
            time.sleep(self.interval)

    def sample(self) -> int:
        parent = self._me.memory_info().rss
        children = 0
        for child in self._me.children(recursive=True):
            with contextlib.suppress(psutil.Error):  # exited between listing and reading
                children += child.memory_info().rss
        self.peak_parent = max(self.peak_parent, parent)
        self.peak_children = max(self.peak_children, children)
        self.peak_total = max(self.peak_total, parent + children)
        return parent

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def measure_throughput(
    path: Path, workers: int, out: Path, scheduler: str | None = None
) -> dict[str, Any]:
    """Runs per minute (whole call and steady state) and the overhead per run.

    The overhead per run is what a worker spends on a run beyond the run itself (task
    transfer, scheduling, storing), from the steady state: ``workers * 60 / rate`` minus
    the median ``duration_s`` the runs record.
    """
    sweep = load_sweep(path)
    stamps: list[float] = []
    started = time.perf_counter()
    report = run_sweep(
        sweep,
        out,
        workers=workers if scheduler is None else 1,
        scheduler=scheduler,
        progress=lambda _: stamps.append(time.perf_counter()),
    )
    wall = time.perf_counter() - started
    n = report.ok + report.failed
    steady = (n - 1) / (stamps[-1] - stamps[0]) * 60 if n > 1 else float("nan")
    run_s = float(SweepStore(out).read_summary(["duration_s"])["duration_s"].median())
    return {
        "workers": workers,
        "executor": report.executor,
        "runs": n,
        "failed": report.failed,
        "wall_s": round(wall, 2),
        "first_result_s": round(stamps[0] - started, 2),
        "runs_per_minute": round(n / wall * 60, 1),
        "steady_runs_per_minute": round(steady, 1),
        "median_run_s": round(run_s, 4),
        "overhead_per_run_ms": round(1e3 * (workers * 60 / steady - run_s), 1),
    }


def measure_cluster(path: Path, workers: int, out: Path) -> dict[str, Any]:
    """The same sweep on a Dask ``LocalCluster`` of ``workers`` processes, one thread each."""
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:
        return measure_throughput(path, workers, out, scheduler=cluster.scheduler_address)


def measure_memory(path: Path, out: Path) -> dict[str, Any]:
    sweep = load_sweep(path)
    total = sweep.runs
    checkpoints = {max(1, total // 10): "10%", total // 2: "50%", total: "100%"}
    parent_at: dict[str, float] = {}
    done = 0
    with Sampler() as sampler:

        def progress(_: int) -> None:
            nonlocal done
            done += 1
            if done in checkpoints:
                parent_at[checkpoints[done]] = round(sampler.sample() / MIB, 1)

        started = time.perf_counter()
        report = run_sweep(sweep, out, workers=2, progress=progress)
        wall = time.perf_counter() - started
    files = sum(1 for _ in out.rglob("*.parquet"))
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    return {
        "runs": report.ok + report.failed,
        "failed": report.failed,
        "wall_s": round(wall, 1),
        "runs_per_minute": round((report.ok + report.failed) / wall * 60, 1),
        "peak_parent_mib": round(sampler.peak_parent / MIB, 1),
        "peak_children_mib": round(sampler.peak_children / MIB, 1),
        "peak_total_mib": round(sampler.peak_total / MIB, 1),
        "parent_mib_after": parent_at,
        "parquet_files": files,
        "folder_mib": round(size / MIB, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--population", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=24, help="throughput runs per measurement")
    parser.add_argument("--memory-runs", type=int, default=1000)
    parser.add_argument(
        "--cluster",
        type=int,
        nargs="*",
        default=[1, 2, 4],
        help="also on a Dask LocalCluster with these numbers of workers (none: skip)",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "output" / "sweep.json")
    args = parser.parse_args()

    result: dict[str, Any] = {
        "date": dt.date.today().isoformat(),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        },
        "throughput": {"population": args.population, "scenario": BASELINE.name},
        "memory": {"scenario": "minimal.yaml at 100 people, 2020-01..2020-06, trajectories kept"},
    }
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = throughput_sweep(folder, args.population, args.runs)
        for workers in (1, 2):
            found = measure_throughput(path, workers, folder / f"throughput-{workers}")
            print(f"throughput, {workers} worker(s): {found}", flush=True)
            result["throughput"][f"workers_{workers}"] = found
        for workers in args.cluster:
            found = measure_cluster(path, workers, folder / f"dask-{workers}")
            print(f"throughput, Dask LocalCluster, {workers} worker(s): {found}", flush=True)
            result["throughput"][f"dask_{workers}"] = found
        for runs in (args.memory_runs // 10, args.memory_runs):
            found = measure_memory(memory_sweep(folder, runs), folder / f"memory-{runs}")
            print(f"memory, {runs} runs: {found}", flush=True)
            result["memory"][f"runs_{runs}"] = found
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"written: {args.out}")


if __name__ == "__main__":
    main()
