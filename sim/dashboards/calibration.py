"""The calibration page: posterior, prior vs posterior, predictive check, diagnostics.

``run_sim.py calibrate`` writes ``DIR/calibration.html`` from the tables in the
results folder (see :mod:`sim.calibration.output`); nothing is rerun. Every string
from the calibration file (its name, parameter paths, target names and sources) is
escaped with :func:`~sim.dashboards.text.safe` before it reaches the page or a figure.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots
from scipy import stats

from sim.dashboards import page
from sim.dashboards.palette import BLACK, BLUE, GREY, ORANGE, VERMILLION
from sim.dashboards.style import apply_style
from sim.dashboards.text import safe, shorten

PAGE = "calibration.html"
#: What the bands of this page include, shown in one visible line.
BANDS_NOTE = (
    "Bands on this page: posterior predictive 50% and 90% intervals over parameter sets "
    "drawn from the posterior, each run with its own seed, so they include parameter "
    "uncertainty and seed noise together. Observation error bars are ±2 standard deviations."
)


def _num(x: float, digits: int = 4) -> str:
    return "n/a" if not math.isfinite(x) else f"{x:.{digits}g}"


def _prior(entry: dict[str, Any]) -> Any:
    s = entry["scipy"]
    return getattr(stats, s["name"])(*s["args"], **s["kwargs"])


def marginals(manifest: dict[str, Any], posterior: pd.DataFrame) -> go.Figure:
    """One panel per parameter: the weighted posterior histogram over the prior density."""
    params = manifest["parameters"]
    cols = min(3, len(params))
    rows = math.ceil(len(params) / cols)
    fig = make_subplots(
        rows=rows,
        cols=cols,
        subplot_titles=[safe(shorten(p["path"], 45)) for p in params],
        horizontal_spacing=0.08,
        vertical_spacing=0.18 if rows > 1 else 0.1,
    )
    w = posterior["weight"].to_numpy()
    for i, p in enumerate(params):
        r, c = i // cols + 1, i % cols + 1
        prior = _prior(p)
        lo, hi = prior.support()
        if not (math.isfinite(lo) and math.isfinite(hi)):
            lo, hi = prior.ppf(0.001), prior.ppf(0.999)
        x = posterior[p["path"]].to_numpy()
        lo, hi = min(lo, x.min()), max(hi, x.max())
        edges = np.linspace(lo, hi, 31)
        dens, _ = np.histogram(x, bins=edges, weights=w, density=True)
        mids = 0.5 * (edges[1:] + edges[:-1])
        fig.add_trace(
            go.Bar(
                x=mids,
                y=dens,
                width=np.diff(edges),
                marker_color=BLUE,
                opacity=0.7,
                name="posterior",
                showlegend=i == 0,
                legendgroup="posterior",
                hovertemplate="%{x:.4g}: density %{y:.3g}<extra>posterior</extra>",
            ),
            row=r,
            col=c,
        )
        grid = np.linspace(lo, hi, 200)
        fig.add_trace(
            go.Scatter(
                x=grid,
                y=prior.pdf(grid),
                mode="lines",
                line={"color": GREY, "dash": "dash"},
                name="prior",
                showlegend=i == 0,
                legendgroup="prior",
                hovertemplate="%{x:.4g}: density %{y:.3g}<extra>prior</extra>",
            ),
            row=r,
            col=c,
        )
    apply_style(fig, "Prior and posterior of each parameter", x_title=None, height=300 * rows + 120)
    fig.update_layout(hovermode="closest", bargap=0)
    return fig


def pairs(manifest: dict[str, Any], posterior: pd.DataFrame) -> go.Figure:
    """The posterior particles for every pair of parameters (marker area ~ weight).

    A lower triangle of scatter panels: row i, column j plots parameter i + 1 against
    parameter j (j <= i).
    """
    paths = [p["path"] for p in manifest["parameters"]]
    k = len(paths) - 1
    w = posterior["weight"].to_numpy()
    size = 4 + 14 * np.sqrt(w / w.max())
    fig = make_subplots(rows=k, cols=k, horizontal_spacing=0.06, vertical_spacing=0.08)
    for i in range(k):
        for j in range(i + 1):
            x, y = paths[j], paths[i + 1]
            fig.add_trace(
                go.Scatter(
                    x=posterior[x],
                    y=posterior[y],
                    mode="markers",
                    marker={"size": size, "color": BLUE, "opacity": 0.5, "line": {"width": 0}},
                    showlegend=False,
                    hovertemplate="(%{x:.4g}, %{y:.4g})<extra>particle</extra>",
                ),
                row=i + 1,
                col=j + 1,
            )
            if i == k - 1:
                fig.update_xaxes(title_text=safe(shorten(x, 30)), row=i + 1, col=j + 1)
            if j == 0:
                fig.update_yaxes(title_text=safe(shorten(y, 30)), row=i + 1, col=j + 1)
    apply_style(
        fig,
        "Posterior particles, parameter against parameter (area: weight)",
        x_title=None,
        height=min(300 * k + 160, 1100),
    )
    fig.update_layout(hovermode="closest")
    return fig


def predictive_targets(targets: pd.DataFrame, predictive: pd.DataFrame) -> go.Figure:
    """Per target: the predictive runs' values against the observation ±2 sd."""
    n = len(targets)
    cols = min(3, n)
    rows = math.ceil(n / cols)
    fig = make_subplots(
        rows=rows,
        cols=cols,
        subplot_titles=[safe(shorten(t, 45)) for t in targets["target"]],
        horizontal_spacing=0.1,
        vertical_spacing=0.22 if rows > 1 else 0.1,
    )
    for i, t in enumerate(targets.itertuples()):
        r, c = i // cols + 1, i % cols + 1
        values = predictive[t.target].to_numpy() if t.target in predictive else np.array([])
        fig.add_trace(
            go.Box(
                y=values,
                x=["predicted"] * len(values),
                boxpoints="all",
                jitter=0.4,
                marker_color=BLUE,
                name="posterior predictive runs",
                showlegend=i == 0,
                legendgroup="pred",
                hovertemplate="%{y:.4g}<extra>predictive run</extra>",
            ),
            row=r,
            col=c,
        )
        fig.add_trace(
            go.Scatter(
                x=["observed"],
                y=[t.observed],
                mode="markers",
                marker={"color": VERMILLION, "size": 11, "symbol": "diamond"},
                error_y={"type": "constant", "value": 2 * t.sd, "color": VERMILLION},
                name="observed ±2 sd",
                showlegend=i == 0,
                legendgroup="obs",
                hovertemplate=f"{_num(t.observed)} ± {_num(2 * t.sd, 3)}<extra>observed</extra>",
            ),
            row=r,
            col=c,
        )
    apply_style(
        fig, "Posterior predictive check, target by target", x_title=None, height=320 * rows + 120
    )
    fig.update_layout(hovermode="closest")
    return fig


