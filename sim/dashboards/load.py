"""Read saved result folders for the dashboards, with clear errors for wrong folders.

A run folder is what :func:`sim.output.write_run` writes; a comparison folder is what
:func:`sim.compare.run_comparison` writes (a ``comparison.json`` and the
replicates' run folders). Dates become timestamps and ledger amounts whole cents, so
the figure builders need no parsing of their own.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pandas as pd

from sim.decompose import DECOMPOSITION_FILE, TABLE_COLUMNS
from sim.money import manifest_money_cents, text_to_cents
from sim.output import MANIFEST, TABLES, read_run

#: The file that marks a comparison folder.
COMPARISON_FILE = "comparison.json"


class NotAResultError(ValueError):
    """Raised when a folder is not a readable result folder (of the kind expected)."""


@dataclass(frozen=True)
class RunData:
    """One saved run, ready for plotting.

    Attributes:
        folder: Where it was read from.
        trajectories: One row per step; ``date`` is a timestamp.
        segments: One row per step and segment.
        outlets: One row per step and outlet.
        ledger: Every transfer, with an extra integer ``cents`` column.
        events: Shocks, audits and replacements.
        manifest: The run's manifest (scenario, seed, money summary...).
    """

    folder: Path
    trajectories: pd.DataFrame
    segments: pd.DataFrame
    outlets: pd.DataFrame
    ledger: pd.DataFrame
    events: pd.DataFrame
    manifest: dict[str, Any]

    @property
    def scenario(self) -> dict[str, Any]:
        """The fully resolved scenario, as saved in the manifest."""
        return self.manifest["scenario"]

    @property
    def name(self) -> str:
        """The scenario's name (raw text: escape it before display)."""
        return str(self.manifest.get("scenario_name") or self.scenario.get("name", ""))

    @property
    def seed(self) -> int:
        """The run's root seed."""
        return int(self.manifest["seed"])

    @property
    def money(self) -> dict[str, Any]:
        """The money summary in USD, as floats (for shares and display)."""
        return self.manifest["money"]

    @property
    def money_cents(self) -> dict[str, Any]:
        """The money summary in exact integer cents, read again from the manifest's text.

        Floats lose cents above about USD 10^13; the manifest's text does not.
        """
        return manifest_money_cents((self.folder / MANIFEST).read_text(encoding="utf-8"))

    @property
    def real_population(self) -> int:
        """How many real people the simulated audience stands for."""
        return int(self.scenario["audience"]["real_population"])

    @property
    def segment_ids(self) -> list[str]:
        """Segment ids in the scenario's order."""
        return [s["id"] for s in self.scenario["audience"]["segments"]]

    @property
    def outlet_ids(self) -> list[str]:
        """Outlet ids in the scenario's order."""
        return [o["id"] for o in self.scenario.get("outlets", [])]


def is_run_folder(folder: str | os.PathLike[str]) -> bool:
    """True when ``folder`` holds a manifest and every table of a run."""
    folder = Path(folder)
    return (folder / MANIFEST).is_file() and all((folder / f"{t}.csv").is_file() for t in TABLES)


def is_comparison_folder(folder: str | os.PathLike[str]) -> bool:
    """True when ``folder`` holds a comparison's ``comparison.json``."""
    return (Path(folder) / COMPARISON_FILE).is_file()


def load_run(folder: str | os.PathLike[str]) -> RunData:
    """Read a run folder.

    Args:
        folder: A folder written by :func:`sim.output.write_run`.

    Returns:
        The run's tables and manifest.

    Raises:
        NotAResultError: If the folder is missing, incomplete or unreadable.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise NotAResultError(f"{folder}: no such folder")
    if not is_run_folder(folder):
        missing = [
            name
            for name in (MANIFEST, *(f"{t}.csv" for t in TABLES))
            if not (folder / name).is_file()
        ]
        raise NotAResultError(f"{folder}: not a run's result folder (missing {', '.join(missing)})")
    try:
        raw = read_run(folder)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise NotAResultError(f"{folder}: cannot read the results ({exc})") from exc
    manifest = raw["manifest"]
    if not isinstance(manifest, dict) or "scenario" not in manifest or "money" not in manifest:
        raise NotAResultError(f"{folder}: {MANIFEST} lacks the scenario or the money summary")
    tables = {name: _with_dates(cast(pd.DataFrame, raw[name])) for name in TABLES}
    ledger = tables["ledger"]
    ledger["cents"] = pd.array([text_to_cents(a) for a in ledger["amount_usd"]], dtype="int64")
    return RunData(folder=folder, manifest=manifest, **tables)


def load_comparison_manifest(folder: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a comparison folder's ``comparison.json``.

    Raises:
        NotAResultError: If the folder holds no readable comparison.
    """
    path = Path(folder) / COMPARISON_FILE
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise NotAResultError(f"{folder}: not a comparison folder ({exc})") from exc


def _with_dates(table: pd.DataFrame) -> pd.DataFrame:
    if "date" in table.columns:
        table = table.assign(date=pd.to_datetime(table["date"]))
    return table


# --- the influence-gap decomposition (decomposition.csv) --------------------------------


def has_decomposition(folder: str | os.PathLike[str]) -> bool:
    """True when ``folder`` holds a ``decomposition.csv`` (a decomposition or a run folder)."""
    return (Path(folder) / DECOMPOSITION_FILE).is_file()


def load_decomposition(folder: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a folder's ``decomposition.csv`` (see :mod:`sim.decompose`).

    Args:
        folder: A decomposition folder, or a run folder written with ``--decompose``.

    Returns:
        The decomposition table: ``metric``, ``replicate``, ``seed``, ``term``, ``value``
        (after ``band`` when it has two bands).

    Raises:
        NotAResultError: If the file is missing, unreadable or lacks a column.
    """
    path = Path(folder) / DECOMPOSITION_FILE
    try:
        table = pd.read_csv(path)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise NotAResultError(f"{folder}: cannot read {DECOMPOSITION_FILE} ({exc})") from exc
    missing = [c for c in TABLE_COLUMNS if c not in table.columns]
    if missing:
        raise NotAResultError(f"{path}: lacks the column(s) {', '.join(missing)}")
    band = ["band"] if "band" in table.columns else []  # decompose --posterior or --prior
    return table[band + list(TABLE_COLUMNS)]
