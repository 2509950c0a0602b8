"""Figures and tables of scenario discovery (:mod:`sim.sweep.discovery`) for the sweep page."""

from __future__ import annotations

import math

import plotly.graph_objects as go

from sim.dashboards import palette
from sim.dashboards.style import apply_style
from sim.dashboards.text import safe
from sim.sweep.discovery import Discovery


def tradeoff(found: Discovery) -> go.Figure:
    """PRIM's peeling trajectory: coverage against density, the chosen box marked."""
    t = found.trajectory
    fig = go.Figure()
    for step, name, mode, symbol in (
        ("peel", "boxes along the peeling trajectory", "lines+markers", "circle"),
        ("drop", "restrictions that were not significant dropped", "markers", "diamond"),
    ):
        part = t[t["step"] == step]
        if part.empty:
            continue
        fig.add_trace(
            go.Scatter(
                x=part["coverage"],
                y=part["density"],
                mode=mode,
                name=name,
                line={"color": palette.GREY},
                marker={
                    "color": part["restricted"],
                    "cmin": 0,
                    "cmax": max(1, int(t["restricted"].max())),
                    "colorscale": "Cividis",
                    "size": 8,
                    "symbol": symbol,
                    "colorbar": {"title": {"text": "parameters restricted"}},
                    "showscale": step == "peel",
                },
                customdata=part[["box", "mass", "restricted"]].to_numpy(),
                hovertemplate="box %{customdata[0]}<br>coverage %{x:.3f}<br>density %{y:.3f}"
                "<br>share of runs inside %{customdata[1]:.3f}"
                "<br>%{customdata[2]} parameter(s) restricted<extra></extra>",
            )
        )
    chosen = t.loc[found.chosen]
    fig.add_trace(
        go.Scatter(
            x=[chosen["coverage"]],
            y=[chosen["density"]],
            mode="markers",
            name=f"chosen box {int(chosen['box'])}",
            marker={"symbol": "star", "size": 18, "color": palette.VERMILLION},
            hoverinfo="skip",
        )
    )
    apply_style(
        fig,
        f"PRIM boxes for {safe(found.condition.text)}: coverage against density",
        y_title="density",
        x_title="coverage (share of the runs meeting the condition inside the box)",
    )
    fig.update_layout(hovermode="closest")
    return fig


def box_rows(found: Discovery) -> list[list[str]]:
    """The chosen box's limits as table rows (text, numbers shortened)."""
    return [
        [
            str(row.parameter),
            _number(row.low),
            _number(row.high),
            _number(row.qp_low, "{:.2g}"),
            _number(row.qp_high, "{:.2g}"),
        ]
        for row in found.box.itertuples(index=False)
    ]


def tree_rows(found: Discovery) -> list[list[str]]:
    """The tree's leaves as table rows."""
    return [
        [str(row.rule), str(row.runs), str(row.cases), f"{row.share:.0%}"]
        for row in found.tree.itertuples(index=False)
    ]


def feature_scores(found: Discovery) -> go.Figure:
    """Extra-trees feature scores: parameters (rows) against metrics (columns)."""
    scores = found.scores
    fig = go.Figure(
        go.Heatmap(
            z=scores.to_numpy(),
            x=[safe(c) for c in scores.columns],
            y=[safe(i) for i in scores.index],
            colorscale="Cividis",
            zmin=0,
            colorbar={"title": {"text": "score"}},
            hovertemplate="%{y}<br>%{x}<br>score %{z:.3f}<extra></extra>",
        )
    )
    apply_style(
        fig,
        "Feature scores: how much each parameter explains each metric (extra trees; each "
        "column sums to 1)",
        y_title=None,
        x_title="metric",
    )
    fig.update_layout(hovermode="closest", margin={"l": 220})
    return fig


def _number(value: object, form: str = "{:.4g}") -> str:
    if isinstance(value, float):
        return "" if math.isnan(value) else form.format(value)
    return str(value)
