"""Write a run's results to a folder, atomically, and read them back.

Files: ``trajectories.csv``, ``segments.csv``, ``outlets.csv``, ``ledger.csv``,
``events.csv`` and ``manifest.json``. Everything is written into a hidden temporary
folder beside the target and renamed into place at the end, so an interrupted run
never leaves a folder that looks complete.

Money is exact in every file: the ledger's ``amount_usd``, the money columns of
``trajectories.csv`` (summed from the ledger's integer cents) and the manifest's
``money`` amounts are decimal text with two decimals, written from integer cents.
A NaN or an infinity is never written: the writer refuses the run instead.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import platform
import subprocess
import uuid
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

from sim.atomic import atomic_directory
from sim.model.ledger import BooksUnbalancedError
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


class NonFiniteOutputError(ValueError):
    """A run produced a NaN or an infinity where a number is written: nothing is written."""


#: Cumulative money columns of ``trajectories.csv`` and the ledger kinds each one sums
#: (``unspent_usd`` is what remains: disbursed minus leaked minus spent).
MONEY_COLUMNS: dict[str, tuple[str, ...]] = {
    "disbursed_usd": ("disbursement",),
    "leaked_usd": ("leak",),
    "for_show_usd": ("for_show",),
    "substantive_usd": ("substantive",),
    "activity_usd": ("for_show", "substantive"),
    "unspent_usd": (),
}


def money_by_step(result: RunResult) -> dict[str, list[int]]:
    """The cumulative money columns of the trajectories, in exact integer cents.

    They are summed from the ledger (``RunResult.ledger``, integer cents) up to each
    row's step, and checked against the model's reporters (floats in USD, which cannot
    hold every cent above about USD 10^13) and against the balanced books.

    Args:
        result: The run.

    Returns:
        Column name -> cents at each row of ``result.trajectories``.

    Raises:
        BooksUnbalancedError: If the sums disagree with the reporters or the books.
    """
    steps = result.trajectories["step"].to_numpy()
    ledger = result.ledger
    by_kind: dict[str, list[int]] = {}
    for kind in ("disbursement", "leak", "for_show", "substantive"):
        rows = ledger[ledger["kind"] == kind]
        row_steps = rows["step"].to_numpy()
        running = np.cumsum(np.array([int(c) for c in rows["cents"]] + [0], dtype=object))
        ends = np.searchsorted(row_steps, steps, side="right")  # rows are in step order
        by_kind[kind] = [int(running[e - 1]) if e > 0 else 0 for e in ends]
    out = {
        col: [sum(vals) for vals in zip(*(by_kind[k] for k in kinds), strict=True)]
        for col, kinds in MONEY_COLUMNS.items()
        if kinds
    }
    out["unspent_usd"] = [
        d - lk - a
        for d, lk, a in zip(
            out["disbursed_usd"], out["leaked_usd"], out["activity_usd"], strict=True
        )
    ]
    m = result.money
    final = {
        "disbursed_usd": m.disbursed,
        "leaked_usd": m.leaked,
        "for_show_usd": m.for_show,
        "substantive_usd": m.substantive,
        "activity_usd": m.activity,
        "unspent_usd": m.unspent,
    }
    for col, cents in out.items():
        reported = result.trajectories[col].to_numpy(dtype=float)
        off = [
            n
            for n, (c, r) in enumerate(zip(cents, reported, strict=True))
            if not abs(c / 100 - r) <= 0.01 + 1e-12 * abs(r)
        ]
        if off or (cents and cents[-1] != final[col]):
            at = f"step {steps[off[0]]}" if off else "the end"
            raise BooksUnbalancedError(f"{col} summed from the ledger differs at {at}")
    return out


def trajectories_table(result: RunResult) -> pd.DataFrame:
    """The trajectories as written: the money columns become exact decimal USD text."""
    out = result.trajectories.copy()
    for col, cents in money_by_step(result).items():
        out[col] = [cents_to_text(c) for c in cents]
    return out


def _check_finite(name: str, table: pd.DataFrame) -> None:
    """Refuse a table with a NaN or an infinity in a numeric column."""
    numbers = table.select_dtypes(include="number")
    bad = [c for c in numbers.columns if not np.isfinite(numbers[c].to_numpy(dtype=float)).all()]
    if bad:
        raise NonFiniteOutputError(
            f"{name}.csv: column(s) {', '.join(bad)} hold NaN or infinite values; the "
            "scenario drives the model outside what it can compute (nothing was written)"
        )


def manifest_text(result: RunResult, source: str | None = None) -> str:
    """The manifest as written: JSON whose money amounts are exact decimal numbers.

    The ``money`` amounts are written from the ledger's integer cents as JSON numbers
    with two decimals (``"disbursed_usd": 99639640.00``): exact in the file at any size.
    ``json.loads`` reads them as floats (exact below about USD 10^13);
    ``json.loads(text, parse_float=decimal.Decimal)`` or
    :func:`sim.money.manifest_money_cents` reads them exactly.

    Raises:
        NonFiniteOutputError: If a value is NaN or infinite (JSON has no such numbers).
    """
    doc = manifest(result, source)
    token = f"@money-{uuid.uuid4().hex}@"
    doc["money"] = token
    try:
        text = json.dumps(doc, indent=2, sort_keys=False, allow_nan=False)
    except ValueError:
        bad = [k for k, v in doc["final"].items() if not math.isfinite(v)]
        raise NonFiniteOutputError(
            f"{MANIFEST}: final value(s) {', '.join(bad) or '(see the run)'} are NaN or "
            "infinite; the scenario drives the model outside what it can compute "
            "(nothing was written)"
        ) from None
    return text.replace(json.dumps(token), _money_json(money_cents(result)), 1) + "\n"


def money_cents(result: RunResult) -> dict[str, object]:
    """The manifest's money summary in integer cents, under its USD names."""
    m = result.money
    return {
        "budget_usd": result.budget_cents,
        "disbursed_usd": m.disbursed,
        "leaked_usd": m.leaked,
        "leaked_by_hop_usd": dict(m.leaked_by_hop),
        "activity_usd": m.activity,
        "for_show_usd": m.for_show,
        "substantive_usd": m.substantive,
        "unspent_usd": m.unspent,
    }


def _money_json(cents: dict[str, object], level: int = 1) -> str:
    """Render a (nested) mapping of cents as JSON with exact decimal numbers, indented."""
    if not cents:
        return "{}"
    pad, inner = "  " * level, "  " * (level + 1)
    items = [
        f"{inner}{json.dumps(k)}: "
        + (_money_json(v, level + 1) if isinstance(v, dict) else cents_to_text(int(v)))
        for k, v in cents.items()
    ]
    return "{\n" + ",\n".join(items) + f"\n{pad}}}"


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

    Raises:
        NonFiniteOutputError: If a table or the manifest holds NaN or infinity.
        BooksUnbalancedError: If the money columns summed from the ledger disagree.
    """
    tables: dict[str, pd.DataFrame] = {}
    for name in TABLES:
        table: pd.DataFrame = getattr(result, name)
        _check_finite(name, table)
        if name == "ledger":
            table = ledger_table(table)
        elif name == "trajectories":
            table = trajectories_table(result)
        tables[name] = table
    text = manifest_text(result, source)  # everything is checked before anything is written
    with atomic_directory(out_dir, MANIFEST) as tmp:
        for name, table in tables.items():
            table.to_csv(
                tmp / f"{name}.csv", index=False, float_format=FLOAT_FORMAT, lineterminator="\n"
            )
        (tmp / MANIFEST).write_text(text, encoding="utf-8")
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
