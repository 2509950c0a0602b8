"""The sweep page: which parameters drive the outcome, read from a stored sweep.

``run_sim.py sweep-report DIR`` writes ``DIR/dashboard.html``. It reads only the
sweep folder (its manifest and Parquet tables), so it works on a finished sweep, a
running one and an interrupted one.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from sim.dashboards import page
from sim.dashboards.caveat import BANDS_SWEEP, caveat_box
from sim.dashboards.discovery_figures import box_rows, feature_scores, tradeoff, tree_rows
from sim.dashboards.downloads import csv_link, downloads
from sim.dashboards.sweep_figures import (
    heatmap,
    parallel_coordinates,
    response_curves,
    sensitivity_bars,
)
from sim.sweep.analysis import aggregate, parameter_names, sensitivity
from sim.sweep.discovery import MIN_COVERAGE, SIGNIFICANCE, TREE_DEPTH, Discovery, discover
from sim.sweep.samplers import SENSITIVITY_DESIGNS
from sim.sweep.store import SweepStore

DASHBOARD = "dashboard.html"


class NotASweepError(ValueError):
    """A folder that is not a sweep's results folder."""


def sweep_figures(
    store: SweepStore,
    metric: str,
    runs: pd.DataFrame | None = None,
    tables: dict[str, pd.DataFrame] | None = None,
) -> tuple[dict[str, go.Figure], list[str]]:
    """Build the sweep's figures for one metric.

    Args:
        store: The sweep folder's store.
        metric: The metric to explain.
        runs: The summary table, if already read (read from the store otherwise).
        tables: If given, receives the sensitivity table (``sensitivity``) when computed.

    Returns:
        Figures by id, and notes on figures that could not be drawn (and why).
    """
    params = parameter_names(store)
    runs = store.read_summary() if runs is None else runs
    points = aggregate(store, [metric])
    design = store.manifest["design"]["type"]
    figs: dict[str, go.Figure] = {"response": response_curves(runs, params, metric)}
    notes: list[str] = []
    values = runs[metric].replace([np.inf, -np.inf], np.nan) if metric in runs else pd.Series()
    if not values.notna().any():
        failed = int((runs["status"] == "error").sum()) if "status" in runs else 0
        notes.append(
            f"Nothing to show: no run has a value of {metric} "
            f"({failed} of {len(runs)} runs failed; see the table of failed runs below)."
        )
    if design == "grid" and len(params) == 2:
        figs["heatmap"] = heatmap(points, params[0], params[1], metric)
    if design in SENSITIVITY_DESIGNS:
        try:
            table = sensitivity(store, metric)
            figs["sensitivity"] = sensitivity_bars(table, design, metric)
            if tables is not None:
                tables["sensitivity"] = table
        except ValueError as exc:
            notes.append(f"Sensitivity indices not available: {exc}.")
    else:
        notes.append(
            f"Sensitivity indices need a {', '.join(SENSITIVITY_DESIGNS)} design; this "
            f"sweep's is {design}."
        )
    if len(params) >= 2:
        figs["parallel"] = parallel_coordinates(points, params, metric)
    return figs, notes


def discovery_sections(found: Discovery | None) -> list[str]:
    """The page's scenario-discovery sections (a hint when no condition was given)."""
    if found is None:
        return [
            page.heading("Scenario discovery"),
            page.paragraph(
                "Give a condition to find where in the parameter space it holds, e.g. "
                "run_sim.py sweep-report FOLDER --condition 'mean_attributable_opinion > "
                "0.01' (PRIM box, classification tree and feature scores; needs the "
                "optional extra 'analysis').",
                "note",
            ),
        ]
    chosen = found.trajectory.loc[found.chosen]
    text = found.condition.text
    peeled = found.trajectory.loc[found.peeled]
    how = f"box {int(peeled['box'])}, the densest on PRIM's peeling trajectory with enough coverage"
    if found.peeled != found.chosen:
        how += (
            f", restricted {int(peeled['restricted'])} parameters; those whose limits were "
            f"not significant (quasi-p-values of {SIGNIFICANCE:g} or more) were dropped, "
            f"giving box {int(chosen['box'])}"
        )
    summary = (
        f"'{text}' holds in {found.cases} of {found.runs} runs ({found.cases / found.runs:.0%}). "
        f"The chosen box ({how}) holds {chosen['coverage']:.0%} of the runs where the "
        f"condition holds (coverage); {chosen['density']:.0%} of the runs inside it meet the "
        f"condition (density); it contains {chosen['mass']:.0%} of all runs."
    )
    limits = (
        page.table(
            ["parameter", "low", "high", "quasi-p low", "quasi-p high"],
            box_rows(found),
            numeric=[False, True, True, True, True],
        )
        if not found.box.empty
        else page.paragraph("The chosen box restricts no parameter.", "note")
    )
    return [
        page.heading(f"Scenario discovery: where does {text} hold?"),
        page.paragraph(summary),
        page.figure(tradeoff(found), "sweep-prim"),
        page.heading(f"The chosen PRIM box (box {int(chosen['box'])})", 3),
        limits,
        page.paragraph(
            "A quasi-p-value (Bryant & Lempert 2010) tests whether a limit matters: the "
            "chance of the box's density if the limit were removed; small means the "
            "limit matters. Blank: the limit is the edge of the sampled range.",
            "note",
        ),
        page.heading(
            f"Classification tree (depth {TREE_DEPTH}; right for "
            f"{found.tree_accuracy:.0%} of runs)",
            3,
        ),
        page.table(
            ["rule", "runs", "meeting the condition", "share"],
            tree_rows(found),
            numeric=[False, True, True, True],
        ),
        page.figure(feature_scores(found), "sweep-feature-scores"),
        downloads(
            [
                csv_link(found.trajectory, "prim-trajectory.csv", "PRIM peeling trajectory"),
                csv_link(found.box, "prim-box.csv", "chosen box"),
                csv_link(found.tree, "tree-leaves.csv", "tree leaves"),
                csv_link(found.scores.reset_index(), "feature-scores.csv", "feature scores"),
            ]
        ),
    ]


