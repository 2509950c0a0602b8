"""Cross-reference checks that a single field cannot make on its own.

Ids must be unique within their list, every id a field names must exist, and the
time line must make sense. Each problem names the field it is about.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from sim.model.fields import Reference
from sim.model.kinds import ACTOR_KINDS, kinds_with_role, sections
from sim.model.ledger import split_cents
from sim.scenario.errors import Problem, did_you_mean
from sim.scenario.overrides import read_path
from sim.scenario.schema import Scenario


def _unknown(path: str, kind: str, name: str, known: Iterable[str]) -> Problem:
    known = list(known)
    return Problem(path, f"unknown {kind} '{name}'{did_you_mean(name, known)}")


def namespaces(s: Scenario) -> dict[str, tuple[str, set[str]]]:
    """Namespace -> (its name in messages, the ids it holds) for a scenario.

    Every list section of an actor kind is a namespace (``"ngo"``, ``"activity"``...),
    and so are ``"segment"`` (the audience's segments) and ``"grantee"`` (the ids of
    every grantee kind together, one namespace).
    """
    spaces: dict[str, tuple[str, set[str]]] = {
        "segment": ("segment", {g.id for g in s.audience.segments})
    }
    for section in sections():
        space = section.namespace
        if space is not None:
            label = ACTOR_KINDS[space].label if space in ACTOR_KINDS else space
            spaces[space] = (label, {e.id for e in getattr(s, section.name)})
    grantees = kinds_with_role("grantee")
    labels = [k.label for k in grantees]
    spaces["grantee"] = (
        " or ".join([", ".join(labels[:-1]), labels[-1]] if len(labels) > 1 else labels),
        set().union(*(spaces[k.name][1] for k in grantees)),
    )
    return spaces


def _check(
    at: str, refs: Iterable[Reference], spaces: dict[str, tuple[str, set[str]]]
) -> list[Problem]:
    problems = []
    for ref in refs:
        label, known = spaces[ref.namespace]
        path = f"{at}.{ref.field}"
        problems += [
            _unknown(f"{path}.{i}" if ref.keyed else path, label, i, known)
            for i in ref.ids
            if i not in known
        ]
    return problems


def check_references(s: Scenario) -> list[Problem]:
    """Return every cross-reference problem in a scenario (empty when it is consistent).

    Ids must be unique within each list; every id an entry or a shock names must exist
    in its namespace (each entry and shock kind says which ids it names, see
    :class:`sim.model.fields.Reference`); shocks must fall inside the period; every
    intermediary must be paid by some funder; and the network must be buildable for
    the population (:func:`check_network`).

    Args:
        s: A scenario that passed schema validation.

    Returns:
        The problems found, each with the path of the offending field.
    """
    problems: list[Problem] = []
    lists = {sec.name: getattr(s, sec.name) for sec in sections() if sec.namespace is not None}
    lists["audience.segments"] = s.audience.segments
    lists["shocks"] = s.shocks
    for name, items in lists.items():
        seen: set[str] = set()
        for item in items:
            if item.id in seen:
                problems.append(Problem(f"{name}[{item.id}].id", f"duplicate id '{item.id}'"))
            seen.add(item.id)
    # Grantees of every kind share one namespace: an id may not be used by two kinds.
    grantee_kinds = kinds_with_role("grantee")
    for n, kind in enumerate(grantee_kinds):
        mine = {e.id for e in getattr(s, kind.section.name)}
        for other in grantee_kinds[:n]:
            for clash in sorted(mine & {e.id for e in getattr(s, other.section.name)}):
                problems.append(
                    Problem(
                        f"{kind.section.name}[{clash}].id",
                        f"id '{clash}' is also an {other.label} id",
                    )
                )

    spaces = namespaces(s)
    for name, items in lists.items():
        if name in ("audience.segments", "shocks"):
            continue
        for item in items:
            problems += _check(f"{name}[{item.id}]", item.references(), spaces)

    years = range(s.time.start.year, s.time.end.year + 1)
    for f in s.funders:
        for field in ("yearly_profile", "yearly_usd"):
            table = getattr(f.budget, field) or {}
            problems += [
                Problem(
                    f"funders[{f.id}].budget.{field}.{y}",
                    f"year {y} is outside the simulated period {years[0]}-{years[-1]}",
                )
                for y in table
                if y not in years
            ]
    funded = {i for f in s.funders for i in f.allocation}
    problems += [
        Problem(f"intermediaries[{i.id}]", "no funder allocates money to it")
        for i in s.intermediaries
        if i.id not in funded
    ]

    problems += check_network(s)
    problems += check_budget_growth(s)
    problems += check_ranges(s)
    for sh in s.shocks:
        at = f"shocks[{sh.id}]"
        if not s.time.start <= sh.date <= s.time.end:
            problems.append(
                Problem(f"{at}.date", f"{sh.date} is outside {s.time.start}..{s.time.end}")
            )
        problems += _check(at, sh.references(), spaces)
        problems += [Problem(f"{at}.{field}", message) for field, message in sh.problems()]
    return problems


def check_network(s: Scenario) -> list[Problem]:
    """The audience must be buildable: people in every segment, and a network that fits.

    Every segment needs at least one simulated person (the population is split by
    shares as :class:`~sim.model.audience.Audience` splits it). Everyone needs fewer
    contacts than there are other people, and the small-world ring lattice needs at
    least one neighbour on each side and fewer than everyone
    (:func:`~sim.model.network.build_network`).
    """
    n, k = s.audience.population, s.audience.network.mean_degree
    sizes = split_cents(n, [g.share for g in s.audience.segments])  # as the audience does
    empty = [
        Problem(
            f"audience.segments[{g.id}].share",
            f"gives none of the {n:,} simulated people (audience.population) to this "
            f"segment; each segment needs at least one: raise its share or the population; "
            f"found {g.share:g}",
        )
        for g, size in zip(s.audience.segments, sizes, strict=True)
        if size < 1
    ]
    if empty:
        return empty
    path = "audience.network.mean_degree"
    if not k < n:
        return [
            Problem(
                path,
                f"must be less than the population (audience.population = {n:,}); found {k:g}",
            )
        ]
    if s.audience.network.generator == "small_world":
        lattice = 2 * (round(k) // 2)
        if lattice < 2:
            return [
                Problem(
                    path,
                    "the 'small_world' generator needs round(mean_degree) >= 2 (one neighbour "
                    f"on each side of the ring); found {k:g}",
                )
            ]
        if lattice >= n:
            return [
                Problem(
                    path,
                    "the 'small_world' generator needs 2 * (round(mean_degree) // 2) less than "
                    f"the population (audience.population = {n:,}); found {k:g}",
                )
            ]
    return []


#: Largest budget a funder may reach once shocks have multiplied it, in USD: its cents
#: (10^18) stay well inside the 64-bit integers the model's budget schedules use.
MAX_GROWN_BUDGET_USD = 1e16
#: Fields of shocks that multiply a funder's remaining budget.
_BUDGET_FACTORS = ("factor", "budget_factor")


def check_budget_growth(s: Scenario) -> list[Problem]:
    """Shocks that multiply a budget must not grow it past :data:`MAX_GROWN_BUDGET_USD`.

    Each ``budget_change`` or ``funder_restructure`` multiplies the rest of a funder's
    budget; factors above 1 compound. The first shock (by date) that takes the budget
    past the limit is named.
    """
    problems = []
    budgets = {
        f.id: f.budget.total_usd
        if f.budget.total_usd is not None
        else sum((f.budget.yearly_usd or {}).values())
        for f in s.funders
    }
    grown = dict(budgets)
    for sh in sorted(s.shocks, key=lambda sh: sh.date):
        funder = getattr(sh, "funder", None)
        for field in _BUDGET_FACTORS:
            factor = getattr(sh, field, None)
            if funder not in grown or factor is None or factor <= 1:
                continue
            grown[funder] *= factor
            if grown[funder] > MAX_GROWN_BUDGET_USD:
                problems.append(
                    Problem(
                        f"shocks[{sh.id}].{field}",
                        f"with the shocks before it, grows the budget of funder '{funder}' "
                        f"(USD {budgets[funder]:,.0f}) past USD {MAX_GROWN_BUDGET_USD:,.0f}, "
                        f"more than the model can count in cents; found {factor:g}",
                    )
                )
                grown[funder] = -math.inf  # one problem per funder
    return problems


def check_ranges(s: Scenario) -> list[Problem]:
    """Each range's path must be well formed, name existing fields and select numbers.

    A path whose list item is missing is not a problem: a scenario that extends another
    may remove items (``shocks: []``) whose ranges it inherits. Whether the values lie in
    their ranges is not a problem either: a counterfactual moves values out of the
    baseline's plausible ranges on purpose. :func:`range_coverage` reports both.
    """
    problems: list[Problem] = []
    doc = s.model_dump(mode="json", exclude={"ranges"})
    for path in s.ranges:
        values, found = read_path(doc, path)
        problems += [
            Problem(f"ranges[{path}]", p.message)
            for p in found
            if not p.message.startswith("no item ")
        ]
        problems += [
            Problem(f"ranges[{path}]", f"expected a number at {path}, found {value!r}")
            for value in values
            if isinstance(value, bool) or not isinstance(value, int | float)
        ]
    return problems


def range_coverage(s: Scenario) -> list[str]:
    """Ranges that select nothing or whose values lie outside them, one line each."""
    doc = s.model_dump(mode="json", exclude={"ranges"})
    lines = []
    for path, spec in s.ranges.items():
        values = read_path(doc, path)[0]
        if not values:
            lines.append(f"{path}: selects nothing")
        lines += [
            f"{path}: {value:g} is outside [{spec.low:g}, {spec.high:g}]"
            for value in values
            if not spec.low <= value <= spec.high
        ]
    return lines
