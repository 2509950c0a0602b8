"""Figures of the validation report (plotly), one builder per anchor, and their export.

Each builder takes an anchor's result and returns a plotly figure; :func:`write_png`
exports them all with kaleido and a local Chromium (see :mod:`sim.dashboards.images`),
at a small size, in one browser session.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from sim.dashboards import palette
from sim.dashboards.images import require_browser
from sim.quantities import replicate_interval
from sim.validation.common import Spread

#: Size of the exported images, in pixels (scale 1).
WIDTH = 900
HEIGHT = 420


def style(fig: go.Figure, title: str, height: int = HEIGHT) -> go.Figure:
    """The common look: white template, title at the top left, legend below."""
    fig.update_layout(
        template="plotly_white",
        title={"text": title, "x": 0.01, "xanchor": "left", "font": {"size": 15}},
        font={"family": "Arial, sans-serif", "size": 12},
        height=height,
        width=WIDTH,
        margin={"l": 70, "r": 20, "t": 50, "b": 60},
        legend={"orientation": "h", "y": -0.18, "x": 0, "xanchor": "left"},
    )
    return fig


def write_png(figures: Mapping[str, go.Figure], folder: str | os.PathLike[str]) -> list[Path]:
    """Export every figure as ``<name>.png`` into ``folder``.

    Args:
        figures: Name -> figure.
        folder: Where to write (must exist).

    Returns:
        The files written.

    Raises:
        sim.dashboards.images.BrowserNotFoundError: If no Chromium or Chrome is found.
    """
    import kaleido

    browser = require_browser()
    jobs, paths = [], []
    for name, fig in figures.items():
        path = Path(folder) / f"{name}.png"
        height = int(fig.layout.height or HEIGHT)
        width = int(fig.layout.width or WIDTH)
        opts = {"format": "png", "width": width, "height": height, "scale": 1}
        jobs.append({"fig": fig, "path": path, "opts": opts})
        paths.append(path)
    if jobs:
        kaleido.write_fig_from_object_sync(
            jobs, kopts={"path": browser, "mathjax": False}, cancel_on_error=True
        )
    return paths


def _interval(values: Sequence[float]) -> tuple[float, float, float]:
    """Mean and the distances to the 90% replicate interval's ends (for error bars)."""
    mean, low, high = replicate_interval(values)
    return mean, max(high - mean, 0.0), max(mean - low, 0.0)


def _bars(spreads: Sequence[Spread]) -> tuple[list[float], dict[str, Any]]:
    stats = [_interval(s.values) for s in spreads]
    return [m for m, _, _ in stats], {
        "type": "data",
        "array": [h for _, h, _ in stats],
        "arrayminus": [lo for _, _, lo in stats],
        "visible": True,
    }


# ---------------------------------------------------------------------------- leakage


def olken(result: Any, target: float, tolerance: float) -> go.Figure:
    """Leaked share at 4% and 100% audits (bars: mean; dots: seeds) and Olken's drop."""
    fig = go.Figure()
    labels = ["model: audits 4% a year", "model: audits 100% a year"]
    spreads = (result.control, result.treatment)
    for n, (label, spread) in enumerate(zip(labels, spreads, strict=True)):
        fig.add_trace(
            go.Bar(
                x=[label],
                y=[spread.mean],
                marker_color=palette.with_alpha(palette.MONEY["leaked"], 0.5 + 0.4 * n),
                showlegend=False,
            )
        )
        fig.add_trace(
            go.Scatter(
                x=[label] * spread.n,
                y=list(spread.values),
                mode="markers",
                marker={"color": palette.BLACK, "size": 5, "opacity": 0.5},
                name="one seed",
                showlegend=n == 0,
            )
        )
    fig.add_trace(
        go.Scatter(
            x=["Olken: 4% level minus 8 +- 3 points"],
            y=[result.control.mean - target],
            mode="markers",
            marker={"color": palette.BLUE, "size": 12, "symbol": "diamond"},
            error_y={"type": "constant", "value": tolerance, "visible": True, "thickness": 2},
            name="target for 100% audits (from the model's 4% level)",
        )
    )
    fig.update_yaxes(
        title="share of the money disbursed that leaked", tickformat=".0%", rangemode="tozero"
    )
    return style(
        fig,
        f"Olken (2007): audits cut missing expenditure by {100 * result.drop.mean:.1f} points "
        f"(target {100 * target:.0f} +- {100 * tolerance:.0f})",
    )


