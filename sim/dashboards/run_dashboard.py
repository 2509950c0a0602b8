"""The run dashboard: one page telling the story of one saved run.

:func:`run_figures` builds the figures (also used for static images);
:func:`run_page` assembles the page; :func:`render_run_dashboard` reads a result
folder and writes ``dashboard.html`` into it.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import plotly.graph_objects as go

from sim.calibration.uncertainty import BANDS_FILE
from sim.dashboards import figures, page
from sim.dashboards.caveat import (
    BANDS_DECOMPOSED_RUN,
    BANDS_SINGLE_RUN,
    BANDS_UNCERTAIN_RUN,
    caveat_box,
)
from sim.dashboards.decomposition import run_panel as decomposition_panel
from sim.dashboards.headline import Headline, headline
from sim.dashboards.load import RunData, has_decomposition, load_run
from sim.dashboards.markers import Shock, run_shocks
from sim.dashboards.text import people, share, signed, usd

DASHBOARD = "dashboard.html"


def run_figures(run: RunData, shocks: list[Shock] | None = None) -> dict[str, go.Figure]:
    """The dashboard's figures, keyed by a short id (also the image file name)."""
    shocks = run_shocks(run) if shocks is None else shocks
    out = {
        "opinion": figures.opinion_figure(run, shocks),
        "influence": figures.influence_figure(run, shocks),
        "money-over-time": figures.money_over_time_figure(run, shocks),
        "money-flow": figures.money_flow_figure(run),
        "segment-influence": figures.segment_influence_figure(run, shocks),
        "segment-opinion": figures.segment_opinion_figure(run, shocks),
    }
    reach = figures.outlet_reach_figure(run, shocks)
    if reach is not None:
        out["outlet-reach"] = reach
    return out


def headline_cards(h: Headline) -> list[tuple[str, str, str]]:
    """The headline numbers as (value, label, detail) cards."""
    if not math.isfinite(h.cost_per_additional_person):
        cost = ("none bought", "Cost per additional favourable person", "no net gain on average")
    else:
        cost = (
            usd(h.cost_per_additional_person),
            "Cost per additional favourable person",
            f"{people(h.additional_people_mean)} more favourable people on average "
            f"(of {people(h.real_population)}); at the end {people(h.additional_people_final)}",
        )
    return [
        (usd(h.budget_usd), "Total budget", f"{usd(h.disbursed_usd)} disbursed"),
        (share(h.leaked_share), "Leaked", "kept by intermediaries, NGO leaders, outlets"),
        (share(h.for_show_share), "Spent for show", "events staged for the report"),
        (share(h.substantive_share), "Spent on substantive work", "and outlet running costs"),
        (
            signed(h.attributable_final),
            "Attributable influence at the end",
            f"opinion points on a −1…+1 scale; reported to the funder {signed(h.reported_final)}",
        ),
        cost,
    ]


def story(h: Headline) -> str:
    """The run in two plain sentences (numbers only; no scenario text)."""
    return (
        f"Of {usd(h.disbursed_usd)} disbursed, {share(h.leaked_share)} was kept along the "
        f"chain and {share(h.for_show_share)} spent on events for show; "
        f"{share(h.substantive_share)} reached substantive work. By the end the money had "
        f"moved mean opinion by {signed(h.attributable_final)} opinion points compared with "
        "spending nothing "
        f"({signed(h.final_opinion, 3)} against {signed(h.counterfactual_final_opinion, 3)} "
        f"on a −1…+1 scale), while the reports told the funder {signed(h.reported_final)}."
    )


def shock_key(shocks: list[Shock]) -> str:
    """The numbered list of shocks, matching the markers on the figures."""
    if not shocks:
        return page.paragraph("No shocks in this run.", "note")
    return page.table(
        ["No.", "Date", "Kind", "What happened"],
        [(str(s.number), f"{s.date:%Y-%m-%d}", s.kind_text, s.label) for s in shocks],
        numeric=(True, False, False, False),
    )


def run_page(run: RunData) -> str:
    """The dashboard page of a run."""
    shocks = run_shocks(run)
    figs = run_figures(run, shocks)
    h = headline(run)
    m = run.manifest
    meta = (
        f"Seed {m.get('seed')}, {m.get('steps')} steps, "
        f"{run.scenario['audience']['population']:,} simulated people standing for "
        f"{h.real_population:,}; scenario file {m.get('scenario_file') or 'n/a'}; "
        f"created {m.get('created_utc', '?')}; commit {m.get('git_commit', '?')}."
    )
    sections = [
        page.heading(run.name, 1),
        page.paragraph(str(run.scenario.get("description", "")), "description"),
        page.paragraph(meta, "meta"),
        page.cards(headline_cards(h)),
        page.paragraph(story(h), "story"),
        caveat_box(
            BANDS_SINGLE_RUN
            + (f" {BANDS_UNCERTAIN_RUN}" if (run.folder / BANDS_FILE).is_file() else "")
            + (f" {BANDS_DECOMPOSED_RUN}" if has_decomposition(run.folder) else ""),
            run.folder,
        ),
    ]
    titles = {
        "opinion": "Opinion over time",
        "money-over-time": "Where the money went",
        "segment-influence": "Per audience segment",
        "outlet-reach": "Media outlets",
    }
    for fid, fig in figs.items():
        if fid in titles:
            sections.append(page.heading(titles[fid]))
        sections.append(page.figure(fig, fid))
        if fid == "influence":
            sections.append(page.heading("Shocks (numbered markers on the time axes)"))
            sections.append(shock_key(shocks))
    if "outlet-reach" not in figs:
        sections.append(page.paragraph("This scenario funds no media outlets.", "note"))
    sections += decomposition_panel(run.folder)  # only with a decomposition.csv (run --decompose)
    sections.append(page.heading("Events log (shocks, audits, replacements)"))
    sections.append(
        page.table(
            ["Step", "Date", "Kind", "Target", "Detail"],
            [
                (str(r.step), f"{r.date:%Y-%m-%d}", str(r.kind), str(r.target), str(r.detail))
                for r in run.events.itertuples(index=False)
            ],
            numeric=(True, False, False, False, False),
        )
        if len(run.events)
        else page.paragraph("No events.", "note")
    )
    sections.append(
        "<footer>"
        + page.paragraph(
            "Made by influence-sim from the files in this folder; re-render with "
            "run_sim.py report FOLDER. Works offline."
        )
        + "</footer>"
    )
    return page.page(f"{run.name}: dashboard", sections)


def render_run_dashboard(folder: str | os.PathLike[str]) -> Path:
    """Read a run folder and write its ``dashboard.html``.

    Returns:
        The page's path.

    Raises:
        NotAResultError: If the folder is not a run's result folder.
    """
    run = load_run(folder)
    return page.write_page(Path(folder) / DASHBOARD, run_page(run))
