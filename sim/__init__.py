"""Influence-operation simulator: money, leakage and the influence it buys.

The public API, for notebooks and scripts::

    from sim import load_scenario, simulate, write_run

    result = simulate(load_scenario("scenarios/azerbaijan_2005_2025.yaml"), seed=1)
    write_run(result, "results/example")

:func:`run_comparison` (from :mod:`sim.compare`) runs several scenarios N times each,
in this process, on local worker processes or on a Dask cluster, and saves them as a
comparison folder; it is imported on first use, so ``import sim`` stays light.
"""

from sim.model.ledger import BooksUnbalancedError
from sim.model.model import InfluenceModel
from sim.output import read_run, write_run
from sim.run import RunResult, simulate
from sim.scenario import Scenario, ScenarioError, load_scenario

__all__ = [
    "BooksUnbalancedError",
    "InfluenceModel",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "load_scenario",
    "read_run",
    "run_comparison",
    "simulate",
    "write_run",
]


def __getattr__(name: str) -> object:
    """Import :func:`sim.compare.run_comparison` on first use (it needs the dashboards)."""
    if name == "run_comparison":
        from sim.compare import run_comparison

        return run_comparison
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
