"""Influence-operation simulator: money, leakage and the influence it buys.

The public API, for notebooks and scripts::

    from sim import load_scenario, simulate, write_run

    result = simulate(load_scenario("scenarios/azerbaijan_2005_2025.yaml"), seed=1)
    write_run(result, "results/example")
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
    "simulate",
    "write_run",
]
