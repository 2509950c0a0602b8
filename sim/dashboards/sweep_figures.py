"""Figures of a sweep, pure builders: DataFrames in, plotly figures out.

Response curves, a two-parameter heatmap, sensitivity bars and parallel coordinates.

Parameter names, metric names and parameter values come from the sweep file (user
input: a ``values`` list may hold any text) and are escaped before they reach a figure:
titles, ticks, hover text and annotations. A figure with no finite values to draw is
replaced by a note (:func:`sim.dashboards.style.empty_figure`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import sample_colorscale
from plotly.subplots import make_subplots

from sim.dashboards import palette
from sim.dashboards.style import apply_style, empty_figure
from sim.dashboards.text import safe, shorten
from sim.quantities import INTERVAL_QUANTILES

#: Parameters with at most this many distinct values are plotted value by value;
#: others are cut into this many bins of equal count.
MAX_LEVELS = 10
LOW_Q, HIGH_Q = INTERVAL_QUANTILES
#: Text values longer than this are cut on the axis ticks (the hover has them whole).
TICK_CHARS = 30


def response_table(runs: pd.DataFrame, parameter: str, metric: str) -> pd.DataFrame:
    """Mean and 5-95% band of a metric over all runs, by value (or bin) of one parameter.

    Every run counts, whatever the other parameters were, so the curve is the
    parameter's average effect across the rest of the design.

    Args:
        runs: One row per run with the parameter and metric columns.
        parameter: Column to group by.
        metric: Column to summarise.

    Returns:
        Columns ``x`` (the value, or the bin's mean value), ``mean``, ``low``, ``high``
        and ``runs``, sorted by ``x``.
    """
    data = runs[[parameter, metric]].replace([np.inf, -np.inf], np.nan).dropna()
    x = pd.to_numeric(data[parameter], errors="coerce")
    if x.isna().any() or data[parameter].nunique() <= MAX_LEVELS:
        key = data[parameter]
    else:
        key = pd.qcut(x, MAX_LEVELS, duplicates="drop")
    groups = data.groupby(key, observed=True)
    table = pd.DataFrame(
        {
            "x": groups[parameter].mean() if x.notna().all() else groups[parameter].first(),
            "mean": groups[metric].mean(),
            "low": groups[metric].quantile(LOW_Q),
            "high": groups[metric].quantile(HIGH_Q),
            "runs": groups.size(),
        }
    )
    return table.sort_values("x").reset_index(drop=True)


def response_curves(runs: pd.DataFrame, parameters: list[str], metric: str) -> go.Figure:
    """One panel per parameter: the metric's mean and 5-95% band against its value."""
    title = f"How {safe(metric)} responds to each parameter (all other parameters averaged over)"
    finite = runs[metric].replace([np.inf, -np.inf], np.nan).notna() if metric in runs else []
    if not parameters or not np.any(finite):
        return empty_figure(title, f"no run has a finite value of {metric}.")
    cols = min(len(parameters), 3)
    rows = -(-len(parameters) // cols)
    fig = make_subplots(
        rows=rows,
        cols=cols,
        subplot_titles=[safe(p) for p in parameters],
        shared_yaxes=True,
        horizontal_spacing=0.06,
        vertical_spacing=0.18,
    )
    colour = palette.BLUE
    for n, name in enumerate(parameters):
        row, col = n // cols + 1, n % cols + 1
        t = response_table(runs, name, metric)
        if not pd.api.types.is_numeric_dtype(t["x"]):  # text values: escaped, short ticks
            fig.update_xaxes(
                tickvals=list(t["x"].map(safe)),
                ticktext=list(t["x"].map(lambda v: safe(shorten(v, TICK_CHARS)))),
                row=row,
                col=col,
            )
            t["x"] = t["x"].map(safe)
        fig.add_trace(
            go.Scatter(
                x=list(t["x"]) + list(t["x"])[::-1],
                y=list(t["high"]) + list(t["low"])[::-1],
                fill="toself",
                mode="lines",
                fillcolor=palette.with_alpha(colour, 0.2),
                line={"width": 0},
                hoverinfo="skip",
                showlegend=n == 0,
                name="5-95% of runs",
            ),
            row=row,
            col=col,
        )
        fig.add_trace(
            go.Scatter(
                x=t["x"],
                y=t["mean"],
                mode="lines+markers",
                line={"color": colour},
                name="mean over runs",
                showlegend=n == 0,
                customdata=[
                    [lo, hi, n, f"{v:.6g}" if isinstance(v, float) else v]
                    for lo, hi, n, v in zip(t["low"], t["high"], t["runs"], t["x"], strict=True)
                ],
                hovertemplate="value %{customdata[3]}<br>mean %{y:.6g}<br>5-95%: "
                "%{customdata[0]:.6g} to %{customdata[1]:.6g}<br>%{customdata[2]} runs"
                "<extra></extra>",
            ),
            row=row,
            col=col,
        )
        fig.update_xaxes(title_text="parameter value", row=row, col=col)
    fig.update_yaxes(title_text=safe(metric), col=1)
    apply_style(
        fig,
        title,
        y_title=None,
        x_title=None,
        height=max(380, 330 * rows),
    )
    fig.update_layout(hovermode="closest", margin={"l": 90, "r": 110})
    return fig


def heatmap(points: pd.DataFrame, x: str, y: str, metric: str) -> go.Figure:
    """Mean of a metric over a two-parameter grid (rows: ``y``, columns: ``x``)."""
    title = f"Mean {safe(metric)} over the grid (mean of the replicates at each point)"
    grid = points.pivot_table(index=y, columns=x, values=f"{metric}_mean", aggfunc="mean")
    if grid.empty or not np.isfinite(grid.to_numpy(dtype=float)).any():
        return empty_figure(title, f"no point of the grid has a finite mean of {metric}.")
    fig = go.Figure(
        go.Heatmap(
            z=grid.to_numpy(),
            x=[safe(v) for v in grid.columns],
            y=[safe(v) for v in grid.index],
            colorscale="Cividis",
            colorbar={"title": {"text": safe(metric)}},
            hovertemplate=f"{safe(x)} = %{{x}}<br>{safe(y)} = %{{y}}<br>"
            f"{safe(metric)} = %{{z:.6g}}<extra></extra>",
        )
    )
    apply_style(
        fig,
        title,
        y_title=safe(y),
        x_title=safe(x),
    )
    fig.update_layout(hovermode="closest", margin={"l": 90, "r": 110})
    for axis, values in (("x", grid.columns), ("y", grid.index)):
        if not pd.api.types.is_numeric_dtype(values):
            fig.update_layout(
                {
                    f"{axis}axis": {
                        "tickvals": [safe(v) for v in values],
                        "ticktext": [safe(shorten(v, TICK_CHARS)) for v in values],
                    }
                }
            )
    return fig


def sensitivity_bars(table: pd.DataFrame, design: str, metric: str) -> go.Figure:
    """Sobol' S1 and ST, Morris mu* and sigma, or RBD-FAST S1, with confidence bars."""
    names = [safe(p) for p in table["parameter"]]
    fig = go.Figure()
    if "ST" not in table and "S1" in table:
        fig.add_trace(
            go.Bar(
                x=names,
                y=table["S1"],
                name="first-order S1 (RBD-FAST)",
                marker_color=palette.SKY_BLUE,
                error_y={"type": "data", "array": table["S1_conf"], "visible": True},
                hovertemplate="%{x}<br>%{y:.3f} ± %{error_y.array:.3f}<extra></extra>",
            )
        )
        title = (
            f"Which parameters drive {safe(metric)}: RBD-FAST first-order indices "
            "(95% bootstrap intervals)"
        )
        y_title = "share of the variance (alone)"
    elif design == "sobol":
        for key, label, colour in (
            ("S1", "first-order S1 (alone)", palette.SKY_BLUE),
            ("ST", "total-order ST (alone and in interactions)", palette.BLUE),
        ):
            fig.add_trace(
                go.Bar(
                    x=names,
                    y=table[key],
                    name=label,
                    marker_color=colour,
                    error_y={"type": "data", "array": table[f"{key}_conf"], "visible": True},
                    hovertemplate="%{x}<br>%{y:.3f} ± %{error_y.array:.3f}<extra></extra>",
                )
            )
        title = f"Which parameters drive {safe(metric)}: Sobol' indices (95% intervals)"
        y_title = "share of the variance"
    else:
        fig.add_trace(
            go.Bar(
                x=names,
                y=table["mu_star"],
                name="mu* (mean absolute effect)",
                marker_color=palette.BLUE,
                error_y={"type": "data", "array": table["mu_star_conf"], "visible": True},
            )
        )
        fig.add_trace(
            go.Bar(
                x=names,
                y=table["sigma"],
                name="sigma (non-linearity and interactions)",
                marker_color=palette.REDDISH_PURPLE,
            )
        )
        title = f"Which parameters drive {safe(metric)}: Morris elementary effects"
        y_title = f"change in {safe(metric)} across the range"
    apply_style(fig, title, y_title=y_title, x_title="parameter")
    fig.update_layout(barmode="group", hovermode="closest")
    return fig


def parallel_coordinates(
    points: pd.DataFrame, parameters: list[str], metric: str, bins: int = 8
) -> go.Figure:
    """Every design point as a line across the parameters and the metric.

    Drawn as ordinary SVG lines (plotly's ``parcoords`` needs WebGL, which locked-down
    or headless browsers often lack). Each axis is scaled from its minimum (bottom) to
    its maximum (top); lines are coloured by the metric's mean, in ``bins`` quantile
    bands, so the parameter values of the best and worst points stand out.

    Args:
        points: One row per design point with the parameter columns and
            ``<metric>_mean`` (as from :func:`sim.sweep.analysis.aggregate`).
        parameters: Parameter columns, in axis order.
        metric: The metric; its mean is the last axis.
        bins: Number of colour bands.

    Returns:
        The figure.
    """
    column = f"{metric}_mean"
    title = f"Design points across the parameters, coloured by mean {safe(metric)}"
    data = points[[*parameters, column]].replace([np.inf, -np.inf], np.nan).dropna()
    if data.empty:
        return empty_figure(title, f"no design point has a finite mean of {metric}.")
    axes = [*parameters, column]
    labels = [*parameters, metric]
    scaled, bounds = [], []
    for name in axes:
        values = pd.to_numeric(data[name], errors="coerce")
        if values.isna().any():  # categorical values: evenly spaced codes
            values = pd.Series(pd.factorize(data[name].astype(str), sort=True)[0], index=data.index)
        low, high = float(values.min()), float(values.max())
        scaled.append((values - low) / (high - low) if high > low else values * 0 + 0.5)
        bounds.append((data[name].min(), data[name].max()))
    y = np.column_stack(scaled) if len(data) else np.empty((0, len(axes)))
    raw = data[axes].astype(str).map(safe).to_numpy()
    band = pd.qcut(data[column].rank(method="first"), min(bins, max(len(data), 1)), labels=False)
    colours = sample_colorscale("Cividis", max(int(band.max()) + 1, 1) if len(data) else 1)
    fig = go.Figure()
    xs = list(range(len(axes)))
    for b, colour in enumerate(colours):
        rows = np.flatnonzero(band.to_numpy() == b)
        if not len(rows):
            continue
        lo, hi = data[column].iloc[rows].min(), data[column].iloc[rows].max()
        fig.add_trace(
            go.Scatter(
                x=[x for _ in rows for x in [*xs, None]],
                y=[v for r in rows for v in [*y[r], None]],
                text=[
                    t
                    for r in rows
                    for t in [*(f"{safe(n)} = {raw[r][k]}" for k, n in enumerate(labels)), None]
                ],
                hoverinfo="text",
                mode="lines",
                line={"color": colour, "width": 1.5},
                opacity=0.7,
                name=f"{safe(metric)} {lo:.4g} to {hi:.4g}",
            )
        )
    for k, (low, high) in enumerate(bounds):
        for value, y_pos, anchor in ((high, 1.0, "bottom"), (low, 0.0, "top")):
            fig.add_annotation(
                x=k,
                y=y_pos,
                text=safe(f"{value:.4g}" if isinstance(value, float) else shorten(value, 20)),
                showarrow=False,
                yanchor=anchor,
                font={"size": 11},
            )
    fig.update_xaxes(tickvals=xs, ticktext=[safe(n) for n in labels], showgrid=True, zeroline=False)
    fig.update_yaxes(visible=False, range=[-0.12, 1.12])
    apply_style(
        fig,
        title,
        y_title=None,
        x_title=None,
        height=520,
    )
    fig.update_layout(hovermode="closest", margin={"l": 90, "r": 110})
    return fig
