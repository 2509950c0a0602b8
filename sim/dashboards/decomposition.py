"""The influence-gap decomposition page, and its panel on the run dashboard.

Built only from saved tables: a decomposition folder (``decomposition.csv`` and
``manifest.json``, written by :func:`sim.decompose.write_decomposition`) or a run
folder written with ``run --decompose`` (``decomposition.csv`` beside the run's
tables). The summary is recomputed from the table with :func:`sim.decompose.summarise`,
so the page, the summary file and the command line agree.

The figure is a waterfall: the actual programme's outcome, then each factor's Shapley
contribution stacked on it (what turning the factor off adds, on average over every
order of turning them off), ending at the ideal programme's outcome. Error bars span
the 90% interval over the replicates (5th to 95th percentile).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from sim.dashboards import page, palette
from sim.dashboards.caveat import BANDS_SEED_NOISE, bands_with_parameters, caveat_box
from sim.dashboards.load import NotAResultError, has_decomposition, load_decomposition
from sim.dashboards.style import apply_style
from sim.dashboards.text import safe, share, shorten, signed
from sim.decompose import ACTUAL, FACTORS, GAP, IDEAL, MANIFEST_FILE, summarise

PAGE = "decomposition.html"
#: Factor labels longer than this are cut on the figure's axis.
TICK_CHARS = 30

#: Colours of the known factors: the money colours where they match (leaked money is
#: vermillion, money spent for show orange, on every page).
FACTOR_COLOURS = {
    "leakage": palette.MONEY["leaked"],
    "for_show": palette.MONEY["for_show"],
    "host_filtering": palette.REDDISH_PURPLE,
    "shocks": palette.SKY_BLUE,
}
#: Colours of the two ends of the waterfall.
ACTUAL_COLOUR = palette.GREY
IDEAL_COLOUR = palette.INFLUENCE["attributable"]

#: Titles (with units) of the usual outcomes; others show their metric name.
METRIC_TITLES = {
    "final_attributable_opinion": "Attributable opinion at the end (opinion points)",
    "mean_attributable_opinion": "Attributable opinion averaged over the run (opinion points)",
    "final_attributable_favourable_share": "Attributable favourable share at the end "
    "(percentage points)",
}


def metric_title(metric: str) -> str:
    """A metric's title with its unit (raw text)."""
    return METRIC_TITLES.get(metric, metric.replace("_", " "))


def metric_format(metric: str) -> Callable[[float], str]:
    """How a metric's values are written: opinion points, or percentage points for shares."""
    if metric.endswith("_share"):
        return lambda v: f"{100 * v:+.2f} pp" if math.isfinite(v) else "n/a"
    return signed


def factor_labels(manifest: Mapping[str, Any] | None = None) -> dict[str, str]:
    """Factor name -> label (raw text): from a manifest, else from the registry."""
    labels = {f.name: f.label for f in FACTORS}
    for entry in (manifest or {}).get("factors", []):
        if isinstance(entry, dict) and "name" in entry:
            labels[str(entry["name"])] = str(entry.get("label") or entry["name"])
    return labels


def _label(term: str, labels: Mapping[str, str]) -> str:
    if term == ACTUAL:
        return "Actual programme"
    if term == IDEAL:
        return "Ideal programme"
    if term == GAP:
        return "Gap (ideal − actual)"
    return labels.get(term, term)


def _factors(summary: pd.DataFrame, metric: str) -> list[str]:
    terms = summary.loc[summary["metric"] == metric, "term"]
    return [t for t in terms if t not in (ACTUAL, IDEAL, GAP)]


def _row(summary: pd.DataFrame, metric: str, term: str) -> pd.Series:
    return summary[(summary["metric"] == metric) & (summary["term"] == term)].iloc[0]


