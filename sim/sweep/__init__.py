"""Scenario sweeps: many runs over a design of parameter values, stored as Parquet.

From Python::

    from sim.sweep import load_sweep, run_sweep, aggregate, sensitivity

    sweep = load_sweep("scenarios/sweeps/baseline_sobol.yaml")
    run_sweep(sweep, "results/sweep-baseline_sobol", workers=2)
    print(sensitivity("results/sweep-baseline_sobol", "mean_attributable_opinion"))

Modules: ``spec`` (the file format), ``load`` (reading and checking a file),
``links`` and ``expressions`` (linked and derived parameters, and their safe expression
language), ``points`` (external designs from a CSV file),
``distributions`` and ``designs`` (which points), ``seeds`` (reproducible seeds),
``metrics`` (what is recorded per run), ``tasks`` (one run on a worker), ``execute``
(local and Dask executors), ``store`` (the Parquet folder), ``manifest`` (what a new
folder records), ``runner`` (putting them together, resume included),
``analysis`` (replicate summaries, Sobol', Morris and RBD-FAST) and ``discovery``
(PRIM, a classification tree and feature scores for a condition; optional extra
``analysis``).
"""

from sim.sweep.analysis import aggregate, sensitivity
from sim.sweep.discovery import Discovery, DiscoveryError, discover
from sim.sweep.execute import ExecutorError, make_executor
from sim.sweep.load import Sweep, load_sweep
from sim.sweep.metrics import METRICS, register_metric
from sim.sweep.runner import (
    SweepInterrupted,
    SweepReport,
    execute_sweep,
    prepare_sweep,
    run_sweep,
)
from sim.sweep.store import SweepStore, SweepStoreError

__all__ = [
    "METRICS",
    "Discovery",
    "DiscoveryError",
    "ExecutorError",
    "Sweep",
    "SweepInterrupted",
    "SweepReport",
    "SweepStore",
    "SweepStoreError",
    "aggregate",
    "discover",
    "execute_sweep",
    "load_sweep",
    "make_executor",
    "prepare_sweep",
    "register_metric",
    "run_sweep",
    "sensitivity",
]
