"""Write a run's or a comparison's page, and optionally its figures as PNG and SVG.

Everything here reads result folders, never runs the model.
"""

from __future__ import annotations

import os
from pathlib import Path

import plotly.graph_objects as go

from sim.dashboards.compare_dashboard import (
    BANDS_PREFIX,
    comparison_figures,
    comparison_shocks,
    load_comparison,
    render_comparison,
)
from sim.dashboards.images import export_images
from sim.dashboards.load import load_run
from sim.dashboards.markers import Shock, add_shock_key, run_shocks
from sim.dashboards.run_dashboard import render_run_dashboard, run_figures

IMAGES = "images"
#: Figures without the shock markers get no shock key in their images (and a
#: comparison's band figures, ``bands-<n>``, none either).
_NO_SHOCK_MARKERS = {"money-flow", "money", "segments"}


def render_run(
    folder: str | os.PathLike[str], *, page: bool = True, images: bool = False
) -> list[Path]:
    """Write a run folder's dashboard and/or its figures as PNG and SVG.

    Args:
        folder: A run's result folder.
        page: Write ``dashboard.html``.
        images: Write ``images/<figure>.png`` and ``.svg``.

    Returns:
        The files written.

    Raises:
        NotAResultError: If the folder is not a run's result folder.
        BrowserNotFoundError: If images are asked for and no Chromium is found.
    """
    written = [render_run_dashboard(folder)] if page else []
    if images:
        run = load_run(folder)
        shocks = run_shocks(run)
        written += _images(run_figures(run, shocks), shocks, folder)
    return written


def render_comparison_folder(folder: str | os.PathLike[str], *, images: bool = False) -> list[Path]:
    """Write a comparison folder's page and optionally its figures as PNG and SVG."""
    written = [render_comparison(folder)]
    if images:
        c = load_comparison(folder)
        shocks = comparison_shocks(c)
        written += _images(comparison_figures(c, shocks), shocks, folder)
    return written


def _images(
    figs: dict[str, go.Figure], shocks: list[Shock], folder: str | os.PathLike[str]
) -> list[Path]:
    """Export the figures, each time plot with the shock key, into ``folder/images``."""
    return export_images(_with_shock_keys(figs, shocks), Path(folder) / IMAGES)


def _with_shock_keys(figs: dict[str, go.Figure], shocks: list[Shock]) -> dict[str, go.Figure]:
    """Copies of the figures with the numbered shock key written under each time plot."""
    out = {}
    for fid, fig in figs.items():
        copy = go.Figure(fig)
        if fid not in _NO_SHOCK_MARKERS and not fid.startswith(BANDS_PREFIX):
            add_shock_key(copy, shocks)
        out[fid] = copy
    return out
