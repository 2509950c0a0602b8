"""Figures of the comparison page: replicate summaries in, plotly figures out.

Scenarios keep one colour across every figure (in the order given, the baseline
first), and all time panels share their date axis. Names must already be escaped.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from sim.dashboards import palette
from sim.dashboards.markers import Shock, add_shock_markers
from sim.dashboards.style import apply_style
from sim.quantities import replicate_interval

#: Trajectory panels: (column, y axis title with unit, scale factor).
TRAJECTORY_PANELS = (
    ("opinion_mean", "Mean opinion<br>(−1 to +1)", 1.0),
    ("attributable_opinion", "Influence bought<br>(opinion points)", 1.0),
    ("reported_influence", "Reported to the funder<br>(opinion points)", 1.0),
)
#: Difference panels: (column, y axis title with unit, scale factor). Mean opinion
#: and influence bought differ when the scenarios' no-spending counterfactuals differ
#: (other shocks, another host state); with the same counterfactual they coincide, and
#: the page shows :data:`SHARED_TWIN_PANELS` instead.
DIFFERENCE_PANELS = (
    ("opinion_mean", "Mean opinion:<br>difference (opinion points)", 1.0),
    ("attributable_opinion", "Influence bought:<br>difference (opinion points)", 1.0),
    ("favourable_share", "Share favourable:<br>difference (% points)", 100.0),
)
#: The difference panels when every scenario shares the baseline's no-spending twin:
#: the difference in mean opinion then equals the difference in influence bought.
SHARED_TWIN_PANELS = (
    (
        "attributable_opinion",
        "Mean opinion = influence bought:<br>difference (opinion points)",
        1.0,
    ),
    DIFFERENCE_PANELS[2],
)
#: Per-segment panels: (column of segments.csv, y axis title, how a run is reduced).
SEGMENT_PANELS = (
    ("attributable_opinion", "Influence bought<br>at the end (opinion points)", "last"),
    ("attributable_opinion", "Influence bought,<br>average over the run", "mean"),
    ("reach_share", "Share reached,<br>average over the run", "mean"),
)
#: Money categories of the side-by-side bars: (share column, legend, colour key).
MONEY_BARS = (
    ("leaked_share", "Leaked (kept along the chain)", "leaked"),
    ("for_show_share", "Spent for show", "for_show"),
    ("substantive_share", "Spent on substantive work", "substantive"),
    ("unspent_share", "Unspent at the end", "unspent"),
)


def trajectories_figure(
    bands: dict[str, dict[str, pd.DataFrame]],
    names: dict[str, str],
    colours: dict[str, str],
    shocks: Sequence[Shock],
) -> go.Figure:
    """Each scenario's replicate mean with its 90% band, one panel per measure.

    Args:
        bands: Scenario label -> column -> band frame (``mean``, ``low``, ``high``).
        names: Scenario label -> escaped display name.
        colours: Scenario label -> colour.
        shocks: Shocks to mark (merged over scenarios).
    """
    fig = _panels(bands, names, colours, TRAJECTORY_PANELS)
    apply_style(
        fig,
        "Scenarios over time: mean of the replicates, shaded 90% band",
        x_title=None,
        height=900,
    )
    fig.update_xaxes(title_text="Date", row=len(TRAJECTORY_PANELS), col=1)
    add_shock_markers(fig, shocks, all_scenarios=len(bands))
    return fig


def differences_figure(
    bands: dict[str, dict[str, pd.DataFrame]],
    names: dict[str, str],
    colours: dict[str, str],
    baseline: str,
    shocks: Sequence[Shock],
    panels: Sequence[tuple[str, str, float]] = DIFFERENCE_PANELS,
) -> go.Figure:
    """Each scenario minus the baseline, replicate mean and 90% band.

    Args:
        bands: Label of each non-baseline scenario -> column -> band of differences.
        names: Scenario label -> escaped display name.
        colours: Scenario label -> colour.
        baseline: Label of the baseline.
        shocks: Shocks to mark.
        panels: Which differences, :data:`DIFFERENCE_PANELS` or
            :data:`SHARED_TWIN_PANELS`.
    """
    fig = _panels(bands, names, colours, panels)
    for row in range(1, len(panels) + 1):
        fig.add_hline(y=0, line={"color": palette.GREY, "width": 1}, row=row, col=1)
    apply_style(
        fig,
        f"Each scenario minus the baseline ({names[baseline]}), paired by seed: mean and 90% band",
        x_title=None,
        height=300 * len(panels) - 40,
    )
    fig.update_xaxes(title_text="Date", row=len(panels), col=1)
    add_shock_markers(fig, shocks, all_scenarios=len(bands) + 1)
    return fig


def segments_figure(
    values: dict[str, dict[str, dict[str, pd.Series]]],
    segment_names: dict[str, str],
    names: dict[str, str],
    colours: dict[str, str],
) -> go.Figure:
    """Per audience segment, each scenario side by side: replicate mean and 90% interval.

    Args:
        values: Scenario label -> panel key (``column/reduction``) -> segment id ->
            one value per replicate.
        segment_names: Segment id -> escaped display name, in display order.
        names: Scenario label -> escaped display name.
        colours: Scenario label -> colour.
    """
    fig = make_subplots(rows=len(SEGMENT_PANELS), cols=1, vertical_spacing=0.08)
    x = list(segment_names.values())
    for row, (column, y_title, how) in enumerate(SEGMENT_PANELS, start=1):
        key = f"{column}/{how}"
        for label, per_panel in values.items():
            stats = [_stats(per_panel[key].get(seg)) for seg in segment_names]
            means = [m for m, _, _ in stats]
            fig.add_trace(
                go.Bar(
                    x=x,
                    y=means,
                    name=names[label],
                    legendgroup=label,
                    showlegend=row == 1,
                    marker={"color": colours[label]},
                    error_y={
                        "type": "data",
                        "symmetric": False,
                        "array": [h - m for m, _, h in stats],
                        "arrayminus": [m - lo for m, lo, _ in stats],
                        "color": palette.GREY,
                    },
                    customdata=[[lo, h] for _, lo, h in stats],
                    hovertemplate=f"{names[label]}: %{{y:+.4f}} "
                    "(90%: %{customdata[0]:+.4f} to %{customdata[1]:+.4f})<extra></extra>",
                ),
                row=row,
                col=1,
            )
        fig.add_hline(y=0, line={"color": palette.GREY, "width": 1}, row=row, col=1)
        fig.update_yaxes(title_text=y_title, row=row, col=1)
    apply_style(
        fig,
        "Per audience segment: mean of the replicates, bars span the 90% interval",
        x_title=None,
        height=260 * len(SEGMENT_PANELS) + 80,
    )
    fig.update_layout(barmode="group", hovermode="closest")
    fig.update_xaxes(title_text="Audience segment", row=len(SEGMENT_PANELS), col=1)
    return fig


def _stats(values: pd.Series | None) -> tuple[float, float, float]:
    """Mean and 90% interval of one segment's replicate values (NaN when absent)."""
    if values is None:
        return (math.nan, math.nan, math.nan)
    return replicate_interval(list(values))


