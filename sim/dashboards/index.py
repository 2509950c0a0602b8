"""``results/index.html``: every run and comparison under a results folder, linked.

Runs are folders with a run's manifest; comparisons are folders with a
``comparison.json`` (their replicate runs are not listed separately). Hidden folders
(temporary ones being written) are skipped. The newest come first.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from sim.dashboards import page
from sim.dashboards.caveat import BANDS_INDEX, caveat_box
from sim.dashboards.compare_dashboard import PAGE as COMPARISON_PAGE
from sim.dashboards.load import COMPARISON_FILE, is_run_folder
from sim.dashboards.run_dashboard import DASHBOARD
from sim.dashboards.sweep_dashboard import DASHBOARD as SWEEP_PAGE
from sim.dashboards.text import safe, share, signed
from sim.output import MANIFEST
from sim.quantities import share_of_disbursed
from sim.sweep.store import MANIFEST as SWEEP_MANIFEST

INDEX = "index.html"


@dataclass(frozen=True)
class Entry:
    """One run or comparison found under the results folder.

    Attributes:
        kind: ``"run"`` or ``"comparison"``.
        path: Its folder, relative to the results folder (POSIX style).
        title: Scenario name(s), raw text.
        created: Creation time (ISO 8601, UTC) or "".
        details: One line of numbers or settings.
        page: The page to link to, relative to the results folder, or None.
    """

    kind: str
    path: str
    title: str
    created: str
    details: str
    page: str | None


def find_entries(results: str | os.PathLike[str]) -> list[Entry]:
    """Every run and comparison below ``results``, newest first."""
    root = Path(results)
    entries: list[Entry] = []
    for here, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        folder = Path(here)
        rel = folder.relative_to(root).as_posix()
        if SWEEP_MANIFEST in files:
            entries.append(_sweep(folder, rel))
            dirs[:] = []  # its Parquet tables belong to it
        elif COMPARISON_FILE in files:
            entries.append(_comparison(folder, rel))
            dirs[:] = []  # its replicate runs belong to it
        elif MANIFEST in files and is_run_folder(folder):
            entries.append(_run(folder, rel))
            dirs[:] = []
    entries.sort(key=lambda e: (e.created, e.path), reverse=True)
    return entries


def index_page(entries: list[Entry], folder: str | os.PathLike[str] | None = None) -> str:
    """The index page (no plotly needed); ``folder`` is where it is written."""
    rows = []
    for e in entries:
        target = e.page if e.page else e.path + "/"
        link = page.link(e.path, quote(target))
        if not e.page:
            link += "<br>" + safe("(no page yet: run_sim.py report on this folder)")
        created = e.created.replace("T", " ").replace("+00:00", " UTC")
        rows.append((safe(e.kind), link, safe(e.title), safe(e.details), safe(created)))
    sections = [
        page.heading("influence-sim results", 1),
        page.paragraph(
            "Every run, comparison and sweep in this folder; open one to see its dashboard. "
            "The pages work offline.",
            "meta",
        ),
        caveat_box(BANDS_INDEX, folder),
        page.html_table(["Kind", "Folder", "Scenario", "Headline", "Created"], rows)
        if rows
        else page.paragraph("No results yet: run_sim.py run SCENARIO", "note"),
    ]
    return page.page("influence-sim results", sections, plotly=False)


def write_index(results: str | os.PathLike[str]) -> Path:
    """Write ``index.html`` in the results folder, listing what is there now.

    Returns:
        The index's path.
    """
    root = Path(results)
    return page.write_page(root / INDEX, index_page(find_entries(root), root))


def _run(folder: Path, rel: str) -> Entry:
    try:
        m = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        money, final = m["money"], m["final"]
        disbursed = float(money["disbursed_usd"])
        leaked = share_of_disbursed(float(money["leaked_usd"]), disbursed)
        for_show = share_of_disbursed(float(money["for_show_usd"]), disbursed)
        details = (
            f"seed {m.get('seed')}; leaked {share(leaked)}, "
            f"for show {share(for_show)}; attributable "
            f"{signed(final['attributable_opinion'])}, reported "
            f"{signed(final['reported_influence'])}"
        )
        title, created = str(m.get("scenario_name", "")), str(m.get("created_utc", ""))
    except (OSError, ValueError, KeyError, TypeError):
        title, created, details = "(unreadable manifest)", "", ""
    has_page = (folder / DASHBOARD).is_file()
    return Entry("run", rel, title, created, details, f"{rel}/{DASHBOARD}" if has_page else None)


def _comparison(folder: Path, rel: str) -> Entry:
    try:
        m = json.loads((folder / COMPARISON_FILE).read_text(encoding="utf-8"))
        names = [str(s.get("name", s.get("label", ""))) for s in m["scenarios"]]
        title = " vs ".join(names)
        details = f"{m.get('replicates')} replicates per scenario file, seeds from " + str(
            m.get("root_seed")
        )
        created = str(m.get("created_utc", ""))
    except (OSError, ValueError, KeyError, TypeError):
        title, created, details = "(unreadable comparison.json)", "", ""
    has_page = (folder / COMPARISON_PAGE).is_file()
    return Entry(
        "comparison", rel, title, created, details, f"{rel}/{COMPARISON_PAGE}" if has_page else None
    )


def _sweep(folder: Path, rel: str) -> Entry:
    try:
        m = json.loads((folder / SWEEP_MANIFEST).read_text(encoding="utf-8"))
        design = m["design"]
        details = f"{design['type']} design, {design['points']} points x {m['spec']['replicates']}"
        details += " replicate(s)"
        title, created = str(m.get("name", "")), str(m.get("created_utc", ""))
    except (OSError, ValueError, KeyError, TypeError):
        title, created, details = "(unreadable sweep manifest)", "", ""
    has_page = (folder / SWEEP_PAGE).is_file()
    return Entry("sweep", rel, title, created, details, f"{rel}/{SWEEP_PAGE}" if has_page else None)
