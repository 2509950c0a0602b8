"""Funders: disburse a budget, audit intermediaries, and believe their reports."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated

import mesa
import numpy as np
from pydantic import Field, model_validator

from sim.model.clock import per_step
from sim.model.fields import Id, Reference, Share, Strict, Usd
from sim.model.kinds import ActorKind, Section, register_actor
from sim.model.ledger import split_cents

if TYPE_CHECKING:
    from sim.model.actors.intermediary import Intermediary
    from sim.model.model import InfluenceModel


class BudgetSpec(Strict):
    """A funder's budget: a total spread by a yearly profile, or explicit yearly amounts."""

    total_usd: Usd | None = Field(
        default=None,
        description="Total budget over the simulated period, in USD. Give this or yearly_usd.",
    )
    yearly_profile: dict[int, Annotated[float, Field(ge=0.0)]] | None = Field(
        default=None,
        description="Relative weight of each calendar year when spreading total_usd "
        "(years not listed get weight 0; omit for an even spread over the period).",
    )
    yearly_usd: dict[int, Usd] | None = Field(
        default=None, description="Explicit amount per calendar year, in USD."
    )

    @model_validator(mode="after")
    def _one_form(self) -> BudgetSpec:
        if (self.total_usd is None) == (self.yearly_usd is None):
            raise ValueError("give exactly one of total_usd or yearly_usd")
        if self.yearly_profile is not None and self.total_usd is None:
            raise ValueError("yearly_profile goes with total_usd, not with yearly_usd")
        if self.yearly_profile is not None and sum(self.yearly_profile.values()) <= 0:
            raise ValueError("yearly_profile weights must not all be zero")
        return self


class FunderSpec(Strict):
    """The principal: pays intermediaries, audits them, and believes their reports."""

    id: Id
    name: str = Field(default="", description="Display name.")
    budget: BudgetSpec = Field(description="Money the funder disburses over the period.")
    allocation: dict[str, Annotated[float, Field(gt=0.0)]] = Field(
        min_length=1,
        description="Intermediary id -> relative share of each step's disbursement "
        "(before beliefs re-weight it).",
    )
    audit_probability: Share = Field(
        default=0.05, description="Probability per year that a given intermediary is audited."
    )
    audit_tolerance: Share = Field(
        default=0.2,
        description="Share kept by an intermediary above which an audit gets it replaced.",
    )
    replacement_integrity: Share = Field(
        default=0.5, description="Integrity of the person who replaces a caught intermediary."
    )
    initial_belief: Share = Field(
        default=1.0,
        description="Funder's initial belief that a channel delivers what was paid for "
        "(1 = fully effective).",
    )
    belief_learning_rate: Share = Field(
        default=0.1,
        description="Exponential-smoothing weight of each new report in the belief "
        "(an audit replaces the belief with what it found).",
    )
    assumed_shift_per_contact: Annotated[float, Field(ge=0.0, le=1.0)] = Field(
        default=0.002,
        description="Opinion shift the funder assumes each reported contact buys; turns "
        "reported contacts into reported influence.",
    )

    def references(self) -> list[Reference]:
        """The intermediaries its allocation names."""
        return [Reference("allocation", "intermediary", tuple(self.allocation), keyed=True)]


def budget_schedule(spec: FunderSpec, dates: list[dt.date]) -> np.ndarray:
    """Cents to disburse at each step, summing exactly to the budget.

    A ``total_usd`` is spread over calendar years by ``yearly_profile`` (or in
    proportion to each year's number of steps, i.e. evenly over the period); each
    year's amount is spread evenly over that year's steps.

    Args:
        spec: The funder.
        dates: Date of each step.

    Returns:
        Integer cents per step.
    """
    years = sorted({d.year for d in dates})
    steps_in = {y: sum(d.year == y for d in dates) for y in years}
    b = spec.budget
    if b.yearly_usd is not None:
        per_year = {y: round(b.yearly_usd.get(y, 0.0) * 100) for y in years}
    else:
        profile = b.yearly_profile or steps_in
        weights = [profile.get(y, 0.0) for y in years]
        per_year = dict(zip(years, split_cents(round(b.total_usd * 100), weights), strict=True))
    schedule = np.zeros(len(dates), dtype=np.int64)
    for y in years:
        idx = [n for n, d in enumerate(dates) if d.year == y]
        schedule[idx] = split_cents(per_year[y], [1.0] * len(idx))
    return schedule


