"""Per interaction: the project's Deffuant kernel against NDlib's, on the same job.

The job: bounded-confidence (Deffuant) dynamics on a random 10-regular graph of N people,
one sweep = N pair encounters, confidence 0.4 and convergence 0.5 on NDlib's [0, 1]
opinion scale (0.8 and 0.5 on ours, [-1, 1]). NDlib's ``AlgorithmicBiasModel`` with
``gamma = 0`` is Deffuant's model (Sirbu et al. 2019); one of its iterations is one sweep.

NDlib is not a dependency: it runs in a throwaway virtual environment given with
``--ndlib-python`` (create one with ``python3 -m venv /tmp/ndlib-venv &&
/tmp/ndlib-venv/bin/pip install ndlib six scikit-learn``: NDlib 6.0.1 imports both without
declaring them). Both sides are timed in the same run of this
script, interleaved (one batch of each per repeat), each in its own process with the graph
built from the same seed; reported is the median time per interaction and the median of
the within-repeat ratios::

    .venv/bin/python benchmarks/bench_ndlib.py --ndlib-python /tmp/ndlib-venv/bin/python
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Runs in the NDlib environment: build the graph, then time one sweep per line of input.
NDLIB_CHILD = r"""
import sys, time, warnings
warnings.filterwarnings("ignore")
import networkx as nx
import ndlib.models.ModelConfig as mc
import ndlib.models.opinions as op
n, seed = int(sys.argv[1]), int(sys.argv[2])
graph = nx.random_regular_graph(10, n, seed=seed)
model = op.AlgorithmicBiasModel(graph, seed=seed)
config = mc.Configuration()
config.add_model_parameter("epsilon", 0.4)
config.add_model_parameter("mu", 0.5)
config.add_model_parameter("gamma", 0.0)
model.set_initial_status(config)
model.iteration()  # the first iteration only reports the initial state
print("ready", flush=True)
for line in sys.stdin:
    sweeps = int(line)
    started = time.perf_counter()
    for _ in range(sweeps):
        model.iteration()
    print((time.perf_counter() - started) / (sweeps * n), flush=True)
"""

# Runs in the project's environment: the same graph (networkx, same seed) as CSR arrays.
OURS_CHILD = r"""
import sys, time
import networkx as nx
import numpy as np
sys.path.insert(0, sys.argv[3])
from sim.model.dynamics import deffuant_step
n, seed = int(sys.argv[1]), int(sys.argv[2])
graph = nx.random_regular_graph(10, n, seed=seed)
adjacency = nx.to_scipy_sparse_array(graph, format="csr")
indptr, indices = adjacency.indptr.astype(np.int64), adjacency.indices.astype(np.int64)
rng = np.random.default_rng(seed)
x = rng.uniform(-1.0, 1.0, n)
deffuant_step(x, indptr, indices, n, 0.8, 0.5, rng, out=x)  # compile
print("ready", flush=True)
for line in sys.stdin:
    sweeps = int(line)
    started = time.perf_counter()
    for _ in range(sweeps):
        deffuant_step(x, indptr, indices, n, 0.8, 0.5, rng, out=x)
    print((time.perf_counter() - started) / (sweeps * n), flush=True)
"""


def _start(python: str, code: str, *args: str) -> subprocess.Popen:
    proc = subprocess.Popen(
        [python, "-c", code, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    if proc.stdout.readline().strip() != "ready":
        raise SystemExit(f"{python}: the benchmark child did not start")
    return proc


def _ask(proc: subprocess.Popen, sweeps: int) -> float:
    proc.stdin.write(f"{sweeps}\n")
    proc.stdin.flush()
    return float(proc.stdout.readline())


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--ndlib-python", required=True, help="python of an environment with ndlib")
    p.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--ndlib-sweeps", type=int, default=1)
    p.add_argument("--our-sweeps", type=int, default=50)
    p.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "output" / "ndlib.json")
    args = p.parse_args(argv)
    version = subprocess.run(
        [args.ndlib_python, "-c", "import importlib.metadata as m; print(m.version('ndlib'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    report: dict[str, object] = {"ndlib": version, "sizes": {}}
    for n in args.sizes:
        ndlib = _start(args.ndlib_python, NDLIB_CHILD, str(n), "7")
        ours = _start(sys.executable, OURS_CHILD, str(n), "7", str(ROOT))
        times: dict[str, list[float]] = {"ndlib": [], "ours": []}
        for repeat in range(args.repeats):
            times["ndlib"].append(_ask(ndlib, args.ndlib_sweeps))
            times["ours"].append(_ask(ours, args.our_sweeps))
            print(
                f"N={n:,} repeat {repeat + 1}: NDlib {times['ndlib'][-1] * 1e9:,.0f} ns, "
                f"ours {times['ours'][-1] * 1e9:,.1f} ns per interaction",
                file=sys.stderr,
            )
        for proc in (ndlib, ours):
            proc.stdin.close()
            proc.wait()
        ratios = [a / b for a, b in zip(times["ndlib"], times["ours"], strict=True)]
        report["sizes"][str(n)] = {
            "ndlib_ns_per_interaction": 1e9 * statistics.median(times["ndlib"]),
            "ours_ns_per_interaction": 1e9 * statistics.median(times["ours"]),
            "ndlib_over_ours_median_ratio": statistics.median(ratios),
        }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
