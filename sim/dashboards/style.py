"""Shared look of every figure: template, system fonts (no web fonts), axes, legend."""

from __future__ import annotations

import plotly.graph_objects as go

from sim.dashboards.text import safe

#: Fonts the reader's system already has; nothing is downloaded.
FONT_FAMILY = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif'
#: Plotly configuration for every figure on a page.
PLOTLY_CONFIG = {
    "displaylogo": False,
    "responsive": True,
    "toImageButtonOptions": {"format": "svg", "scale": 1},
}
HEIGHT = 480


def apply_style(
    fig: go.Figure,
    title: str,
    y_title: str | None = None,
    x_title: str | None = "Date",
    height: int = HEIGHT,
) -> go.Figure:
    """Give a figure the common layout.

    Args:
        fig: The figure (changed in place).
        title: Title, already escaped.
        y_title: Y axis title with its unit (the first y axis; subplots set their own).
        x_title: X axis title (the first x axis; subplots set their own).
        height: Height in pixels.

    Returns:
        The same figure.
    """
    fig.update_layout(
        template="plotly_white",
        title={
            "text": title,
            "x": 0,
            "xanchor": "left",
            "xref": "container",
            "y": 1,
            "yanchor": "top",
            "yref": "container",
            "pad": {"t": 12, "l": 12},
            "font": {"size": 17},
        },
        font={"family": FONT_FAMILY, "size": 13},
        height=height,
        margin={"l": 70, "r": 20, "t": 60, "b": 90},
        hovermode="x unified",
        legend={
            "orientation": "h",
            "yref": "container",
            "y": 0,
            "yanchor": "bottom",
            "x": 0,
            "xanchor": "left",
            "traceorder": "normal",
        },
        hoverlabel={"namelength": -1},
    )
    if y_title is not None:
        fig.update_layout(yaxis_title_text=y_title)
    if x_title is not None:
        fig.update_layout(xaxis_title_text=x_title)
    return fig


def empty_figure(title: str, note: str, height: int = 320) -> go.Figure:
    """A figure with nothing to plot: its title and a note saying why, no axes.

    Plotly draws an empty Sankey or an axis with no data badly (a Sankey of zero flows
    throws in the browser), so a figure with nothing to show says so instead.

    Args:
        title: Title, already escaped.
        note: Why there is nothing to show (raw text; escaped here).
        height: Height in pixels.

    Returns:
        The figure.
    """
    fig = go.Figure()
    apply_style(fig, title, y_title=None, x_title=None, height=height)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.add_annotation(
        text=f"Nothing to show: {safe(note)}",
        xref="paper",
        yref="paper",
        x=0.5,
        y=0.5,
        showarrow=False,
        font={"size": 15, "color": "#555"},
    )
    fig.update_layout(hovermode=False, showlegend=False)
    return fig
