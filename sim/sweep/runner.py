"""Run a sweep: plan the runs, hand them to an executor, store each one as it finishes.

:func:`run_sweep` does everything; the command line uses the three steps
(:func:`make_executor`, :func:`prepare_sweep`, :func:`execute_sweep`) to show a
progress bar sized from the plan.

Resuming (``resume=True``) reopens the folder, checks that the sweep file and the
base scenario are the ones it was started with, and runs only the runs not stored
yet: a finished run is never repeated and, since a run is stored atomically the
moment it finishes, never lost.

One process at a time writes a sweep folder: :func:`prepare_sweep` takes the folder's
lock (:mod:`sim.locks`) and :func:`execute_sweep` lets it go at the end, so a second
``--resume`` on the same folder is refused with the holder's pid, host and start time.
"""

from __future__ import annotations

import contextlib
import math
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from sim.locks import FolderLock, acquire
from sim.sweep.designs import Design, build_design
from sim.sweep.distributions import column_kind, column_value
from sim.sweep.execute import Executor, LostRun, TimedOut, make_executor
from sim.sweep.load import Sweep
from sim.sweep.manifest import design_table, manifest_for, now_utc
from sim.sweep.metrics import is_reference, resolve_metric
from sim.sweep.seeds import run_seed
from sim.sweep.store import (
    SweepStore,
    SweepStoreError,
    to_json_value,
    trajectories_schema,
)
from sim.sweep.tasks import RunOutcome, RunTask, describe


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C during a sweep; carries the report of what was stored.

    Attributes:
        report: The session's report.
    """

    def __init__(self, report: SweepReport) -> None:
        super().__init__("sweep interrupted")
        self.report = report


@dataclass
class SweepPlan:
    """A sweep ready to run in a folder.

    Attributes:
        sweep: The sweep.
        store: Its results folder.
        design: Its points.
        done: Runs already stored.
        lock: The folder's lock, held until :meth:`release` (which
            :func:`execute_sweep` calls at its end).
    """

    sweep: Sweep
    store: SweepStore
    design: Design
    done: set[int]
    lock: FolderLock | None = None

    def release(self) -> None:
        """Let go of the folder's lock (another process may then write it)."""
        if self.lock is not None:
            self.lock.release()
            self.lock = None

    def __enter__(self) -> SweepPlan:
        return self

    def __exit__(self, *_: object) -> None:
        self.release()

    @property
    def total(self) -> int:
        """All runs of the sweep."""
        return self.design.size * self.sweep.spec.replicates

    @property
    def pending(self) -> int:
        """Runs still to do."""
        return self.total - len(self.done)

    def tasks(self) -> Iterator[RunTask]:
        """The runs not stored yet, in run_id order (generated lazily)."""
        spec = self.sweep.spec
        metrics = tuple(spec.metrics)
        for run_id in range(self.total):
            if run_id in self.done:
                continue
            point, replicate = divmod(run_id, spec.replicates)
            texts = self.sweep.assignments(self.design.values[point])
            yield RunTask(
                run_id=run_id,
                seed=self.seed_of(point, replicate),
                base_doc=self.sweep.base_doc,
                assignments=texts,
                metrics=metrics,
                keep_trajectories=spec.keep_trajectories,
                source=str(self.sweep.base_path),
            )

    def seed_of(self, point: int, replicate: int) -> int:
        """The seed of a run."""
        spec = self.sweep.spec
        return run_seed(spec.seed, point, replicate, common=spec.seeds == "common")


@dataclass
class SweepReport:
    """What one session of a sweep did.

    Attributes:
        out_dir: The results folder.
        executor: Where the runs ran.
        total: Runs in the whole sweep.
        done_before: Runs already stored when the session started.
        ok: Runs of this session stored without error.
        failed: Runs of this session stored with an error.
        lost: Runs whose worker died (not stored; ``--resume`` reruns them).
        interrupted: Whether the session was stopped by Ctrl-C.
        seconds: Wall-clock time of the session.
        stored: Runs stored at the end (from every session).
    """

    out_dir: Path
    executor: str
    total: int
    done_before: int
    ok: int = 0
    failed: int = 0
    lost: list[LostRun] = field(default_factory=list)
    interrupted: bool = False
    seconds: float = 0.0

    @property
    def stored(self) -> int:
        """Runs stored at the end (from every session)."""
        return self.done_before + self.ok + self.failed

    @property
    def complete(self) -> bool:
        """Whether every run of the sweep is stored."""
        return self.stored == self.total


