"""The scenario file format: one pydantic schema, the single source of truth.

Every field carries a type, bounds, a default where one is sensible and a
description. `run_sim.py schema` prints the JSON Schema generated from these
classes, and `docs/scenario-format.md` is generated from them too.

Rates that depend on the length of a step are given per year (or as a half-life)
so that a scenario means the same thing with weekly and with monthly steps.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from sim.model.dynamics import PEER_RULES
from sim.model.network import GENERATORS

Id = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z][A-Za-z0-9_\-]*$",
        description="Identifier: a letter, then letters, digits, '_' or '-'.",
    ),
]
Share = Annotated[float, Field(ge=0.0, le=1.0)]
Opinion = Annotated[float, Field(ge=-1.0, le=1.0)]
Usd = Annotated[float, Field(ge=0.0, le=1e13)]
#: Names derived from the registries, so a name the model cannot dispatch cannot validate.
PeerRuleName = Literal[tuple(PEER_RULES)]  # type: ignore[valid-type]
NetworkGeneratorName = Literal[tuple(GENERATORS)]  # type: ignore[valid-type]


class _Strict(BaseModel):
    """Base for every scenario object: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class TimeSpec(_Strict):
    """Simulated period and step length."""

    start: dt.date = Field(description="First simulated date (the first step starts here).")
    end: dt.date = Field(description="Last simulated date (steps run while their date <= end).")
    step: Literal["week", "month"] = Field(
        default="month", description="Length of one step: 'week' (7 days) or 'month'."
    )

    @field_validator("end")
    @classmethod
    def _end_after_start(cls, end: dt.date, info: ValidationInfo) -> dt.date:
        start = info.data.get("start")
        if start is not None and end <= start:
            raise ValueError(f"end ({end}) must be after start ({start})")
        return end


class BudgetSpec(_Strict):
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


class FunderSpec(_Strict):
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


class GranteeChoice(StrEnum):
    """How an intermediary splits money among its grantees."""

    loyalty = "loyalty"
    capability = "capability"


class IntermediarySpec(_Strict):
    """A 'curator' or compatriot-organisation leader passing money on to grantees."""

    id: Id
    name: str = Field(default="", description="Display name.")
    integrity: Share = Field(
        default=0.5,
        description="0 keeps as much as possible, 1 keeps nothing. Share kept = "
        "(1 - integrity) / (1 + deterrence * audit_probability).",
    )
    deterrence: Annotated[float, Field(ge=0.0, le=100.0)] = Field(
        default=0.4,
        description="How strongly the perceived yearly audit probability deters skimming "
        "(0.4 reproduces Olken 2007's ~8 point drop, 4% -> 100% audits, at integrity 0.7).",
    )
    grantee_choice: GranteeChoice = Field(
        default=GranteeChoice.loyalty,
        description="'loyalty': money follows grantees' loyalty (kickbacks); "
        "'capability': money follows their capability.",
    )
    grantees: list[str] = Field(min_length=1, description="NGO and outlet ids this one funds.")
    report_inflation: Annotated[float, Field(ge=0.0, le=100.0)] = Field(
        default=0.5,
        description="Reports claim every dollar was spent as planned, times (1 + this).",
    )


class Sector(StrEnum):
    """NGO sectors of the reference case."""

    compatriots = "compatriots"
    youth = "youth"
    students = "students"
    education = "education"
    russian_language = "russian_language"
    culture = "culture"
    journalism = "journalism"
    border_regions = "border_regions"
    other = "other"


class ActivitySpec(_Strict):
    """One kind of activity in the catalogue NGOs draw from."""

    id: Id
    name: str = Field(default="", description="Display name.")
    cost_usd: Annotated[float, Field(gt=0.0, le=1e10)] = Field(description="Cost of one event.")
    reach: dict[str, Annotated[float, Field(ge=0.0, le=1e9)]] = Field(
        description="Segment id -> real people reached by one event."
    )
    persuasion: Share = Field(description="Persuasive strength of one contact.")
    for_show: bool = Field(
        description="True for receptions, concerts and showcases done for the report "
        "('balalaika diplomacy'); False for substantive work."
    )


