"""The audience: N people as rows of NumPy arrays over a sparse social network.

People are not Mesa agents: at 10^6 people one agent per person costs seconds per
step. Each person has a segment, an opinion (favourability toward the funder's
country on [-1, 1]), a predisposition the opinion relaxes to, and an exposure stock.

Each step, in order:
1. **Reception.** Funded channels deliver contacts to each segment (real people,
   scaled to the simulated population). Channels are grouped by durability (their
   half-life in weeks); for each group a person is reached with probability
   ``1 - exp(-contacts per person)`` and the dose adds to that group's exposure
   stock, which decays geometrically at the group's half-life (adstock): a concert
   is forgotten in weeks, a language course lasts years.
2. **Acceptance.** The summed stocks act through a Hill saturation curve. A message at +1
   pulls people within the latitude of acceptance toward it; people farther away
   are pushed back (backlash). Susceptibility scales both.
3. **Relaxation** toward each person's predisposition, and **state media** pull
   toward the host state's stance.
4. **Peer influence** on the network with the chosen rule (see ``PEER_RULES``).

The uniform numbers for reception (one per person and durability group) and the peer
pairs are drawn every step whether or not money flows, so a run and its no-spending
counterfactual draw identical random numbers and differ only where money does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from sim.model.clock import per_step
from sim.model.compiled import compiled
from sim.model.dynamics import PEER_RULES, Uniforms
from sim.model.ledger import split_cents
from sim.model.network import build_network, neighbour_arrays
from sim.model.response import respond

if TYPE_CHECKING:
    from sim.scenario.schema import AudienceSpec


@dataclass(frozen=True)
class StepRates:
    """Per-step versions of the audience's yearly rates."""

    decay: np.ndarray
    step_mean: np.ndarray
    effect: float
    relax: float
    pairs: int