def _metric_table(store: SweepStore, runs: pd.DataFrame) -> pd.DataFrame:
    """Every metric over all runs: mean, 5% and 95% quantiles, runs with a finite value."""
    rows = []
    for m in store.metrics:
        values = runs[m].replace([np.inf, -np.inf], np.nan).dropna()
        rows.append(
            {
                "metric": m,
                "mean": values.mean() if len(values) else np.nan,
                "p5": values.quantile(0.05) if len(values) else np.nan,
                "p95": values.quantile(0.95) if len(values) else np.nan,
                "runs": len(values),
            }
        )
    return pd.DataFrame(rows)


def _metric_rows(store: SweepStore, runs: pd.DataFrame) -> list[list[str]]:
    rows = []
    for m in store.metrics:
        values = runs[m].replace([np.inf, -np.inf], np.nan).dropna()
        desc = store.manifest.get("metric_descriptions", {}).get(m, "")
        if values.empty:
            rows.append([m, desc, "n/a", "n/a", "n/a"])
            continue
        rows.append(
            [
                m,
                desc,
                f"{values.mean():.6g}",
                f"{values.quantile(0.05):.6g} to {values.quantile(0.95):.6g}",
                f"{len(values)}",
            ]
        )
    return rows


def render_sweep(
    folder: str | os.PathLike[str],
    metric: str | None = None,
    condition: str | None = None,
    min_coverage: float = MIN_COVERAGE,
) -> Path:
    """Write a sweep folder's dashboard.

    Args:
        folder: The sweep's results folder.
        metric: The metric to explain (default: the first the sweep records).
        condition: A condition on a metric (``METRIC OP NUMBER``) for scenario
            discovery (:mod:`sim.sweep.discovery`); None: no discovery section.
        min_coverage: Coverage the chosen PRIM box must reach.

    Returns:
        The page written.

    Raises:
        NotASweepError: If the folder is not a sweep, or the metric was not recorded.
        DiscoveryError: For a condition discovery cannot work with (checked before
            anything is written).
    """
    folder = Path(folder)
    if not SweepStore.is_sweep(folder):
        raise NotASweepError(f"{folder}: not a sweep folder (no sweep manifest)")
    store = SweepStore(folder)
    metric = metric or store.metrics[0]
    if metric not in store.metrics:
        raise NotASweepError(f"metric '{metric}' was not recorded; recorded: {store.metrics}")
    m = store.manifest
    summary = store.read_summary()
    failed = summary[summary["status"] == "error"]
    design = m["design"]
    tables: dict[str, pd.DataFrame] = {}
    figs, notes = sweep_figures(store, metric, summary, tables)
    found = discover(store, condition, min_coverage=min_coverage) if condition else None
    meta = (
        f"Design {design['type']}: {design['points']} points x {m['spec']['replicates']} "
        f"replicate(s); {len(summary)} runs stored, {len(failed)} failed. "
        f"Root seed {m['spec']['seed']}; base scenario {m.get('base_file', '')}; "
        f"created {m.get('created_utc', '')}; commit {m.get('git_commit', '')}."
    )
    sections = [
        page.heading(m.get("name", "Sweep"), 1),
        page.paragraph(m.get("description", "")),
        page.paragraph(meta, "meta"),
        caveat_box(BANDS_SWEEP, folder),
        page.heading("Metrics over all runs (mean, and the middle 90% of runs)"),
        page.table(
            ["metric", "what it is", "mean", "5-95%", "runs"],
            _metric_rows(store, summary),
            numeric=[False, False, True, True, True],
        ),
        downloads(
            [
                csv_link(_metric_table(store, summary), "metrics.csv", "metrics over all runs"),
                csv_link(aggregate(store), "points.csv", "every design point (means, 5-95%)"),
            ]
        ),
        page.heading(f"What drives {metric}"),
        *[page.paragraph(note, "note") for note in notes],
        *[page.figure(fig, f"sweep-{fid}") for fid, fig in figs.items()],
    ]
    if "sensitivity" in tables:
        name = f"sensitivity-{metric}.csv"
        sections.append(downloads([csv_link(tables["sensitivity"], name, "sensitivity indices")]))
    sections += discovery_sections(found)
    if len(failed):
        sections += [
            page.heading("Failed runs"),
            page.table(
                ["run", "error"],
                [[str(i), str(e)] for i, e in zip(failed["run_id"], failed["error"], strict=True)],
            ),
        ]
    sections.append(
        page.paragraph(
            "Re-render with: run_sim.py sweep-report FOLDER [--metric NAME] [--condition "
            "'METRIC OP NUMBER']. Every figure "
            "is drawn from the Parquet tables in this folder.",
            "note",
        )
    )
    return page.write_page(folder / DASHBOARD, page.page(m.get("name", "Sweep"), sections))