def predictive_paths(paths: pd.DataFrame, targets: pd.DataFrame, segment: str) -> go.Figure:
    """The favourable share over time: predictive median and bands, with the surveys."""
    rows = paths[paths["segment"] == segment]
    wide = rows.pivot_table(index="date", columns="draw", values="favourable_share")
    dates = list(wide.index)
    q = np.nanquantile(wide.to_numpy(), [0.05, 0.25, 0.5, 0.75, 0.95], axis=1)
    who = "everyone" if segment == "" else segment
    fig = go.Figure()
    for lo, hi, label, alpha in ((0, 4, "90% band", 0.15), (1, 3, "50% band", 0.3)):
        fig.add_trace(
            go.Scatter(
                x=dates,
                y=q[hi],
                mode="lines",
                line={"width": 0},
                showlegend=False,
                hoverinfo="skip",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=dates,
                y=q[lo],
                mode="lines",
                line={"width": 0},
                fill="tonexty",
                fillcolor=f"rgba(0,114,178,{alpha})",
                name=label,
                hoverinfo="skip",
            )
        )
    fig.add_trace(
        go.Scatter(
            x=dates,
            y=q[2],
            mode="lines",
            line={"color": BLUE},
            name="predictive median",
            hovertemplate="%{y:.3f}<extra>median</extra>",
        )
    )
    obs = targets[targets["summary"] == "favourable_share"]
    xs, ys, es, names = [], [], [], []
    for t in obs.itertuples():
        args = json.loads(t.args)
        if (args.get("segment") or "") != segment:
            continue
        xs.append(args["date"])
        ys.append(t.observed)
        es.append(2 * t.sd)
        names.append(safe(shorten(t.target, 40)))
    if xs:
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="markers",
                text=names,
                marker={"color": VERMILLION, "size": 10, "symbol": "diamond"},
                error_y={"type": "data", "array": es, "color": VERMILLION},
                name="survey ±2 sd",
                hovertemplate="%{text}: %{y:.3f}<extra>observed</extra>",
            )
        )
    apply_style(
        fig,
        f"Favourable share, {safe(shorten(who, 40))}: predictive bands and surveys",
        "Share favourable",
    )
    return fig


def diagnostics_figure(diag: pd.DataFrame) -> go.Figure:
    """Epsilon, acceptance rate and effective sample size per generation."""
    fig = make_subplots(
        rows=1,
        cols=3,
        subplot_titles=["Epsilon (distance threshold)", "Acceptance rate", "Effective sample size"],
        horizontal_spacing=0.09,
    )
    g = diag["generation"]
    eps = diag["epsilon"].replace([np.inf], np.nan)
    for col, (y, color, fmt) in enumerate(
        ((eps, BLACK, ".4g"), (diag["acceptance_rate"], ORANGE, ".1%"), (diag["ess"], BLUE, ".1f")),
        start=1,
    ):
        fig.add_trace(
            go.Scatter(
                x=g,
                y=y,
                mode="lines+markers",
                line={"color": color},
                showlegend=False,
                hovertemplate=f"generation %{{x}}: %{{y:{fmt}}}<extra></extra>",
            ),
            row=1,
            col=col,
        )
        fig.update_xaxes(title_text="Generation", dtick=1, row=1, col=col)
    fig.update_yaxes(type="log", row=1, col=1)
    fig.update_yaxes(tickformat=".0%", rangemode="tozero", row=1, col=2)
    fig.update_yaxes(rangemode="tozero", row=1, col=3)
    apply_style(fig, "How the sampler converged", x_title=None, height=360)
    fig.update_layout(hovermode="closest")
    return fig