def gap_figure(summary: pd.DataFrame, metric: str, labels: Mapping[str, str]) -> go.Figure:
    """Where the influence went: actual, each factor's contribution, ideal (a waterfall).

    Args:
        summary: A decomposition summary (:func:`sim.decompose.summarise`).
        metric: The outcome to show.
        labels: Factor name -> label (raw text; escaped here).

    Returns:
        Bars from zero for the actual and the ideal outcome, floating bars for the
        factors (each starting where the previous one ended), with 90% intervals.
    """
    fmt = metric_format(metric)
    scale = 100.0 if metric.endswith("_share") else 1.0
    terms = [ACTUAL, *_factors(summary, metric), IDEAL]
    fig = go.Figure()
    level = 0.0
    names = []
    for term in terms:
        r = _row(summary, metric, term)
        mean, low, high = float(r["mean"]), float(r["low"]), float(r["high"])
        part = float(r["share_of_gap"])
        of_gap = f"{share(part)} of the gap" if math.isfinite(part) else ""
        if term in (ACTUAL, IDEAL):
            base, colour = 0.0, ACTUAL_COLOUR if term == ACTUAL else IDEAL_COLOUR
            level = mean
        else:
            base, colour = level, FACTOR_COLOURS.get(term, palette.BLACK)
            level += mean
        name = safe(_label(term, labels))
        names.append(name)
        fig.add_trace(
            go.Bar(
                x=[name],
                y=[mean * scale],
                base=[base * scale],
                marker={"color": colour},
                name=name,
                text=["<br>".join(safe(s) for s in (fmt(mean), of_gap) if s)],
                textposition="outside",
                textfont={"size": 12},
                cliponaxis=False,
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": [max(high - mean, 0.0) * scale],
                    "arrayminus": [max(mean - low, 0.0) * scale],
                    "color": palette.BLACK,
                    "thickness": 1.2,
                },
                customdata=[
                    [
                        safe(" ".join((fmt(mean), f"({of_gap})" if of_gap else ""))),
                        fmt(low),
                        fmt(high),
                        name,
                    ]
                ],
                hovertemplate="%{customdata[3]}: %{customdata[0]}<br>90% interval over the "
                "replicates: %{customdata[1]} to %{customdata[2]}<extra></extra>",
                showlegend=False,
            )
        )
    fig.add_hline(y=0, line={"color": palette.GREY, "width": 1})
    unit = "percentage points" if scale == 100.0 else "opinion points"
    apply_style(
        fig,
        f"Where did the influence go? {safe(metric_title(metric))}",
        f"{unit} (mean, 90% interval)",
        x_title=None,
        height=460,
    )
    fig.update_layout(hovermode="closest", barmode="overlay", bargap=0.35)
    # Long labels are cut on the axis (the hover text has them whole), so that they
    # cannot squeeze the bars to nothing.
    short = [safe(shorten(_label(term, labels), TICK_CHARS)) for term in terms]
    fig.update_xaxes(categoryorder="array", categoryarray=names, tickvals=names, ticktext=short)
    return fig


def summary_table(summary: pd.DataFrame, labels: Mapping[str, str]) -> str:
    """Every term of every metric: mean with 90% interval, and each factor's share."""
    metrics = list(pd.unique(summary["metric"]))
    terms = list(pd.unique(summary.loc[summary["metric"] == metrics[0], "term"]))
    rows = []
    for term in terms:
        cells = [_label(term, labels)]
        for metric in metrics:
            fmt = metric_format(metric)
            r = _row(summary, metric, term)
            n = int(r["replicates"])
            mean = fmt(float(r["mean"]))
            cells.append(
                f"{mean} ({fmt(float(r['low']))} to {fmt(float(r['high']))})" if n > 1 else mean
            )
            part = float(r["share_of_gap"])
            cells.append(share(part) if term not in (ACTUAL, IDEAL, GAP) else "")
        rows.append(cells)
    header = ["", *[h for m in metrics for h in (metric_title(m), "share of the gap")]]
    numeric = (False, *([True] * (2 * len(metrics))))
    return page.table(header, rows, numeric=numeric)


def story(summary: pd.DataFrame, labels: Mapping[str, str]) -> str:
    """The decomposition of the first metric in plain sentences (numbers only)."""
    metric = str(summary["metric"].iloc[0])
    fmt = metric_format(metric)
    actual = float(_row(summary, metric, ACTUAL)["mean"])
    ideal = float(_row(summary, metric, IDEAL)["mean"])
    parts = [
        f"{labels.get(f, f).lower()} {share(float(_row(summary, metric, f)['share_of_gap']))}"
        for f in _factors(summary, metric)
    ]
    return (
        f"{metric_title(metric)}: {fmt(actual)} for the actual programme against {fmt(ideal)} "
        "for the same money with no leakage, no spending for show, no host filtering and no "
        f"shocks. Of the gap of {fmt(ideal - actual)}, " + ", ".join(parts) + "."
    )


