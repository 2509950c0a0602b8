"""A sweep's results on disk: a Parquet dataset written one run at a time, atomically.

Layout of a sweep folder::

    sweep.json              the manifest: resolved spec and base scenario, columns,
                            versions, git commit, one record per session
    design.parquet          one row per design point: point_id, parameter values,
                            and the unit-cube coordinates the design sampled
    summary/*.parquet       one row per finished run: run_id, point_id, replicate, seed,
                            parameter values, metrics, status, error, duration_s
    trajectories/*.parquet  (only when kept) one row per run and step

Finished runs are kept in memory and committed in batches: when ``BATCH_RUNS`` have
accumulated, ``BATCH_SECONDS`` after the first run of a batch finished (a timer, so a
finished run is on disk within seconds even while the next runs take hours), and at the
end of a session (Ctrl-C included). A commit writes one ``batch-*.parquet`` per table to a hidden
temporary file and renames it into place (``os.replace``, atomic), so a file is either
complete or absent whatever happens to the process; a process killed outright loses at
most the runs since the last commit (a couple of seconds of work), which ``--resume``
runs again with the same seeds, hence the same results. At the end of a session the
session's batch files are merged into one. Older sweeps stored one file per run
(``run-<run_id>.parquet``); they are still read. Should a run be stored twice (a crash
between writing a merged file and deleting its parts), readers keep one copy (the rows
are identical). Files whose names start with '.' or '_' are not part of the dataset,
which is how pyarrow, polars and R's arrow read it by default.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import threading
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.parquet as pq

from sim.atomic import atomic_directory, atomic_file
from sim.run import TRAJECTORY_COLUMNS

MANIFEST = "sweep.json"
DESIGN = "design.parquet"
SUMMARY = "summary"
TRAJECTORIES = "trajectories"
FORMAT = "influence-sim sweep 1"
#: Columns every summary row has besides parameters and metrics.
KEY_COLUMNS = ("run_id", "point_id", "replicate", "seed")
STATUS_COLUMNS = ("status", "error", "duration_s")

#: A commit happens when this many runs are waiting, or this many seconds after the first.
BATCH_RUNS = 500
BATCH_SECONDS = 2.0

_RUN_FILE = re.compile(r"^run-(\d+)\.parquet$")
_BATCH_FILE = re.compile(r"^batch-[0-9a-f]+\.parquet$")
_KIND_TYPES = {"float": pa.float64(), "int": pa.int64(), "bool": pa.bool_(), "string": pa.string()}


class SweepStoreError(Exception):
    """A folder that cannot hold (or does not hold) the sweep asked for."""


def summary_schema(parameters: dict[str, str], metrics: Iterable[str]) -> pa.Schema:
    """The summary table's schema.

    Args:
        parameters: Parameter name -> storage kind ('float', 'int', 'bool', 'string').
        metrics: Metric names.

    Returns:
        The Arrow schema.
    """
    return pa.schema(
        [(c, pa.int64()) for c in KEY_COLUMNS]
        + [(name, _KIND_TYPES[kind]) for name, kind in parameters.items()]
        + [(m, pa.float64()) for m in metrics]
        + [("status", pa.string()), ("error", pa.string()), ("duration_s", pa.float64())]
    )


def trajectories_schema() -> pa.Schema:
    """The trajectories table's schema: the run's keys, then ``TRAJECTORY_COLUMNS``."""
    types = {"step": pa.int64(), "date": pa.string()}
    return pa.schema(
        [(c, pa.int64()) for c in ("run_id", "point_id", "replicate")]
        + [(c, types.get(c, pa.float64())) for c in TRAJECTORY_COLUMNS]
    )


def design_schema(parameters: dict[str, str]) -> pa.Schema:
    """The design table's schema: point_id, the values, then ``unit:<name>`` coordinates."""
    return pa.schema(
        [("point_id", pa.int64())]
        + [(name, _KIND_TYPES[kind]) for name, kind in parameters.items()]
        + [(f"unit:{name}", pa.float64()) for name in parameters]
    )


def write_jsonatomic_file(path: Path, data: dict[str, Any]) -> None:
    """Write JSON to ``path`` through a temporary file and a rename."""
    atomic_file(path, lambda tmp: tmp.write_text(_dumps(data), encoding="utf-8"))


def to_json_value(data: Any) -> Any:
    """``data`` as plain JSON values (dates as ISO text), as it reads back from JSON."""
    return json.loads(_dumps(data))


def _dumps(data: Any) -> str:
    return json.dumps(data, indent=2, default=_json_default, allow_nan=True) + "\n"


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


