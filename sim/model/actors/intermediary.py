"""Intermediaries ('curators'): keep a share, pass the rest on, report upward."""

from __future__ import annotations

from enum import StrEnum
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field

from sim.model.actors.holder import INTEGRITY_TEXT, Grantee, MoneyHolder
from sim.model.fields import Id, Reference, Share, Strict
from sim.model.kinds import ActorKind, Section, register_actor
from sim.model.ledger import KIND_CODES, CentSplitter, split_cents

if TYPE_CHECKING:
    from sim.model.actors.funder import Funder
    from sim.model.model import InfluenceModel


GRANT = KIND_CODES["grant"]


class GranteeChoice(StrEnum):
    """How an intermediary splits money among its grantees."""

    loyalty = "loyalty"
    capability = "capability"


class IntermediarySpec(Strict):
    """A 'curator' or compatriot-organisation leader passing money on to grantees."""

    id: Id
    name: str = Field(default="", max_length=200, description="Display name.")
    integrity: Share = Field(default=0.5, description=INTEGRITY_TEXT)
    grantee_choice: GranteeChoice = Field(
        default=GranteeChoice.loyalty,
        description="'loyalty': money follows grantees' loyalty (kickbacks); "
        "'capability': money follows their capability.",
    )
    grantees: list[str] = Field(min_length=1, description="NGO and outlet ids this one funds.")
    report_inflation: Share = Field(
        default=0.5,
        description="Share of the shortfall (planned minus delivered contacts) its reports "
        "hide: 0 reports honestly, 1 claims the plan whatever was delivered.",
    )

    def references(self) -> list[Reference]:
        """The grantees it funds."""
        return [Reference("grantees", "grantee", tuple(self.grantees))]


class Report:
    """What an intermediary tells its funder about one step, in contacts.

    Plans and deliveries are net of the host state's known filters (the funder expects
    those), so the gap between them is theft along the chain, spending for show,
    inactive grantees and any filtering beyond what was known.

    Attributes:
        planned_by_segment: Contacts per segment that the money received would buy if all
            of it were spent as planned.
        planned: Planned contacts, all segments.
        delivered: Contacts the grantees made with this intermediary's money (what an
            audit finds); a grantee funded by several intermediaries splits its
            contacts among them in proportion to their money. Noted after the grantees
            acted (:meth:`Intermediary.record_delivery`).
        hidden: Share of the shortfall (planned minus delivered) the report hides.
    """

    __slots__ = ("delivered", "hidden", "planned", "planned_by_segment")

    def __init__(
        self,
        planned_by_segment: np.ndarray | None = None,
        delivered: float = 0.0,
        hidden: float = 0.0,
    ) -> None:
        self.planned_by_segment = np.zeros(0) if planned_by_segment is None else planned_by_segment
        self.planned = float(self.planned_by_segment.sum())
        self.delivered = delivered
        self.hidden = hidden

    @property
    def claimed(self) -> float:
        """Contacts claimed: what was delivered plus the hidden part of the shortfall."""
        shortfall = max(self.planned - self.delivered, 0.0)
        return self.delivered + self.hidden * shortfall


class Intermediary(MoneyHolder):
    """A curator or compatriot-organisation leader between a funder and grantees.

    The share kept follows Becker's economics of crime, as for every holder
    (:attr:`~sim.model.actors.holder.MoneyHolder.take`). The rest goes to grantees in
    proportion to their loyalty (kickbacks) or their capability. The report upward
    states what the grantees delivered with its money plus a share
    ``report_inflation`` of the shortfall against the plan: 0 is an honest report, 1
    claims the plan whatever happened.

    Attributes:
        spec: The scenario's intermediary entry.
        integrity: Current holder's integrity (changes on replacement).
        received: Cents received this step.
        last_report: The report for the last step.
        replacements: How many times the post changed hands.
    """

    def __init__(self, model: InfluenceModel, spec: IntermediarySpec) -> None:
        super().__init__(model, INTERMEDIARY.name, spec.id, spec.integrity)
        self.spec = spec
        self.last_report = Report()

    @cached_property
    def grantees(self) -> list[Grantee]:
        """The NGOs and outlets it funds, in scenario order (fixed for the run)."""
        return self.model.grantees_of(self)

    @cached_property
    def contacts_per_cent(self) -> np.ndarray:
        """Its grantees' planned contacts per cent, one row per grantee (fixed for the run)."""
        return np.array([g.contacts_per_cent for g in self.grantees])

    @cached_property
    def grant_weights(self) -> dict[Grantee, float]:
        """Grantee -> its weight in the split: its loyalty or its capability."""
        attr = "loyalty" if self.spec.grantee_choice == GranteeChoice.loyalty else "capability"
        return {g: max(getattr(g.spec, attr), 1e-6) for g in self.grantees}

    @cached_property
    def _split_all(self) -> CentSplitter:
        """How it splits money when every grantee is active (most steps)."""
        return CentSplitter(list(self.grant_weights.values()))

    @cached_property
    def upstream_funders(self) -> list[Funder]:
        """The funders that allocate money to it."""
        return self.model.funders_of_intermediary(self)

    def distribute(self) -> None:
        """Keep a share of this step's money, grant the rest, and plan the report."""
        m = self.model
        incoming = self.take_incoming()
        grantees = [g for g in self.grantees if g.active]
        balance = m.ledger.held(self.code)
        if not grantees or balance == 0:
            self.last_report = Report()
            return
        everyone = len(grantees) == len(self.grantees)
        weights = [self.grant_weights[g] for g in grantees]
        parts = self._split_all(balance) if everyone else split_cents(balance, weights)
        total = sum(weights)
        move, account = m.ledger.move, self.account
        expected = []  # per grantee: its share of the incoming money, net of known filters
        for grantee, cents, w in zip(grantees, parts, weights, strict=True):
            move(self.code, grantee.code, cents, GRANT)
            grantee.pay_in(account, cents)
            expected.append(incoming * w / total * grantee.expected_filter)
        per_cent = (
            self.contacts_per_cent
            if everyone
            else np.array([g.contacts_per_cent for g in grantees])
        )
        planned = np.array(expected) @ per_cent  # what each cent buys, per segment
        self.last_report = Report(planned, hidden=self.spec.report_inflation)

    def record_delivery(self) -> None:
        """After grantees acted, note what they delivered with its money (for the report)."""
        account = self.account
        self.last_report.delivered = sum(g.delivered_for(account) for g in self.grantees)


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