def reinikka_svensson(
    result: Any, before: float, tolerance: float, after_below: float
) -> go.Figure:
    """Leaked share of each year's disbursement, 1991-2001, with the targets."""
    years = sorted(result.years)
    means = [result.years[y].mean for y in years]
    lows = [min(result.years[y].values) for y in years]
    highs = [max(result.years[y].values) for y in years]
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=years + years[::-1],
            y=highs + lows[::-1],
            fill="toself",
            fillcolor=palette.with_alpha(palette.MONEY["leaked"], 0.2),
            line={"width": 0},
            name="range over the seeds",
            hoverinfo="skip",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=years,
            y=means,
            mode="lines+markers",
            line={"color": palette.MONEY["leaked"]},
            name="model, mean over the seeds",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[1995],
            y=[before],
            mode="markers",
            marker={"color": palette.BLACK, "size": 10, "symbol": "diamond"},
            error_y={"type": "constant", "value": tolerance, "visible": True},
            name=f"R&S 1995: {before:.0%} +- {tolerance:.0%}",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[2001],
            y=[after_below],
            mode="markers",
            marker={"color": palette.BLACK, "size": 11, "symbol": "triangle-down"},
            name=f"R&S 2001: below {after_below:.0%}",
        )
    )
    fig.add_vline(x=1996.5, line={"color": palette.GREY, "dash": "dot"})
    fig.add_annotation(x=1996.6, y=0.5, text="transfers published", showarrow=False, xanchor="left")
    fig.update_yaxes(
        title="leaked share of the year's disbursement", tickformat=".0%", range=[0, 1]
    )
    fig.update_xaxes(title="year", dtick=1)
    return style(fig, "Reinikka & Svensson (2004): capture before and after publication")


# ---------------------------------------------------------------------------- kernels


def deffuant(check: Mapping[float, Mapping[str, float]], n_seeds: int) -> go.Figure:
    """Major clusters against the confidence bound: kernel, reference and 1/(2 eps)."""
    eps = sorted(check)
    fig = go.Figure()
    for key, colour, dash, symbol, name in (
        ("reference", palette.VERMILLION, "dash", "circle-open", "plain sequential reference"),
        ("kernel", palette.BLUE, "solid", "circle", "model kernel (deffuant_step)"),
    ):
        fig.add_trace(
            go.Scatter(
                x=eps,
                y=[check[e][key] for e in eps],
                mode="lines+markers",
                line={"color": colour, "dash": dash},
                marker={"symbol": symbol, "size": 9 if key == "reference" else 6},
                name=name,
                error_y={
                    "type": "data",
                    "array": [2 * check[e]["standard_error"] / math.sqrt(2) for e in eps],
                    "visible": True,
                },
            )
        )
    fine = [0.12 + 0.01 * k for k in range(60) if 0.12 + 0.01 * k <= max(eps) + 0.05]
    fig.add_trace(
        go.Scatter(
            x=fine,
            y=[max(1.0, 1 / (2 * e)) for e in fine],
            mode="lines",
            line={"color": palette.ORANGE, "dash": "dash"},
            name="1 / (2 eps) (rough rule; 1 above 0.5)",
        )
    )
    fig.add_vline(x=0.5, line={"color": palette.GREY, "dash": "dot"})
    fig.update_xaxes(title="confidence bound eps (on [0, 1])")
    fig.update_yaxes(title="major clusters (mean over seeds)", rangemode="tozero")
    return style(
        fig,
        f"Deffuant on random 10-regular graphs, N=500, {n_seeds} seeds (bars: +-2 SE)",
    )


