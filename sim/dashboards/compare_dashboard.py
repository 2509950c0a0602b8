"""The comparison page, built only from a saved comparison folder.

:func:`comparison_figures` builds the figures (also used for static images);
:func:`render_comparison` writes ``comparison.html`` into the folder.
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from sim import compare_tables
from sim.calibration.sources import FULL_BAND, SEED_BAND
from sim.dashboards import aggregate, compare_figures, page, palette
from sim.dashboards.caveat import BANDS_SEED_NOISE, bands_with_parameters, caveat_box
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
        runs: Scenario label -> its replicate runs, the baseline first (with a
            parameter source: the runs at its median parameters).
        parameter_runs: Scenario label -> its runs with drawn parameters (empty
            without a parameter source).
    """

    folder: Path
    manifest: dict[str, Any]
    runs: dict[str, list[RunData]]
    parameter_runs: dict[str, list[RunData]] = field(default_factory=dict)

    @property
    def parameter_kind(self) -> str | None:
        """``posterior`` or ``prior`` for a comparison with parameter uncertainty, else None."""
        if not self.parameter_runs:
            return None
        return str(self.manifest.get("parameters", {}).get("kind", "posterior"))

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
    drawn = {
        e["label"]: [load_run(folder / r) for r in e["parameter_runs"]]
        for e in manifest["scenarios"]
        if e.get("parameter_runs")
    }
    return Comparison(folder, manifest, runs, drawn)


#: Id prefix of the figures of each scenario's two bands (``bands-0``...).
BANDS_PREFIX = "bands-"


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
    panels = (
        compare_figures.SHARED_TWIN_PANELS if shares_twin(c) else compare_figures.DIFFERENCE_PANELS
    )
    diffs = {
        label: {
            col: aggregate.band(aggregate.differences(frames[base][col], frames[label][col]))
            for col, _, _ in panels
        }
        for label in c.runs
        if label != base
    }
    if diffs:
        out["differences"] = compare_figures.differences_figure(
            diffs, names, colours, base, shocks, panels
        )
    out["segments"] = compare_figures.segments_figure(
        segment_values(c), segment_names(c), names, colours
    )
    metrics = {label: aggregate.run_metrics(runs) for label, runs in c.runs.items()}
    out["money"] = compare_figures.money_figure(metrics, names, colours)
    if c.parameter_runs:
        out |= parameter_band_figures(c)
    return out


def parameter_band_figures(c: Comparison) -> dict[str, go.Figure]:
    """Per scenario, attributable opinion's band of seed noise against the band with parameters.

    Keyed :data:`BANDS_PREFIX` and the scenario's position; only for a comparison run with
    ``--posterior`` or ``--prior``.
    """
    from sim.calibration.uncertainty import band_table
    from sim.dashboards.uncertainty import band_figure

    names = c.names()
    out = {}
    for i, label in enumerate(c.runs):
        bands = pd.concat(
            [
                band_table(SEED_BAND, [r.trajectories for r in c.runs[label]]),
                band_table(FULL_BAND, [r.trajectories for r in c.parameter_runs[label]]),
            ],
            ignore_index=True,
        )
        title = f"{names[label]}: attributable opinion (90% bands)"
        out[f"{BANDS_PREFIX}{i}"] = band_figure(bands, "attributable_opinion", title)
    return out


def shares_twin(c: Comparison) -> bool:
    """Whether every scenario's no-spending twin is the baseline's, run by run.

    The twin is the counterfactual run without any spending. When it is the same
    (same seed, audience, host state and shocks), the difference in mean opinion
    between two scenarios equals the difference in influence bought, since the
    latter is mean opinion minus the twin's. Checked on the saved trajectories:
    every scenario must share a seed with the baseline, and each shared seed's
    counterfactual mean opinion must be identical at every step.
    """
    base = {r.seed: r for r in c.runs[c.baseline]}
    column = "counterfactual_opinion_mean"
    for label, runs in c.runs.items():
        if label == c.baseline:
            continue
        paired = [(base[r.seed], r) for r in runs if r.seed in base]
        if not paired:
            return False
        for a, b in paired:
            x, y = a.trajectories[column].to_numpy(), b.trajectories[column].to_numpy()
            if x.shape != y.shape or not (x == y).all():
                return False
    return True


def segment_names(c: Comparison) -> dict[str, str]:
    """Segment id -> escaped, shortened display name, over every scenario (baseline first)."""
    out: dict[str, str] = {}
    for runs in c.runs.values():
        for seg in runs[0].scenario["audience"]["segments"]:
            out.setdefault(seg["id"], safe(shorten(seg.get("name") or seg["id"], 32)))
    return out


