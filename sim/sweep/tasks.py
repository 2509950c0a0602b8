"""One run of a sweep, as executed on a worker: build the scenario, simulate, measure.

:func:`run_task` is what every executor calls (in this process, in a local worker
process or on a Dask worker). It never raises for a problem of the run itself: a
scenario that does not validate, a simulation that fails or a metric that raises is
returned as an error with its message, so the sweep records it and carries on.
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass
from typing import Any

import pandas as pd
import pyarrow as pa

from sim.run import simulate
from sim.scenario.errors import ScenarioError
from sim.scenario.loader import validate_document
from sim.scenario.overrides import apply_override
from sim.sweep.metrics import resolve_metric


@dataclass(frozen=True)
class RunTask:
    """Everything a worker needs for one run (picklable, no open files).

    Attributes:
        run_id: The run's number in the sweep.
        seed: The run's seed.
        base_doc: The base scenario document (``set`` already applied).
        assignments: ``path=value`` texts applying the design point's values.
        metrics: Names of the metrics to record.
        keep_trajectories: Whether to return the trajectories table.
        source: The base scenario's file name, for messages.
    """

    run_id: int
    seed: int
    base_doc: dict[str, Any]
    assignments: tuple[str, ...]
    metrics: tuple[str, ...]
    keep_trajectories: bool
    source: str

    def __call__(self) -> RunOutcome:
        """Run this task (see :func:`run_task`): what an executor does on a worker."""
        return run_task(self)


@dataclass(frozen=True)
class RunOutcome:
    """What a run returns to the process that stores results.

    Attributes:
        run_id: The run's number.
        metrics: Metric name -> value (NaN for a metric that could not be computed).
        error: None when the run and every metric succeeded, else what went wrong.
        duration_s: Wall-clock seconds of the run and its metrics.
        trajectories: The trajectories table when kept (converted to Arrow on the worker).
    """

    run_id: int
    metrics: dict[str, float]
    error: str | None
    duration_s: float
    trajectories: pa.Table | None = None


def run_task(task: RunTask) -> RunOutcome:
    """Run one point of a sweep with one seed and compute its metrics.

    Args:
        task: The run.

    Returns:
        The outcome, with an error message instead of an exception if anything failed.
    """
    started = time.perf_counter()
    try:
        doc = copy.deepcopy(task.base_doc)
        problems = [p for text in task.assignments for p in apply_override(doc, text)]
        if problems:
            raise ScenarioError(task.source, problems)
        result = simulate(validate_document(doc, task.source), task.seed)
    except Exception as exc:  # any failure of the run is recorded, not raised
        nan = dict.fromkeys(task.metrics, math.nan)
        return RunOutcome(task.run_id, nan, describe(exc), time.perf_counter() - started)
    values: dict[str, float] = {}
    errors: list[str] = []
    for name in task.metrics:
        try:
            values[name] = float(resolve_metric(name).function(result))
        except Exception as exc:  # one failing metric must not lose the others
            values[name] = math.nan
            errors.append(f"metric {name}: {describe(exc)}")
    return RunOutcome(
        task.run_id,
        values,
        "; ".join(errors) or None,
        time.perf_counter() - started,
        _arrow(result.trajectories) if task.keep_trajectories else None,
    )


def _arrow(df: pd.DataFrame) -> pa.Table:
    return pa.Table.from_pandas(df, preserve_index=False)


def describe(exc: BaseException) -> str:
    """One line naming the exception and its message."""
    text = exc.render() if isinstance(exc, ScenarioError) else str(exc)
    text = " | ".join(line.strip() for line in text.splitlines() if line.strip())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
