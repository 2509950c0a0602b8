"""Funders: disburse a budget, audit intermediaries, and believe their reports."""

from __future__ import annotations

import datetime as dt
from functools import cached_property
from typing import TYPE_CHECKING, Annotated

import mesa
import numpy as np
from pydantic import Field, model_validator

from sim.model.fields import Id, Reference, Share, Strict, Usd
from sim.model.kinds import ActorKind, Section, register_actor
from sim.model.ledger import KIND_CODES, split_cents

if TYPE_CHECKING:
    from sim.model.actors.intermediary import Intermediary
    from sim.model.model import InfluenceModel


class BudgetSpec(Strict):
    """A funder's budget: a total spread by a yearly profile, or explicit yearly amounts."""

    total_usd: Usd | None = Field(
        default=None,
        description="Total budget over the simulated period, in USD. Give this or yearly_usd.",
    )
    yearly_profile: (
        dict[int, Annotated[float, Field(ge=0.0, le=1e6, allow_inf_nan=False)]] | None
    ) = Field(
        default=None,
        description="Relative weight of each calendar year when spreading total_usd "
        "(years not listed get weight 0; omit for an even spread over the period); "
        "weights are at most 1e6.",
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


DISBURSEMENT = KIND_CODES["disbursement"]


class FunderSpec(Strict):
    """The principal: pays intermediaries, audits them, and believes their reports."""

    id: Id
    name: str = Field(default="", max_length=200, description="Display name.")
    budget: BudgetSpec = Field(description="Money the funder disburses over the period.")
    allocation: dict[str, Annotated[float, Field(gt=0.0, le=1e6, allow_inf_nan=False)]] = Field(
        min_length=1,
        description="Intermediary id -> relative share of each step's disbursement "
        "(before beliefs re-weight it); weights are at most 1e6.",
    )
    audit_probability: Share = Field(
        default=0.05,
        description="Audits per year of each intermediary (with its grantees): a yearly rate, "
        "so 1.0 means about one audit a year whatever the step length (at most one a step).",
    )
    audit_tolerance: Share = Field(
        default=0.2,
        description="Share kept above which an audit gets the leadership of an intermediary "
        "or grantee replaced.",
    )
    audit_deterrence: Annotated[float, Field(ge=0.0, le=100.0)] = Field(
        default=0.4,
        description="Expected penalty of audits per unit of yearly audit probability, as felt "
        "by everyone its money passes through (Becker); 0.4 reproduces Olken 2007's ~8 point "
        "drop in missing expenditure when audits go from 4% to 100%.",
    )
    publication: Share = Field(
        default=0.0,
        description="Share of intended recipients who learn what was sent, because the "
        "transfers are published (Reinikka & Svensson 2004); 0 = nothing is published.",
    )
    publication_deterrence: Annotated[float, Field(ge=0.0, le=100.0)] = Field(
        default=4.0,
        description="Expected penalty of theft noticed by informed recipients, per unit of "
        "publication; 4 reproduces Reinikka & Svensson's fall in capture from ~80% to under "
        "20% after the Ugandan newspaper campaign.",
    )
    replacement_integrity: Share = Field(
        default=0.5,
        description="Mean integrity of the people who replace a caught leadership.",
    )
    replacement_integrity_sd: Annotated[float, Field(ge=0.0, le=0.5)] = Field(
        default=0.15,
        description="Spread of the newcomers' integrity (a beta distribution with the mean "
        "above; 0 = always exactly the mean).",
    )
    initial_belief: Share = Field(
        default=1.0,
        description="Funder's initial belief that a channel delivers what was paid for "
        "(1 = fully effective).",
    )
    belief_learning_rate: Share = Field(
        default=0.1,
        description="Exponential-smoothing weight of each report's claimed share of the plan "
        "in the belief (an audit replaces the belief with what it found).",
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
    by_year: dict[int, list[int]] = {}  # year -> its steps, in order
    for n, d in enumerate(dates):
        by_year.setdefault(d.year, []).append(n)
    years = sorted(by_year)
    steps_in = {y: len(by_year[y]) for y in years}
    b = spec.budget
    if b.yearly_usd is not None:
        per_year = {y: round(b.yearly_usd.get(y, 0.0) * 100) for y in years}
    else:
        profile = b.yearly_profile or steps_in
        weights = [profile.get(y, 0.0) for y in years]
        per_year = dict(zip(years, split_cents(round(b.total_usd * 100), weights), strict=True))
    schedule = np.zeros(len(dates), dtype=np.int64)
    for y in years:
        idx = by_year[y]
        schedule[idx] = split_cents(per_year[y], [1.0] * len(idx))
    return schedule


class Funder(mesa.Agent):
    """The principal at the top of the chain.

    Each step it pays its intermediaries their share of the step's budget, weighted
    by its belief in each; after the audience has moved it reads their reports and
    audits some of them. A report claims what was delivered plus the part of the
    shortfall it hides: the belief moves toward the claimed share of the plan, so the
    more a report hides, the more complacent the funder stays. An audit reveals the
    delivered share, and replaces anyone in the audited chain (the intermediary and
    its grantees) who keeps more than the tolerance.

    Attributes:
        spec: The scenario's funder entry.
        code: Its account's code in the ledger.
        schedule: Cents to disburse per step (shocks rescale the remainder).
        belief: Intermediary id -> believed effectiveness in [0, 1].
        reported_contacts: Contacts claimed in reports, cumulated, per segment.
        audit_probability: Current yearly audit probability.
        publication: Current share of intended recipients who learn what was sent.
        risk: Expected penalty per unit taken that its money carries along the chain now
            (:func:`chain_risk` of the two above; kept up to date by the methods that
            change them, since every holder reads it every step).
    """

    def __init__(self, model: InfluenceModel, spec: FunderSpec) -> None:
        super().__init__(model)
        self.spec = spec
        self.account = f"{FUNDER.name}:{spec.id}"
        self.code = model.ledger.account(self.account)
        self.schedule = budget_schedule(spec, model.dates)
        self.planned_cents = int(self.schedule.sum())
        self.belief = dict.fromkeys(spec.allocation, spec.initial_belief)
        self._oversee(spec.audit_probability, spec.publication)
        self.audit_until: dt.date | None = None
        self.reported_contacts = np.zeros(len(model.segment_index))
        self.draws = model.streams["funders"]

    @cached_property
    def intermediaries(self) -> list[Intermediary]:
        """The intermediaries this funder pays, in allocation order (fixed for the run)."""
        return [self.model.intermediaries_by_id[i] for i in self.spec.allocation]

    def _oversee(self, audit_probability: float, publication: float) -> None:
        """Set the audit probability and the publication, and the risk they make."""
        self.audit_probability, self.publication = audit_probability, publication
        self.risk = chain_risk(self.spec, audit_probability, publication)

    def publish(self, share: float) -> None:
        """Publish transfers: a share ``share`` of intended recipients learns what was sent."""
        self._oversee(self.audit_probability, share)

    def newcomer_integrity(self) -> float:
        """Draw the integrity of someone replacing a caught leadership."""
        mean, sd = self.spec.replacement_integrity, self.spec.replacement_integrity_sd
        spread = mean * (1.0 - mean)
        if sd == 0.0 or spread == 0.0:
            return mean
        k = spread / min(sd * sd, 0.99 * spread) - 1.0  # beta with this mean and variance
        return float(self.draws.beta(mean * k, (1.0 - mean) * k))

    def start_audit_drive(self, probability: float, until: dt.date | None) -> None:
        """Audit at a new yearly probability, until a date (inclusive) or for good."""
        self._oversee(probability, self.publication)
        self.audit_until = until

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
        """Pay this step's budget to the intermediaries (skipped in the counterfactual)."""
        amount = int(self.schedule[self.model.step_index])
        weights = [self.spec.allocation[i] * max(self.belief[i], 1e-6) for i in self.belief]
        for agent, cents in zip(self.intermediaries, split_cents(amount, weights), strict=True):
            self.model.ledger.move(self.code, agent.code, cents, DISBURSEMENT)
            agent.pay_in(self.account, cents)

    def review(self) -> None:
        """Read reports, update beliefs, audit, and replace those caught keeping too much."""
        m = self.model
        if self.audit_until is not None and m.date > self.audit_until:
            self.start_audit_drive(self.spec.audit_probability, None)
        lam = self.spec.belief_learning_rate
        p_audit = audit_chance(self.audit_probability, m.years)
        belief = self.belief
        for agent in self.intermediaries:
            report = agent.last_report
            if report.planned > 0:
                claimed = report.claimed / report.planned  # share of the plan claimed
                self.reported_contacts += report.planned_by_segment * claimed
                belief[agent.spec.id] += lam * (min(1.0, claimed) - belief[agent.spec.id])
            # The draw happens every step, so audits do not shift other streams.
            if self.draws.random() < p_audit and report.planned > 0:
                self._audit(agent, min(1.0, report.delivered / report.planned))

    def _audit(self, agent: Intermediary, truth: float) -> None:
        """Audit an intermediary and its grantees; replace whoever keeps too much."""
        self.belief[agent.spec.id] = truth
        chain = [agent, *self.model.grantees_of(agent)]
        caught = [h for h in chain if h.take > self.spec.audit_tolerance]
        names = ", ".join(h.account.partition(":")[2] for h in caught)
        self.model.log_event(
            "audit",
            agent.spec.id,
            f"audit by {self.spec.id}: keeps {agent.take:.0%}, delivers {truth:.0%} of plan"
            + (f"; replaced {names}" if caught else ""),
        )
        for holder in caught:
            holder.replace(self.newcomer_integrity(), f"an audit by {self.spec.id}")


def chain_risk(
    spec: FunderSpec, audit_probability: float | None = None, publication: float | None = None
) -> float:
    """Expected penalty per unit taken that a funder's money carries along the chain.

    ``audit_deterrence * audit_probability + publication_deterrence * publication``,
    with the scenario's values unless others are given (shocks change them).
    """
    p = spec.audit_probability if audit_probability is None else audit_probability
    pub = spec.publication if publication is None else publication
    return spec.audit_deterrence * p + spec.publication_deterrence * pub


def audit_chance(per_year: float, years: float) -> float:
    """Chance of an audit in one step: the yearly rate times the step length, at most 1.

    A yearly rate ``p`` gives about ``p`` audits a year whatever the step length.

    >>> audit_chance(1.0, 1 / 12)
    0.08333333333333333
    >>> round(audit_chance(0.5, 7 / 365.25) * 365.25 / 7, 12)
    0.5
    """
    return min(1.0, per_year * years)


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