def hk(scan: Mapping[float, Mapping[str, float]], n_people: int, n_seeds: int) -> go.Figure:
    """HK clusters on the complete graph against the confidence bound."""
    eps = sorted(scan)
    mean = [scan[e]["mean_clusters"] for e in eps]
    fig = go.Figure()
    fig.add_vrect(
        x0=0.146, x1=0.176, fillcolor=palette.with_alpha(palette.BLUISH_GREEN, 0.15), line_width=0
    )
    fig.add_vrect(
        x0=0.176, x1=0.191, fillcolor=palette.with_alpha(palette.ORANGE, 0.15), line_width=0
    )
    fig.add_trace(
        go.Scatter(
            x=eps,
            y=mean,
            mode="lines+markers",
            line={"color": palette.BLUE},
            error_y={
                "type": "data",
                "array": [scan[e]["max_clusters"] - m for e, m in zip(eps, mean, strict=True)],
                "arrayminus": [m - scan[e]["min_clusters"] for e, m in zip(eps, mean, strict=True)],
                "visible": True,
            },
            name="major clusters (mean; bars: min to max)",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=eps,
            y=[scan[e]["consensus_share"] for e in eps],
            mode="lines",
            line={"color": palette.REDDISH_PURPLE, "dash": "dot"},
            name="share of seeds in consensus",
            yaxis="y2",
        )
    )
    fig.add_vline(x=0.2, line={"color": palette.BLACK, "dash": "dash"})
    fig.update_layout(
        yaxis={"title": "major clusters", "rangemode": "tozero"},
        yaxis2={
            "title": "share of seeds in consensus",
            "overlaying": "y",
            "side": "right",
            "range": [0, 1.05],
            "tickvals": [0, 0.25, 0.5, 0.75, 1],
            "tickformat": ".0%",
            "showgrid": False,
        },
    )
    fig.update_xaxes(title="confidence bound eps (on [0, 1]); shaded: Lorenz (2006) windows")
    return style(
        fig,
        f"Hegselmann-Krause on the complete graph, N={n_people}, {n_seeds} update orders",
    )


def voter_exit(results: Sequence[Any]) -> go.Figure:
    """Measured exit probability against its prediction, with 3-SE bars."""
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=[0, 1],
            y=[0, 1],
            mode="lines",
            line={"color": palette.GREY, "dash": "dot"},
            name="measured = predicted",
        )
    )
    regular = [r for r in results if r.initial_share == r.predicted]
    weighted = [r for r in results if r.initial_share != r.predicted]
    for group, colour, name in (
        (regular, palette.BLUE, "regular graph: against the initial share"),
        (weighted, palette.VERMILLION, "random graph: against the degree-weighted share"),
    ):
        if not group:
            continue
        fig.add_trace(
            go.Scatter(
                x=[r.predicted for r in group],
                y=[r.measured for r in group],
                mode="markers",
                marker={"color": colour, "size": 9},
                error_y={"type": "data", "array": [r.tolerance for r in group], "visible": True},
                name=name,
            )
        )
    if weighted:
        fig.add_trace(
            go.Scatter(
                x=[r.initial_share for r in weighted],
                y=[r.measured for r in weighted],
                mode="markers",
                marker={"color": palette.VERMILLION, "size": 9, "symbol": "x-open"},
                name="random graph: against the plain share (not the prediction)",
            )
        )
    fig.update_xaxes(title="predicted exit probability (initial share)", range=[0, 1])
    fig.update_yaxes(title="share of runs won by opinion 1", range=[0, 1])
    return style(fig, "Voter model: exit probability (bars: 3 binomial SE)", height=480)


