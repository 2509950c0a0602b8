"""What every organisation that holds money shares: an account, grants in, a share kept."""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

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
