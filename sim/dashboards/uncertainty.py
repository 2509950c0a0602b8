"""The uncertainty page of a run made with ``--posterior`` or ``--prior``: two bands per measure.

``run SCENARIO --posterior DIR`` writes ``uncertainty.html`` beside the run's
dashboard. For each measure it draws the 90% band of seed noise alone (at the
median parameters) inside the 90% band of parameter uncertainty and seed noise
together, and says so in one visible line at the top (the caveat box).
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from sim.calibration.sources import FULL_BAND, SEED_BAND, ParameterSource
from sim.calibration.uncertainty import BANDS_FILE
from sim.dashboards import page
from sim.dashboards.caveat import caveat_box
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


def bands_note(draws: int, kind: str = "posterior") -> str:
    """The one line saying what the bands include (``kind``: posterior or prior)."""
    whose = "the calibration's posterior" if kind == "posterior" else "the calibration's priors"
    return (
        f"Bands (90%): blue, seed noise only ({draws} seeds at the {kind} median "
        f"parameters); orange, parameter uncertainty and seed noise together ({draws} "
        f"parameter sets drawn from {whose}, one seed each)."
    )


def band_figure(bands: pd.DataFrame, measure: str, title: str | None = None) -> go.Figure:
    """The two 90% bands and the medians of one measure.

    Args:
        bands: Long band table (:func:`sim.calibration.uncertainty.band_table`).
        measure: One of :data:`TITLES`.
        title: The figure's title, already escaped (default: the measure's).
    """
    default, unit = TITLES[measure]
    title = default if title is None else title
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


def render_uncertainty(folder: str | os.PathLike[str], source: ParameterSource, draws: int) -> Path:
    """Write ``uncertainty.html`` in a run's folder from its ``posterior_bands.csv``."""
    folder = Path(folder)
    bands = pd.read_csv(folder / BANDS_FILE)
    kind = source.kind
    sections = [
        page.heading("What we do not know: parameter uncertainty against seed noise", 1),
        caveat_box(bands_note(draws, kind), folder),
        page.paragraph(
            f"Parameter sets from the {kind} in {source.location}; the run in this folder "
            f"uses the {kind} median of each parameter. Where the orange band is much wider "
            "than the blue one, the result depends more on what is unknown about the "
            "parameters than on chance.",
            "meta",
        ),
    ]
    sections += [page.figure(band_figure(bands, m), f"band-{m}") for m in TITLES]
    return page.write_page(folder / PAGE, page.page("Uncertainty", sections))
