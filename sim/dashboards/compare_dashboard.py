"""The comparison page, built only from a saved comparison folder.

:func:`comparison_figures` builds the figures (also used for static images);
:func:`render_comparison` writes ``comparison.html`` into the folder.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import plotly.graph_objects as go

from sim.dashboards import aggregate, compare_figures, page, palette
from sim.dashboards.headline import LABELS
from sim.dashboards.load import NotAResultError, RunData, load_comparison_manifest, load_run
from sim.dashboards.markers import Shock, merge_shocks, run_shocks
from sim.dashboards.text import people, safe, share, shorten, signed, usd

PAGE = "comparison.html"
#: Longest scenario name shown in a figure (legend, ticks, titles); longer ones are cut.
FIGURE_NAME_CHARS = 48
#: Trajectory columns the figures need.
_COLUMNS = tuple(
    dict.fromkeys(
        c for c, _, _ in (*compare_figures.TRAJECTORY_PANELS, *compare_figures.DIFFERENCE_PANELS)
    )
)

#: Rows of the summary table: (headline number, formatter).
SUMMARY_ROWS: tuple[tuple[str, Callable[[float], str]], ...] = (
    ("disbursed_usd", usd),
    ("leaked_share", share),
    ("for_show_share", share),
    ("substantive_share", share),
    ("final_opinion", lambda v: signed(v, 3)),
    ("attributable_final", signed),
    ("attributable_mean", signed),
    ("reported_final", signed),
    ("additional_people_mean", people),
    ("cost_per_additional_person", usd),
)


@dataclass(frozen=True)
class Comparison:
    """A loaded comparison folder.

    Attributes:
        folder: Where it was read from.
        manifest: Its ``comparison.json``.
        runs: Scenario label -> its replicate runs, the baseline first.
    """

    folder: Path
    manifest: dict[str, Any]
    runs: dict[str, list[RunData]]

    @property
    def baseline(self) -> str:
        """Label of the first scenario, the one the others are compared with."""
        return next(iter(self.runs))

    def raw_names(self) -> dict[str, str]:
        """Scenario label -> display name, raw text (made unique if two are equal)."""
        out: dict[str, str] = {}
        for entry in self.manifest["scenarios"]:
            name = str(entry.get("name") or entry["label"])
            if name in out.values():
                name = f"{name} ({entry['label']})"
            out[entry["label"]] = name
        return out

    def names(self) -> dict[str, str]:
        """Scenario label -> escaped display name, for figures.

        Names longer than :data:`FIGURE_NAME_CHARS` are cut (a 200-character name in a
        legend or on a tick would squeeze the plot to nothing); the tables above the
        figures give them whole.
        """
        out: dict[str, str] = {}
        for label, name in self.raw_names().items():
            short = shorten(name, FIGURE_NAME_CHARS)
            if short in out.values():  # cut to the same text: tell them apart by label
                short = shorten(name, max(FIGURE_NAME_CHARS - len(label) - 3, 8))
                short = f"{short} ({label})"
            while short in out.values():
                short += "\u2032"  # a prime: the last resort, never in practice
            out[label] = short
        return {label: safe(short) for label, short in out.items()}


def load_comparison(folder: str | os.PathLike[str]) -> Comparison:
    """Read a comparison folder and every replicate run in it.

    Raises:
        NotAResultError: If it is not a comparison folder or a run is missing.
    """
    folder = Path(folder)
    manifest = load_comparison_manifest(folder)
    try:
        runs = {
            e["label"]: [load_run(folder / r) for r in e["runs"]] for e in manifest["scenarios"]
        }
    except (KeyError, TypeError) as exc:
        raise NotAResultError(f"{folder}: comparison.json is malformed ({exc})") from exc
    if not runs or any(not r for r in runs.values()):
        raise NotAResultError(f"{folder}: comparison.json lists no runs")
    return Comparison(folder, manifest, runs)


def comparison_figures(c: Comparison, shocks: list[Shock] | None = None) -> dict[str, go.Figure]:
    """The comparison's figures, keyed by a short id (also the image file name)."""
    names = c.names()
    colours = palette.colour_map(c.runs)
    shocks = comparison_shocks(c) if shocks is None else shocks
    frames = {
        label: {col: aggregate.replicate_frame(runs, col) for col in _COLUMNS}
        for label, runs in c.runs.items()
    }
    bands = {
        label: {col: aggregate.band(f) for col, f in per.items()} for label, per in frames.items()
    }
    out = {"trajectories": compare_figures.trajectories_figure(bands, names, colours, shocks)}
    base = c.baseline
    diffs = {
        label: {
            col: aggregate.band(aggregate.differences(frames[base][col], frames[label][col]))
            for col, _, _ in compare_figures.DIFFERENCE_PANELS
        }
        for label in c.runs
        if label != base
    }
    if diffs:
        out["differences"] = compare_figures.differences_figure(diffs, names, colours, base, shocks)
    metrics = {label: aggregate.run_metrics(runs) for label, runs in c.runs.items()}
    out["money"] = compare_figures.money_figure(metrics, names, colours)
    return out


