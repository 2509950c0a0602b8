"""What every organisation that holds money shares: an account, grants in, a share kept."""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

if TYPE_CHECKING:
    from sim.model.model import InfluenceModel


class MoneyHolder(mesa.Agent):
    """Base class of intermediaries, NGOs and outlets.

    Payers add to ``received`` when they transfer money in; at its turn the holder
    takes the step's incoming money and its people keep a share of it.

    Attributes:
        account: The holder's ledger account, ``kind:id``.
        received: Cents received this step, not yet processed.
    """

    def __init__(self, model: InfluenceModel, kind: str, holder_id: str) -> None:
        super().__init__(model)
        self.account = f"{kind}:{holder_id}"
        self.received = 0

    def take_incoming(self, keep: float) -> int:
        """Take this step's incoming money and leak the share ``keep`` of it.

        Args:
            keep: Share of the incoming money its people keep (rounded down to a cent).

        Returns:
            The incoming amount, in cents, before the leak.
        """
        incoming, self.received = self.received, 0
        self.model.transfer(self.account, f"pocket:{self.account}", int(incoming * keep), "leak")
        return incoming


class Grantee(MoneyHolder):
    """Base class of the organisations intermediaries fund (NGOs, outlets...).

    A grantee kind defines ``work()`` (keep its share, spend, deliver contacts to the
    audience), ``active`` and ``contacts_per_cent`` (what a cent buys per segment when
    spent as planned, which is what reports assume).

    Attributes:
        detained: True once its staff are detained (it stops working).
        delivered: Contacts made in the last step.
        contacts_per_cent: Planned contacts per cent, per segment, in model order.
    """

    def __init__(self, model: InfluenceModel, kind: str, holder_id: str) -> None:
        super().__init__(model, kind, holder_id)
        self.detained = False
        self.delivered = 0.0
        self.contacts_per_cent = np.zeros(len(model.segment_index))

    @property
    def active(self) -> bool:
        """Whether it can take grants and work."""
        return not self.detained

    @property
    def status(self) -> str:
        """Its state in plain words, as written to outputs."""
        return "detained" if self.detained else "open"

    def detain(self) -> None:
        """Its staff are detained: it stops working."""
        self.detained = True

    def work(self) -> None:
        """Keep a share of the step's grant, spend, and deliver contacts."""
        raise NotImplementedError
