"""NGOs: keep a share of each grant and spend the rest on activities from the catalogue."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model.actors.holder import MoneyHolder
from sim.model.ledger import split_cents
from sim.scenario.schema import NgoSpec

if TYPE_CHECKING:
    from sim.model.model import InfluenceModel


class Ngo(MoneyHolder):
    """A local NGO or compatriot organisation.

    Each step it keeps ``skim_rate`` of the new grant, then spends its whole balance
    on the activities in its mix that are not banned, in proportion to their
    weights. An event reaches real people in each segment (less what the host
    state's NGO restrictions filter out). A facade NGO runs everything for the
    report: the money counts as for show and persuades nobody.

    Attributes:
        spec: The scenario's NGO entry.
        received: Cents granted this step.
        detained: True once its staff are detained (it stops working).
        delivered: Contacts made in the last step.
    """

    def __init__(self, model: InfluenceModel, spec: NgoSpec) -> None:
        super().__init__(model, "ngo", spec.id)
        self.spec = spec
        self.detained = False
        self.delivered = 0.0
        catalogue = model.activities_by_id
        total = sum(spec.activities.values())
        # Contacts a cent buys in each segment when the mix is spent as planned (what
        # reports assume), in the model's segment order.
        self.contacts_per_cent = np.zeros(len(model.segment_index))
        for a, w in spec.activities.items():
            for segment, people in catalogue[a].reach.items():
                per_cent = people / (catalogue[a].cost_usd * 100)
                self.contacts_per_cent[model.segment_index[segment]] += w / total * per_cent

    @property
    def active(self) -> bool:
        """Whether it can take grants and work."""
        return not self.detained

    def spend(self) -> None:
        """Keep a share of the grant, then spend the balance on allowed activities."""
        m = self.model
        self.take_incoming(self.spec.skim_rate)
        self.delivered = 0.0
        allowed = [a for a in self.spec.activities if not m.host.is_banned(a, m.date)]
        balance = m.ledger.balance(self.account)
        if self.detained or not allowed or balance == 0:
            return
        filter_ = 1.0 - m.host.ngo_restriction
        weights = [self.spec.activities[a] for a in allowed]
        for activity_id, cents in zip(allowed, split_cents(balance, weights), strict=True):
            activity = m.activities_by_id[activity_id]
            for_show = activity.for_show or not self.spec.genuine
            m.transfer(
                self.account,
                f"activity:{activity_id}",
                cents,
                "for_show" if for_show else "substantive",
            )
            events = cents / (activity.cost_usd * 100)
            persuasion = activity.persuasion if self.spec.genuine else 0.0
            for segment, people in activity.reach.items():
                contacts = events * people * filter_
                m.deliver(segment, contacts, contacts * persuasion)
                self.delivered += contacts