def money_figure(
    metrics: dict[str, pd.DataFrame], names: dict[str, str], colours: dict[str, str]
) -> go.Figure:
    """Where the money went in each scenario, side by side (replicate means).

    Args:
        metrics: Scenario label -> per-run headline numbers
            (:func:`sim.dashboards.aggregate.run_metrics`).
        names: Scenario label -> escaped display name.
        colours: Scenario label -> colour (a square of it marks each scenario's name).
    """
    labels = list(metrics)
    x = [names[lab] for lab in labels]
    fig = go.Figure()
    for column, legend, key in MONEY_BARS:
        usd = [(metrics[lab][column] * metrics[lab]["disbursed_usd"]) for lab in labels]
        means = [float(u.mean()) for u in usd]
        lows = [float(u.quantile(0.05)) for u in usd]
        highs = [float(u.quantile(0.95)) for u in usd]
        shares = [float(metrics[lab][column].mean()) for lab in labels]
        fig.add_trace(
            go.Bar(
                x=x,
                y=[m / 1e6 for m in means],
                name=legend,
                marker={"color": palette.MONEY[key]},
                text=[f"{s:.0%}" for s in shares],
                textposition="inside",
                customdata=list(zip(means, lows, highs, strict=True)),
                hovertemplate=f"{legend}: $%{{customdata[0]:,.0f}} "
                "(90%: $%{customdata[1]:,.0f} to $%{customdata[2]:,.0f})<extra></extra>",
            )
        )
    apply_style(
        fig,
        "Where the money went in each scenario (mean of the replicates)",
        "USD (million)",
        x_title="Scenario",
    )
    fig.update_layout(
        barmode="stack", hovermode="closest", uniformtext={"minsize": 10, "mode": "hide"}
    )
    fig.update_xaxes(
        categoryorder="array",
        categoryarray=x,
        tickvals=x,
        ticktext=[f'<span style="color:{colours[lab]}">■</span> {names[lab]}' for lab in labels],
    )
    return fig


def _panels(
    bands: dict[str, dict[str, pd.DataFrame]],
    names: dict[str, str],
    colours: dict[str, str],
    panels: Sequence[tuple[str, str, float]],
) -> go.Figure:
    fig = make_subplots(rows=len(panels), cols=1, shared_xaxes=True, vertical_spacing=0.05)
    for row, (column, y_title, scale) in enumerate(panels, start=1):
        for label, per_column in bands.items():
            b = per_column[column] * scale
            colour = colours[label]
            dates = list(b.index)
            fig.add_trace(
                go.Scatter(
                    x=dates + dates[::-1],
                    y=list(b["high"]) + list(b["low"])[::-1],
                    fill="toself",
                    fillcolor=palette.with_alpha(colour, 0.18),
                    line={"width": 0},
                    hoverinfo="skip",
                    showlegend=False,
                    legendgroup=label,
                    name=f"{names[label]} (90% band)",
                ),
                row=row,
                col=1,
            )
            fig.add_trace(
                go.Scatter(
                    x=dates,
                    y=b["mean"],
                    customdata=b[["low", "high"]].to_numpy(),
                    mode="lines",
                    line={"color": colour, "width": 2},
                    name=names[label],
                    legendgroup=label,
                    showlegend=row == 1,
                    hovertemplate="%{y:+.4f} (90%: %{customdata[0]:+.4f} to %{customdata[1]:+.4f})",
                ),
                row=row,
                col=1,
            )
        fig.update_yaxes(title_text=y_title, row=row, col=1)
    return fig
