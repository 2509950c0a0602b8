"""Dated events and their effects on the model.

A shock applies at the step whose period contains its date. :func:`apply_shock`
changes the model and returns a sentence for the events log.
"""

from __future__ import annotations

import bisect
import datetime as dt
from typing import TYPE_CHECKING

from sim.scenario.schema import (
    ActivityBan,
    AuditDrive,
    BudgetChange,
    FunderRestructure,
    HostPolicyChange,
    IntermediaryReplacement,
    OutletRestriction,
    OutletShutdown,
    SentimentShock,
    Shock,
    StaffDetention,
)

if TYPE_CHECKING:
    from sim.model.model import InfluenceModel


def shock_steps(shocks: list[Shock], dates: list[dt.date]) -> dict[int, list[Shock]]:
    """Group shocks by the index of the step whose period contains their date."""
    due: dict[int, list[Shock]] = {}
    for shock in sorted(shocks, key=lambda s: s.date):
        due.setdefault(bisect.bisect_right(dates, shock.date) - 1, []).append(shock)
    return due


def apply_shock(model: InfluenceModel, shock: Shock) -> str:
    """Apply one shock to the model.

    Args:
        model: The running model.
        shock: The shock.

    Returns:
        What happened, in one sentence.
    """
    host = model.host
    match shock:
        case OutletShutdown():
            outlet = model.outlets_by_id[shock.outlet]
            outlet.status = "shut"
            host.detained += shock.detained
            return f"{shock.outlet} shut down; {shock.detained} staff detained"
        case OutletRestriction():
            outlet = model.outlets_by_id[shock.outlet]
            outlet.restriction = shock.capacity
            outlet.status = "restricted" if outlet.status == "open" else outlet.status
            return f"{shock.outlet} restricted to {shock.capacity:.0%} of its reach"
        case ActivityBan():
            for activity in shock.activities:
                host.ban(activity, shock.until)
            return f"banned {', '.join(shock.activities)} until {shock.until}"
        case SentimentShock():
            ids = model.audience.segment_ids if shock.segments == ["all"] else shock.segments
            model.audience.shift([model.segment_index[s] for s in ids], shock.delta)
            return f"opinion shift {shock.delta:+g} in {', '.join(ids)}"
        case HostPolicyChange():
            changed = []
            for field in ("media_control", "ngo_restriction", "stance"):
                value = getattr(shock, field)
                if value is not None:
                    setattr(host, field, value)
                    changed.append(f"{field}={value:g}")
            return "host policy: " + (", ".join(changed) or "no change")
        case BudgetChange():
            model.funders_by_id[shock.funder].rescale_budget(shock.factor)
            return f"{shock.funder} budget x{shock.factor:g} from now on"
        case IntermediaryReplacement():
            model.intermediaries_by_id[shock.intermediary].replace(shock.integrity)
            return f"{shock.intermediary} replaced (integrity {shock.integrity:g})"
        case AuditDrive():
            funder = model.funders_by_id[shock.funder]
            funder.audit_probability, funder.audit_until = shock.audit_probability, shock.until
            until = f" until {shock.until}" if shock.until else ""
            return f"{shock.funder} audits at {shock.audit_probability:.0%}/year{until}"
        case FunderRestructure():
            funder = model.funders_by_id[shock.funder]
            funder.rescale_budget(shock.budget_factor)
            if shock.audit_probability is not None:
                funder.audit_probability, funder.audit_until = shock.audit_probability, None
            funder.belief = dict.fromkeys(funder.belief, funder.spec.initial_belief)
            return f"{shock.funder} restructured: budget x{shock.budget_factor:g}, beliefs reset"
        case StaffDetention():
            target = model.grantees_by_id[shock.target]
            if hasattr(target, "detained"):
                target.detained = True
            else:
                target.status = "detained"
            host.detained += shock.detained
            return f"{shock.detained} staff of {shock.target} detained; it stops working"
    raise TypeError(f"unknown shock {shock!r}")  # pragma: no cover - the schema is closed
