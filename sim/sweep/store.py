"""A sweep's results on disk: a Parquet dataset written one run at a time, atomically.

Layout of a sweep folder::

    sweep.json              the manifest: resolved spec and base scenario, columns,
                            versions, git commit, one record per session
    design.parquet          one row per design point: point_id, parameter values,
                            and the unit-cube coordinates the design sampled
    summary/*.parquet       one row per finished run: run_id, point_id, replicate, seed,
                            parameter values, metrics, status, error, duration_s
    trajectories/*.parquet  (only when kept) one row per run and step

Each finished run is written to a hidden temporary file and renamed into place
(``os.replace``, atomic), so a file is either complete or absent whatever happens
to the process. Runs are first written one file each (``run-<run_id>.parquet``);
every few hundred runs, and at the end of a session, those files are merged into
one ``batch-*.parquet`` and then deleted. A crash between the two leaves a run in
both; readers keep one copy (the rows are identical), so nothing is lost or
counted twice. Files whose names start with '.' or '_' are not part of the dataset,
which is how pyarrow, polars and R's arrow read it by default.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
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

_RUN_FILE = re.compile(r"^run-(\d+)\.parquet$")
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

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self._manifest: dict[str, Any] | None = None
        self.singles = 0  # run files not yet merged into a batch (this session's count)

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
        """Store one finished run: its trajectories (if any) first, then its summary row.

        The summary file is what marks the run as done, so a crash between the two
        leaves trajectories that the next session overwrites.

        Args:
            row: The summary row (every column of :attr:`schema`).
            trajectories: The run's trajectories, with :func:`trajectories_schema`.
        """
        name = f"run-{row['run_id']:09d}.parquet"
        if trajectories is not None:
            (self.root / TRAJECTORIES).mkdir(exist_ok=True)
            atomic_file(self.root / TRAJECTORIES / name, lambda p: pq.write_table(trajectories, p))
        table = pa.Table.from_pylist([row], schema=self.schema)
        atomic_file(self.root / SUMMARY / name, lambda p: pq.write_table(table, p))
        self.singles += 1

    def compact(self) -> None:
        """Merge the single-run files into one batch file per table, then delete them."""
        self._compact(self.root / SUMMARY, self.schema, in_memory=True)
        self._compact(self.root / TRAJECTORIES, trajectories_schema(), in_memory=False)
        self.singles = 0

    @staticmethod
    def _compact(folder: Path, schema: pa.Schema, *, in_memory: bool) -> None:
        if not folder.is_dir():  # trajectories not kept
            return
        singles = sorted(p for p in folder.iterdir() if _RUN_FILE.match(p.name))
        if len(singles) < 2:
            return
        target = folder / f"batch-{uuid.uuid4().hex[:16]}.parquet"
        if in_memory:  # summary rows: small; one sorted row group reads fastest
            table = pa.concat_tables([pq.read_table(p, schema=schema) for p in singles])
            atomic_file(target, lambda t: pq.write_table(table.sort_by("run_id"), t))
        else:  # trajectories: streamed, one run at a time, so memory stays flat

            def stream(tmp: Path) -> None:
                with pq.ParquetWriter(tmp, schema) as writer:
                    for p in singles:
                        writer.write_table(pq.read_table(p, schema=schema))

            atomic_file(target, stream)
        for p in singles:
            p.unlink()

    # -- reading ---------------------------------------------------------------------------
    def completed_run_ids(self) -> set[int]:
        """Ids of the runs stored (finished, successfully or with an error)."""
        done: set[int] = set()
        for path in (self.root / SUMMARY).iterdir():
            m = _RUN_FILE.match(path.name)
            if m:
                done.add(int(m.group(1)))
            elif path.name.startswith("batch-") and path.suffix == ".parquet":
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
