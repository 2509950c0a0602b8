"""Shocks as numbered markers on a figure's time axis, with a key.

Each shock that a run applied gets a number (in date order). Shocks that take effect
in the same model step share one marker, labelled with their numbers ("6–8"), drawn
above the plot at the step's date with a dotted line down through it; the marker's
hover text gives each shock's date, kind and the scenario's label. Markers close in
time are stacked in rows so they never overlap; the page lists the numbers in a key.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go

from sim.dashboards import palette
from sim.dashboards.load import RunData
from sim.dashboards.text import safe
from sim.model.shocks import SHOCK_KINDS

#: Plain-language names of the shock types, from the shock-kind registry.
KIND_TEXT = {name: kind.kind_text for name, kind in SHOCK_KINDS.items()}
#: Assumed plot width, to keep markers from overlapping (pixels).
_PLOT_PX = 1000
#: Approximate width of one character of a marker, and its padding (pixels).
_CHAR_PX, _PAD_PX = 8, 14
_ROW_PX = 19


@dataclass(frozen=True)
class Shock:
    """A shock the run applied.

    Attributes:
        number: Its number on the figures, from 1, in date order.
        id: The scenario's shock id.
        kind: The shock type (``outlet_shutdown``...).
        date: The date given in the scenario.
        step_date: The date of the model step in which it took effect.
        label: The scenario's label, or the model's description when there is none
            (raw text: escape it before display).
        scenarios: Names of the scenarios that have it (comparisons only).
    """

    number: int
    id: str
    kind: str
    date: pd.Timestamp
    step_date: pd.Timestamp
    label: str
    scenarios: tuple[str, ...] = ()

    @property
    def kind_text(self) -> str:
        """The shock type in plain words."""
        return KIND_TEXT.get(self.kind, self.kind.replace("_", " "))


def run_shocks(run: RunData) -> list[Shock]:
    """The shocks a run applied, numbered in date order.

    A shock counts when events.csv records it (its date fell inside the run).
    """
    specs = {s["id"]: s for s in run.scenario.get("shocks", [])}
    applied = run.events[run.events["kind"] != "audit"]
    found = []
    for row in applied.itertuples(index=False):
        spec = specs.get(row.target)
        if spec is None or spec.get("type") != row.kind:
            continue
        label = spec.get("label") or str(row.detail)
        found.append((pd.Timestamp(spec["date"]), str(row.target), str(row.kind), row.date, label))
    found.sort(key=lambda f: (f[0], f[1]))
    return [
        Shock(n, i, k, d, pd.Timestamp(sd), lab)
        for n, (d, i, k, sd, lab) in enumerate(found, start=1)
    ]


def merge_shocks(per_scenario: dict[str, Sequence[Shock]]) -> list[Shock]:
    """Merge the shocks of several scenarios, renumbered, noting who has which.

    Shocks with the same id, type, date and label are one shock.
    """
    merged: dict[tuple[str, str, pd.Timestamp, pd.Timestamp, str], list[str]] = {}
    for name, shocks in per_scenario.items():
        for s in shocks:
            merged.setdefault((s.id, s.kind, s.date, s.step_date, s.label), []).append(name)
    keys = sorted(merged, key=lambda k: (k[2], k[0]))
    return [
        Shock(n, key[0], key[1], key[2], key[3], key[4], tuple(merged[key]))
        for n, key in enumerate(keys, start=1)
    ]


def add_shock_markers(fig: go.Figure, shocks: Iterable[Shock], *, all_scenarios: int = 0) -> None:
    """Draw the shocks as dotted lines and numbered markers above the plot.

    Args:
        fig: A figure whose x axis (or shared x axes) holds dates.
        shocks: The shocks to mark.
        all_scenarios: In a comparison, how many scenarios there are; a shock that
            only some of them have says which in its hover text.
    """
    groups = group_by_step(shocks)
    if not groups:
        return
    texts = [_marker_text(g) for g in groups]
    rows = _rows([g[0].step_date for g in groups], texts, _axis_span(fig))
    for group, text, row in zip(groups, texts, rows, strict=True):
        when = group[0].step_date
        fig.add_shape(
            type="line",
            xref="x",
            yref="paper",
            x0=when,
            x1=when,
            y0=0,
            y1=1,
            line={"color": palette.GREY, "width": 1, "dash": "dot"},
            layer="below",
        )
        fig.add_annotation(
            x=when,
            xref="x",
            y=1,
            yref="paper",
            yanchor="bottom",
            yshift=3 + row * _ROW_PX,
            text=f"<b>{text}</b>",
            showarrow=False,
            font={"size": 11, "color": palette.BLACK},
            bgcolor="white",
            bordercolor=palette.BLACK,
            borderwidth=1,
            borderpad=2,
            hovertext="<br>".join(_hover(s, all_scenarios) for s in group),
            name="shock " + text,
        )
    extra = (max(rows) + 1) * _ROW_PX
    top = fig.layout.margin.t if fig.layout.margin.t is not None else 80
    height = fig.layout.height or 450
    fig.update_layout(margin={"t": top + extra}, height=height + extra)


def group_by_step(shocks: Iterable[Shock]) -> list[list[Shock]]:
    """Shocks grouped by the model step in which they took effect, in date order."""
    groups: dict[pd.Timestamp, list[Shock]] = {}
    for s in shocks:
        groups.setdefault(s.step_date, []).append(s)
    return [groups[d] for d in sorted(groups)]


def _marker_text(group: list[Shock]) -> str:
    numbers = [s.number for s in group]
    if len(numbers) == 1:
        return str(numbers[0])
    if numbers == list(range(numbers[0], numbers[-1] + 1)):
        return f"{numbers[0]}–{numbers[-1]}"
    return ",".join(map(str, numbers))


def _hover(shock: Shock, all_scenarios: int) -> str:
    text = f"{shock.number}. {shock.date:%Y-%m-%d}, {shock.kind_text}: {safe(shock.label)}"
    if all_scenarios and 0 < len(shock.scenarios) < all_scenarios:
        text += " (only in: " + ", ".join(safe(n) for n in shock.scenarios) + ")"
    return text


def add_shock_key(fig: go.Figure, shocks: Iterable[Shock]) -> None:
    """Write the numbered list of shocks under the plot (for static images)."""
    lines = [f"{s.number}. {s.date:%Y-%m-%d} {safe(s.label)}" for s in shocks]
    if not lines:
        return
    fig.add_annotation(
        text="<br>".join(lines),
        xref="paper",
        yref="paper",
        x=0,
        y=0,
        yanchor="top",
        xanchor="left",
        yshift=-60,
        align="left",
        showarrow=False,
        font={"size": 10, "color": palette.BLACK},
    )
    bottom = fig.layout.margin.b if fig.layout.margin.b is not None else 80
    height = fig.layout.height or 450
    extra = 16 * len(lines) + 20
    fig.update_layout(margin={"b": bottom + extra}, height=height + extra)


def _axis_span(fig: go.Figure) -> float:
    """Length of the figure's time axis in days (from its traces' x values)."""
    xs = [pd.to_datetime(pd.Series(t.x)) for t in fig.data if getattr(t, "x", None) is not None]
    xs = [x for x in xs if len(x)]
    if not xs:
        return 1.0
    lo = min(x.min() for x in xs)
    hi = max(x.max() for x in xs)
    return max((hi - lo).days, 1)


def _rows(dates: Sequence[pd.Timestamp], texts: Sequence[str], span_days: float) -> list[int]:
    """Greedy rows: a marker goes in the lowest row where it overlaps no other marker."""
    days_per_px = span_days / _PLOT_PX
    half = [(len(t) * _CHAR_PX + _PAD_PX) / 2 * days_per_px for t in texts]
    right_edge: list[float] = []  # per row, the right edge of its last marker (days)
    origin = min(dates)
    rows = []
    for d, h in zip(dates, half, strict=True):
        centre = (d - origin).days
        for r, edge in enumerate(right_edge):
            if centre - h >= edge:
                right_edge[r] = centre + h
                rows.append(r)
                break
        else:
            right_edge.append(centre + h)
            rows.append(len(right_edge) - 1)
    return rows