def prepare_sweep(
    sweep: Sweep, out_dir: str | os.PathLike[str], *, resume: bool = False
) -> SweepPlan:
    """Create the results folder, or reopen it to resume.

    Args:
        sweep: The sweep.
        out_dir: The results folder.
        resume: Continue the sweep stored in ``out_dir`` (starts afresh if there is none).

    Returns:
        The plan.

    Raises:
        SweepStoreError: If ``out_dir`` is not empty and ``resume`` is False, or if
            it holds a different sweep.
        LockedError: If another process is writing ``out_dir``.
    """
    out = Path(out_dir)
    design = build_design(sweep.spec)
    table = design_table(sweep, design)
    lock = acquire(out)
    try:
        if resume and SweepStore.is_sweep(out):
            store = SweepStore(out)
            _check_same(store, sweep, table)
            store.remove_temporary()
            return SweepPlan(sweep, store, design, store.completed_run_ids(), lock)
        if out.exists() and any(out.iterdir()):
            what = "a sweep" if SweepStore.is_sweep(out) else "files"
            hint = "; pass --resume to continue it" if SweepStore.is_sweep(out) else ""
            raise SweepStoreError(f"{out} already holds {what}{hint}, or choose another --out")
        store = SweepStore.create(out, _manifest(sweep), table)
        return SweepPlan(sweep, store, design, set(), lock)
    except BaseException:
        lock.release()
        raise


def _manifest(sweep: Sweep) -> dict[str, Any]:
    """The new folder's manifest, even if a ``module:function`` metric cannot be imported.

    Such a metric (it may exist on the workers only) is described as not importable
    here; a run that cannot import it either is stored as failed with the import error.
    """
    failing: dict[str, str] = {}
    for name in sweep.spec.metrics:
        if is_reference(name):
            try:
                resolve_metric(name)
            except ImportError as exc:
                failing[name] = describe(exc)
    if not failing:
        return manifest_for(sweep)
    spec = sweep.spec
    importable = [m for m in spec.metrics if m not in failing]
    reduced = replace(sweep, spec=spec.model_copy(update={"metrics": importable}))
    manifest = manifest_for(reduced)
    manifest["columns"]["metrics"] = list(spec.metrics)
    manifest["spec"] = spec.model_dump(mode="json")
    descriptions = manifest["metric_descriptions"]
    manifest["metric_descriptions"] = {
        m: descriptions.get(m) or f"{m} (not importable where the sweep started: {failing[m]})"
        for m in spec.metrics
    }
    return manifest


#: Spec fields that may change between sessions (they do not change any stored run).
_MAY_CHANGE = ("run_time_limit_s",)


def _check_same(store: SweepStore, sweep: Sweep, table: pa.Table) -> None:
    stored = store.manifest
    spec = {k: v for k, v in stored.get("spec", {}).items() if k not in _MAY_CHANGE}
    fresh = to_json_value(sweep.spec.model_dump(mode="json", exclude=set(_MAY_CHANGE)))
    fresh = _without_new_defaults(fresh, spec)
    if spec != fresh:
        keys = sorted(k for k in fresh if spec.get(k) != fresh[k])
        raise SweepStoreError(
            f"{store.root} holds a different sweep: {', '.join(keys)} differ from "
            f"{sweep.path}; use another --out for a new sweep"
        )
    if stored.get("base_scenario") != to_json_value(sweep.base_doc):
        raise SweepStoreError(
            f"{store.root}: the base scenario {sweep.base_path} has changed since the sweep "
            "started; resuming would mix results of two scenarios"
        )
    if not store.read_design().equals(table):
        raise SweepStoreError(
            f"{store.root}: the design sampled now differs from the stored one (other versions "
            "of SALib or SciPy?); resume with the versions in sweep.json"
        )


def _without_new_defaults(fresh: Any, stored: Any) -> Any:
    """``fresh`` less the empty fields ``stored`` lacks (fields added to the format since).

    A folder written before a field existed (``derived``, a parameter's ``sets``, the
    design's ``path``) records no value for it; the field left empty means the same sweep.
    """
    if not isinstance(fresh, dict) or not isinstance(stored, dict):
        return fresh
    return {
        k: _without_new_defaults(v, stored.get(k))
        for k, v in fresh.items()
        if k in stored or v not in (None, {}, [])
    }