class Audience:
    """The simulated population and its opinion dynamics.

    Args:
        spec: The audience section of the scenario.
        years: Length of one step in years.
        rng_init: Stream for initial opinions.
        half_lives: The durability (half-life in weeks) of each channel; channels with
            the same half-life share an exposure stock.
        network: A prebuilt adjacency (shared by a run and its counterfactual); built
            from ``rng_network`` when None.
        rng_network: Stream for the network generator.
        reception_key: Key of the counter-based reception draws: runs that share it
            (a run and its counterfactual) see the same draw for the same person,
            durability class and step.
    """

    def __init__(
        self,
        spec: AudienceSpec,
        years: float,
        rng_init: np.random.Generator,
        half_lives: list[float],
        network: sp.csr_array | None = None,
        rng_network: np.random.Generator | None = None,
        reception_key: int = 0,
    ) -> None:
        self.spec = spec
        self.segment_ids = [s.id for s in spec.segments]
        n = spec.population
        sizes = split_cents(n, [s.share for s in spec.segments])
        self.segment_of = np.repeat(np.arange(len(sizes), dtype=np.int32), sizes)
        self.segment_sizes = np.asarray(sizes, dtype=np.int64)
        # People are stored segment by segment (``segment_of`` is sorted), so segment k is
        # the slice ``_slices[k]``: per-segment work uses slices, not bincount or fancy
        # indexing over all N people (several times faster at 10^6 people).
        self._slices = [
            slice(int(a), int(b))
            for a, b in zip(np.cumsum([0, *sizes[:-1]]), np.cumsum(sizes), strict=True)
        ]
        self.real_sizes = np.array([s.share * spec.real_population for s in spec.segments])
        means = np.array([s.opinion_mean for s in spec.segments])[self.segment_of]
        sds = np.array([s.opinion_sd for s in spec.segments])[self.segment_of]
        self.predisposition = np.clip(means + sds * rng_init.standard_normal(n), -1.0, 1.0)
        self.opinion = self.predisposition.copy()
        #: Distinct channel half-lives (weeks), shortest first; each has its own stock.
        self.half_lives = sorted(set(half_lives)) or [1.0]
        self.durability_class = {h: c for c, h in enumerate(self.half_lives)}
        self.stock = np.zeros((len(self.half_lives), n))
        self.susceptibility = np.array([s.susceptibility for s in spec.segments])[self.segment_of]
        if network is None:
            if rng_network is None:
                raise ValueError("give either a network or an rng_network to build one")
            net = spec.network
            network = build_network(
                self.segment_of,
                net.mean_degree,
                net.homophily,
                net.generator,
                rng_network,
                rewiring=net.rewiring,
            )
        self.network = network
        self.indptr, self.indices, _ = neighbour_arrays(network)
        weeks = years * 365.25 / 7
        ex = spec.exposure
        self.rates = StepRates(
            decay=(decay := 0.5 ** (weeks / np.asarray(self.half_lives))),
            step_mean=(1.0 - decay) / -np.log(decay),
            effect=per_step(ex.effect_per_year, years),
            relax=per_step(ex.predisposition_pull_per_year, years),
            pairs=round(n * spec.peer.interactions_per_year * years),
        )
        self.years = years
        #: People reached in the last step, per segment.
        self.reached = np.zeros(len(sizes), dtype=np.int64)
        #: Segment k is people bounds[k] to bounds[k + 1] - 1.
        self.bounds = np.cumsum([0, *sizes]).astype(np.int64)
        #: Key of the counter-based reception draws (see :mod:`sim.model.response`).
        self.reception_key = reception_key
        #: Per durability class: has it ever held exposure? Classes that have not (all of
        #: them in the no-spending counterfactual, unless an outlet works unfunded) are
        #: skipped. Set it when writing to ``stock`` from outside.
        self.live = np.zeros(len(self.half_lives), dtype=bool)
        self.steps_done = 0
        shape = (len(self.half_lives), len(sizes))
        self._scratch = (np.empty(shape), np.empty(shape))
        # Hill exponent, K**hill, latitude, backlash, effect, relaxation; then the state
        # media pull and stance, set each step.
        self._params = np.array(
            [
                ex.hill_exponent,
                ex.half_saturation**ex.hill_exponent,
                ex.latitude,
                ex.backlash,
                self.rates.effect,
                self.rates.relax,
                0.0,
                0.0,
            ]
        )

    @property
    def size(self) -> int:
        """Number of simulated people."""
        return self.opinion.size

    def step(
        self,
        contacts: np.ndarray,
        strength: np.ndarray,
        stance: float,
        state_pull_per_year: float,
        rng_peer: Uniforms,
    ) -> None:
        """Advance opinions by one step.

        Args:
            contacts: Real people contacted this step, per durability group and segment
                (a person may be contacted more than once).
            strength: Sum over contacts of their persuasive strength, likewise.
            stance: The host state's stance.
            state_pull_per_year: Yearly rate of the state media's pull to the stance.
            rng_peer: Where the peer-influence kernel takes its uniform doubles.
        """
        self._params[6:] = per_step(state_pull_per_year, self.years), stance
        x = self.opinion
        reached = respond(
            x,
            self.predisposition,
            self.susceptibility,
            self.stock,
            self.bounds,
            contacts,
            strength,
            self.real_sizes,
            self.rates.decay,
            self.rates.step_mean,
            self.live,
            self.reception_key,
            self.steps_done,
            self._params,
            self._scratch,
        )
        self.steps_done += 1
        self.reached = reached
        peer, pairs = self.spec.peer, self.rates.pairs
        # In place: the response pass clipped opinions to [-1, 1] and the peer rules keep
        # them there.
        PEER_RULES[peer.rule].step(x, self.indptr, self.indices, pairs, rng_peer, peer, out=x)

    @property
    def reached_share(self) -> np.ndarray:
        """Share of each segment reached in the last step."""
        return self.reached / self.segment_sizes

    @property
    def reach_share(self) -> float:
        """Share of all simulated people reached in the last step."""
        return int(self.reached.sum()) / self.size

    def shift(self, segments: list[int], delta: float) -> None:
        """Shift opinions and predispositions of the given segments by ``delta``."""
        mask = np.isin(self.segment_of, segments)
        self.opinion[mask] = np.clip(self.opinion[mask] + delta, -1.0, 1.0)
        self.predisposition[mask] = np.clip(self.predisposition[mask] + delta, -1.0, 1.0)

    def segment_means(self, values: np.ndarray) -> np.ndarray:
        """Mean of a per-person array within each segment."""
        if values.dtype == bool:
            sums = np.array([np.count_nonzero(values[seg]) for seg in self._slices], dtype=float)
        else:
            sums = np.array([values[seg].sum() for seg in self._slices], dtype=float)
        return sums / self.segment_sizes

    def opinion_summary(
        self, threshold: float, sums: np.ndarray | None = None, above: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Per segment, the sum of opinions and the number of people above ``threshold``.

        One compiled pass over the people (the sums are taken in blocks of 4,096 people,
        then over the blocks, which keeps the rounding error near that of NumPy's
        pairwise sums).

        Args:
            threshold: Opinions strictly above it count.
            sums: Where to write the sums (float64, one per segment); new when None.
            above: Where to write the counts (int64, one per segment); new when None.

        Returns:
            ``sums`` and ``above``.
        """
        k = len(self._slices)
        sums = np.zeros(k) if sums is None else sums
        above = np.zeros(k, dtype=np.int64) if above is None else above
        compiled(_summary_loop)(self.opinion, self.bounds, float(threshold), sums, above)
        return sums, above


def _summary_loop(
    x: np.ndarray, bounds: np.ndarray, threshold: float, sums: np.ndarray, above: np.ndarray
) -> None:
    """Sum ``x`` and count ``x > threshold`` within each segment (see opinion_summary)."""
    for k in range(bounds.size - 1):
        total, count = 0.0, 0
        for start in range(bounds[k], bounds[k + 1], 4096):
            block = 0.0
            for i in range(start, min(start + 4096, bounds[k + 1])):
                block += x[i]
                count += x[i] > threshold
            total += block
        sums[k], above[k] = total, count