class NgoSpec(_Strict):
    """A local NGO or compatriot organisation receiving grants."""

    id: Id
    name: str = Field(default="", description="Display name.")
    sector: Sector = Field(default=Sector.other, description="Field of work.")
    genuine: bool = Field(
        default=True,
        description="False for a facade: everything it runs is for the report only "
        "(counted as for show, no persuasion).",
    )
    skim_rate: Share = Field(default=0.0, description="Share of each grant its leaders keep.")
    loyalty: Share = Field(default=0.5, description="Loyalty/kickbacks to the intermediary.")
    capability: Share = Field(default=0.5, description="Ability to deliver real work.")
    activities: dict[str, Annotated[float, Field(gt=0.0)]] = Field(
        min_length=1, description="Activity id -> relative share of spending."
    )


class OutletSpec(_Strict):
    """A media outlet funded (partly) by the funder."""

    id: Id
    name: str = Field(default="", description="Display name.")
    language: str = Field(
        default="russian", description="Broadcast language (matched to segment languages)."
    )
    reach: dict[str, Share] = Field(
        description="Segment id -> share of the segment reached per month at full capacity "
        "(contacts scale with the step length)."
    )
    credibility: Share = Field(default=0.5, description="Source credibility.")
    persuasion: Share = Field(default=0.3, description="Persuasive strength of one contact.")
    running_cost_usd_per_year: Usd = Field(
        default=0.0, description="Cost of running at full capacity."
    )
    funder_dependence: Share = Field(
        default=1.0,
        description="Share of capacity that depends on the funder's money (0 = self-funded).",
    )
    skim_rate: Share = Field(default=0.0, description="Share of each grant its managers keep.")
    loyalty: Share = Field(default=0.5, description="Loyalty/kickbacks to the intermediary.")
    capability: Share = Field(default=0.5, description="Ability to deliver real work.")
    start: dt.date | None = Field(default=None, description="Date the outlet enters.")


class HostStateSpec(_Strict):
    """The host government, filtering foreign influence."""

    media_control: Share = Field(
        default=0.5, description="Share of foreign outlets' reach the state filters out."
    )
    ngo_restriction: Share = Field(
        default=0.2, description="Share of NGO activities' reach the state filters out."
    )
    stance: Opinion = Field(
        default=0.0,
        description="Official stance toward the funder's country; state media pull "
        "opinions toward it.",
    )
    state_media_pull_per_year: Share = Field(
        default=0.1, description="Yearly rate at which state media pull opinions to the stance."
    )


class SegmentSpec(_Strict):
    """An audience segment."""

    id: Id
    name: str = Field(default="", description="Display name.")
    share: Annotated[float, Field(gt=0.0, le=1.0)] = Field(
        description="Share of the population (segment shares must sum to 1)."
    )
    opinion_mean: Opinion = Field(default=0.0, description="Mean initial favourability.")
    opinion_sd: Annotated[float, Field(ge=0.0, le=2.0)] = Field(
        default=0.3, description="Spread of initial favourability (clipped to [-1, 1])."
    )
    susceptibility: Share = Field(default=0.5, description="How much messages move this group.")
    languages: dict[str, Share] = Field(
        default_factory=dict, description="Language -> share of the segment that follows it."
    )


class NetworkSpec(_Strict):
    """Social network generator."""

    generator: NetworkGeneratorName = Field(
        default="random",
        description="; ".join(f"'{g.name}': {g.description}" for g in GENERATORS.values()),
    )
    mean_degree: Annotated[float, Field(gt=0.0, le=200.0)] = Field(
        default=10.0, description="Mean number of contacts per person."
    )
    homophily: Share = Field(
        default=0.7,
        description="Probability that a tie's partner is drawn from one's own segment "
        "(otherwise from everyone, own segment included).",
    )
    rewiring: Share = Field(default=0.1, description="Rewiring probability ('small_world').")


