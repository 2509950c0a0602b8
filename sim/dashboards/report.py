"""Render pages (and optionally static images) from saved results, and the index.

This is what the command line calls after each command, and for ``report``:
everything here reads result folders, never runs the model. Which folders are results,
and how each kind is re-rendered, is registered in :mod:`sim.dashboards.results`.
"""

from __future__ import annotations

import os
from pathlib import Path

from sim.dashboards.index import write_index
from sim.dashboards.load import NotAResultError
from sim.dashboards.render import IMAGES, render_comparison_folder, render_run
from sim.dashboards.results import kind_of, kinds_sentence

__all__ = ["IMAGES", "render_any", "render_comparison_folder", "render_run", "update_index"]


def render_any(folder: str | os.PathLike[str], *, images: bool = False) -> list[Path]:
    """Re-render the page of any kind of result folder (a run, comparison, sweep...).

    Args:
        folder: The result folder.
        images: Also write its figures as PNG and SVG (runs and comparisons).

    Returns:
        The files written.

    Raises:
        NotAResultError: If it is no kind of result folder, or its files are incomplete.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise NotAResultError(f"{folder}: no such folder")
    kind = kind_of(folder)
    if kind is None:
        try:  # a folder that almost is a run: load_run says which tables are missing
            return render_run(folder, images=images)
        except NotAResultError as exc:
            raise NotAResultError(
                f"{exc}; nor is it any other kind of result ({kinds_sentence()})"
            ) from None
    return kind.render(folder, images)


def update_index(folder: str | os.PathLike[str], results: str | os.PathLike[str]) -> Path | None:
    """Rewrite ``results/index.html`` if ``folder`` lies inside ``results``.

    Returns:
        The index's path, or None when the folder is elsewhere.
    """
    results = Path(results).resolve()
    if not Path(folder).resolve().is_relative_to(results):
        return None
    return write_index(results)