def voter_time(result: Any) -> go.Figure:
    """Mean consensus time against N on log-log axes, with the fitted slope."""
    n, t, se = result.sizes, result.mean_sweeps, result.standard_errors
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=list(n),
            y=list(t),
            mode="markers",
            marker={"color": palette.BLUE, "size": 9},
            error_y={"type": "data", "array": [2 * s for s in se], "visible": True},
            name="mean sweeps to consensus (bars: 2 SE)",
        )
    )
    mid = math.exp(sum(math.log(v) for v in n) / len(n))
    tmid = math.exp(sum(math.log(v) for v in t) / len(t))
    for slope, colour, name in (
        (result.slope, palette.BLUE, f"fit: slope {result.slope:.2f}"),
        (1.0, palette.GREY, "slope 1 (Sood & Redner)"),
    ):
        fig.add_trace(
            go.Scatter(
                x=[n[0], n[-1]],
                y=[tmid * (n[0] / mid) ** slope, tmid * (n[-1] / mid) ** slope],
                mode="lines",
                line={"color": colour, "dash": "solid" if slope != 1.0 else "dot"},
                name=name,
            )
        )
    fig.update_xaxes(type="log", title="people N (complete graph)")
    fig.update_yaxes(type="log", title="sweeps (units of N updates)")
    return style(fig, "Voter model: mean consensus time from an even split")


# ---------------------------------------------------------------------------- model checks


#: Short labels of the invariance quantities.
SHORT = {
    "final_attributable_opinion": "attrib. opinion, final",
    "mean_attributable_opinion": "attrib. opinion, mean",
    "final_opinion_mean": "opinion mean, final",
    "final_favourable_share": "favourable, final",
    "leaked_share": "share leaked",
}


def invariance(result: Any, title: str) -> go.Figure:
    """Attributable-opinion trajectories of both settings, and the scaled differences."""
    fig = make_subplots(
        rows=1,
        cols=2,
        column_widths=[0.6, 0.4],
        horizontal_spacing=0.2,
        subplot_titles=(
            "attributable opinion over time (mean of the first seeds)",
            "difference / tolerance (pass within +-1)",
        ),
    )
    for (dates, values), colour, label in (
        (result.trajectory_a, palette.BLUE, result.label_a),
        (result.trajectory_b, palette.VERMILLION, result.label_b),
    ):
        fig.add_trace(
            go.Scatter(
                x=list(dates),
                y=list(values),
                mode="lines",
                line={"color": colour, "width": 1.5},
                name=label,
            ),
            row=1,
            col=1,
        )
    names = [SHORT.get(c.quantity, c.quantity) for c in result.checks]
    scaled = [c.difference / c.tolerance if c.tolerance else 0.0 for c in result.checks]
    fig.add_trace(
        go.Bar(
            y=names,
            x=scaled,
            orientation="h",
            marker_color=[
                palette.BLUISH_GREEN if c.passed else palette.VERMILLION for c in result.checks
            ],
            showlegend=False,
        ),
        row=1,
        col=2,
    )
    for x in (-1, 1):
        fig.add_vline(x=x, line={"color": palette.GREY, "dash": "dot"}, row=1, col=2)
    fig.update_xaxes(
        range=[-max(1.5, *map(abs, scaled)) * 1.05, max(1.5, *map(abs, scaled)) * 1.05],
        row=1,
        col=2,
    )
    fig.update_yaxes(automargin=True, row=1, col=2)
    fig.update_annotations(font_size=12)
    return style(fig, title, height=460)


