"""Where the money went, as a Sankey diagram built from a run's ledger.

:func:`sim.quantities.money_flows` aggregates the ledger into one row per flow (payer,
payee, kind) in whole cents and adds each holder's unspent balance as a flow into an
"unspent" node, so that every stage sums exactly to the ledger's totals.
:func:`sankey_figure` draws those flows: funders, then intermediaries, then NGOs and outlets, then
activities, with leaked money, for-show spending, substantive spending and unspent
balances each in their own colour.
"""

from __future__ import annotations

import textwrap
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from sim.dashboards import palette
from sim.dashboards.style import apply_style, empty_figure
from sim.dashboards.text import safe, usd
from sim.model.kinds import ACTOR_KINDS, account_kind
from sim.quantities import UNSPENT

_LINK_ALPHA = 0.45
#: Horizontal position of each level of the money chain (0 left, 1 right), and of sinks.
_LEVEL_X = {0: 0.001, 1: 0.25, 2: 0.46}
_SINK_X = 0.999


def _column_x(account: str) -> float:
    kind = ACTOR_KINDS.get(account_kind(account))
    level = kind.level if kind is not None else None
    return _LEVEL_X.get(level, 0.5) if level is not None else 0.5


def _leak_label(hop: str) -> str:
    kind = ACTOR_KINDS.get(hop)
    return kind.leak_label if kind is not None and kind.leak_label else "Leaked"


def flow_totals(flows: pd.DataFrame) -> dict[str, int]:
    """Total cents per kind of flow (disbursement, grant, leak, ..., unspent)."""
    return {str(k): int(v) for k, v in flows.groupby("kind")["cents"].sum().items()}


def sankey_figure(flows: pd.DataFrame, scenario: dict[str, Any], title: str) -> go.Figure:
    """Draw the flows as a Sankey diagram.

    Args:
        flows: From :func:`money_flows`.
        scenario: The resolved scenario (for display names and for-show flags).
        title: Figure title (already escaped).

    Returns:
        The figure: one Sankey trace whose link values are USD, or a note when no
        money moved (plotly cannot lay out a Sankey whose flows are all zero).
    """
    flows = flows[flows["cents"] > 0]
    if flows.empty:
        return empty_figure(title, "no money moved in this run (nothing was disbursed).")
    names = _display_names(scenario)
    nodes: dict[str, int] = {}
    parts: list[tuple[str, str]] = []  # (name, suffix), raw text
    colours: list[str] = []

    def node(key: str, name: str, suffix: str, colour: str) -> int:
        if key not in nodes:
            nodes[key] = len(parts)
            parts.append((name, suffix))
            colours.append(colour)
        return nodes[key]

    sources, targets, values, link_colours, kinds = [], [], [], [], []
    for row in flows.itertuples(index=False):
        s = node(*_node(row.source, row.kind, names, payer=True))
        t = node(*_node(row.target, row.kind, names, payer=False, source=row.source))
        sources.append(s)
        targets.append(t)
        values.append(row.cents / 100)
        link_colours.append(palette.with_alpha(_kind_colour(row.kind), _LINK_ALPHA))
        kinds.append(_KIND_TEXT.get(row.kind, safe(row.kind)))
    inflow = [0.0] * len(parts)
    outflow = [0.0] * len(parts)
    for s, t, v in zip(sources, targets, values, strict=True):
        outflow[s] += v
        inflow[t] += v
    full = [safe(name + suffix) for name, suffix in parts]
    # Sinks sit in the last column, their labels running left over the flows: one
    # short line each (the hover text has the full name). Other labels are cut to two
    # lines or so and wrapped, so that they end before the next column's labels begin.
    labels = [
        f"{safe(_shorten(name) + suffix)}: {usd(i)}"
        if o == 0
        else f"{_wrap(_shorten(name, 64) + suffix, 24)}<br>{usd(o)}"
        for (name, suffix), i, o in zip(parts, inflow, outflow, strict=True)
    ]
    # Columns: funders, intermediaries, NGOs and outlets, then every sink at the right.
    # The third column sits left of centre so its labels end before the sinks' begin.
    xs = [_SINK_X if o == 0 else _column_x(key) for key, o in zip(nodes, outflow, strict=True)]
    fig = go.Figure(
        go.Sankey(
            arrangement="snap",
            valueformat="$,.2f",
            node={
                "label": labels,
                "customdata": full,
                "x": xs,
                "y": _spread(xs),
                "color": colours,
                "pad": 18,
                "thickness": 16,
                "line": {"color": "white", "width": 0.5},
                "hovertemplate": "%{customdata}<br>total $%{value:,.2f}<extra></extra>",
            },
            link={
                "source": sources,
                "target": targets,
                "value": values,
                "color": link_colours,
                "customdata": kinds,
                "hovertemplate": "%{source.label} → %{target.label}<br>%{customdata}: "
                "$%{value:,.2f}<extra></extra>",
            },
        )
    )
    apply_style(fig, title, y_title=None, x_title=None, height=820)
    fig.update_layout(margin={"l": 10, "r": 10, "t": 50, "b": 10}, hovermode="closest")
    return fig