METHOD_NOTE = (
    "Each factor is turned off by a scenario transformation; all 16 combinations of "
    "factors on and off are run with the same seeds (common random numbers), and the gap "
    "between the ideal and the actual programme is split with the Shapley value (Shapley "
    "1953): a factor's contribution is what turning it off adds, averaged over every order "
    "of turning the factors off. The contributions add up exactly to the gap in every "
    "replicate. Intervals span the 5th to the 95th percentile of the replicates; a share "
    "is the factor's mean contribution over the mean gap. See docs/decomposition.md."
)


def decomposition_sections(
    table: pd.DataFrame, labels: Mapping[str, str], *, all_metrics: bool = True
) -> list[str]:
    """Page fragments: the story, the figure(s), the summary table and the method note.

    Args:
        table: A decomposition table (``decomposition.csv``).
        labels: Factor name -> label.
        all_metrics: One figure per metric (else only the first metric's).
    """
    if "band" in table.columns:
        out = [bands_table(summarise(table), labels)]
        for i, (band, part) in enumerate(table.groupby("band", sort=False)):
            out.append(page.heading(f"Band: {band}"))
            out += _sections(part.drop(columns="band"), labels, all_metrics, f"-band{i}")
        return [*out, page.paragraph(METHOD_NOTE, "note")]
    return [*_sections(table, labels, all_metrics), page.paragraph(METHOD_NOTE, "note")]


def _sections(
    table: pd.DataFrame, labels: Mapping[str, str], all_metrics: bool, suffix: str = ""
) -> list[str]:
    summary = summarise(table)
    metrics = list(pd.unique(summary["metric"]))
    shown = metrics if all_metrics else metrics[:1]
    out = [page.paragraph(story(summary, labels), "story")]
    out += [
        page.figure(gap_figure(summary, m, labels), f"decomposition-{m}{suffix}") for m in shown
    ]
    return [*out, summary_table(summary, labels)]


def bands_table(summary: pd.DataFrame, labels: Mapping[str, str]) -> str:
    """Both bands side by side for the first metric: mean and 90% interval of each term.

    Args:
        summary: A summary with a ``band`` column (:func:`sim.decompose.summarise`).
        labels: Factor name -> label.
    """
    metric = str(summary["metric"].iloc[0])
    fmt = metric_format(metric)
    bands = list(pd.unique(summary["band"]))
    terms = list(pd.unique(summary.loc[summary["metric"] == metric, "term"]))
    rows = []
    for term in terms:
        cells = [_label(term, labels)]
        for band in bands:
            r = _row(summary[summary["band"] == band], metric, term)
            cells.append(
                f"{fmt(float(r['mean']))} ({fmt(float(r['low']))} to {fmt(float(r['high']))})"
            )
        rows.append(cells)
    header = ["", *[f"{metric_title(metric)}: {band} (90% interval)" for band in bands]]
    return page.heading("Both bands", 2) + page.table(
        header, rows, numeric=(False, *([True] * len(bands)))
    )


def decomposition_figures(
    table: pd.DataFrame, labels: Mapping[str, str] | None = None
) -> dict[str, go.Figure]:
    """One waterfall per metric, keyed ``decomposition-<metric>`` (also image names)."""
    labels = factor_labels() if labels is None else labels
    if "band" in table.columns:
        return {
            f"{key}-band{i}": fig
            for i, (_, part) in enumerate(table.groupby("band", sort=False))
            for key, fig in decomposition_figures(part.drop(columns="band"), labels).items()
        }
    summary = summarise(table)
    return {
        f"decomposition-{m}": gap_figure(summary, m, labels) for m in pd.unique(summary["metric"])
    }


@dataclass(frozen=True)
class DecompositionData:
    """A saved decomposition folder.

    Attributes:
        folder: Where it was read from.
        manifest: Its ``manifest.json``.
        table: Its ``decomposition.csv``.
    """

    folder: Path
    manifest: dict[str, Any]
    table: pd.DataFrame