def dose(curve: Any, quantities: Mapping[str, str]) -> go.Figure:
    """Attributable opinion, favourable share and share leaked against one lever."""
    lever = curve.lever
    x = list(lever.values)
    fig = make_subplots(
        rows=1,
        cols=3,
        subplot_titles=("attributable opinion", "favourable share, final", "share leaked"),
        horizontal_spacing=0.09,
    )
    for col, q, colour, legend in (
        (1, "mean_attributable_opinion", palette.BLUE, True),
        (1, "final_attributable_opinion", palette.SKY_BLUE, True),
        (2, "final_favourable_share", palette.BLACK, False),
        (3, "leaked_share", palette.MONEY["leaked"], False),
    ):
        y, bars = _bars([p[q] for p in curve.points])
        fig.add_trace(
            go.Scatter(
                x=x,
                y=y,
                error_y=bars,
                mode="lines+markers",
                line={"color": colour},
                name=quantities[q],
                showlegend=legend,
            ),
            row=1,
            col=col,
        )
    ticks = {"tickvals": x, "ticktext": [f"{v:g}" for v in x]} if lever.log_x else {}
    for col in (1, 2, 3):
        fig.update_xaxes(
            title=lever.label if col == 2 else None,
            type="log" if lever.log_x else None,
            row=1,
            col=col,
            **ticks,
        )
    fig.update_yaxes(tickformat=".2%", row=1, col=2)
    fig.update_yaxes(tickformat=".0%", range=[0, 1], row=1, col=3)
    fig.update_annotations(font_size=12)
    arrow = {1: "rising", -1: "falling", 0: "no direction"}[lever.expected]
    return style(
        fig,
        f"Dose-response: {lever.label} (expected: {arrow}; bars: 90% interval over "
        f"{len(curve.seeds)} seeds)",
        height=400,
    )


def funder(result: Any) -> go.Figure:
    """Beliefs and allocation shares over time, complacent against informed funder."""
    fig = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=(
            "funder's belief (dotted: delivered share)",
            "share of each step's disbursement",
        ),
    )
    ids = list(result.planned)
    colours = palette.colour_map(ids)
    for run, dash in ((result.complacent, "solid"), (result.informed, "dash")):
        for i in ids:
            fig.add_trace(
                go.Scatter(
                    x=list(run.dates),
                    y=list(run.belief[i]),
                    mode="lines",
                    line={"color": colours[i], "dash": dash, "width": 1.5},
                    name=f"{i}, {run.label.split(' ')[0]}",
                    legendgroup=i,
                ),
                row=1,
                col=1,
            )
            fig.add_trace(
                go.Scatter(
                    x=list(run.dates),
                    y=list(run.allocation[i]),
                    mode="lines",
                    line={"color": colours[i], "dash": dash, "width": 1.5},
                    showlegend=False,
                    legendgroup=i,
                ),
                row=1,
                col=2,
            )
    for i in ids:
        fig.add_trace(
            go.Scatter(
                x=list(result.informed.dates),
                y=list(result.informed.delivered[i]),
                mode="lines",
                line={"color": colours[i], "dash": "dot", "width": 1},
                opacity=0.6,
                showlegend=False,
            ),
            row=1,
            col=1,
        )
    fig.update_yaxes(range=[0, 1.05], tickformat=".0%", row=1, col=1)
    fig.update_yaxes(tickformat=".0%", rangemode="tozero", row=1, col=2)
    fig.update_annotations(font_size=12)
    return style(
        fig,
        "Complacent (solid: reports hide everything) against informed funder (dashed: honest)",
        height=460,
    )


def recovery(rows: Sequence[Mapping[str, Any]]) -> go.Figure:
    """Each parameter's 90% credible interval, scaled to its prior's, with the truth."""
    fig = go.Figure()
    labels = [str(r["parameter"]) for r in rows]
    for r, label in zip(rows, labels, strict=True):
        fig.add_trace(
            go.Scatter(
                x=[r["q05"], r["q95"]],
                y=[label, label],
                mode="lines+markers",
                line={"color": palette.BLUE, "width": 6},
                name="90% credible interval",
                showlegend=label == labels[0],
            )
        )
    fig.add_trace(
        go.Scatter(
            x=[r["truth"] for r in rows],
            y=labels,
            mode="markers",
            marker={"color": palette.VERMILLION, "size": 12, "symbol": "diamond"},
            name="known value",
        )
    )
    fig.update_xaxes(title_text="parameter value")
    return style(fig, "Parameter recovery: 90% intervals and the known values")
