"""Figures of the run dashboard: saved results in, plotly figures out (no file I/O).

Every builder takes a :class:`~sim.dashboards.load.RunData` and the run's shocks and
returns a figure with a plain-language title, axis titles with units and hover text
with exact values. Scenario-provided text is escaped before it reaches plotly.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from sim.dashboards import palette
from sim.dashboards.load import RunData
from sim.dashboards.markers import Shock, add_shock_markers
from sim.dashboards.sankey import sankey_figure
from sim.dashboards.style import apply_style
from sim.dashboards.text import safe, shorten
from sim.quantities import money_flows

OPINION_AXIS = "Mean opinion (−1 to +1)"
SHIFT_AXIS = "Opinion shift (opinion points, −1 to +1 scale)"
MONEY_AXIS = "Cumulative USD (million)"
#: Longest segment or outlet name in a legend; longer ones are cut with an ellipsis.
LEGEND_CHARS = 60

#: Money categories of the cumulative chart, bottom to top: (column, legend, colour key).
MONEY_LAYERS = (
    ("leaked_usd", "Leaked (kept along the chain)", "leaked"),
    ("for_show_usd", "Spent for show (events for the report)", "for_show"),
    ("substantive_usd", "Spent on substantive work", "substantive"),
    ("unspent_usd", "Not yet spent (held by intermediaries, NGOs, outlets)", "unspent"),
)


def opinion_figure(run: RunData, shocks: list[Shock]) -> go.Figure:
    """Mean opinion with the programme and in the no-spending counterfactual."""
    t = run.trajectories
    fig = go.Figure()
    fig.add_trace(
        _line(
            t["date"],
            t["opinion_mean"],
            "With the programme (actual)",
            palette.INFLUENCE["actual"],
            fmt=".4f",
            width=3,
        )
    )
    fig.add_trace(
        _line(
            t["date"],
            t["counterfactual_opinion_mean"],
            "Without any spending (counterfactual)",
            palette.INFLUENCE["counterfactual"],
            dash="dash",
            fmt=".4f",
        )
    )
    apply_style(
        fig,
        "Audience opinion of the funder's country, with the programme and without it",
        OPINION_AXIS,
    )
    add_shock_markers(fig, shocks)
    return fig


def influence_figure(run: RunData, shocks: list[Shock]) -> go.Figure:
    """Attributable influence (actual minus counterfactual) vs what the funder was told."""
    t = run.trajectories
    fig = go.Figure()
    fig.add_trace(
        _line(
            t["date"],
            t["reported_influence"],
            "Reported to the funder",
            palette.INFLUENCE["reported"],
            dash="dot",
            fmt=".5f",
        )
    )
    fig.add_trace(
        _line(
            t["date"],
            t["attributable_opinion"],
            "Actually bought (actual minus counterfactual)",
            palette.INFLUENCE["attributable"],
            fmt=".5f",
        )
    )
    fig.add_hline(y=0, line={"color": palette.GREY, "width": 1})
    apply_style(fig, "Influence bought vs influence reported to the funder", SHIFT_AXIS)
    add_shock_markers(fig, shocks)
    return fig


def segment_opinion_figure(run: RunData, shocks: list[Shock]) -> go.Figure:
    """Opinion per segment: actual (solid) and counterfactual (dashed), one colour each."""
    s = run.segments
    colours = palette.colour_map(run.segment_ids)
    names = segment_names(run)
    fig = go.Figure()
    for seg, colour in colours.items():
        rows = s[s["segment"] == seg]
        name = names[seg]
        fig.add_trace(
            _line(rows["date"], rows["opinion_mean"], f"{name}: actual", colour, fmt=".4f")
        )
        fig.add_trace(
            _line(
                rows["date"],
                rows["counterfactual_opinion_mean"],
                f"{name}: without spending",
                colour,
                dash="dash",
                fmt=".4f",
                width=1,
            )
        )
        fig.data[-1].legendgroup = fig.data[-2].legendgroup = seg
    apply_style(
        fig,
        "Opinion per audience segment (solid: with the programme, dashed: without)",
        OPINION_AXIS,
        height=520,
    )
    add_shock_markers(fig, shocks)
    return fig


def segment_influence_figure(run: RunData, shocks: list[Shock]) -> go.Figure:
    """Attributable influence per segment (solid) and what reports claimed for it (dotted)."""
    s = run.segments
    names = segment_names(run)
    reported = "reported_influence" in s  # absent from result folders written before it
    fig = go.Figure()
    for seg, colour in palette.colour_map(run.segment_ids).items():
        rows = s[s["segment"] == seg]
        bought = _line(rows["date"], rows["attributable_opinion"], names[seg], colour, fmt=".5f")
        fig.add_trace(bought.update(legendgroup=seg))
        if reported:
            told = _line(
                rows["date"],
                rows["reported_influence"],
                f"{names[seg]}: reported",
                colour,
                dash="dot",
                fmt=".5f",
                width=1.5,
            )
            fig.add_trace(told.update(legendgroup=seg))
    fig.add_hline(y=0, line={"color": palette.GREY, "width": 1})
    title = "Influence bought in each audience segment (actual minus counterfactual)"
    if reported:
        title += ", and what the reports claimed (dotted)"
    apply_style(fig, title, SHIFT_AXIS)
    add_shock_markers(fig, shocks)
    return fig


def money_flow_figure(run: RunData) -> go.Figure:
    """The Sankey diagram of every dollar, from funders to where it ended."""
    return sankey_figure(
        money_flows(run.ledger),
        run.scenario,
        "Every dollar from the funders through intermediaries and NGOs or outlets to "
        "where it ended (hover for exact USD)",
    )


def money_over_time_figure(run: RunData, shocks: list[Shock]) -> go.Figure:
    """Cumulative money disbursed, stacked by where it ended up."""
    t = run.trajectories
    fig = go.Figure()
    for column, name, key in MONEY_LAYERS:
        fig.add_trace(
            go.Scatter(
                x=t["date"],
                y=t[column] / 1e6,
                customdata=t[column],
                name=name,
                mode="lines",
                stackgroup="money",
                line={"width": 0.5, "color": palette.MONEY[key]},
                fillcolor=palette.with_alpha(palette.MONEY[key], 0.9),
                hovertemplate="$%{customdata:,.2f}",
            )
        )
    fig.add_trace(
        go.Scatter(
            x=t["date"],
            y=t["disbursed_usd"] / 1e6,
            customdata=t["disbursed_usd"],
            name="Disbursed by the funders (total)",
            mode="lines",
            line={"color": palette.MONEY["disbursed"], "width": 2, "dash": "dash"},
            hovertemplate="$%{customdata:,.2f}",
        )
    )
    apply_style(fig, "Money disbursed over time, and where it ended up", MONEY_AXIS)
    add_shock_markers(fig, shocks)
    return fig


def outlet_reach_figure(run: RunData, shocks: list[Shock]) -> go.Figure | None:
    """Each outlet's reach per step; None when the scenario has no outlets."""
    o = run.outlets
    if o.empty:
        return None
    names = {
        i["id"]: safe(shorten(i.get("name") or i["id"], LEGEND_CHARS))
        for i in run.scenario.get("outlets", [])
    }
    step = safe(run.scenario["time"]["step"])
    fig = go.Figure()
    ids = list(dict.fromkeys([*run.outlet_ids, *o["outlet"].unique()]))
    for outlet, colour in palette.colour_map(ids).items():
        rows = o[o["outlet"] == outlet]
        if rows.empty:
            continue
        fig.add_trace(
            go.Scatter(
                x=rows["date"],
                y=rows["reach_share"] * 100,
                customdata=rows["status"].map(safe),
                name=names.get(outlet, safe(outlet)),
                mode="lines",
                line={"color": colour, "width": 2, "shape": "hv"},
                hovertemplate="%{y:.4f}% (status: %{customdata})",
            )
        )
    apply_style(
        fig,
        "Reach of the funded media outlets (a shutdown drops it to zero)",
        f"Reached per {step} (% of population)",
    )
    fig.update_yaxes(rangemode="tozero")
    add_shock_markers(fig, shocks)
    return fig


def segment_names(run: RunData) -> dict[str, str]:
    """Segment id -> escaped display name (its ``name``, or the id with spaces).

    Names longer than :data:`LEGEND_CHARS` characters are cut with an ellipsis.
    """
    return {
        seg["id"]: safe(shorten(seg.get("name") or seg["id"].replace("_", " "), LEGEND_CHARS))
        for seg in run.scenario["audience"]["segments"]
    }


def _line(
    x: pd.Series,
    y: pd.Series,
    name: str,
    colour: str,
    *,
    dash: str = "solid",
    fmt: str = ".4f",
    width: float = 2,
) -> go.Scatter:
    return go.Scatter(
        x=x,
        y=y,
        name=name,
        mode="lines",
        line={"color": colour, "width": width, "dash": dash},
        hovertemplate=f"%{{y:+{fmt}}}",
    )