class SweepStore:
    """The results folder of one sweep.

    Attributes:
        root: The folder.
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        *,
        batch_runs: int = BATCH_RUNS,
        batch_seconds: float = BATCH_SECONDS,
    ) -> None:
        self.root = Path(root)
        self._manifest: dict[str, Any] | None = None
        self.batch_runs, self.batch_seconds = batch_runs, batch_seconds
        self._rows: list[dict[str, Any]] = []  # finished runs not yet committed
        self._trajectories: list[pa.Table] = []
        self._session_files: list[str] = []  # batch files this session committed
        # The timer commits from its own thread; the lock keeps commits one at a time.
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._timer_error: BaseException | None = None

    # -- creating and opening --------------------------------------------------------------
    @classmethod
    def create(
        cls, root: str | os.PathLike[str], manifest: dict[str, Any], design: pa.Table
    ) -> SweepStore:
        """Create the folder with its manifest and design, all at once.

        Everything is written into a hidden temporary folder renamed to ``root`` at
        the end, so an interrupted start leaves no half-made sweep folder.

        Args:
            root: The folder; it must not exist, or be empty.
            manifest: The manifest (``columns`` must list parameters and metrics).
            design: The design table.

        Returns:
            The store.
        """
        root = Path(root)
        if root.exists() and any(root.iterdir()):
            raise SweepStoreError(f"{root} exists and is not empty")
        with atomic_directory(root, MANIFEST) as tmp:
            (tmp / SUMMARY).mkdir()
            if manifest.get("spec", {}).get("keep_trajectories"):
                (tmp / TRAJECTORIES).mkdir()
            pq.write_table(design, tmp / DESIGN)
            (tmp / MANIFEST).write_text(_dumps(manifest), encoding="utf-8")
        return cls(root)

    @staticmethod
    def is_sweep(root: str | os.PathLike[str]) -> bool:
        """Whether ``root`` holds a sweep (has a manifest)."""
        return (Path(root) / MANIFEST).is_file()

    @property
    def manifest(self) -> dict[str, Any]:
        """The manifest (read once)."""
        if self._manifest is None:
            path = self.root / MANIFEST
            if not path.is_file():
                raise SweepStoreError(f"{self.root} is not a sweep folder (no {MANIFEST})")
            self._manifest = json.loads(path.read_text(encoding="utf-8"))
            if self._manifest.get("format") != FORMAT:
                raise SweepStoreError(f"{path}: not a sweep manifest of format '{FORMAT}'")
        return self._manifest

    def update_manifest(self, change: Callable[[dict[str, Any]], None]) -> None:
        """Apply ``change`` to the manifest and rewrite it atomically."""
        manifest = self.manifest
        change(manifest)
        write_jsonatomic_file(self.root / MANIFEST, manifest)

    @property
    def parameter_kinds(self) -> dict[str, str]:
        """Parameter name -> storage kind."""
        return dict(self.manifest["columns"]["parameters"])

    @property
    def metrics(self) -> list[str]:
        """Metric names, in the order recorded."""
        return list(self.manifest["columns"]["metrics"])

    @property
    def schema(self) -> pa.Schema:
        """The summary table's schema."""
        return summary_schema(self.parameter_kinds, self.metrics)

    def remove_temporary(self) -> int:
        """Delete temporary files left by an interrupted session; return how many."""
        gone = 0
        for folder in (self.root, self.root / SUMMARY, self.root / TRAJECTORIES):
            if not folder.is_dir():
                continue
            for path in folder.glob(".*.partial"):
                path.unlink(missing_ok=True)
                gone += 1
        return gone

    # -- writing ---------------------------------------------------------------------------
    def write_run(self, row: dict[str, Any], trajectories: pa.Table | None = None) -> None:
        """Add one finished run; it is committed with its batch (see the module).

        Args:
            row: The summary row (every column of :attr:`schema`).
            trajectories: The run's trajectories, with :func:`trajectories_schema`.

        Raises:
            OSError: If the timer's last commit failed (the runs stay held).
        """
        with self._lock:
            self._raise_timer_error()
            self._rows.append(row)
            if trajectories is not None:
                self._trajectories.append(trajectories)
            if len(self._rows) >= self.batch_runs:
                self._commit()
            elif self._timer is None:
                self._timer = threading.Timer(self.batch_seconds, self._commit_from_timer)
                self._timer.daemon = True
                self._timer.start()

    @property
    def uncommitted(self) -> int:
        """Finished runs held in memory, not yet on disk."""
        return len(self._rows)

    def commit(self) -> None:
        """Write the runs held in memory now (see :meth:`_commit`)."""
        with self._lock:
            self._raise_timer_error()
            self._commit()

    def _commit_from_timer(self) -> None:
        with self._lock:
            try:
                self._commit()
            except BaseException as exc:  # reported by the next write_run or commit
                self._timer_error = exc

    def _raise_timer_error(self) -> None:
        error, self._timer_error = self._timer_error, None
        if error is not None:
            raise error

    def _commit(self) -> None:
        """Trajectories first, then the summary rows (hold the lock).

        The summary file is what marks the runs as done, so a crash between the two
        leaves trajectories that readers ignore (they read only runs in the summary) and
        the next session writes again.
        """
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._rows:
            return
        name = f"batch-{uuid.uuid4().hex[:16]}.parquet"
        if self._trajectories:
            (self.root / TRAJECTORIES).mkdir(exist_ok=True)
            table = pa.concat_tables(self._trajectories)
            atomic_file(self.root / TRAJECTORIES / name, lambda p: pq.write_table(table, p))
        rows = pa.Table.from_pylist(self._rows, schema=self.schema)
        atomic_file(self.root / SUMMARY / name, lambda p: pq.write_table(rows, p))
        self._session_files.append(name)
        self._rows, self._trajectories = [], []

    def compact(self) -> None:
        """Commit what is held, then merge this session's batch files into one per table.

        Single-run files left by older versions are merged too; the parts are deleted.
        """
        self.commit()
        parts = set(self._session_files)
        self._compact(self.root / SUMMARY, self.schema, parts, in_memory=True)
        self._compact(self.root / TRAJECTORIES, trajectories_schema(), parts, in_memory=False)
        self._session_files = []

    @staticmethod
    def _compact(folder: Path, schema: pa.Schema, parts: set[str], *, in_memory: bool) -> None:
        if not folder.is_dir():  # trajectories not kept
            return
        merge = sorted(p for p in folder.iterdir() if p.name in parts or _RUN_FILE.match(p.name))
        if len(merge) < 2:
            return
        target = folder / f"batch-{uuid.uuid4().hex[:16]}.parquet"
        if in_memory:  # summary rows: small; one sorted row group reads fastest
            table = pa.concat_tables([pq.read_table(p, schema=schema) for p in merge])
            atomic_file(target, lambda t: pq.write_table(table.sort_by("run_id"), t))
        else:  # trajectories: streamed, one file at a time, so memory stays flat

            def stream(tmp: Path) -> None:
                with pq.ParquetWriter(tmp, schema) as writer:
                    for p in merge:
                        writer.write_table(pq.read_table(p, schema=schema))

            atomic_file(target, stream)
        for p in merge:
            p.unlink()

    # -- reading ---------------------------------------------------------------------------
    def completed_run_ids(self) -> set[int]:
        """Ids of the runs stored (finished, successfully or with an error)."""
        done: set[int] = set()
        for path in (self.root / SUMMARY).iterdir():
            m = _RUN_FILE.match(path.name)
            if m:
                done.add(int(m.group(1)))
            elif _BATCH_FILE.match(path.name):
                done.update(pq.read_table(path, columns=["run_id"])["run_id"].to_pylist())
        return done

    def read_design(self) -> pa.Table:
        """The design table."""
        return pq.read_table(self.root / DESIGN)

    def read_summary(self, columns: list[str] | None = None) -> pd.DataFrame:
        """The summary table, one row per stored run, sorted by run_id.

        Args:
            columns: Columns to read (``run_id`` is always included); all by default.

        Returns:
            The rows.
        """
        if columns is not None and "run_id" not in columns:
            columns = ["run_id", *columns]
        table = pads.dataset(self.root / SUMMARY, format="parquet", schema=self.schema).to_table(
            columns=columns
        )
        df = table.to_pandas()
        return df.drop_duplicates("run_id").sort_values("run_id", ignore_index=True)

    def read_trajectories(
        self, columns: list[str] | None = None, run_ids: Iterable[int] | None = None
    ) -> pd.DataFrame:
        """The trajectories of stored runs, sorted by run and step.

        Args:
            columns: Columns to read (``run_id`` and ``step`` always included); all by default.
            run_ids: Only these runs; all stored runs by default.

        Returns:
            One row per run and step (empty when trajectories were not kept).
        """
        if columns is not None:
            columns = ["run_id", "step", *(c for c in columns if c not in ("run_id", "step"))]
        if not (self.root / TRAJECTORIES).is_dir():  # not kept
            empty = trajectories_schema().empty_table().to_pandas()
            return empty if columns is None else empty[columns]
        wanted = self.completed_run_ids() if run_ids is None else set(run_ids)
        dataset = pads.dataset(
            self.root / TRAJECTORIES, format="parquet", schema=trajectories_schema()
        )
        table = dataset.to_table(
            columns=columns, filter=pads.field("run_id").isin(pa.array(sorted(wanted), pa.int64()))
        )
        df = table.to_pandas()
        return df.drop_duplicates(["run_id", "step"]).sort_values(
            ["run_id", "step"], ignore_index=True
        )