def segment_values(c: Comparison) -> dict[str, dict[str, dict[str, pd.Series]]]:
    """Scenario label -> ``column/reduction`` -> segment id -> one value per replicate."""
    out: dict[str, dict[str, dict[str, pd.Series]]] = {}
    for label, runs in c.runs.items():
        per_panel: dict[str, dict[str, pd.Series]] = {}
        for column, _, how in compare_figures.SEGMENT_PANELS:
            per_segment: dict[str, list[float]] = {}
            for run in runs:
                for seg, rows in run.segments.groupby("segment", sort=False):
                    series = rows.sort_values("step")[column]
                    value = series.iloc[-1] if how == "last" else series.mean()
                    per_segment.setdefault(str(seg), []).append(float(value))
            per_panel[f"{column}/{how}"] = {k: pd.Series(v) for k, v in per_segment.items()}
        out[label] = per_panel
    return out


def tables(c: Comparison) -> dict[str, str]:
    """The text of ``summary.csv`` and ``differences.csv``.

    Read from the folder when ``compare`` wrote them (so a download is the saved file),
    else (a folder from an older version) computed from the runs as ``compare`` would.
    """
    out = {}
    for name in (compare_tables.SUMMARY_FILE, compare_tables.DIFFERENCES_FILE):
        path = c.folder / name
        if path.is_file():
            out[name] = path.read_text(encoding="utf-8")
    if len(out) < 2:
        settings = c.manifest.get("tables", {})
        names = {e["label"]: e.get("name", e["label"]) for e in c.manifest["scenarios"]}
        computed = compare_tables.comparison_tables(
            c.runs,
            names,
            int(c.manifest.get("root_seed", 0)),
            settings.get("thresholds", {}),
            float(settings.get("threshold", 0.0)),
            c.parameter_runs or None,
            c.parameter_kind or "posterior",
        )
        out = {name: compare_tables.csv_text(table) for name, table in computed.items()}
    return out