def summary_table(c: Comparison) -> str:
    """The headline numbers per scenario: mean and 90% interval over replicates."""
    names = c.raw_names()
    metrics = {label: aggregate.run_metrics(runs) for label, runs in c.runs.items()}
    table = aggregate.summary(metrics, [k for k, _ in SUMMARY_ROWS])
    rows = []
    for key, fmt in SUMMARY_ROWS:
        cells = [LABELS[key]]
        for label in c.runs:
            r = table[(table["scenario"] == label) & (table["metric"] == key)].iloc[0]
            cells.append(_cell(r["mean"], r["low"], r["high"], int(r["runs"]), fmt))
        rows.append(cells)
    header = ["Number", *[names[label] for label in c.runs]]
    return page.table(header, rows, numeric=(False, *([True] * len(c.runs))))


def comparison_page(c: Comparison) -> str:
    """The comparison page."""
    names = c.raw_names()
    shocks = comparison_shocks(c)
    figs = comparison_figures(c, shocks)
    m = c.manifest
    runs = {label: len(r) for label, r in c.runs.items()}
    intro = (
        f"{len(c.runs)} scenarios, each run with seeds "
        f"{', '.join(map(str, m.get('seeds', [])))} (the same seeds for every scenario file, "
        "so differences are paired run by run). Bands and intervals span the 5th to the 95th "
        "percentile of the replicates; with few replicates they are close to the range."
    )
    sections = [
        page.heading("Scenario comparison", 1),
        page.paragraph(intro, "meta"),
        page.table(
            ["Scenario", "Label", "From", "Runs", "Overrides"],
            [
                (
                    e.get("name", e["label"]),
                    e["label"],
                    f"{e.get('kind', '')}: {e.get('source', '')}",
                    str(runs[e["label"]]),
                    ", ".join(m.get("overrides", [])) if e.get("kind") != "result folder" else "",
                )
                for e in m["scenarios"]
            ],
        ),
        page.heading("Summary (mean, and 90% interval over the replicates)"),
        summary_table(c),
        page.heading("Over time"),
        page.figure(figs["trajectories"], "trajectories"),
        page.heading("Shocks (numbered markers on the time axes)"),
        _shock_key(shocks, len(c.runs)),
    ]
    if "differences" in figs:
        sections += [
            page.heading(f"Difference from the baseline: {names[c.baseline]}"),
            page.figure(figs["differences"], "differences"),
        ]
    sections += [
        page.heading("Where the money went"),
        page.figure(figs["money"], "money"),
        "<footer>"
        + page.paragraph(
            "Made by influence-sim from the run folders under runs/; re-render with "
            "run_sim.py report FOLDER. Works offline."
        )
        + "</footer>",
    ]
    return page.page(
        "Scenario comparison: " + ", ".join(e["name"] for e in m["scenarios"]), sections
    )


def render_comparison(folder: str | os.PathLike[str]) -> Path:
    """Read a comparison folder and write its ``comparison.html``.

    Returns:
        The page's path.
    """
    c = load_comparison(folder)
    return page.write_page(Path(folder) / PAGE, comparison_page(c))


def comparison_shocks(c: Comparison) -> list[Shock]:
    """The shocks of every scenario (from its first replicate), merged and numbered."""
    names = c.raw_names()
    return merge_shocks({names[label]: run_shocks(runs[0]) for label, runs in c.runs.items()})


def _shock_key(shocks: list[Shock], n_scenarios: int) -> str:
    if not shocks:
        return page.paragraph("No shocks in these scenarios.", "note")
    return page.table(
        ["No.", "Date", "Kind", "What happened", "In"],
        [
            (
                str(s.number),
                f"{s.date:%Y-%m-%d}",
                s.kind_text,
                s.label,
                "all" if len(s.scenarios) == n_scenarios else ", ".join(s.scenarios),
            )
            for s in shocks
        ],
        numeric=(True, False, False, False, False),
    )


def _cell(mean: float, low: float, high: float, n: int, fmt: Callable[[float], str]) -> str:
    if math.isnan(mean):
        return "none bought" if n else "n/a"
    if n < 2:
        return fmt(mean)
    return f"{fmt(mean)} ({fmt(low)} to {fmt(high)})"
