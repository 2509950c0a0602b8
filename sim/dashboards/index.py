"""``results/index.html``: every result folder under a results folder, linked.

What counts as a result folder, and how each kind is described, is registered in
:mod:`sim.dashboards.results`. A result folder's subfolders belong to it (a
comparison's replicate runs are not listed separately). Hidden folders (temporary ones
being written) are skipped. The newest come first.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote

from sim.dashboards import page
from sim.dashboards.caveat import BANDS_INDEX, caveat_box
from sim.dashboards.results import Entry, kind_of, kinds_sentence
from sim.dashboards.text import safe

INDEX = "index.html"

__all__ = ["INDEX", "Entry", "find_entries", "index_page", "write_index"]


def find_entries(results: str | os.PathLike[str]) -> list[Entry]:
    """Every result folder below ``results``, newest first."""
    root = Path(results)
    entries: list[Entry] = []
    for here, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        folder = Path(here)
        kind = kind_of(folder, set(files))
        if kind is not None:
            entries.append(kind.entry(folder, folder.relative_to(root).as_posix()))
            dirs[:] = []  # its replicate runs, tables and history belong to it
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
            f"Every one of the {kinds_sentence()} in this folder; open one to see its page. "
            "The pages work offline.",
            "meta",
        ),
        caveat_box(BANDS_INDEX, folder),
        page.html_table(["Kind", "Folder", "Name", "Details", "Created"], rows)
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
