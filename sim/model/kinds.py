"""The registry of actor kinds: the one place that says which organisations exist.

Each actor module registers its kind at import (see :mod:`sim.model.actors`). From
this registry come the scenario file's sections (:mod:`sim.scenario.schema`), the
cross-reference checks (:mod:`sim.scenario.references`), which agents the model
builds and in which order they act (:class:`sim.model.model.InfluenceModel`), which
ledger accounts are money sources and which are holders (:mod:`sim.model.ledger`),
and the names and columns of the money Sankey diagrams (dashboards and classroom).

To add a kind of organisation, write one module in ``sim/model/actors/`` that defines
its scenario entry (a :class:`~sim.model.fields.Strict` model with a ``references()``
method), its Mesa agent (a grantee subclasses
:class:`~sim.model.actors.holder.Grantee` and defines ``work()``), and a call to
:func:`register_actor`; the package imports every module in it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

#: The place of a kind in the money chain.
Role = Literal["funder", "intermediary", "grantee", "host"]
#: Roles in the order their sections appear in a scenario file and their agents act.
ROLE_ORDER: tuple[Role, ...] = ("funder", "intermediary", "grantee", "host")
#: Column of each role in a money Sankey diagram (0 = where money enters).
CHAIN_LEVEL: dict[str, int] = {"funder": 0, "intermediary": 1, "grantee": 2}


@dataclass(frozen=True)
class Section:
    """A top-level section of the scenario file that a kind brings.

    Attributes:
        name: The key in the scenario file (``"ngos"``).
        annotation: Its type (``list[NgoSpec]``).
        field: Its pydantic ``Field`` (default, bounds, description).
        namespace: For a list of entries with ids, the namespace of those ids, so
            references to them can be checked; None otherwise.
    """

    name: str
    annotation: Any
    field: Any
    namespace: str | None = None


@dataclass(frozen=True)
class ActorKind:
    """A registered kind of organisation.

    Attributes:
        name: The kind's name: its ledger account prefix (``ngo:compatriot_union``) and
            the namespace of its ids.
        label: The kind in plain words, singular (``"NGO"``), for messages.
        role: Its place in the money chain.
        agent: Its Mesa agent class, built as ``agent(model, spec)``.
        section: The scenario section holding its entries (the first of ``sections``
            that has this kind's namespace).
        sections: Every scenario section it brings, in file order (a kind may bring a
            catalogue too, as NGOs bring ``activities``).
        leak_label: Sankey node for the money its people keep (holders only).
        lesson_label: The holder's node in the classroom Sankey (plain words).
        lesson_leak_label: The classroom node for the money its people keep.
    """

    name: str
    label: str
    role: Role
    agent: type
    sections: tuple[Section, ...]
    leak_label: str = ""
    lesson_label: str = ""
    lesson_leak_label: str = ""

    @property
    def section(self) -> Section:
        """The section that holds this kind's entries (or its single entry)."""
        return next((s for s in self.sections if s.namespace == self.name), self.sections[-1])

    @property
    def holds_money(self) -> bool:
        """Whether its accounts hold money between steps (intermediaries, grantees)."""
        return self.role in ("intermediary", "grantee")

    @property
    def level(self) -> int | None:
        """Its column in the money chain (None for the host state)."""
        return CHAIN_LEVEL.get(self.role)


#: Every actor kind, by name, in role order (see :data:`ROLE_ORDER`) and, within a role,
#: in the order of registration (alphabetical by module name in ``sim/model/actors/``).
ACTOR_KINDS: dict[str, ActorKind] = {}


def register_actor(kind: ActorKind) -> ActorKind:
    """Add a kind to the registry.

    Raises:
        ValueError: If the name or one of its sections is already taken.
    """
    taken = {s.name for k in ACTOR_KINDS.values() for s in k.sections}
    if kind.name in ACTOR_KINDS or taken & {s.name for s in kind.sections}:
        raise ValueError(f"actor kind '{kind.name}' or one of its sections is already registered")
    ordered = sorted([*ACTOR_KINDS.values(), kind], key=lambda k: ROLE_ORDER.index(k.role))
    ACTOR_KINDS.clear()
    ACTOR_KINDS.update((k.name, k) for k in ordered)
    return kind


def kinds_with_role(*roles: Role) -> tuple[ActorKind, ...]:
    """The registered kinds with one of the given roles, in registration order."""
    return tuple(k for k in ACTOR_KINDS.values() if k.role in roles)


def sections() -> Iterator[Section]:
    """Every scenario section the actor kinds bring, in file order."""
    for kind in ACTOR_KINDS.values():
        yield from kind.sections


def account_kind(account: str) -> str:
    """The kind part of a ledger account name (``"ngo"`` for ``"ngo:compatriot_union"``).

    >>> account_kind("ngo:compatriot_union")
    'ngo'
    """
    return account.partition(":")[0]
