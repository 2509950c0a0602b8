"""The scenario file format: one pydantic schema, the single source of truth.

Every field carries a type, bounds, a default where one is sensible and a
description. `run_sim.py schema` prints the JSON Schema generated from these
classes, and `docs/scenario-format.md` is generated from them too.

Rates that depend on the length of a step are given per year (or as a half-life)
so that a scenario means the same thing with weekly and with monthly steps.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationInfo, create_model, field_validator, model_validator

from sim.model import actors  # noqa: F401 - registers the actor kinds
from sim.model.actors.funder import BudgetSpec, FunderSpec
from sim.model.actors.host_state import HostStateSpec
from sim.model.actors.intermediary import GranteeChoice, IntermediarySpec
from sim.model.actors.ngo import ActivitySpec, NgoSpec, Sector
from sim.model.actors.outlet import OutletSpec
from sim.model.clock import Date
from sim.model.dynamics import PEER_RULES
from sim.model.fields import Id, Opinion, Share, Strict
from sim.model.kinds import sections
from sim.model.network import GENERATORS
from sim.model.shocks import SHOCK_KINDS, shock_union

#: Names derived from the registries, so a name the model cannot dispatch cannot validate.
PeerRuleName = Literal[tuple(PEER_RULES)]  # type: ignore[valid-type]
NetworkGeneratorName = Literal[tuple(GENERATORS)]  # type: ignore[valid-type]


_Strict = Strict


class TimeSpec(_Strict):
    """Simulated period and step length."""

    start: Date = Field(description="First simulated date (the first step starts here).")
    end: Date = Field(description="Last simulated date (steps run while their date <= end).")
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


class SegmentSpec(_Strict):
    """An audience segment."""

    id: Id
    name: str = Field(default="", max_length=200, description="Display name.")
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
        description="; ".join(f"'{g.name}': {g.description}" for g in GENERATORS.values()) + ".",
    )
    mean_degree: Annotated[float, Field(gt=0.0, le=200.0)] = Field(
        default=10.0,
        description="Mean number of contacts per person: less than the population; for "
        "'small_world', round(mean_degree) >= 2 and 2 * (round(mean_degree) // 2) < population.",
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
        + "; ".join(f"'{r.name}': {r.description}" for r in PEER_RULES.values())
        + ".",
    )
    confidence: Annotated[float, Field(gt=0.0, le=2.0)] = Field(
        default=0.5,
        description="Bound of confidence of 'deffuant' and 'hk' on the [-1, 1] scale (twice "
        "the value on the usual [0, 1] scale): people only heed opinions closer than this.",
    )
    convergence: Annotated[float, Field(gt=0.0, le=0.5)] = Field(
        default=0.2, description="Deffuant convergence parameter mu."
    )
    interactions_per_year: Annotated[float, Field(ge=0.0, le=10000.0)] = Field(
        default=12.0,
        description="Peer updates per person per year: focal draws of 'deffuant' (each "
        "involves two people) and 'voter', updates of 'hk'.",
    )


class ExposureSpec(_Strict):
    """How exposure to funded messages moves opinions.

    How long an exposure lasts belongs to its channel (each activity's and outlet's
    ``half_life_weeks``); what exposure does once received is set here.
    """

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
        description="Number of real people the simulation stands for (at least population)."
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

    @field_validator("real_population")
    @classmethod
    def _covers_simulated(cls, real: int, info: ValidationInfo) -> int:
        simulated = info.data.get("population")
        if simulated is not None and real < simulated:
            raise ValueError(
                f"must be at least the simulated population (audience.population = "
                f"{simulated:,}): each simulated person stands for one or more real people"
            )
        return real

    @field_validator("segments")
    @classmethod
    def _shares_sum_to_one(cls, segments: list[SegmentSpec]) -> list[SegmentSpec]:
        total = sum(s.share for s in segments)
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"segment shares must sum to 1, found {total:.6g}")
        return segments


class RangeSpec(_Strict):
    """The plausible range of a field's value: what sensitivity studies and calibrations vary."""

    low: float = Field(allow_inf_nan=False, description="Lowest plausible value.")
    high: float = Field(allow_inf_nan=False, description="Highest plausible value.")
    log: bool = Field(
        default=False, description="Whether the range spans orders of magnitude (vary the log)."
    )
    source: str = Field(
        default="ASSUMED",
        max_length=5000,
        description="Where the range comes from: a citation, or ASSUMED for a modelling choice.",
    )

    @model_validator(mode="after")
    def _ordered(self) -> RangeSpec:
        if not self.low < self.high:
            raise ValueError(f"needs low < high; found [{self.low:g}, {self.high:g}]")
        if self.log and self.low <= 0:
            raise ValueError("a log range needs low > 0")
        return self


#: One shock: the union of the registered shock kinds, told apart by ``type``.
Shock = shock_union()


class _ScenarioHead(_Strict):
    """A complete, validated scenario."""

    name: str = Field(min_length=1, max_length=200, description="Scenario name.")
    description: str = Field(
        min_length=1, max_length=5000, description="What this scenario represents."
    )
    extends: str | None = Field(
        default=None,
        max_length=4096,
        description="Path (relative to this file) of a base scenario to deep-merge under "
        "this one. Resolved at load time.",
    )
    seed: Annotated[int, Field(ge=0, le=2**63 - 1)] = Field(
        default=0, description="Default random seed (the CLI's --seed overrides it)."
    )
    time: TimeSpec = Field(description="Simulated period and step length.")


def _scenario_fields() -> dict[str, Any]:
    """The sections after ``time``: the actor kinds', then the audience and the shocks."""
    fields: dict[str, Any] = {s.name: (s.annotation, s.field) for s in sections()}
    fields["audience"] = (AudienceSpec, Field(description="The population and how opinions move."))
    fields["shocks"] = (
        list[Shock],
        Field(default_factory=list, description="Dated events; each item's 'type' picks its kind."),
    )
    fields["ranges"] = (
        dict[str, RangeSpec],
        Field(
            default_factory=dict,
            description="Field path (as in --set, '[*]' allowed) -> plausible range of its value, "
            "for sensitivity studies and calibration. Every value the path selects must lie "
            "in its range.",
        ),
    )
    return fields


#: A complete, validated scenario. Its sections come from the actor-kind registry
#: (:mod:`sim.model.kinds`) and its shock kinds from :mod:`sim.model.shocks`.
Scenario = create_model(
    "Scenario",
    __base__=_ScenarioHead,
    __module__=__name__,
    __doc__=_ScenarioHead.__doc__,
    **_scenario_fields(),
)

__all__ = [
    "SHOCK_KINDS",
    "ActivitySpec",
    "AudienceSpec",
    "BudgetSpec",
    "ExposureSpec",
    "FunderSpec",
    "GranteeChoice",
    "HostStateSpec",
    "IntermediarySpec",
    "NetworkSpec",
    "NgoSpec",
    "OutletSpec",
    "PeerSpec",
    "RangeSpec",
    "Scenario",
    "Sector",
    "SegmentSpec",
    "Shock",
    "TimeSpec",
]