def summary_table(c: Comparison, runs: dict[str, list[RunData]] | None = None) -> str:
    """The headline numbers per scenario: mean and 90% interval over replicates.

    Args:
        c: The comparison.
        runs: The runs to summarise (default: ``c.runs``; ``c.parameter_runs`` for
            the band with parameter uncertainty).
    """
    names = c.raw_names()
    runs = c.runs if runs is None else runs
    metrics = {label: aggregate.run_metrics(r) for label, r in runs.items()}
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
    kind = c.parameter_kind
    bands = BANDS_SEED_NOISE if kind is None else bands_with_parameters(kind)
    sections = [
        page.heading("Scenario comparison", 1),
        page.paragraph(intro, "meta"),
        caveat_box(bands, c.folder),
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
        page.heading(
            "Summary (mean, and 90% interval over the replicates)"
            + ("" if kind is None else f": seed noise only, at the {kind} median parameters")
        ),
        summary_table(c),
        *([] if kind is None else parameter_sections(c, kind, figs)),
        page.heading(
            "Over time" + ("" if kind is None else f" (seed noise only, at the {kind} median)")
        ),
        page.figure(figs["trajectories"], "trajectories"),
        page.heading("Shocks (numbered markers on the time axes)"),
        _shock_key(shocks, len(c.runs)),
    ]
    csv = tables(c)
    if "differences" in figs:
        heading = f"Difference from the baseline: {names[c.baseline]}"
        if kind is not None:
            sections += [
                page.heading(f"{heading} (parameters and seed noise)"),
                differences_table(c, csv[compare_tables.DIFFERENCES_FILE], FULL_BAND),
            ]
            heading += " (seed noise only, at the median parameters)"
        sections += [
            page.heading(heading),
            differences_table(
                c, csv[compare_tables.DIFFERENCES_FILE], None if kind is None else SEED_BAND
            ),
            page.paragraph(_twin_note(shares_twin(c)), "note"),
            page.figure(figs["differences"], "differences"),
        ]
    sections += [
        page.heading("Per audience segment"),
        page.figure(figs["segments"], "segments"),
        page.heading("Tables for analysts (CSV)"),
        _downloads(csv),
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


#: Rows of the differences table on the page: (number of differences.csv, formatter).
DIFFERENCE_ROWS: tuple[tuple[str, Callable[[float], str]], ...] = (
    ("attributable_final", signed),
    ("attributable_mean", signed),
    ("final_opinion", lambda v: signed(v, 3)),
    ("additional_people_mean", people),
    ("leaked_usd", usd),
)


def parameter_sections(c: Comparison, kind: str, figs: dict[str, go.Figure]) -> list[str]:
    """The summary of the band with parameter uncertainty and each scenario's two bands."""
    p = c.manifest.get("parameters", {})
    median = ", ".join(f"{k} = {v:.4g}" for k, v in p.get("median", {}).items())
    return [
        page.heading(
            f"Summary with parameter uncertainty (parameter set k drawn from the {kind}, seed k)"
        ),
        page.paragraph(
            f"{len(p.get('draws', []))} parameter sets drawn from the {kind} in "
            f"{p.get('source', '?')}, the same set for every scenario at a replicate; the "
            f"seed-noise band above runs every scenario at the {kind} median ({median}). "
            "Every drawn set is in comparison.json.",
            "meta",
        ),
        summary_table(c, c.parameter_runs),
        page.heading("Attributable opinion: seed noise against parameters and seed noise"),
        *(page.figure(figs[fid], fid) for fid in figs if fid.startswith(BANDS_PREFIX)),
    ]


def differences_table(c: Comparison, csv_text: str, band: str | None = None) -> str:
    """Each scenario minus the baseline for a few numbers, from ``differences.csv``.

    Args:
        c: The comparison.
        csv_text: ``differences.csv``.
        band: With a parameter source, the band whose rows to show; with
            :data:`FULL_BAND` a column gives the share of paired draws above the
            threshold.
    """
    table = pd.read_csv(io.StringIO(csv_text), dtype={"scenario": str, "metric": str})
    if band is not None:
        table = table[table["band"] == band]
    names = c.raw_names()
    rows = []
    for label in list(c.runs)[1:]:
        mine = table[table["scenario"] == label].set_index("metric")
        for key, fmt in DIFFERENCE_ROWS:
            if key not in mine.index:
                continue
            r = mine.loc[key]
            rows.append(
                (
                    names[label],
                    LABELS.get(key, key),
                    str(r["pairing"]),
                    str(int(r["n"])),
                    _cell(
                        float(r["mean_difference"]),
                        float(r["ci_low"]),
                        float(r["ci_high"]),
                        int(r["n"]),
                        fmt,
                    ),
                    _probability(float(r["p_mean_above"]), r["threshold"], fmt),
                    *(
                        [_probability(float(r["share_runs_above"]), r["threshold"], fmt)]
                        if band == FULL_BAND
                        else []
                    ),
                )
            )
    header = [
        "Scenario",
        "Number",
        "Pairing",
        "Pairs",
        "Mean difference (90% bootstrap CI)",
        "Probability that the mean difference is above the threshold",
    ]
    if band == FULL_BAND:
        header.append(
            "Probability that the difference is above the threshold (share of paired draws)"
        )
    return page.table(header, rows, numeric=(False, False, False, *([True] * (len(header) - 3))))


def _probability(p: float, threshold: object, fmt: Callable[[float], str]) -> str:
    if math.isnan(p):
        return "n/a"
    return f"{p:.0%} (threshold {fmt(float(threshold))})"  # type: ignore[arg-type]


def _twin_note(shared: bool) -> str:
    if shared:
        return (
            "Every scenario here shares the baseline's no-spending twin run (the same "
            "seeds, audience, host state and shocks; only the money differs), so the "
            "difference in mean opinion is, by construction, the difference in influence "
            "bought: the two are shown as one panel."
        )
    return (
        "The scenarios' no-spending twin runs differ (other shocks, host state or "
        "audience, or runs with no seed in common), so the difference in mean opinion "
        "also includes what those changes do without any money; the difference in "
        "influence bought nets it out."
    )


def _downloads(csv: dict[str, str]) -> str:
    """Links saving the analyst tables, embedded in the page."""
    described = {
        compare_tables.SUMMARY_FILE: "one row per scenario and number: mean, 5th to 95th "
        "percentile of the runs, n",
        compare_tables.DIFFERENCES_FILE: "each scenario minus the baseline, paired by seed: "
        "mean difference, 90% bootstrap confidence interval, probability above the threshold",
    }
    items = "".join(
        f"<li>{page.download(name, name, text)}: {safe(described[name])}</li>"
        for name, text in csv.items()
    )
    return f'<ul class="downloads">{items}</ul>' + page.paragraph(
        "The same files are in the comparison folder; money columns are exact "
        "decimal USD (whole cents), and every interval includes seed noise only.",
        "note",
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
