"""Cross-reference checks that a single field cannot make on its own.

Ids must be unique within their list, every id a field names must exist, and the
time line must make sense. Each problem names the field it is about.
"""

from __future__ import annotations

from collections.abc import Iterable

from sim.scenario.errors import Problem, did_you_mean
from sim.scenario.schema import (
    ActivityBan,
    AuditDrive,
    BudgetChange,
    FunderRestructure,
    IntermediaryReplacement,
    OutletRestriction,
    OutletShutdown,
    Scenario,
    SentimentShock,
    StaffDetention,
)


def _unknown(path: str, kind: str, name: str, known: Iterable[str]) -> Problem:
    known = list(known)
    return Problem(path, f"unknown {kind} '{name}'{did_you_mean(name, known)}")


def _check_keys(path: str, kind: str, keys: Iterable[str], known: set[str]) -> list[Problem]:
    return [_unknown(f"{path}.{k}", kind, k, known) for k in keys if k not in known]


def check_references(s: Scenario) -> list[Problem]:
    """Return every cross-reference problem in a scenario (empty when it is consistent).

    Args:
        s: A scenario that passed schema validation.

    Returns:
        The problems found, each with the path of the offending field.
    """
    problems: list[Problem] = []
    lists = {
        "funders": s.funders,
        "intermediaries": s.intermediaries,
        "activities": s.activities,
        "ngos": s.ngos,
        "outlets": s.outlets,
        "audience.segments": s.audience.segments,
        "shocks": s.shocks,
    }
    for name, items in lists.items():
        seen: set[str] = set()
        for item in items:
            if item.id in seen:
                problems.append(Problem(f"{name}[{item.id}].id", f"duplicate id '{item.id}'"))
            seen.add(item.id)
    # An NGO and an outlet may both be grantees: their ids share one namespace.
    for clash in {n.id for n in s.ngos} & {o.id for o in s.outlets}:
        problems.append(Problem(f"outlets[{clash}].id", f"id '{clash}' is also an NGO id"))

    segments = {g.id for g in s.audience.segments}
    activities = {a.id for a in s.activities}
    intermediaries = {i.id for i in s.intermediaries}
    funders = {f.id for f in s.funders}
    outlets = {o.id for o in s.outlets}
    grantees = {n.id for n in s.ngos} | outlets

    for f in s.funders:
        problems += _check_keys(
            f"funders[{f.id}].allocation", "intermediary", f.allocation, intermediaries
        )
        years = range(s.time.start.year, s.time.end.year + 1)
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
    for i in s.intermediaries:
        problems += [
            _unknown(f"intermediaries[{i.id}].grantees", "NGO or outlet", g, grantees)
            for g in i.grantees
            if g not in grantees
        ]
        if i.id not in funded:
            problems.append(Problem(f"intermediaries[{i.id}]", "no funder allocates money to it"))
    for a in s.activities:
        problems += _check_keys(f"activities[{a.id}].reach", "segment", a.reach, segments)
    for n in s.ngos:
        problems += _check_keys(f"ngos[{n.id}].activities", "activity", n.activities, activities)
    for o in s.outlets:
        problems += _check_keys(f"outlets[{o.id}].reach", "segment", o.reach, segments)

    for sh in s.shocks:
        at = f"shocks[{sh.id}]"
        if not s.time.start <= sh.date <= s.time.end:
            problems.append(
                Problem(f"{at}.date", f"{sh.date} is outside {s.time.start}..{s.time.end}")
            )
        match sh:
            case OutletShutdown() | OutletRestriction() if sh.outlet not in outlets:
                problems.append(_unknown(f"{at}.outlet", "outlet", sh.outlet, outlets))
            case ActivityBan():
                problems += [
                    _unknown(f"{at}.activities", "activity", a, activities)
                    for a in sh.activities
                    if a not in activities
                ]
                if sh.until < sh.date:
                    problems.append(Problem(f"{at}.until", "the ban ends before it starts"))
            case SentimentShock() if sh.segments != ["all"]:
                problems += [
                    _unknown(f"{at}.segments", "segment", g, segments)
                    for g in sh.segments
                    if g not in segments
                ]
            case BudgetChange() | AuditDrive() | FunderRestructure() if sh.funder not in funders:
                problems.append(_unknown(f"{at}.funder", "funder", sh.funder, funders))
            case IntermediaryReplacement() if sh.intermediary not in intermediaries:
                problems.append(
                    _unknown(f"{at}.intermediary", "intermediary", sh.intermediary, intermediaries)
                )
            case StaffDetention() if sh.target not in grantees:
                problems.append(_unknown(f"{at}.target", "NGO or outlet", sh.target, grantees))
            case _:
                pass
    return problems