class PeerSpec(_Strict):
    """Peer influence on the social network."""

    rule: PeerRuleName = Field(
        default="deffuant",
        description="Opinion-dynamics rule: "
        + "; ".join(f"'{r.name}': {r.description}" for r in PEER_RULES.values()),
    )
    confidence: Annotated[float, Field(gt=0.0, le=2.0)] = Field(
        default=0.5,
        description="Deffuant bound of confidence on the [-1, 1] scale "
        "(twice the value on the usual [0, 1] scale).",
    )
    convergence: Annotated[float, Field(gt=0.0, le=0.5)] = Field(
        default=0.2, description="Deffuant convergence parameter mu."
    )
    interactions_per_year: Annotated[float, Field(ge=0.0, le=10000.0)] = Field(
        default=12.0,
        description="Peer encounters drawn per person per year (each involves two people).",
    )


class ExposureSpec(_Strict):
    """How exposure to funded messages moves opinions."""

    memory_half_life_weeks: Annotated[float, Field(gt=0.0, le=1000.0)] = Field(
        default=8.0, description="Half-life of the exposure stock (adstock carry-over)."
    )
    half_saturation: Annotated[float, Field(gt=0.0, le=100.0)] = Field(
        default=1.0, description="Exposure stock at which the effect is half its maximum."
    )
    hill_exponent: Annotated[float, Field(gt=0.0, le=10.0)] = Field(
        default=1.0, description="Steepness of the saturation (Hill) curve."
    )
    effect_per_year: Share = Field(
        default=0.5,
        description="Yearly rate at which a saturated, fully susceptible person moves toward "
        "the message.",
    )
    latitude: Annotated[float, Field(gt=0.0, le=2.0)] = Field(
        default=1.2,
        description="Latitude of acceptance: a message pulls people whose distance from it is "
        "within this; farther away it pushes (backlash).",
    )
    backlash: Annotated[float, Field(ge=0.0, le=2.0)] = Field(
        default=0.2, description="Strength of the push away for people outside the latitude."
    )
    predisposition_pull_per_year: Share = Field(
        default=0.3, description="Yearly rate at which opinions relax to predispositions."
    )


class AudienceSpec(_Strict):
    """The simulated population."""

    population: Annotated[int, Field(ge=10, le=100_000_000)] = Field(
        default=10_000, description="Number of simulated people."
    )
    real_population: Annotated[int, Field(ge=1, le=10_000_000_000)] = Field(
        description="Number of real people the simulation stands for."
    )
    favourable_threshold: Opinion = Field(
        default=0.2, description="Opinion above which a person counts as favourable."
    )
    segments: list[SegmentSpec] = Field(min_length=1, description="Audience segments.")
    network: NetworkSpec = Field(default_factory=NetworkSpec, description="Social network.")
    peer: PeerSpec = Field(default_factory=PeerSpec, description="Peer influence.")
    exposure: ExposureSpec = Field(
        default_factory=ExposureSpec, description="How funded messages move opinions."
    )

    @field_validator("segments")
    @classmethod
    def _shares_sum_to_one(cls, segments: list[SegmentSpec]) -> list[SegmentSpec]:
        total = sum(s.share for s in segments)
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"segment shares must sum to 1, found {total:.6g}")
        return segments


class _Shock(_Strict):
    id: Id
    date: dt.date = Field(description="Date on which the shock applies.")
    label: str = Field(default="", description="Short text shown in outputs.")


class OutletShutdown(_Shock):
    """The host state closes an outlet: no reach, no spending, balance frozen."""

    type: Literal["outlet_shutdown"]
    outlet: str = Field(description="Outlet id.")
    detained: Annotated[int, Field(ge=0)] = Field(default=0, description="Staff detained.")


class OutletRestriction(_Shock):
    """The host state limits an outlet (e.g. withdrawn accreditation)."""

    type: Literal["outlet_restriction"]
    outlet: str = Field(description="Outlet id.")
    capacity: Share = Field(description="Share of reach left to the outlet.")


class ActivityBan(_Shock):
    """Activity types banned until a date."""

    type: Literal["activity_ban"]
    activities: list[str] = Field(min_length=1, description="Activity ids.")
    until: dt.date = Field(description="Last day of the ban.")


