"""What every organisation that holds money shares: an account, grants in, a share kept."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.model.ledger import KIND_CODES

if TYPE_CHECKING:
    from sim.model.actors.funder import Funder
    from sim.model.model import InfluenceModel


#: The events-log kind of a change of leadership (after an audit, or by a shock).
REPLACEMENT_EVENT = "replacement"

#: The scenario-format description of every holder's ``integrity`` field.
INTEGRITY_TEXT = (
    "Integrity of its leadership: 1 keeps nothing, 0 keeps as much as it dares. Share "
    "of incoming money kept = (1 - integrity) / (1 + risk), where risk is the funders' "
    "audit_deterrence * audit_probability + publication_deterrence * publication "
    "(Becker 1968)."
)

LEAK = KIND_CODES["leak"]


def take_share(integrity: float, risk: float) -> float:
    """Share of incoming money a holder's people keep (Becker 1968, reduced form).

    ``(1 - integrity) / (1 + risk)``: the appetite ``1 - integrity`` is deterred by the
    expected penalty per unit taken, ``risk`` (see :meth:`MoneyHolder.risk`).

    >>> take_share(0.5, 0.0)
    0.5
    >>> round(take_share(0.5, 0.4), 4)
    0.3571
    """
    return (1.0 - integrity) / (1.0 + risk)


def integrity_for_take(take: float, risk: float) -> float:
    """The integrity at which :func:`take_share` gives ``take`` (below 0 if none can).

    >>> integrity_for_take(0.5, 0.0)
    0.5
    >>> round(take_share(integrity_for_take(0.3, 0.02), 0.02), 12)
    0.3
    """
    return 1.0 - take * (1.0 + risk)


class MoneyHolder(mesa.Agent):
    """Base class of intermediaries, NGOs and outlets: the links of the money chain.

    Payers add to ``received`` (and ``received_from``) when they transfer money in; at
    its turn the holder takes the step's incoming money and its people keep a share of
    it. Every holder chooses that share the same way (Becker 1968): its people's
    appetite ``1 - integrity`` deterred by the expected penalty, which grows with the
    yearly audit probability and with the publication of transfers of the funders
    upstream (:meth:`risk`). When someone is caught and replaced, the newcomer's
    integrity is drawn by the funder (:meth:`replace`).

    Attributes:
        account: The holder's ledger account, ``kind:id``.
        code: That account's code in the ledger.
        pocket: The code of the account its people's take goes to, ``pocket:kind:id``.
        integrity: The current leadership's integrity, in [0, 1].
        received: Cents received this step, not yet processed.
        received_from: Payer account -> cents received from it this step.
        replacements: How many times the leadership changed hands.
    """

    def __init__(self, model: InfluenceModel, kind: str, holder_id: str, integrity: float) -> None:
        super().__init__(model)
        self.account = f"{kind}:{holder_id}"
        self.code = model.ledger.account(self.account)
        self.pocket = model.ledger.account(f"pocket:{self.account}")
        self.integrity = integrity
        self.received = 0
        self.received_from: dict[str, int] = {}
        self.replacements = 0

    def pay_in(self, payer: str, cents: int) -> None:
        """Note money transferred in by ``payer`` this step (the ledger has the transfer)."""
        self.received += cents
        self.received_from[payer] = self.received_from.get(payer, 0) + cents

    @cached_property
    def upstream_funders(self) -> list[Funder]:
        """The funders whose money reaches this holder (and who audit it); fixed for the run."""
        raise NotImplementedError

    @property
    def risk(self) -> float:
        """Expected penalty per unit taken: the largest over the funders upstream.

        For a funder, ``audit_deterrence * audit_probability + publication_deterrence *
        publication`` (audit probability per year; publication the share of intended
        recipients who learn what was sent).
        """
        funders = self.upstream_funders
        if len(funders) == 1:  # the usual case, without building a generator
            return funders[0].risk
        return max((f.risk for f in funders), default=0.0)

    @property
    def take(self) -> float:
        """Share of incoming money its people keep now."""
        return take_share(self.integrity, self.risk)

    def replace(self, integrity: float, cause: str) -> None:
        """A new leadership takes over; the balance stays with the organisation.

        The change is logged as a ``replacement`` event whose target is the holder's
        account (``kind:id``: ids are unique only within a kind).

        Args:
            integrity: The newcomers' integrity.
            cause: What brought it about, for the log (``"audit by funder"``...).
        """
        self.integrity = integrity
        self.replacements += 1
        self.model.log_event(
            REPLACEMENT_EVENT,
            self.account,
            f"new leadership at {self.account} after {cause} (integrity {integrity:.2f})",
        )

    def take_incoming(self) -> int:
        """Take this step's incoming money and leak the share :attr:`take` of it.

        Returns:
            The incoming amount, in cents, before the leak.
        """
        incoming, self.received = self.received, 0
        if incoming:
            self.model.ledger.move(self.code, self.pocket, int(incoming * self.take), LEAK)
        return incoming


class Grantee(MoneyHolder):
    """Base class of the organisations intermediaries fund (NGOs, outlets...).

    A grantee kind defines ``work()`` (keep its share, spend, deliver contacts to the
    audience), ``active``, ``contacts_per_cent`` (what a cent buys per segment when
    spent as planned, before the host state's filters) and ``expected_filter`` (the
    share of contacts the host state is known to let through, which the funder's plan
    already counts on).

    Attributes:
        detained: True once its staff are detained (it stops working).
        delivered: Contacts made in the last step.
        contacts_per_cent: Planned contacts per cent, per segment, in model order.
    """

    def __init__(self, model: InfluenceModel, kind: str, holder_id: str, integrity: float) -> None:
        super().__init__(model, kind, holder_id, integrity)
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

    @cached_property
    def upstream_funders(self) -> list[Funder]:
        """The funders of the intermediaries that fund it."""
        return self.model.funders_of_grantee(self)

    @property
    def expected_filter(self) -> float:
        """Share of its contacts the host state's known filters let through."""
        return 1.0

    def delivered_for(self, payer: str) -> float:
        """Contacts made in the last step attributed to ``payer``'s money.

        A grantee funded by several intermediaries in a step splits what it delivered
        among them in proportion to the money each sent.
        """
        total = sum(self.received_from.values())
        return self.delivered * self.received_from.get(payer, 0) / total if total else 0.0

    def detain(self) -> None:
        """Its staff are detained: it stops working."""
        self.detained = True

    def work(self) -> None:
        """Keep a share of the step's grant, spend, and deliver contacts."""
        raise NotImplementedError
