"""What a new sweep folder records: its manifest and its design table."""

from __future__ import annotations

import datetime as dt
from importlib import metadata
from typing import Any

import pyarrow as pa

from sim.output import git_commit, versions
from sim.sweep.designs import Design
from sim.sweep.distributions import column_kind, column_value
from sim.sweep.load import Sweep
from sim.sweep.metrics import resolve_metric
from sim.sweep.store import FORMAT, design_schema, to_json_value

_EXTRA_PACKAGES = ("pyarrow", "SALib", "dask", "distributed")


def manifest_for(sweep: Sweep) -> dict[str, Any]:
    """The manifest of a new sweep folder."""
    spec = sweep.spec
    kinds = {name: column_kind(p) for name, p in spec.parameters.items()}
    found = versions()
    for name in _EXTRA_PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return {
        "format": FORMAT,
        "name": spec.name,
        "description": spec.description,
        "sweep_file": str(sweep.path),
        "base_file": str(sweep.base_path),
        "design": {
            "type": spec.design.type,
            "points": sweep.points,
            "replicates": spec.replicates,
            "runs": sweep.runs,
        },
        "columns": {"parameters": kinds, "metrics": list(spec.metrics)},
        "metric_descriptions": {m: resolve_metric(m).description for m in spec.metrics},
        "created_utc": now_utc(),
        "versions": found,
        "git_commit": git_commit(),
        "spec": spec.model_dump(mode="json"),
        "base_scenario": to_json_value(sweep.base_doc),
        "sessions": [],
    }


def design_table(sweep: Sweep, design: Design) -> pa.Table:
    """The design as a table: point_id, the values as stored, the unit coordinates."""
    kinds = {name: column_kind(p) for name, p in sweep.spec.parameters.items()}
    columns: dict[str, list[Any]] = {"point_id": list(range(design.size))}
    for j, name in enumerate(design.names):
        columns[name] = [column_value(kinds[name], point[j]) for point in design.values]
    for j, name in enumerate(design.names):
        columns[f"unit:{name}"] = [float(u) for u in design.unit[:, j]]
    return pa.table(columns, schema=design_schema(kinds))


def now_utc() -> str:
    """The current time, UTC, to the second, as ISO text."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