class SentimentShock(_Shock):
    """An event that shifts opinions (and predispositions) of chosen segments."""

    type: Literal["sentiment"]
    segments: list[str] = Field(min_length=1, description="Segment ids, or ['all'].")
    delta: Annotated[float, Field(ge=-2.0, le=2.0)] = Field(description="Opinion shift.")


class HostPolicyChange(_Shock):
    """A change in the host state's controls or stance (unset fields stay)."""

    type: Literal["host_policy"]
    media_control: Share | None = Field(default=None, description="New media control.")
    ngo_restriction: Share | None = Field(default=None, description="New NGO restriction.")
    stance: Opinion | None = Field(default=None, description="New official stance.")


class BudgetChange(_Shock):
    """Multiply a funder's remaining budget."""

    type: Literal["budget_change"]
    funder: str = Field(description="Funder id.")
    factor: Annotated[float, Field(ge=0.0, le=100.0)] = Field(description="Multiplier.")


class IntermediaryReplacement(_Shock):
    """Replace an intermediary with a new person."""

    type: Literal["intermediary_replacement"]
    intermediary: str = Field(description="Intermediary id.")
    integrity: Share = Field(description="Integrity of the newcomer.")


class AuditDrive(_Shock):
    """An anti-corruption drive: a higher audit probability, until a date or for good."""

    type: Literal["audit_drive"]
    funder: str = Field(description="Funder id.")
    audit_probability: Share = Field(description="Yearly audit probability during the drive.")
    until: dt.date | None = Field(default=None, description="Last day (omit: permanent).")


class FunderRestructure(_Shock):
    """The funder's department is reorganised: beliefs reset, budget and oversight change."""

    type: Literal["funder_restructure"]
    funder: str = Field(description="Funder id.")
    budget_factor: Annotated[float, Field(ge=0.0, le=100.0)] = Field(
        default=1.0, description="Multiplier on the remaining budget."
    )
    audit_probability: Share | None = Field(default=None, description="New audit probability.")


class StaffDetention(_Shock):
    """Staff of an NGO or outlet detained: it stops working."""

    type: Literal["staff_detention"]
    target: str = Field(description="NGO or outlet id.")
    detained: Annotated[int, Field(ge=0)] = Field(default=1, description="People detained.")


Shock = Annotated[
    OutletShutdown
    | OutletRestriction
    | ActivityBan
    | SentimentShock
    | HostPolicyChange
    | BudgetChange
    | IntermediaryReplacement
    | AuditDrive
    | FunderRestructure
    | StaffDetention,
    Field(discriminator="type"),
]


class Scenario(_Strict):
    """A complete, validated scenario."""

    name: str = Field(min_length=1, max_length=200, description="Scenario name.")
    description: str = Field(min_length=1, description="What this scenario represents.")
    extends: str | None = Field(
        default=None,
        description="Path (relative to this file) of a base scenario to deep-merge under "
        "this one. Resolved at load time.",
    )
    seed: Annotated[int, Field(ge=0, le=2**63 - 1)] = Field(
        default=0, description="Default random seed (the CLI's --seed overrides it)."
    )
    time: TimeSpec = Field(description="Simulated period and step length.")
    funders: list[FunderSpec] = Field(min_length=1, description="Who pays.")
    intermediaries: list[IntermediarySpec] = Field(
        min_length=1, description="Curators and leaders between funders and grantees."
    )
    activities: list[ActivitySpec] = Field(
        default_factory=list, description="Catalogue of activity types NGOs can run."
    )
    ngos: list[NgoSpec] = Field(default_factory=list, description="NGOs receiving grants.")
    outlets: list[OutletSpec] = Field(default_factory=list, description="Funded media outlets.")
    host_state: HostStateSpec = Field(
        default_factory=HostStateSpec, description="The host government's controls and stance."
    )
    audience: AudienceSpec = Field(description="The population and how opinions move.")
    shocks: list[Shock] = Field(
        default_factory=list, description="Dated events; each item's 'type' picks its kind."
    )