class Funder(mesa.Agent):
    """The principal at the top of the chain.

    Each step it pays its intermediaries their share of the step's budget, weighted
    by its belief in each; after the audience has moved it reads their reports
    (which claim every dollar was well spent) and audits some of them. Reports can
    only confirm the belief; audits reveal the share that really reached the
    audience, and a caught intermediary is replaced.

    Attributes:
        spec: The scenario's funder entry.
        schedule: Cents to disburse per step (shocks rescale the remainder).
        belief: Intermediary id -> believed effectiveness in [0, 1].
        audit_probability: Current yearly audit probability.
        reported_contacts: Contacts claimed in reports, cumulated, per segment.
    """

    def __init__(self, model: InfluenceModel, spec: FunderSpec) -> None:
        super().__init__(model)
        self.spec = spec
        self.account = f"{FUNDER.name}:{spec.id}"
        self.schedule = budget_schedule(spec, model.dates)
        self.planned_cents = int(self.schedule.sum())
        self.belief = dict.fromkeys(spec.allocation, spec.initial_belief)
        self.audit_probability = spec.audit_probability
        self.audit_until: dt.date | None = None
        self.reported_contacts = np.zeros(len(model.segment_index))
        self.audit_rng = model.streams["funders"]

    @property
    def intermediaries(self) -> list[Intermediary]:
        """The intermediaries this funder pays, in allocation order."""
        return [self.model.intermediaries_by_id[i] for i in self.spec.allocation]

    def start_audit_drive(self, probability: float, until: dt.date | None) -> None:
        """Audit at a new yearly probability, until a date (inclusive) or for good."""
        self.audit_probability, self.audit_until = probability, until

    def restructure(self, budget_factor: float, audit_probability: float | None) -> None:
        """A reorganisation: rescale the budget, maybe change oversight, reset beliefs."""
        self.rescale_budget(budget_factor)
        if audit_probability is not None:
            self.start_audit_drive(audit_probability, None)
        self.belief = dict.fromkeys(self.belief, self.spec.initial_belief)

    @property
    def reported_shift(self) -> np.ndarray:
        """Opinion shift its reports imply per segment, summed over the real people.

        Reported contacts times the shift per contact the funder assumes.
        """
        return self.reported_contacts * self.spec.assumed_shift_per_contact

    def rescale_budget(self, factor: float) -> None:
        """Multiply the budget of every step from the current one on."""
        now = self.model.step_index
        self.schedule[now:] = np.floor(self.schedule[now:] * factor).astype(np.int64)

    def disburse(self) -> None:
        """Pay this step's budget to the intermediaries (nothing in the counterfactual)."""
        if self.model.counterfactual:
            return
        amount = int(self.schedule[self.model.step_index])
        weights = [self.spec.allocation[i] * max(self.belief[i], 1e-6) for i in self.belief]
        for agent, cents in zip(self.intermediaries, split_cents(amount, weights), strict=True):
            self.model.transfer(self.account, agent.account, cents, "disbursement")
            agent.received += cents

    def review(self) -> None:
        """Read reports, update beliefs, audit, and replace caught intermediaries."""
        m = self.model
        if self.audit_until is not None and m.date > self.audit_until:
            self.audit_probability, self.audit_until = self.spec.audit_probability, None
        lam = self.spec.belief_learning_rate
        p_audit = per_step(self.audit_probability, m.years)
        for agent in self.intermediaries:
            report = agent.last_report
            if report.planned > 0:
                self.reported_contacts += report.claimed_by_segment
                seen = min(1.0, report.claimed / report.planned)
                self.belief[agent.spec.id] += lam * (seen - self.belief[agent.spec.id])
            # The draw happens every step, so audits do not shift other streams.
            if self.audit_rng.random() < p_audit and report.planned > 0:
                truth = min(1.0, report.delivered / report.planned)
                self.belief[agent.spec.id] = truth
                caught = agent.skim_rate > self.spec.audit_tolerance
                m.log_event(
                    "audit",
                    agent.spec.id,
                    f"audit by {self.spec.id}: keeps {agent.skim_rate:.0%}, "
                    f"delivers {truth:.0%} of plan" + ("; replaced" if caught else ""),
                )
                if caught:
                    agent.replace(self.spec.replacement_integrity)


FUNDER = register_actor(
    ActorKind(
        name="funder",
        label="funder",
        role="funder",
        agent=Funder,
        sections=(
            Section(
                "funders",
                list[FunderSpec],
                Field(min_length=1, description="Who pays."),
                namespace="funder",
            ),
        ),
    )
)
