"""InfluenceModel: the Mesa model that ties all actors and the audience together.

Funders, intermediaries, grantees, the host state and the audience meet here, and
the step order is written down here, once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING

import mesa
import numpy as np
import scipy.sparse as sp
from mesa.agentset import AgentSet

from sim.model.actors import Funder, HostState, Intermediary, Outlet
from sim.model.actors.holder import Grantee
from sim.model.audience import Audience
from sim.model.clock import step_dates, years_per_step
from sim.model.counter_rng import CounterUniforms
from sim.model.kinds import ACTOR_KINDS, kinds_with_role, sections
from sim.model.ledger import Ledger
from sim.model.recorder import StepRecorder
from sim.model.shocks import shock_steps

if TYPE_CHECKING:
    from sim.scenario.schema import Scenario

#: Named random streams, each a child of the run's SeedSequence (order matters: append only).
STREAMS = ("mesa", "network", "audience", "exposure", "peer", "funders")


def make_streams(seed: int) -> dict[str, np.random.Generator]:
    """One independent generator per model component, all children of one SeedSequence."""
    children = np.random.SeedSequence(seed).spawn(len(STREAMS))
    return {name: np.random.default_rng(c) for name, c in zip(STREAMS, children, strict=True)}


class InfluenceModel(mesa.Model):
    """Money from funders through intermediaries to NGOs and outlets, and its audience.

    Step order (each step is one week or one month):

    1. Shocks dated within this step apply (host policy, bans, closures, sentiment...).
    2. Funders disburse this step's budget to intermediaries.
    3. Intermediaries keep their share and grant the rest to NGOs and outlets.
    4. Grantees work, kind by kind in registry order: NGOs keep their share and spend
       on activities; outlets keep theirs and pay running costs. Both deliver contacts
       to audience segments.
    5. The audience receives the contacts and updates opinions (see ``audience``).
    6. Intermediaries note what was delivered; funders read reports, update beliefs
       and audit.
    7. The step is recorded (``datacollector``, a :class:`StepRecorder`).

    In the no-spending counterfactual steps 2, 3 and 6 are skipped: no money moves, so
    there is nothing to pass on or report (grantees still work in step 4, since an outlet
    may reach people without new money).

    Args:
        spec: The validated scenario. (Not called ``scenario``: that is Mesa's own
            argument and attribute, for its experimental scenario objects.)
        seed: Root seed of the run.
        counterfactual: If True, funders disburse nothing (the matched no-spending run).
        network: A prebuilt network to share between a run and its counterfactual.

    Attributes:
        spec: The scenario.
        ledger: Every transfer of money.
        events: Shocks, audits and replacements, in order.
        actors: Kind name -> id -> agent, for every registered actor kind.
        contacts: The last step's contacts, per durability class and segment.
        strength: Their summed persuasive strength, likewise.
    """

    def __init__(
        self,
        spec: Scenario,
        seed: int,
        *,
        counterfactual: bool = False,
        network: sp.csr_array | None = None,
    ) -> None:
        self.streams = make_streams(seed)
        super().__init__(rng=self.streams["mesa"])
        scenario = self.spec = spec
        self.counterfactual = counterfactual
        self.dates = step_dates(scenario.time)
        self._date = self.dates[0]
        self.years = years_per_step(scenario.time)
        self.ledger = Ledger()
        self.events: list[dict[str, object]] = []
        self._due = shock_steps(list(scenario.shocks), self.dates)

        self.audience = Audience(
            scenario.audience,
            self.years,
            self.streams["audience"],
            channel_half_lives(scenario),
            network=network,
            rng_network=self.streams["network"],
            reception_key=int(self.streams["exposure"].integers(2**64, dtype=np.uint64)),
        )
        # The peer kernel's doubles: counter-based, keyed by one draw from the peer stream
        # (the run and its counterfactual share the seed, hence the pairs).
        self.peer_draws = CounterUniforms.from_generator(self.streams["peer"])
        self.segment_index = {s: n for n, s in enumerate(self.audience.segment_ids)}
        self._languages = {s.id: s.languages for s in scenario.audience.segments}
        self.activities_by_id = {a.id: a for a in scenario.activities}
        # Contacts and their summed strength, per durability class (one per channel
        # half-life, see Audience) and segment, this step: added up in flat lists of
        # floats (a few dozen deliveries a step, too few for NumPy), then handed to the
        # audience as arrays.
        self._cells = (len(self.audience.half_lives), len(self.segment_index))
        self._contacts = [0.0] * (self._cells[0] * self._cells[1])
        self._strength = list(self._contacts)
        self.contacts = np.zeros(self._cells)
        self.strength = np.zeros(self._cells)

        self.actors: dict[str, dict[str, mesa.Agent]] = {}
        for kind in ACTOR_KINDS.values():
            entries = getattr(scenario, kind.section.name)
            entries = entries if isinstance(entries, list) else [entries]
            self.actors[kind.name] = {
                getattr(e, "id", kind.name): kind.agent(self, e) for e in entries
            }
        self.host: HostState = next(iter(self.actors["host_state"].values()))
        self.funders_by_id: dict[str, Funder] = self.actors["funder"]
        self.intermediaries_by_id: dict[str, Intermediary] = self.actors["intermediary"]
        self.grantee_kinds = kinds_with_role("grantee")
        self.grantees_by_id: dict[str, Grantee] = {
            i: g for k in self.grantee_kinds for i, g in self.actors[k.name].items()
        }
        self._grantees = {
            i.id: [self.grantees_by_id[g] for g in i.grantees] for i in scenario.intermediaries
        }
        self._funders_of: dict[str, list[Funder]] = {
            i: [f for f in self.funders_by_id.values() if i in f.spec.allocation]
            for i in self.intermediaries_by_id
        }
        for g in self.grantees_by_id:
            payers = [i.id for i in scenario.intermediaries if g in i.grantees]
            self._funders_of[g] = [
                f
                for f in self.funders_by_id.values()
                if any(i in f.spec.allocation for i in payers)
            ]
        self.holders = [*self.intermediaries_by_id.values(), *self.grantees_by_id.values()]

        #: What each step records (answers Mesa's DataCollector read methods).
        self.real_population = scenario.audience.real_population
        self.datacollector = StepRecorder(
            self.dates,
            self.audience.segment_ids,
            list(self.outlets_by_id),
            self.audience.segment_sizes,
            self.audience.real_sizes,
            self.real_population,
        )

    # -- views used by the actors ------------------------------------------------------------
    @property
    def funders(self) -> AgentSet:
        """All funders (a scenario has at least one)."""
        return self.agents_by_type[Funder]

    @property
    def step_index(self) -> int:
        """Index of the current step (0-based)."""
        return max(self.steps - 1, 0)

    @property
    def date(self) -> dt.date:
        """Start date of the current step."""
        return self._date

    @property
    def n_steps(self) -> int:
        """Number of steps in the run."""
        return len(self.dates)

    @property
    def outlets_by_id(self) -> dict[str, Outlet]:
        """The outlets, by id."""
        return self.actors.get("outlet", {})

    def actor(self, kind: str, actor_id: str) -> mesa.Agent:
        """The agent of a registered kind with the given id."""
        return self.actors[kind][actor_id]

    def funders_of_intermediary(self, intermediary: Intermediary) -> list[Funder]:
        """The funders that allocate money to an intermediary."""
        return self._funders_of[intermediary.spec.id]

    def funders_of_grantee(self, grantee: Grantee) -> list[Funder]:
        """The funders whose money reaches a grantee through its intermediaries."""
        return self._funders_of[grantee.spec.id]

    def grantees_of(self, intermediary: Intermediary) -> list[Grantee]:
        """The NGOs and outlets an intermediary funds."""
        return self._grantees[intermediary.spec.id]

    def language_share(self, segment: str, language: str) -> float:
        """Share of a segment that follows a language (1 when the segment lists none)."""
        languages = self._languages[segment]
        return languages.get(language, 0.0) if languages else 1.0

    def delivery_cell(self, segment: str, half_life: float) -> int:
        """Where contacts to ``segment`` through a channel of this durability are added.

        Args:
            segment: The segment reached.
            half_life: The channel's durability, in weeks (picks the exposure stock).

        Returns:
            The flat (durability class, segment) index of the step's contacts and
            strength; grantees look it up once, when built.
        """
        return (
            self.audience.durability_class[half_life] * self._cells[1] + self.segment_index[segment]
        )

    def deliver(
        self, reach: tuple[tuple[int, float], ...], scale: float, persuasion: float
    ) -> float:
        """Add contacts to segments this step.

        Args:
            reach: Per segment reached: its delivery cell (:meth:`delivery_cell`) and a
                number of real people; ``people * scale`` contacts are added there.
            scale: Contacts per person listed (events held times filters, say).
            persuasion: The persuasive strength of each contact.

        Returns:
            The contacts added, all segments (a person may be contacted more than once).
        """
        contacts, strength = self._contacts, self._strength
        total = 0.0
        for cell, people in reach:
            added = people * scale
            contacts[cell] += added
            strength[cell] += added * persuasion
            total += added
        return total

    def log_event(self, kind: str, target: str, detail: str) -> None:
        """Append to the events log."""
        self.events.append(
            {
                "step": self.steps,
                "date": self.date.isoformat(),
                "kind": kind,
                "target": target,
                "detail": detail,
            }
        )

    # -- the step ------------------------------------------------------------------------------
    def step(self) -> None:
        """Advance one step, in the order given in the class docstring."""
        self._date = self.dates[self.step_index]
        self.ledger.at(self.steps, self._date)
        for shock in self._due.get(self.step_index, []):
            self.log_event(shock.type, shock.id, shock.apply(self) + _label(shock.label))
        self._contacts = [0.0] * len(self._contacts)
        self._strength = [0.0] * len(self._strength)
        # In the counterfactual no money moves, so the parts of the step that only move
        # money or report on it are skipped (grantees still work: an outlet may reach
        # people without new money).
        money_moves = not self.counterfactual
        if money_moves:
            for holder in self.holders:
                holder.received_from.clear()
            self.agents_by_type[Funder].do("disburse")
            self._do(Intermediary, "distribute")
        for kind in self.grantee_kinds:
            self._do(kind.agent, "work")
        self.contacts = np.array(self._contacts).reshape(self._cells)
        self.strength = np.array(self._strength).reshape(self._cells)
        self.audience.step(
            self.contacts,
            self.strength,
            self.host.stance,
            self.host.state_media_pull_per_year,
            self.peer_draws,
        )
        if money_moves:
            self._do(Intermediary, "record_delivery")
            self.agents_by_type[Funder].do("review")
        self.datacollector.collect(self)
        if self.steps >= self.n_steps:
            self.running = False

    def run(self, progress: Callable[[int], object] | None = None) -> None:
        """Run every step; call ``progress(1)`` after each one when given."""
        while self.running:
            self.step()
            if progress is not None:
                progress(1)

    def _do(self, kind: type[mesa.Agent], method: str) -> None:
        if kind in self.agents_by_type:
            self.agents_by_type[kind].do(method)


def channel_half_lives(scenario: Scenario) -> list[float]:
    """The durability (``half_life_weeks``) of every channel a scenario's sections define."""
    return [
        entry.half_life_weeks
        for section in sections()
        if section.namespace is not None
        for entry in getattr(scenario, section.name)
        if hasattr(entry, "half_life_weeks")
    ]


def _label(text: str) -> str:
    return f" ({text})" if text else ""