def execute_sweep(
    plan: SweepPlan,
    executor: Executor,
    progress: Callable[[int], object] | None = None,
) -> SweepReport:
    """Run the plan's pending runs on an (entered) executor and store each as it finishes.

    Args:
        plan: From :func:`prepare_sweep`.
        executor: An executor, inside its ``with`` block.
        progress: Called with 1 after each finished run (stored in batches: see
            :mod:`sim.sweep.store`).

    A run that exceeds the sweep's ``run_time_limit_s`` is stopped by the executor and
    stored as failed. The folder's lock (taken by :func:`prepare_sweep`) is released
    at the end, however the session ends.

    Returns:
        The session's report.

    Raises:
        SweepInterrupted: On Ctrl-C (everything finished before it is stored).
    """
    store, spec = plan.store, plan.sweep.spec
    report = SweepReport(store.root, executor.description, plan.total, len(plan.done))
    started, started_utc = time.perf_counter(), now_utc()
    limit = spec.run_time_limit_s
    try:
        outcomes = (
            executor.run(plan.tasks(), time_limit=limit) if limit else executor.run(plan.tasks())
        )
        for outcome in outcomes:
            if isinstance(outcome, TimedOut):
                nan = dict.fromkeys(spec.metrics, math.nan)
                outcome = RunOutcome(outcome.run_id, nan, outcome.reason, outcome.seconds)
            if isinstance(outcome, LostRun):
                report.lost.append(outcome)
                continue
            point, replicate = divmod(outcome.run_id, spec.replicates)
            row = _row(plan, outcome, point, replicate)
            store.write_run(row, _trajectories(outcome, point, replicate))
            if outcome.error is None:
                report.ok += 1
            else:
                report.failed += 1
            if progress is not None:
                progress(1)
    except KeyboardInterrupt:
        report.interrupted = True
    finally:
        # Finish the books even if Ctrl-C is pressed again meanwhile (a few seconds at
        # most); every file is written atomically, so even a kill here loses nothing.
        with _no_interrupts():
            report.seconds = time.perf_counter() - started
            try:
                store.compact()
                store.update_manifest(lambda m: m["sessions"].append(_session(report, started_utc)))
            finally:
                plan.release()
    if report.interrupted:
        raise SweepInterrupted(report)
    return report


def run_sweep(
    sweep: Sweep,
    out_dir: str | os.PathLike[str],
    *,
    workers: int = 1,
    scheduler: str | None = None,
    resume: bool = False,
    progress: Callable[[int], object] | None = None,
) -> SweepReport:
    """Run a sweep and store its results in ``out_dir``.

    Args:
        sweep: From :func:`~sim.sweep.load.load_sweep`.
        out_dir: The results folder (must be new or empty unless ``resume``).
        workers: Local worker processes (1: in this process).
        scheduler: A Dask scheduler's address; runs there instead of locally.
        resume: Continue the sweep stored in ``out_dir``.
        progress: Called with 1 after each stored run.

    Returns:
        The session's report.
    """
    limit = sweep.spec.run_time_limit_s
    with (
        make_executor(workers, scheduler, time_limit=limit) as executor,
        prepare_sweep(sweep, out_dir, resume=resume) as plan,
    ):
        return execute_sweep(plan, executor, progress)


@contextlib.contextmanager
def _no_interrupts() -> Iterator[None]:
    """Ignore SIGINT for the block (in the main thread; elsewhere signals do not arrive)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _row(plan: SweepPlan, outcome: RunOutcome, point: int, replicate: int) -> dict[str, Any]:
    spec = plan.sweep.spec
    row: dict[str, Any] = {
        "run_id": outcome.run_id,
        "point_id": point,
        "replicate": replicate,
        "seed": plan.seed_of(point, replicate),
    }
    values = plan.design.values[point]
    for (name, param), value in zip(spec.parameters.items(), values, strict=True):
        row[name] = column_value(column_kind(param), value)
    row.update(outcome.metrics)
    row["status"] = "ok" if outcome.error is None else "error"
    row["error"] = outcome.error
    row["duration_s"] = outcome.duration_s
    return row


def _trajectories(outcome: RunOutcome, point: int, replicate: int) -> pa.Table | None:
    table = outcome.trajectories
    if table is None:
        return None
    keys = {"run_id": outcome.run_id, "point_id": point, "replicate": replicate}
    schema = trajectories_schema()
    arrays = [
        pa.array(np.full(table.num_rows, keys[f.name], dtype=np.int64))
        if f.name in keys
        else table.column(f.name).cast(f.type)
        for f in schema
    ]
    return pa.Table.from_arrays(arrays, schema=schema)


def _session(report: SweepReport, started_utc: str) -> dict[str, Any]:
    return {
        "started_utc": started_utc,
        "finished_utc": now_utc(),
        "executor": report.executor,
        "stored_before": report.done_before,
        "ok": report.ok,
        "failed": report.failed,
        "lost": len(report.lost),
        "interrupted": report.interrupted,
        "seconds": round(report.seconds, 3),
    }
