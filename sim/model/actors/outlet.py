"""Media outlets: pay running costs and reach segments, filtered by the host state."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model.actors.holder import MoneyHolder
from sim.scenario.schema import OutletSpec

if TYPE_CHECKING:
    from sim.model.model import InfluenceModel


class Outlet(MoneyHolder):
    """A media outlet such as Sputnik Azerbaijan.

    Each step it keeps ``skim_rate`` of the new grant and pays its running costs for
    the step from its balance. Its capacity is the self-funded part
    ``1 - funder_dependence`` plus the funded part in proportion to the running
    costs it could pay. Reach per segment (given per month, scaled to the step length)
    is then cut by restrictions, by the host state's media control and by the share of
    the segment following its language.

    Attributes:
        spec: The scenario's outlet entry.
        received: Cents granted this step.
        status: 'open', 'restricted', 'shut' or 'detained'.
        restriction: Share of reach left after restrictions.
        reach_share: Share of the whole real population reached in the last step.
        delivered: Contacts made in the last step.
    """

    def __init__(self, model: InfluenceModel, spec: OutletSpec) -> None:
        super().__init__(model, "outlet", spec.id)
        self.spec = spec
        self.status = "open"
        self.restriction = 1.0
        self.reach_share = 0.0
        self.delivered = 0.0
        self.cost_per_step = round(spec.running_cost_usd_per_year * 100 * model.years)
        months = model.years * 12
        self.people = {
            seg: share
            * months
            * model.audience.real_sizes[model.segment_index[seg]]
            * model.language_share(seg, spec.language)
            for seg, share in spec.reach.items()
        }
        # Contacts a cent buys in each segment at full capacity (what reports assume).
        self.contacts_per_cent = np.zeros(len(model.segment_index))
        if self.cost_per_step:
            for seg, people in self.people.items():
                self.contacts_per_cent[model.segment_index[seg]] = people / self.cost_per_step

    @property
    def active(self) -> bool:
        """Whether it is on air (started, not shut, staff not detained)."""
        started = self.spec.start is None or self.model.date >= self.spec.start
        return started and self.status in ("open", "restricted")

    def operate(self) -> None:
        """Keep a share of the grant, pay this step's running costs, reach the audience."""
        m = self.model
        self.take_incoming(self.spec.skim_rate)
        self.delivered = self.reach_share = 0.0
        if not self.active:
            return
        paid = min(m.ledger.balance(self.account), self.cost_per_step)
        m.transfer(self.account, f"operations:{self.spec.id}", paid, "substantive")
        funded = paid / self.cost_per_step if self.cost_per_step else 1.0
        dependence = self.spec.funder_dependence
        capacity = (1.0 - dependence) + dependence * funded
        factor = capacity * self.restriction * (1.0 - m.host.media_control)
        strength = self.spec.persuasion * self.spec.credibility
        for segment, people in self.people.items():
            contacts = people * factor
            m.deliver(segment, contacts, contacts * strength)
            self.delivered += contacts
        self.reach_share = self.delivered / m.spec.audience.real_population
