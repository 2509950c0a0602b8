"""The classroom pack's grid: one run per combination of the three lesson sliders.

The sliders are:

- ``keep``: the share of each grant every curator (intermediary) keeps. Each
  intermediary's ``integrity`` is set so that its take, ``(1 - integrity) / (1 +
  risk)``, equals the target at the funder's oversight. NGO leaders and the news
  outlet keep their historical takes scaled by ``keep / REFERENCE_KEEP``: the same as
  in the historical case at 75%, nothing at 0%.
- ``show``: the share of NGO spending that goes on for-show events. Every NGO's
  activity mix is rescaled so that its for-show activities get exactly that share of
  its spending and its substantive activities the rest; an NGO with no substantive
  activity gets :data:`FALLBACK_SUBSTANTIVE`. Every NGO is made genuine, so the façade
  "friendship society" follows the slider like the others.
- ``media``: the host state's media control, also written into every shock that
  changes it (the 2022 tightening), so that it does not jump back.

Every point is run with one fixed seed (common random numbers), so two points differ
only by the sliders. :func:`run_point` returns compact, JSON-ready data.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pandas as pd

from sim.model.actors.funder import chain_risk
from sim.model.actors.holder import integrity_for_take, take_share
from sim.model.kinds import ACTOR_KINDS, account_kind, kinds_with_role
from sim.quantities import UNSPENT, money_flows
from sim.resources import shipped_scenario
from sim.run import simulate
from sim.scenario import Scenario, load_scenario

#: The pack's scenario file.
LESSON_SCENARIO = shipped_scenario("classroom/lesson.yaml")
#: One seed for every point (common random numbers).
SEED = 2025
#: The curators' keep-share that corresponds to the historical NGO and outlet skims.
REFERENCE_KEEP = 0.75
#: Substantive activity given to an NGO whose historical mix has none.
FALLBACK_SUBSTANTIVE = "language_course"


def _lesson_nodes() -> tuple[tuple[str, str, str], ...]:
    """The lesson's Sankey nodes, from the registry of actor kinds.

    The budget, then each level of the money chain (its holders, then what their
    people keep), then where the money ends.
    """
    nodes = [("budget", "Budget sent from Moscow", "disbursed")]
    holders = kinds_with_role("intermediary", "grantee")
    for level in sorted({k.level for k in holders if k.level is not None}):
        kinds = [k for k in holders if k.level == level]
        nodes += [(k.name, k.lesson_label, "grant") for k in kinds]
        nodes += [(f"kept:{k.name}", k.lesson_leak_label, "leaked") for k in kinds]
    nodes += [
        ("for_show", "For-show events", "for_show"),
        ("substantive", "Real work (courses, camps, news)", "substantive"),
        (UNSPENT, "Not spent by the end", "unspent"),
    ]
    return tuple(nodes)


#: Sankey nodes, in order: (key, label shown to students, colour role).
NODES: tuple[tuple[str, str, str], ...] = _lesson_nodes()
_NODE_INDEX = {key: n for n, (key, _, _) in enumerate(NODES)}


@dataclass(frozen=True)
class Grid:
    """The slider values to precompute.

    Attributes:
        keep: Curators' keep-shares (0..1).
        show: For-show shares of NGO spending (0..1).
        media: Host-state media control values (0..1).
    """

    keep: tuple[float, ...] = (0.0, 0.25, 0.5, 0.75)
    show: tuple[float, ...] = (0.0, 0.25, 0.5, 0.75)
    media: tuple[float, ...] = (0.0, 0.25, 0.5, 0.75, 0.9)

    def __post_init__(self) -> None:
        for name in ("keep", "show", "media"):
            values = getattr(self, name)
            if not values or list(values) != sorted(set(values)):
                raise ValueError(f"grid.{name} must be distinct values in increasing order")
            if not all(0.0 <= v <= 1.0 for v in values):
                raise ValueError(f"grid.{name} values must lie between 0 and 1")
        if max(self.keep) >= 1.0 or max(self.show) >= 1.0:
            raise ValueError("keep and show shares must be below 1")

    def points(self) -> Iterator[tuple[float, float, float]]:
        """Every (keep, show, media) combination, keep slowest and media fastest."""
        return itertools.product(self.keep, self.show, self.media)

    def __len__(self) -> int:
        return len(self.keep) * len(self.show) * len(self.media)


#: The full classroom grid: 4 x 4 x 5 = 80 runs.
FULL_GRID = Grid()
#: A 2 x 2 x 2 grid holding every guided-story setting (for tests and quick previews).
SMALL_GRID = Grid(keep=(0.0, 0.75), show=(0.0, 0.75), media=(0.75, 0.9))


def point_overrides(base: Scenario, keep: float, show: float, media: float) -> list[str]:
    """The ``--set`` overrides that put the lesson's sliders on a scenario.

    Args:
        base: The lesson scenario as loaded, without overrides.
        keep: Share of each grant every curator keeps.
        show: Share of each NGO's spending that goes on for-show events.
        media: Host-state media control.

    Returns:
        ``path=value`` assignments for :func:`sim.scenario.load_scenario`.

    Raises:
        ValueError: If a target cannot be reached (an integrity below 0) or the
            fallback substantive activity is missing from the catalogue.
    """
    out: list[str] = []
    risk = {f.id: chain_risk(f) for f in base.funders}
    upstream = {
        i.id: max((risk[f.id] for f in base.funders if i.id in f.allocation), default=0.0)
        for i in base.intermediaries
    }
    for i in base.intermediaries:
        for g in i.grantees:
            upstream[g] = max(upstream.get(g, 0.0), upstream[i.id])
    integrities = []
    for item in base.intermediaries:
        integrity = integrity_for_take(keep, upstream[item.id])
        if integrity < 0.0:
            raise ValueError(f"intermediary {item.id} cannot keep {keep:.0%}")
        integrities.append(integrity)
        out.append(f"intermediaries[{item.id}].integrity={integrity!r}")
    # A caught curator is replaced by someone who keeps the same share.
    if integrities:
        out.append(f"funders[*].replacement_integrity={min(integrities)!r}")
        out.append("funders[*].replacement_integrity_sd=0.0")
    # NGO leaders and the outlet keep their historical take, scaled with the slider.
    scale = keep / REFERENCE_KEEP
    for section, entries in (("ngos", base.ngos), ("outlets", base.outlets)):
        for entry in entries:
            risk_here = upstream.get(entry.id, 0.0)
            take = min(1.0, take_share(entry.integrity, risk_here) * scale)
            integrity = max(0.0, integrity_for_take(take, risk_here))
            out.append(f"{section}[{entry.id}].integrity={integrity!r}")
    for ngo in base.ngos:
        out.append(f"ngos[{ngo.id}].genuine=true")
        out.append(f"ngos[{ngo.id}].activities={json.dumps(activity_mix(base, ngo.id, show))}")
    out.append(f"host_state.media_control={media!r}")
    out.extend(
        f"shocks[{s.id}].media_control={media!r}"
        for s in base.shocks
        if getattr(s, "media_control", None) is not None
    )
    return out


def activity_mix(base: Scenario, ngo_id: str, show: float) -> dict[str, float]:
    """An NGO's activity weights with exactly ``show`` of them on for-show activities.

    The historical proportions within the for-show and within the substantive
    activities are kept; weights that would be zero are left out (the format requires
    positive weights).

    Args:
        base: The lesson scenario.
        ngo_id: The NGO.
        show: Target for-show share of its spending (0..1, below 1).

    Returns:
        Activity id -> weight; the weights sum to 1.
    """
    catalogue = {a.id: a for a in base.activities}
    if FALLBACK_SUBSTANTIVE not in catalogue or catalogue[FALLBACK_SUBSTANTIVE].for_show:
        raise ValueError(f"the catalogue needs a substantive activity '{FALLBACK_SUBSTANTIVE}'")
    ngo = next(n for n in base.ngos if n.id == ngo_id)
    for_show = {a: w for a, w in ngo.activities.items() if catalogue[a].for_show}
    real = {a: w for a, w in ngo.activities.items() if not catalogue[a].for_show}
    if not real:
        real = {FALLBACK_SUBSTANTIVE: 1.0}
    mix: dict[str, float] = {}
    if show > 0 and for_show:
        total = sum(for_show.values())
        mix.update({a: show * w / total for a, w in for_show.items()})
    total = sum(real.values())
    share_real = 1.0 - show if for_show else 1.0
    mix.update({a: share_real * w / total for a, w in real.items()})
    return mix


def run_point(
    scenario_path: str, overrides: list[str], seed: int, setting: tuple[float, float, float]
) -> dict[str, Any]:
    """Run one grid point and reduce it to what the lesson page needs.

    Args:
        scenario_path: The lesson scenario file.
        overrides: From :func:`point_overrides`.
        seed: The common seed.
        setting: (keep, show, media), stored with the point.

    Returns:
        JSON-ready data: the setting, the money in cents, the Sankey link values in
        cents, and monthly opinion series (actual, counterfactual, reported,
        attributable) on the model's -1..1 scale.

    Raises:
        BooksUnbalancedError: From :func:`sim.run.simulate`, if the books do not balance.
    """
    result = simulate(load_scenario(scenario_path, overrides), seed)
    m = result.money
    traj = result.trajectories
    return {
        "keep": setting[0],
        "show": setting[1],
        "media": setting[2],
        "money": {
            "disbursed": m.disbursed,
            "leaked": m.leaked,
            "for_show": m.for_show,
            "substantive": m.substantive,
            "unspent": m.unspent,
        },
        "leaked_by_hop": dict(m.leaked_by_hop),
        "links": sankey_links(result.ledger),
        "opinion": _rounded(traj["opinion_mean"]),
        "counterfactual": _rounded(traj["counterfactual_opinion_mean"]),
        "reported": _rounded(traj["reported_influence"]),
        "attributable": _rounded(traj["attributable_opinion"]),
    }


def sankey_links(ledger: pd.DataFrame) -> list[list[int]]:
    """Aggregate a run's ledger into the lesson's Sankey links.

    Args:
        ledger: ``RunResult.ledger`` (``from``, ``to``, ``cents``, ``kind``).

    Returns:
        ``[source node, target node, cents]`` rows (indices into :data:`NODES`), with
        each holder's balance at the end as a link into "not spent".
    """
    totals: dict[tuple[str, str], int] = {}
    for flow in money_flows(ledger).itertuples(index=False):
        kind = ACTOR_KINDS[account_kind(flow.source)]
        source = "budget" if kind.role == "funder" else kind.name
        if flow.kind == "leak":
            target = f"kept:{kind.name}"
        elif flow.kind in ("for_show", "substantive", UNSPENT):
            target = flow.kind
        else:
            target = account_kind(flow.target)
        totals[source, target] = totals.get((source, target), 0) + int(flow.cents)
    return [[_NODE_INDEX[s], _NODE_INDEX[t], c] for (s, t), c in totals.items() if c]


def _rounded(series: Any, digits: int = 5) -> list[float]:
    return [round(float(v), digits) for v in series]
