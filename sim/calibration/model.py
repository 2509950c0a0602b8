"""The model as the inference library sees it: parameters in, summary values out.

:class:`CalibrationModel` is a picklable callable (it holds the base scenario as a
plain document), so pyabc's samplers can ship it to worker processes or Dask
workers. Each call sets the drawn values on a copy of the base scenario (as
``--set`` would), validates it, runs :func:`sim.run.simulate` (the run and its
matched counterfactual) and applies every target's summary function.

Seeding discipline: a run's seed is a function of the calibration's root seed and
the parameter values only (:func:`particle_seed`), never of the worker or the order
in which runs happen; any particle can be rerun alone with ``run --seed``. Its seed
is stored with its summary values in the history.
"""

from __future__ import annotations

import copy
import math
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.calibration.load import Calibration, Target
from sim.calibration.summaries import SUMMARIES
from sim.run import RunResult, simulate
from sim.scenario.errors import ScenarioError
from sim.scenario.loader import validate_document
from sim.scenario.overrides import apply_override
from sim.sweep.load import assignment

#: Spawn-key streams split off the root seed (the sweep's own use 0 to 2).
PARTICLE_STREAM = 10
SAMPLER_STREAM = 11
PREDICTIVE_STREAM = 12
#: Key of the run's seed among the summary values pyabc stores.
SEED_KEY = "_seed"


def particle_seed(root: int, values: Sequence[float]) -> int:
    """The seed of the run at these parameter values (below 2**53).

    >>> particle_seed(1, [0.5, 2.0]) == particle_seed(1, [0.5, 2.0])
    True
    >>> particle_seed(1, [0.5, 2.0]) != particle_seed(2, [0.5, 2.0])
    True
    """
    words = [w for v in values for w in struct.unpack("<II", struct.pack("<d", float(v)))]
    seq = np.random.SeedSequence(root, spawn_key=(PARTICLE_STREAM, *words))
    # 53 bits: the seed is stored among the (float) summary values, exactly.
    return int(seq.generate_state(1, dtype=np.uint64)[0] >> np.uint64(11))


def stream_seed(root: int, stream: int, index: int) -> int:
    """A seed for numbered draws of one stream (sampler generations, predictive draws)."""
    seq = np.random.SeedSequence(root, spawn_key=(stream, index))
    return int(seq.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))


def parameter_keys(n: int) -> list[str]:
    """The names the sampler knows the parameters by (``p0``, ``p1``...; paths are not keys)."""
    return [f"p{i}" for i in range(n)]


def summarise(result: RunResult, targets: Sequence[Target]) -> dict[str, float]:
    """Every target's summary value of a run (NaN for one that cannot be computed)."""
    values = {}
    for t in targets:
        try:
            values[t.name] = float(SUMMARIES[t.spec.summary].function(result, t.args))
        except (ValueError, KeyError, ZeroDivisionError):
            values[t.name] = math.nan
    return values


@dataclass(frozen=True)
class CalibrationModel:
    """Parameter values -> summary values, for the sampler.

    Attributes:
        base_doc: The base scenario document (``set`` applied).
        source: The base scenario's file, for messages.
        paths: The inferred fields' paths, in the order of :func:`parameter_keys`.
        targets: The targets.
        root_seed: The calibration's root seed.
    """

    base_doc: dict[str, Any]
    source: str
    paths: tuple[str, ...]
    targets: tuple[Target, ...]
    root_seed: int

    @classmethod
    def of(cls, calibration: Calibration) -> CalibrationModel:
        """The model of a loaded calibration."""
        return cls(
            calibration.base_doc,
            str(calibration.base_path),
            tuple(p.path for p in calibration.priors),
            calibration.targets,
            calibration.spec.seed,
        )

    def values_of(self, parameters: Mapping[str, float]) -> list[float]:
        """The sampler's parameters as a list in path order."""
        return [float(parameters[k]) for k in parameter_keys(len(self.paths))]

    def run(self, values: Sequence[float], seed: int | None = None) -> RunResult:
        """Simulate the base scenario with ``values`` set on ``paths``.

        Raises:
            ScenarioError: If the values make an invalid scenario.
        """
        doc = copy.deepcopy(self.base_doc)
        problems = [
            p
            for path, v in zip(self.paths, values, strict=True)
            for p in apply_override(doc, assignment(path, float(v)))
        ]
        if problems:
            raise ScenarioError(self.source, problems)
        scenario = validate_document(doc, self.source, check_memory=False)
        return simulate(scenario, particle_seed(self.root_seed, values) if seed is None else seed)

    def __call__(self, parameters: Mapping[str, float]) -> dict[str, float]:
        """The summary values at these parameters (all NaN if the scenario is invalid)."""
        values = self.values_of(parameters)
        seed = particle_seed(self.root_seed, values)
        try:
            result = self.run(values, seed)
        except ScenarioError:  # e.g. a normal prior's tail outside a field's bounds
            out = {t.name: math.nan for t in self.targets}
        else:
            out = summarise(result, self.targets)
        out[SEED_KEY] = float(seed)  # exact: particle seeds are below 2**53
        return out


@dataclass(frozen=True)
class TargetDistance:
    """The distance between a run's summary values and the observations.

    The sum over targets of weight x term, where z = (simulated - observed) / sd and
    the term is z^2 (``squared``) or |z| (``absolute``). A missing value (the run
    failed or the summary could not be computed) is infinitely far.
    """

    names: tuple[str, ...]
    sds: tuple[float, ...]
    kinds: tuple[str, ...]
    weights: tuple[float, ...]

    @classmethod
    def of(cls, targets: Sequence[Target]) -> TargetDistance:
        """The distance of a calibration's targets."""
        return cls(
            tuple(t.name for t in targets),
            tuple(t.sd for t in targets),
            tuple(t.spec.distance for t in targets),
            tuple(t.spec.weight for t in targets),
        )

    def terms(self, x: Mapping[str, float], x0: Mapping[str, float]) -> list[float]:
        """Each target's weighted term."""
        out = []
        for name, sd, kind, w in zip(self.names, self.sds, self.kinds, self.weights, strict=True):
            value = float(x[name])
            if math.isnan(value):
                out.append(math.inf)
                continue
            z = (value - float(x0[name])) / sd
            out.append(w * (z * z if kind == "squared" else abs(z)))
        return out

    def __call__(self, x: Mapping[str, float], x0: Mapping[str, float]) -> float:
        """The distance."""
        return float(sum(self.terms(x, x0)))


def predictive_run(
    model: CalibrationModel, values: tuple[float, ...], seed: int
) -> tuple[dict[str, float], pd.DataFrame]:
    """One posterior predictive run: the target values and the favourable-share paths.

    Returns:
        The summary values, and a table of ``date``, ``segment`` ('' for everyone),
        ``favourable_share`` and ``opinion_mean`` per step.
    """
    result = model.run(values, seed)
    t = result.trajectories
    everyone = pd.DataFrame(
        {
            "date": t["date"].astype(str),
            "segment": "",
            "favourable_share": t["favourable_share"].astype(float),
            "opinion_mean": t["opinion_mean"].astype(float),
        }
    )
    s = result.segments
    segments = pd.DataFrame(
        {
            "date": s["date"].astype(str),
            "segment": s["segment"].astype(str),
            "favourable_share": s["favourable_share"].astype(float),
            "opinion_mean": s["opinion_mean"].astype(float),
        }
    )
    return summarise(result, model.targets), pd.concat([everyone, segments], ignore_index=True)