def load_decomposition_folder(folder: str | os.PathLike[str]) -> DecompositionData:
    """Read a decomposition folder.

    Raises:
        NotAResultError: If the table or the manifest is missing or unreadable.
    """
    folder = Path(folder)
    table = load_decomposition(folder)
    try:
        manifest = json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise NotAResultError(f"{folder}: cannot read {MANIFEST_FILE} ({exc})") from exc
    if not isinstance(manifest, dict) or manifest.get("kind") != "decomposition":
        raise NotAResultError(f"{folder}: {MANIFEST_FILE} is not a decomposition's")
    return DecompositionData(folder, manifest, table)


def decomposition_page(data: DecompositionData) -> str:
    """The decomposition page."""
    m = data.manifest
    labels = factor_labels(m)
    name = str(m.get("scenario_name", ""))
    overrides = ", ".join(m.get("overrides", [])) or "none"
    meta = (
        f"Scenario file {m.get('scenario_file') or 'n/a'} (overrides: {overrides}); "
        f"{m.get('replicates')} replicates with seeds {', '.join(map(str, m.get('seeds', [])))}; "
        f"{m.get('combinations')} combinations, {m.get('runs')} distinct runs in "
        f"{m.get('run_seconds')} s; created {m.get('created_utc', '?')}; "
        f"commit {m.get('git_commit', '?')}."
    )
    factors: Sequence[dict[str, Any]] = m.get("factors", [])
    sections = [
        page.heading(f"{name}: where did the influence go?", 1),
        page.paragraph(meta, "meta"),
        caveat_box(_bands_sentence(m), data.folder),
        *_parameters_note(m),
        *decomposition_sections(data.table, labels),
        page.heading("The factors (what turning each one off means)"),
        page.table(
            ["Factor", "Name in the tables", "Turned off"],
            [
                (labels.get(f["name"], f["name"]), f["name"], f.get("description", ""))
                for f in factors
            ],
        ),
        "<footer>"
        + page.paragraph(
            "Made by influence-sim from decomposition.csv and manifest.json in this folder. "
            "Works offline."
        )
        + "</footer>",
    ]
    return page.page(f"{name}: where did the influence go?", sections)


def _bands_sentence(manifest: Mapping[str, Any]) -> str:
    """What the page's intervals include: seed noise only, or both bands."""
    parameters = manifest.get("parameters")
    if not isinstance(parameters, dict):
        return BANDS_SEED_NOISE
    return bands_with_parameters(str(parameters.get("kind", "posterior")), "combination")


def _parameters_note(manifest: Mapping[str, Any]) -> list[str]:
    """Where the parameter sets came from (a decomposition with --posterior or --prior)."""
    p = manifest.get("parameters")
    if not isinstance(p, dict):
        return []
    kind = str(p.get("kind", "posterior"))
    median = ", ".join(f"{k} = {float(v):.4g}" for k, v in p.get("median", {}).items())
    return [
        page.paragraph(
            f"{len(p.get('draws', []))} parameter sets drawn from the {kind} in "
            f"{p.get('source', '?')} (replicate k: set k and seed k for all 16 "
            f"combinations); the seed-noise band runs at the {kind} median ({median}). "
            "Every drawn set is in manifest.json.",
            "meta",
        )
    ]


def render_decomposition(folder: str | os.PathLike[str]) -> Path:
    """Read a decomposition folder and write its ``decomposition.html``.

    Returns:
        The page's path.

    Raises:
        NotAResultError: If the folder is not a decomposition folder.
    """
    data = load_decomposition_folder(folder)
    return page.write_page(Path(folder) / PAGE, decomposition_page(data))


def run_panel(folder: str | os.PathLike[str]) -> list[str]:
    """The run dashboard's decomposition panel, when the run folder has one.

    Returns:
        Page fragments (a heading, the story, the first metric's figure, the table),
        or nothing when the folder holds no ``decomposition.csv``.

    Raises:
        NotAResultError: If the file is there but unreadable.
    """
    if not has_decomposition(folder):
        return []
    table = load_decomposition(folder)
    seeds = ", ".join(str(s) for s in pd.unique(table["seed"]))
    note = (
        f"This scenario against the same money with each factor turned off, in every "
        f"combination, {table['replicate'].nunique()} replicates with seeds {seeds} "
        "(written by run_sim.py run --decompose)."
    )
    return [
        page.heading("Where did the influence go? (decomposition)"),
        page.paragraph(note, "meta"),
        *decomposition_sections(table, factor_labels(), all_metrics=False),
    ]
