"""InfluenceModel: the Mesa model that ties all actors and the audience together.

Funders, intermediaries, grantees, the host state and the audience meet here, and
the step order is written down here, once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import mesa
import numpy as np
import scipy.sparse as sp
from mesa.agentset import AgentSet

from sim.model.actors import Funder, HostState, Intermediary, Ngo, Outlet
from sim.model.audience import Audience
from sim.model.clock import step_dates, years_per_step
from sim.model.ledger import Ledger
from sim.model.shocks import apply_shock, shock_steps
from sim.scenario.schema import Scenario

#: Named random streams, each a child of the run's SeedSequence (order matters: append only).
STREAMS = ("mesa", "network", "audience", "exposure", "peer", "funders")

#: Columns of the per-step model table, in output order.
MODEL_COLUMNS = (
    "step",
    "date",
    "opinion_mean",
    "favourable_share",
    "reach_share",
    "reported_influence",
    "disbursed_usd",
    "leaked_usd",
    "for_show_usd",
    "substantive_usd",
    "activity_usd",
    "unspent_usd",
)


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
    4. NGOs keep their share and spend on activities; outlets keep theirs and pay
       running costs. Both deliver contacts to audience segments.
    5. The audience receives the contacts and updates opinions (see ``audience``).
    6. Intermediaries note what was delivered; funders read reports, update beliefs
       and audit.
    7. The DataCollector records the step.

    Args:
        scenario: The validated scenario.
        seed: Root seed of the run.
        counterfactual: If True, funders disburse nothing (the matched no-spending run).
        network: A prebuilt network to share between a run and its counterfactual.

    Attributes:
        spec: The scenario (``scenario`` is Mesa's own attribute).
        ledger: Every transfer of money.
        events: Shocks, audits and replacements, in order.
    """

    def __init__(
        self,
        scenario: Scenario,
        seed: int,
        *,
        counterfactual: bool = False,
        network: sp.csr_array | None = None,
    ) -> None:
        self.streams = make_streams(seed)
        super().__init__(rng=self.streams["mesa"])
        self.spec = scenario
        self.counterfactual = counterfactual
        self.dates = step_dates(scenario.time)
        self.years = years_per_step(scenario.time)
        self.ledger = Ledger()
        self.events: list[dict[str, object]] = []
        self._due = shock_steps(list(scenario.shocks), self.dates)

        self.audience = Audience(
            scenario.audience,
            self.years,
            self.streams["audience"],
            network=network,
            rng_network=self.streams["network"],
        )
        self.segment_index = {s: n for n, s in enumerate(self.audience.segment_ids)}
        self._languages = {s.id: s.languages for s in scenario.audience.segments}
        self.activities_by_id = {a.id: a for a in scenario.activities}
        self.contacts = np.zeros(len(self.segment_index))
        self.strength = np.zeros(len(self.segment_index))

        self.host = HostState(self, scenario.host_state)
        self.funders_by_id = {f.id: Funder(self, f) for f in scenario.funders}
        self.intermediaries_by_id = {i.id: Intermediary(self, i) for i in scenario.intermediaries}
        self.ngos_by_id = {n.id: Ngo(self, n) for n in scenario.ngos}
        self.outlets_by_id = {o.id: Outlet(self, o) for o in scenario.outlets}
        self.grantees_by_id: dict[str, Ngo | Outlet] = {**self.ngos_by_id, **self.outlets_by_id}
        self._grantees = {
            i.id: [self.grantees_by_id[g] for g in i.grantees] for i in scenario.intermediaries
        }

        self.datacollector = mesa.DataCollector(
            model_reporters={c: (lambda m, c=c: m.current[c]) for c in MODEL_COLUMNS},
            tables={
                "segments": [
                    "step",
                    "date",
                    "segment",
                    "opinion_mean",
                    "favourable_share",
                    "reach_share",
                    "reported_influence",
                ],
                "outlets": ["step", "date", "outlet", "status", "reach_share"],
            },
        )
        self.current: dict[str, object] = {}

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
        return self.dates[self.step_index]

    @property
    def n_steps(self) -> int:
        """Number of steps in the run."""
        return len(self.dates)

    def grantees_of(self, intermediary: Intermediary) -> list[Ngo | Outlet]:
        """The NGOs and outlets an intermediary funds."""
        return self._grantees[intermediary.spec.id]

    def language_share(self, segment: str, language: str) -> float:
        """Share of a segment that follows a language (1 when the segment lists none)."""
        languages = self._languages[segment]
        return languages.get(language, 0.0) if languages else 1.0

    def transfer(self, source: str, destination: str, cents: int, kind: str) -> None:
        """Record a transfer in the ledger at the current step."""
        self.ledger.transfer(self.steps, self.date, source, destination, cents, kind)

    def deliver(self, segment: str, contacts: float, strength: float) -> None:
        """Add contacts (and their summed persuasive strength) to a segment this step."""
        n = self.segment_index[segment]
        self.contacts[n] += contacts
        self.strength[n] += strength

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
        for shock in self._due.get(self.step_index, []):
            self.log_event(shock.type, shock.id, apply_shock(self, shock) + _label(shock.label))
        self.contacts[:] = 0.0
        self.strength[:] = 0.0

        self.agents_by_type[Funder].do("disburse")
        self._do(Intermediary, "distribute")
        self._do(Ngo, "spend")
        self._do(Outlet, "operate")
        self.audience.step(
            self.contacts,
            self.strength,
            self.host.stance,
            self.host.state_media_pull_per_year,
            self.streams["exposure"],
            self.streams["peer"],
        )
        self._do(Intermediary, "record_delivery")
        self.agents_by_type[Funder].do("review")
        self._collect()
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

    def _collect(self) -> None:
        a = self.audience
        threshold = self.spec.audience.favourable_threshold
        favourable = a.opinion > threshold
        ledger = self.ledger
        real = self.spec.audience.real_population
        # What reports imply: assumed shift per contact x contacts claimed per person.
        claimed = sum(f.reported_contacts * f.spec.assumed_shift_per_contact for f in self.funders)
        reported = np.minimum(1.0, claimed / a.real_sizes)
        for_show, substantive = ledger.total("for_show"), ledger.total("substantive")
        self.current = {
            "step": self.steps,
            "date": self.date.isoformat(),
            "opinion_mean": float(a.opinion.mean()),
            "favourable_share": float(favourable.mean()),
            "reach_share": float(a.reached_share @ a.segment_sizes / a.size),
            "reported_influence": min(1.0, float(claimed.sum()) / real),
            "disbursed_usd": ledger.total("disbursement") / 100,
            "leaked_usd": ledger.total("leak") / 100,
            "for_show_usd": for_show / 100,
            "substantive_usd": substantive / 100,
            "activity_usd": (for_show + substantive) / 100,
            "unspent_usd": sum(ledger.holder_balances().values()) / 100,
        }
        self.datacollector.collect(self)
        means, shares = a.segment_means(a.opinion), a.segment_means(favourable)
        for n, seg in enumerate(a.segment_ids):
            self.datacollector.add_table_row(
                "segments",
                {
                    "step": self.steps,
                    "date": self.current["date"],
                    "segment": seg,
                    "opinion_mean": float(means[n]),
                    "favourable_share": float(shares[n]),
                    "reach_share": float(a.reached_share[n]),
                    "reported_influence": float(reported[n]),
                },
            )
        for outlet in self.outlets_by_id.values():
            status = outlet.status if outlet.active or outlet.status != "open" else "not started"
            self.datacollector.add_table_row(
                "outlets",
                {
                    "step": self.steps,
                    "date": self.current["date"],
                    "outlet": outlet.spec.id,
                    "status": status,
                    "reach_share": outlet.reach_share,
                },
            )


def _label(text: str) -> str:
    return f" ({text})" if text else ""