_KIND_TEXT = {
    "disbursement": "disbursed",
    "grant": "granted",
    "leak": "leaked",
    "for_show": "spent for show",
    "substantive": "spent on substantive work",
    UNSPENT: "unspent at the end",
}


def _spread(xs: list[float]) -> list[float]:
    """Initial vertical positions: each column's nodes evenly spaced, in order."""
    counts: dict[float, int] = {}
    seen: dict[float, int] = {}
    for x in xs:
        counts[x] = counts.get(x, 0) + 1
    ys = []
    for x in xs:
        seen[x] = seen.get(x, 0) + 1
        ys.append(seen[x] / (counts[x] + 1))
    return ys


def _shorten(name: str, width: int = 30) -> str:
    """Cut a raw name to ``width`` characters, marking the cut with an ellipsis."""
    return name if len(name) <= width else name[: width - 1].rstrip() + "…"


def _wrap(label: str, width: int = 30) -> str:
    """Break a long raw label into escaped lines joined by ``<br>`` (at spaces if it can)."""
    lines = textwrap.wrap(label, width, break_long_words=True, break_on_hyphens=False)
    return "<br>".join(safe(line) for line in lines) if lines else safe(label)


def _kind_colour(kind: str) -> str:
    return {
        "disbursement": palette.MONEY["grant"],
        "grant": palette.MONEY["grant"],
        "leak": palette.MONEY["leaked"],
        "for_show": palette.MONEY["for_show"],
        "substantive": palette.MONEY["substantive"],
        UNSPENT: palette.MONEY["unspent"],
    }.get(kind, palette.GREY)


def _display_names(scenario: dict[str, Any]) -> dict[str, str]:
    """Account name ('ngo:culture_centre') -> display name (raw text)."""
    names: dict[str, str] = {}
    listed = [(k.section.name, k.name) for k in ACTOR_KINDS.values() if k.section.namespace]
    for section, kind in [*listed, ("activities", "activity")]:
        for item in scenario.get(section, []):
            names[f"{kind}:{item['id']}"] = str(item.get("name") or item["id"])
    return names


def _node(
    account: str,
    kind: str,
    names: dict[str, str],
    *,
    payer: bool,
    source: str = "",
) -> tuple[str, str, str, str]:
    """(key, name, suffix, colour) of the node for an account in a flow of ``kind``."""
    if not payer and account == UNSPENT:
        return UNSPENT, "Unspent: still held at the end", "", palette.MONEY["unspent"]
    prefix, _, ident = account.partition(":")
    if prefix == "pocket":
        hop = source.partition(":")[0]
        return f"pocket:{hop}", _leak_label(hop), "", palette.MONEY["leaked"]
    if prefix == "activity":
        name = names.get(account, ident)
        if kind == "for_show":
            return f"{account}|for_show", name, " (for show)", palette.MONEY["for_show"]
        return f"{account}|{kind}", name, " (substantive)", palette.MONEY["substantive"]
    if prefix == "operations":
        name = names.get(f"outlet:{ident}", ident)
        return account, name, ": running costs", palette.MONEY["substantive"]
    kind = ACTOR_KINDS.get(prefix)
    colour = palette.BLACK if kind is not None and kind.role == "funder" else palette.BLUE
    return account, names.get(account, account), "", colour
