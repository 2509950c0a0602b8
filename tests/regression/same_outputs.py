"""Prove that a refactor left every output unchanged: run two commits and compare bytes.

Usage (from the repository root, with the project's virtual environment)::

    .venv/bin/python tests/regression/same_outputs.py OLD_REV [NEW_REV] [--work DIR]

Each revision is checked out into its own git worktree (``NEW_REV`` defaults to the
working tree as it is, uncommitted changes included) and run with this interpreter,
the worktree's own ``sim`` package first on the import path. Both produce:

- every shipped scenario under ``scenarios/`` (``run --no-dashboard``, seed 7),
- a comparison of two scenarios with two replicates (``compare``),
- a sweep: the shipped leakage grid at 2,000 people, trajectories kept (its store
  compared as one table in run order, run times left out),
- the classroom pack (``classroom``).

Then every CSV, JSON and Parquet file is compared: CSV files byte for byte, JSON
files with the fields that record the time, the commit or the versions removed and
the checkout's and output's folders replaced by placeholders, Parquet files as Arrow
tables (values and schema), and the classroom page byte for byte. Exit status 0 when
everything is identical, 1 otherwise, with one line per difference.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[2]
#: JSON keys whose values record when, where or with what a file was made.
VOLATILE = {
    "created_utc",
    "run_seconds",
    "git_commit",
    "versions",
    "duration_s",
    "started_utc",
    "finished_utc",
    "seconds",
    "elapsed_s",
}
SWEEP = """\
name: Regression sweep
description: The shipped leakage grid, small, for the byte-identity check.
base: {base}
set:
  audience.population: 2000
parameters:
  intermediaries[*].integrity: {{range: [0.0, 1.0], levels: 3}}
  funders[pa_department].budget.total_usd: {{range: [25000000, 400000000], log: true, levels: 2}}
design: grid
replicates: 2
seed: 2025
keep_trajectories: true
metrics: [final_opinion, peak_opinion, mean_attributable_opinion, final_attributable_opinion,
          share_leaked, share_for_show, share_substantive, share_unspent, disbursed_usd,
          cost_per_favourable_person, cost_per_average_favourable_person,
          additional_favourable_people, final_reported_influence]
"""


def produce(tree: Path, out: Path) -> None:
    """Run every output-producing command of the checkout ``tree`` into ``out``."""
    env = {**os.environ, "PYTHONPATH": str(tree), "CI": "true"}

    def run(*args: str) -> None:
        cmd = [sys.executable, str(tree / "run_sim.py"), *args]
        done = subprocess.run(cmd, cwd=tree, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(args)} failed in {tree}:\n{done.stderr}")

    out.mkdir(parents=True)
    scenarios = sorted((tree / "scenarios").glob("*.yaml"))
    for s in scenarios:
        run("run", str(s), "--seed", "7", "--no-dashboard", "--out", str(out / "runs" / s.stem))
    run(
        "compare",
        str(tree / "scenarios" / "azerbaijan_2005_2025.yaml"),
        str(tree / "scenarios" / "clean_money.yaml"),
        "--replicates",
        "2",
        "--out",
        str(out / "compare"),
    )
    sweep = out / "sweep.yaml"
    sweep.write_text(SWEEP.format(base=tree / "scenarios" / "azerbaijan_2005_2025.yaml"))
    run("sweep", str(sweep), "--workers", "2", "--out", str(out / "sweep"))
    run("classroom", "--out", str(out / "classroom"))


def _strip(value: object) -> object:
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def _json(path: Path, tree: Path, out: Path) -> object:
    """A JSON file with its volatile fields removed and the folders it names made generic."""
    text = path.read_text().replace(str(tree), "<tree>").replace(str(out), "<out>")
    return _strip(json.loads(text))


def _store_table(folder: Path) -> pa.Table:
    """The batches of a sweep store's table, concatenated in run order, timings dropped.

    Batch file names are random, and runs land in the order they finish.
    """
    table = pa.concat_tables(pq.read_table(p) for p in sorted(folder.glob("*.parquet")))
    if "duration_s" in table.column_names:
        table = table.drop_columns(["duration_s"])
    keys = [("run_id", "ascending")] + (
        [("step", "ascending")] if "step" in table.column_names else []
    )
    return table.sort_by(keys)


def differences(old: Path, new: Path, trees: tuple[Path, Path]) -> list[str]:
    """One line per output that differs (or exists on one side only)."""
    kinds = {".csv", ".json", ".parquet"}
    files = {
        p.relative_to(root)
        for root in (old, new)
        for p in root.rglob("*")
        if p.is_file() and (p.suffix in kinds or p.name == "lesson.html")
    }
    stores = {rel.parent for rel in files if rel.parent.name in ("summary", "trajectories")}
    files = {rel for rel in files if rel.parent not in stores} | stores
    found = []
    for rel in sorted(files):
        a, b = old / rel, new / rel
        if not a.exists() or not b.exists():
            found.append(f"{rel}: only in {'new' if b.exists() else 'old'}")
        elif rel in stores:
            if not _store_table(a).equals(_store_table(b)):
                found.append(f"{rel}: sweep store table differs")
        elif rel.suffix == ".json":
            if _json(a, trees[0], old) != _json(b, trees[1], new):
                found.append(f"{rel}: JSON differs")
        elif rel.suffix == ".parquet":
            ta, tb = pq.read_table(a), pq.read_table(b)
            if not ta.equals(tb) or ta.schema != tb.schema:
                found.append(f"{rel}: table differs")
        elif a.read_bytes() != b.read_bytes():
            found.append(f"{rel}: bytes differ")
    return found


def _checkout(rev: str, where: Path) -> Path:
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(where), rev],
        check=True,
        capture_output=True,
    )
    return where


def main() -> int:
    """Run both revisions and compare their outputs."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("old", help="the revision before the change (e.g. HEAD~3)")
    p.add_argument("new", nargs="?", help="the revision after it (default: the working tree)")
    p.add_argument(
        "--work",
        help="folder for worktrees and outputs (default: a temporary one); when it already "
        "holds the old revision's outputs they are reused",
    )
    args = p.parse_args()
    work = Path(args.work or tempfile.mkdtemp(prefix="same-outputs-"))
    trees = []
    try:
        old_tree = trees.append(_checkout(args.old, work / "old-tree")) or trees[-1]
        new_tree = ROOT if args.new is None else _checkout(args.new, work / "new-tree")
        if args.new is not None:
            trees.append(new_tree)
        if not (work / "old").exists():  # reuse the old outputs of an earlier check
            produce(old_tree, work / "old")
        shutil.rmtree(work / "new", ignore_errors=True)
        produce(new_tree, work / "new")
        found = differences(work / "old", work / "new", (old_tree, new_tree))
    finally:
        for t in trees:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(t)])
    n = sum(1 for _ in (work / "old").rglob("*") if _.is_file())
    for line in found:
        print(line)
    print(f"{n} files compared in {work}: {'identical' if not found else f'{len(found)} differ'}")
    if not found and args.work is None:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
