"""Metrics and sweep files for the sweep tests, importable by worker processes.

The sweep files name these metrics as ``tests.sweep_helpers:<function>``, so that
local worker processes and Dask workers import them as they would a user's own.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import yaml

from sim.run import RunResult
from sim.sweep.store import SUMMARY

ROOT = Path(__file__).resolve().parent.parent
MINIMAL = ROOT / "scenarios" / "minimal.yaml"
#: A tiny version of the minimal scenario: about 20 ms a run.
TINY = {"audience.population": 100, "time.end": "2020-06-30"}


def write_sweep(folder: Path, name: str = "sweep.yaml", **fields: Any) -> Path:
    """Write a sweep file on the tiny minimal scenario; ``fields`` replace the defaults."""
    doc: dict[str, Any] = {
        "name": "test sweep",
        "base": str(MINIMAL),
        "set": dict(TINY),
        "parameters": {
            "intermediaries[*].integrity": {"range": [0.2, 0.8], "levels": 2},
            "host_state.media_control": {"values": [0.1, 0.9]},
        },
        "design": "grid",
        "replicates": 2,
        "seed": 11,
        "metrics": ["final_opinion", "share_leaked", "mean_attributable_opinion"],
    }
    doc.update(fields)
    path = folder / name
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def slow_share_leaked(result: RunResult) -> float:
    """share_leaked, after a pause, so that a test can interrupt a sweep mid-way."""
    time.sleep(0.1)
    return result.money.leaked / result.money.disbursed


def fails_when_open(result: RunResult) -> float:
    """Raises for scenarios with little media control; else the media control."""
    control = result.scenario.host_state.media_control
    if control < 0.5:
        raise ValueError(f"deliberate failure at media_control={control}")
    return control


def media_control_only(result: RunResult) -> float:
    """A synthetic outcome that depends on host_state.media_control and nothing else."""
    control = result.scenario.host_state.media_control
    return control**2 + 0.5 * control


def committed_runs(out: Path) -> int:
    """Runs a sweep folder holds on disk (committed in batch files: see sim.sweep.store)."""
    folder = out / SUMMARY
    files = sorted(folder.glob("[!._]*.parquet")) if folder.is_dir() else []
    return sum(pq.read_metadata(f).num_rows for f in files)


def media_control_at_start(result: RunResult) -> float:
    """The host state's media control the run started with."""
    return result.scenario.host_state.media_control


def media_control_after_shocks(result: RunResult) -> float:
    """The media control the run's last host-policy shock applied (from its events)."""
    applied = [
        float(detail.split("media_control=")[1].split()[0])
        for detail in result.events["detail"]
        if detail.startswith("host policy:") and "media_control=" in detail
    ]
    return applied[-1] if applied else math.nan


def ranked_outcome(result: RunResult) -> float:
    """A synthetic outcome with a known ranking of its inputs.

    ``4 x integrity + 2 x media_control^2``, ignoring everything else: first-order
    indices (uniform inputs on [0, 1]) about 0.79 for the curators' integrity, 0.21 for
    media control and 0 for any other parameter.
    """
    integrity = result.scenario.intermediaries[0].integrity
    control = result.scenario.host_state.media_control
    return 4 * integrity + 2 * control**2


def boxed_outcome(result: RunResult) -> float:
    """1 inside a known box (curators' integrity > 0.6 and media control < 0.3), else 0."""
    integrity = result.scenario.intermediaries[0].integrity
    control = result.scenario.host_state.media_control
    return 1.0 if integrity > 0.6 and control < 0.3 else 0.0


def noisy_boxed_outcome(result: RunResult) -> float:
    """:func:`boxed_outcome`, or else 1 for about one run in five, by chance.

    The chance is a hash of the point's parameter values (not of the model's output,
    so it does not move when the model's arithmetic does), so that PRIM, peeling
    through the noise, nicks parameters that do not matter.
    """
    if boxed_outcome(result):
        return 1.0
    s = result.scenario
    key = s.intermediaries[0].integrity * 12.9898 + s.host_state.media_control * 78.233
    noise = math.sin(key + s.ngos[0].integrity * 37.719) * 43758.5453 % 1.0
    return 1.0 if noise < 0.2 else 0.0