def render_calibration(folder: str | os.PathLike[str]) -> Path:
    """Write ``calibration.html`` in a calibration's results folder.

    Returns:
        The page's path.
    """
    folder = Path(folder)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    posterior = pd.read_parquet(folder / "posterior.parquet")
    summary = pd.read_csv(folder / "posterior_summary.csv")
    diag = pd.read_csv(folder / "diagnostics.csv")
    targets = pd.read_csv(
        folder / "targets.csv",
        keep_default_na=False,
        na_values={
            "predictive_q05": [""],
            "predictive_median": [""],
            "predictive_q95": [""],
            "sample_size": [""],
        },
    )
    predictive = pd.read_csv(folder / "predictive.csv")
    paths = pd.read_parquet(folder / "predictive_trajectories.parquet")
    paths["segment"] = paths["segment"].fillna("")
    last = diag.iloc[-1]
    sections = [
        page.heading(manifest["name"], 1),
        page.paragraph(
            f"Calibration of {manifest['base_scenario_file']} from {manifest['calibration_file']}"
            f": {len(manifest['parameters'])} parameter(s), {len(manifest['targets'])} "
            f"target(s); {manifest['stop_reason']}.",
            "meta",
        ),
        page.paragraph(BANDS_NOTE, "story"),
    ]
    if manifest.get("description"):
        sections.append(page.paragraph(manifest["description"]))
    sections.append(
        page.cards(
            [
                (
                    f"{manifest['generations']}",
                    "generations",
                    f"{manifest['method']['population_size']} particles each",
                ),
                (f"{manifest['runs']:,}", "model runs", "every generation, every session"),
                (
                    _num(float(last["epsilon"])),
                    "final epsilon",
                    "sum over targets of squared (or absolute) z-scores",
                ),
                (
                    f"{float(last['ess']):.0f}",
                    "effective sample size",
                    "of the final weighted particles",
                ),
            ]
        )
    )
    sections += [
        page.heading("Posterior"),
        page.table(
            ["parameter", "prior", "median", "50% interval", "90% interval", "90% width vs prior"],
            [
                [
                    r.parameter,
                    r.prior,
                    _num(r.median),
                    f"{_num(r.q25)} to {_num(r.q75)}",
                    f"{_num(r.q05)} to {_num(r.q95)}",
                    f"{r.width90_vs_prior:.0%}",
                ]
                for r in summary.itertuples()
            ],
            numeric=[False, False, True, True, True, True],
        ),
        page.paragraph(
            "A 90% interval nearly as wide as the prior's means the targets say little about "
            "that parameter (not identifiable from these observations).",
            "note",
        ),
        page.figure(marginals(manifest, posterior), "marginals"),
    ]
    if len(manifest["parameters"]) > 1:
        corr = pd.read_csv(folder / "posterior_correlations.csv")
        sections += [
            page.figure(pairs(manifest, posterior), "pairs"),
            page.table(
                ["parameter", "parameter", "posterior correlation"],
                [
                    [r.parameter_a, r.parameter_b, f"{r.correlation:+.2f}"]
                    for r in corr.itertuples()
                ],
                numeric=[False, False, True],
            ),
        ]
    sections.append(page.heading("Posterior predictive check"))
    if predictive.empty:
        sections.append(page.paragraph("No predictive runs (predictive_draws: 0).", "note"))
    else:
        sections.append(page.figure(predictive_targets(targets, predictive), "predictive"))
        segments = [""]
        for a in targets.loc[targets["summary"] == "favourable_share", "args"]:
            seg = json.loads(a).get("segment") or ""
            if seg not in segments:
                segments.append(seg)
        for k, seg in enumerate(segments):
            sections.append(page.figure(predictive_paths(paths, targets, seg), f"paths-{k}"))
    sections += [
        page.table(
            ["target", "observed", "sd", "predictive median", "predictive 90%", "source"],
            [
                [
                    t.target,
                    _num(t.observed),
                    _num(t.sd, 3),
                    _num(t.predictive_median),
                    f"{_num(t.predictive_q05)} to {_num(t.predictive_q95)}",
                    t.source,
                ]
                for t in targets.itertuples()
            ],
            numeric=[False, True, True, True, True, False],
        ),
        page.heading("Diagnostics"),
        page.figure(diagnostics_figure(diag), "diagnostics"),
        page.paragraph(
            "Generation 0 accepts every draw from the prior (epsilon infinite); each later "
            "epsilon is a quantile of the previous generation's distances.",
            "note",
        ),
    ]
    html = page.page(f"Calibration: {manifest['name']}", sections)
    return page.write_page(folder / PAGE, html)
