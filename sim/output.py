"""Write a run's results to a folder, atomically, and read them back.

Files: ``trajectories.csv``, ``segments.csv``, ``outlets.csv``, ``ledger.csv``,
``events.csv`` and ``manifest.json``. Everything is written into a hidden temporary
folder beside the target and renamed into place at the end, so an interrupted run
never leaves a folder that looks complete.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path

import pandas as pd

from sim.atomic import atomic_directory
from sim.money import cents_to_text
from sim.run import RunResult

TABLES = ("trajectories", "segments", "outlets", "ledger", "events")
MANIFEST = "manifest.json"
#: Floats are written with 12 significant digits: stable bytes for the same seed.
FLOAT_FORMAT = "%.12g"
_PACKAGES = (
    "mesa",
    "numpy",
    "scipy",
    "pandas",
    "pyarrow",
    "pydantic",
    "networkx",
    "plotly",
    "kaleido",
    "influence-sim",
)


def versions() -> dict[str, str]:
    """Versions of Python and the key libraries."""
    found = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def git_commit(where: Path | None = None) -> str:
    """The git commit of the project checkout (with '+dirty' if modified), or 'unknown'."""
    where = where or Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=where, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=where,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


def manifest(result: RunResult, source: str | None = None) -> dict[str, object]:
    """The manifest of a run: resolved scenario, seed, versions, commit, time, money."""
    return {
        "scenario_name": result.scenario.name,
        "scenario_file": source,
        "seed": result.seed,
        "steps": len(result.trajectories),
        "created_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "run_seconds": round(result.seconds, 3),
        "versions": versions(),
        "git_commit": git_commit(),
        "books_balance": result.books_balance,
        "money": result.money_usd(),
        "final": {
            k: float(result.trajectories[k].iloc[-1])
            for k in (
                "opinion_mean",
                "favourable_share",
                "attributable_opinion",
                "attributable_favourable_share",
                "reported_influence",
            )
        },
        "scenario": result.scenario.model_dump(mode="json"),
    }


def ledger_table(ledger: pd.DataFrame) -> pd.DataFrame:
    """The ledger as written: integer cents become exact decimal text in ``amount_usd``."""
    out = ledger.copy()
    out.insert(out.columns.get_loc("cents"), "amount_usd", [cents_to_text(c) for c in out["cents"]])
    return out.drop(columns="cents")


def write_run(
    result: RunResult, out_dir: str | os.PathLike[str], source: str | None = None
) -> Path:
    """Write a run's tables and manifest into ``out_dir``, replacing it atomically.

    Args:
        result: The run.
        out_dir: Target folder (created; an existing one is replaced at the very end).
        source: The scenario file name, recorded in the manifest.

    Returns:
        The folder written.
    """
    with atomic_directory(out_dir, MANIFEST) as tmp:
        for name in TABLES:
            table: pd.DataFrame = getattr(result, name)
            if name == "ledger":
                table = ledger_table(table)
            table.to_csv(
                tmp / f"{name}.csv", index=False, float_format=FLOAT_FORMAT, lineterminator="\n"
            )
        (tmp / MANIFEST).write_text(
            json.dumps(manifest(result, source), indent=2, sort_keys=False) + "\n",
            encoding="utf-8",
        )
    return Path(out_dir).resolve()


def read_run(folder: str | os.PathLike[str]) -> dict[str, object]:
    """Read a result folder back: each table as a DataFrame, and the manifest as a dict."""
    folder = Path(folder)
    # Amounts stay text (exact), for :func:`sim.money.text_to_cents`.
    out: dict[str, object] = {
        n: pd.read_csv(folder / f"{n}.csv", dtype={"amount_usd": str} if n == "ledger" else None)
        for n in TABLES
    }
    out["manifest"] = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    return out
