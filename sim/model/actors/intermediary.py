"""Intermediaries ('curators'): keep a share, pass the rest on, report upward."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import numpy as np
from pydantic import Field

from sim.model.actors.holder import MoneyHolder
from sim.model.fields import Id, Reference, Share, Strict
from sim.model.kinds import ActorKind, Section, register_actor
from sim.model.ledger import split_cents

if TYPE_CHECKING:
    from sim.model.model import InfluenceModel


class GranteeChoice(StrEnum):
    """How an intermediary splits money among its grantees."""

    loyalty = "loyalty"
    capability = "capability"


class IntermediarySpec(Strict):
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

    def references(self) -> list[Reference]:
        """The grantees it funds."""
        return [Reference("grantees", "grantee", tuple(self.grantees))]


def skim_share(integrity: float, deterrence: float, audit_probability: float) -> float:
    """Share of incoming money an intermediary keeps (Becker: deterred by audit risk).

    ``(1 - integrity) / (1 + deterrence * audit_probability)``.

    >>> skim_share(0.5, 0.4, 0.0)
    0.5
    >>> round(skim_share(0.5, 0.4, 1.0), 4)
    0.3571
    """
    return (1.0 - integrity) / (1.0 + deterrence * audit_probability)


def integrity_for_skim(skim: float, deterrence: float, audit_probability: float) -> float:
    """The integrity at which :func:`skim_share` gives ``skim`` (below 0 if none can).

    >>> integrity_for_skim(0.5, 0.4, 0.0)
    0.5
    >>> round(skim_share(integrity_for_skim(0.3, 0.4, 0.05), 0.4, 0.05), 12)
    0.3
    """
    return 1.0 - skim * (1.0 + deterrence * audit_probability)


@dataclass(frozen=True)
class Report:
    """What an intermediary tells its funder about one step, in contacts.

    Attributes:
        planned_by_segment: Contacts per segment that the money received would buy if all
            of it were spent as planned.
        inflation: The report's inflation: claims are the plan times (1 + inflation).
        delivered: Contacts the grantees actually made (what an audit finds).
    """

    planned_by_segment: np.ndarray = field(default_factory=lambda: np.zeros(0))
    inflation: float = 0.0
    delivered: float = 0.0

    @property
    def planned(self) -> float:
        """Planned contacts, all segments."""
        return float(self.planned_by_segment.sum())

    @property
    def claimed_by_segment(self) -> np.ndarray:
        """Contacts claimed per segment: the plan, inflated."""
        return self.planned_by_segment * (1.0 + self.inflation)

    @property
    def claimed(self) -> float:
        """Contacts claimed, all segments."""
        return self.planned * (1.0 + self.inflation)


class Intermediary(MoneyHolder):
    """A curator or compatriot-organisation leader between a funder and grantees.

    The share kept follows Becker's economics of crime: it falls with integrity and
    with the perceived audit risk, ``(1 - integrity) / (1 + deterrence * p_audit)``.
    The rest goes to grantees in proportion to their loyalty (kickbacks) or their
    capability. The report upward claims that everything was spent as planned and
    inflates the result: claimed contacts = planned contacts x (1 + report_inflation).

    Attributes:
        spec: The scenario's intermediary entry.
        integrity: Current holder's integrity (changes on replacement).
        received: Cents received this step.
        last_report: The report for the last step.
        replacements: How many times the post changed hands.
    """

    def __init__(self, model: InfluenceModel, spec: IntermediarySpec) -> None:
        super().__init__(model, INTERMEDIARY.name, spec.id)
        self.spec = spec
        self.integrity = spec.integrity
        self.last_report = Report()
        self.replacements = 0

    @property
    def perceived_audit_probability(self) -> float:
        """The highest yearly audit probability among the funders that pay it."""
        return max(
            (f.audit_probability for f in self.model.funders if self.spec.id in f.belief),
            default=0.0,
        )

    @property
    def skim_rate(self) -> float:
        """Share of incoming money kept."""
        return skim_share(self.integrity, self.spec.deterrence, self.perceived_audit_probability)

    def replace(self, integrity: float) -> None:
        """A new person takes the post; the balance stays with the post."""
        self.integrity = integrity
        self.replacements += 1

    def distribute(self) -> None:
        """Keep a share of this step's money, grant the rest, and write the report."""
        m = self.model
        incoming = self.take_incoming(self.skim_rate)
        grantees = [g for g in m.grantees_of(self) if g.active]
        balance = m.ledger.balance(self.account)
        if not grantees or balance == 0:
            self.last_report = Report()
            return
        attr = "loyalty" if self.spec.grantee_choice == GranteeChoice.loyalty else "capability"
        weights = [max(getattr(g.spec, attr), 1e-6) for g in grantees]
        planned = np.zeros(len(m.segment_index))
        for grantee, cents, w in zip(grantees, split_cents(balance, weights), weights, strict=True):
            m.transfer(self.account, grantee.account, cents, "grant")
            grantee.received += cents
            planned += incoming * w / sum(weights) * grantee.contacts_per_cent
        self.last_report = Report(planned, self.spec.report_inflation)

    def record_delivery(self) -> None:
        """After grantees acted, note what they really delivered (seen only by audits)."""
        delivered = sum(g.delivered for g in self.model.grantees_of(self))
        self.last_report = replace(self.last_report, delivered=delivered)


INTERMEDIARY = register_actor(
    ActorKind(
        name="intermediary",
        label="intermediary",
        role="intermediary",
        agent=Intermediary,
        sections=(
            Section(
                "intermediaries",
                list[IntermediarySpec],
                Field(
                    min_length=1, description="Curators and leaders between funders and grantees."
                ),
                namespace="intermediary",
            ),
        ),
        leak_label="Leaked: kept by intermediaries",
        lesson_label="Curators (middlemen)",
        lesson_leak_label="Kept by curators",
    )
)
