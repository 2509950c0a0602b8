"""The uncertainty page of a run made with ``--posterior``: two bands per measure.

``run SCENARIO --posterior DIR`` writes ``uncertainty.html`` beside the run's
dashboard. For each measure it draws the 90% band of seed noise alone (at the
posterior median parameters) inside the 90% band of parameter uncertainty and seed
noise together, and says so in one visible line at the top.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from sim.calibration.uncertainty import BANDS_FILE, FULL_BAND, SEED_BAND
from sim.dashboards import page
from sim.dashboards.palette import BLUE, ORANGE
from sim.dashboards.style import apply_style

PAGE = "uncertainty.html"
TITLES = {
    "favourable_share": ("Favourable share", "Share favourable"),
    "opinion_mean": ("Mean opinion", "Opinion (-1 to 1)"),
    "attributable_opinion": ("Attributable opinion (actual minus no spending)", "Opinion points"),
}
COLOURS = {FULL_BAND: "rgba(230,159,0,0.25)", SEED_BAND: "rgba(0,114,178,0.35)"}
LINES = {FULL_BAND: ORANGE, SEED_BAND: BLUE}


def bands_note(draws: int) -> str:
    """The one line saying what the bands include."""
    return (
        f"Bands (90%): blue, seed noise only ({draws} seeds at the posterior median "
        f"parameters); orange, parameter uncertainty and seed noise together ({draws} "
        "parameter sets drawn from the calibration's posterior, one seed each)."
    )


def band_figure(bands: pd.DataFrame, measure: str) -> go.Figure:
    """The two 90% bands and the medians of one measure."""
    title, unit = TITLES[measure]
    fig = go.Figure()
    for band in (FULL_BAND, SEED_BAND):
        b = bands[(bands["measure"] == measure) & (bands["band"] == band)]
        fig.add_trace(
            go.Scatter(
                x=b["date"],
                y=b["q95"],
                mode="lines",
                line={"width": 0},
                showlegend=False,
                hoverinfo="skip",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=b["date"],
                y=b["q05"],
                mode="lines",
                line={"width": 0},
                fill="tonexty",
                fillcolor=COLOURS[band],
                name=f"90% band: {band}",
                hoverinfo="skip",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=b["date"],
                y=b["median"],
                mode="lines",
                line={"color": COLOURS[band].replace("0.25", "1").replace("0.35", "1")},
                name=f"median: {band}",
                hovertemplate="%{y:.4f}<extra>" + band + "</extra>",
            )
        )
    apply_style(fig, title, unit)
    return fig


def render_uncertainty(
    folder: str | os.PathLike[str], posterior: str | os.PathLike[str], draws: int
) -> Path:
    """Write ``uncertainty.html`` in a run's folder from its ``posterior_bands.csv``."""
    folder = Path(folder)
    bands = pd.read_csv(folder / BANDS_FILE)
    sections = [
        page.heading("What we do not know: parameter uncertainty against seed noise", 1),
        page.paragraph(bands_note(draws), "story"),
        page.paragraph(
            f"Posterior from {posterior}; the run in this folder uses the posterior median "
            "of each parameter. Where the orange band is much wider than the blue one, the "
            "result depends more on what the observations leave unknown than on chance.",
            "meta",
        ),
    ]
    sections += [page.figure(band_figure(bands, m), f"band-{m}") for m in TITLES]
    return page.write_page(folder / PAGE, page.page("Uncertainty", sections))
