"""Where parameter uncertainty comes from: a calibration's posterior or a calibration file's priors.

``run``, ``compare`` and ``decompose`` accept ``--posterior DIR`` (a finished
calibration's results folder) or ``--prior CALIBRATION.yaml`` (the priors of a
calibration file, before any data). Both are a :class:`ParameterSource`: the paths
they set (as ``--set`` would), their median parameter set, and ``n`` parameter sets
drawn reproducibly.

- **Posterior**: each parameter's weighted median; draws pick particles by weight
  (whole particles, so the parameters' correlations are kept), from a generator seeded
  by the calibration's root seed.
- **Prior**: each prior's median; draws are independent across parameters, each by
  inversion of its own prior's distribution function from a uniform stream of its own
  (seeded by the calibration file's ``seed`` and the parameter's position), so the
  first ``k`` of ``n`` draws do not depend on ``n``.

:func:`plan` turns a source into the parameter sets of an ensemble: the median (for the
"seed noise" band, whose runs share it) and one drawn set per replicate (for the
"parameters and seed noise" band: replicate *k* uses set *k* with seed *k*, for every
scenario or combination it runs). :func:`scenario_with` puts a parameter set on a
scenario document and validates it; a path the scenario does not have is an error
that names the flag and the path.
"""

from __future__ import annotations

import copy
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

from sim.calibration.model import PREDICTIVE_STREAM, stream_seed
from sim.calibration.output import MANIFEST, is_calibration
from sim.calibration.posterior import weighted_quantile
from sim.calibration.priors import Prior
from sim.scenario.errors import Problem, ScenarioError
from sim.scenario.loader import resolve_extends, validate_document
from sim.scenario.overrides import apply_override
from sim.scenario.schema import Scenario
from sim.sweep.load import assignment

#: The two bands, as named in every table, manifest and page.
SEED_BAND = "seed noise"
FULL_BAND = "parameters and seed noise"
#: The stream the prior's draws use (the calibration's own streams are 10 to 12).
PRIOR_STREAM = 13


class PosteriorError(ValueError):
    """A --posterior folder or --prior file that cannot be used."""


class ParameterSource(Protocol):
    """Anything that gives parameter sets: a posterior or a set of priors."""

    #: ``"posterior"`` or ``"prior"``.
    kind: str
    #: The fields it sets (``--set`` paths), in order.
    paths: tuple[str, ...]

    @property
    def flag(self) -> str:
        """The command-line flag that named it (``--posterior`` or ``--prior``)."""
        ...

    @property
    def location(self) -> str:
        """The folder or file it was read from."""
        ...

    def median(self) -> dict[str, float]:
        """The median parameter set."""
        ...

    def draw(self, n: int) -> list[dict[str, float]]:
        """``n`` parameter sets, reproducibly."""
        ...


@dataclass(frozen=True)
class Posterior:
    """A calibration's posterior sample.

    Attributes:
        folder: The calibration's results folder.
        paths: The calibrated fields.
        values: One row per particle, one column per path.
        weights: The particles' weights (summing to 1).
        root_seed: The calibration's root seed.
    """

    folder: Path
    paths: tuple[str, ...]
    values: np.ndarray
    weights: np.ndarray
    root_seed: int
    kind: str = field(default="posterior", init=False)

    @property
    def flag(self) -> str:
        """``--posterior``."""
        return "--posterior"

    @property
    def location(self) -> str:
        """The calibration's folder."""
        return str(self.folder)

    def median(self) -> dict[str, float]:
        """Each parameter's weighted median."""
        return {
            p: float(weighted_quantile(self.values[:, i], self.weights, 0.5))
            for i, p in enumerate(self.paths)
        }

    def draw(self, n: int) -> list[dict[str, float]]:
        """``n`` parameter sets drawn by weight, reproducibly (from the calibration's seed)."""
        rng = np.random.default_rng(stream_seed(self.root_seed, PREDICTIVE_STREAM, 10**6))
        picks = rng.choice(len(self.weights), size=n, p=self.weights)
        return [dict(zip(self.paths, map(float, self.values[i]), strict=True)) for i in picks]


@dataclass(frozen=True)
class PriorSource:
    """A calibration file's priors, used as parameter uncertainty before any data.

    Attributes:
        file: The calibration file.
        priors: Its priors, in file order.
        seed: The file's root seed.
    """

    file: Path
    priors: tuple[Prior, ...]
    seed: int
    kind: str = field(default="prior", init=False)

    @property
    def paths(self) -> tuple[str, ...]:
        """The fields the priors are over."""
        return tuple(p.path for p in self.priors)

    @property
    def flag(self) -> str:
        """``--prior``."""
        return "--prior"

    @property
    def location(self) -> str:
        """The calibration file."""
        return str(self.file)

    def median(self) -> dict[str, float]:
        """Each prior's median."""
        return {p.path: float(p.frozen().median()) for p in self.priors}

    def draw(self, n: int) -> list[dict[str, float]]:
        """``n`` parameter sets, each parameter drawn from its prior by inversion."""
        columns = []
        for i, p in enumerate(self.priors):
            rng = np.random.default_rng(stream_seed(self.seed, PRIOR_STREAM, i))
            columns.append([float(v) for v in p.frozen().ppf(rng.random(n))])
        return [{p.path: columns[i][k] for i, p in enumerate(self.priors)} for k in range(n)]


def load_posterior(folder: str | os.PathLike[str]) -> Posterior:
    """Read a calibration's posterior sample.

    Raises:
        PosteriorError: If ``folder`` is not a finished calibration.
    """
    folder = Path(folder)
    if not is_calibration(folder) or not (folder / "posterior.parquet").is_file():
        raise PosteriorError(
            f"--posterior {folder}: not a calibration's results folder (expected "
            f"{MANIFEST} of kind 'calibration' and posterior.parquet; run calibrate first)"
        )
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    paths = tuple(p["path"] for p in manifest["parameters"])
    table = pd.read_parquet(folder / "posterior.parquet")
    w = table["weight"].to_numpy(dtype=float)
    return Posterior(
        folder, paths, table[list(paths)].to_numpy(float), w / w.sum(), int(manifest["root_seed"])
    )


def load_prior(path: str | os.PathLike[str]) -> PriorSource:
    """Read a calibration file's priors (the file is checked as ``calibrate`` checks it).

    Raises:
        PosteriorError: If the file does not exist.
        ScenarioError: If the calibration file has problems.
    """
    from sim.calibration.load import load_calibration

    path = Path(path)
    if not path.is_file():
        raise PosteriorError(f"--prior {path}: no such calibration file")
    cal = load_calibration(path)
    return PriorSource(path, cal.priors, int(cal.spec.seed))


def load_source(
    posterior: str | os.PathLike[str] | None, prior: str | os.PathLike[str] | None
) -> ParameterSource | None:
    """The source named by ``--posterior`` or ``--prior`` (None when neither is given).

    Raises:
        PosteriorError: If both are given, or the folder or file cannot be used.
        ScenarioError: If a ``--prior`` calibration file has problems.
    """
    if posterior is not None and prior is not None:
        raise PosteriorError("--posterior and --prior cannot be combined; give one")
    if posterior is not None:
        return load_posterior(posterior)
    if prior is not None:
        return load_prior(prior)
    return None


def scenario_with(
    doc: dict[str, Any], values: dict[str, float], source: str, flag: str = "--posterior"
) -> Scenario:
    """The scenario document with ``values`` set on their paths, validated.

    Args:
        doc: The scenario document (not changed).
        values: Path -> value.
        source: The scenario file, for error messages.
        flag: The flag the values come from, for error messages.

    Raises:
        ScenarioError: If a path does not exist in the scenario or a value is refused.
    """
    doc = copy.deepcopy(doc)
    problems: list[Problem] = []
    for path, value in values.items():
        problems += [
            Problem(f"{flag} {path}", p.message)
            for p in apply_override(doc, assignment(path, value))
        ]
    if problems:
        raise ScenarioError(source, problems)
    return validate_document(doc, source)


def scenario_document(
    path: str | os.PathLike[str], overrides: list[str] | tuple[str, ...]
) -> dict[str, Any]:
    """The scenario file's document with ``extends`` resolved and ``--set`` applied.

    Raises:
        ScenarioError: If an override cannot be applied.
    """
    doc = resolve_extends(Path(path))
    problems = [p for text in overrides for p in apply_override(doc, text)]
    if problems:
        raise ScenarioError(str(path), problems)
    return doc


@dataclass(frozen=True)
class Plan:
    """The parameter sets of an ensemble pair.

    Attributes:
        source: Where they come from.
        median: The fixed parameters of the seed-noise band.
        draws: One parameter set per replicate for the other band.
    """

    source: ParameterSource
    median: dict[str, float]
    draws: tuple[dict[str, float], ...]

    def scenarios(self, doc: dict[str, Any], name: str) -> tuple[Scenario, tuple[Scenario, ...]]:
        """The scenario at the median and at each drawn set (all validated first).

        Raises:
            ScenarioError: If a path is missing from the scenario or a value is refused.
        """
        flag = self.source.flag
        median = scenario_with(doc, self.median, name, flag)
        return median, tuple(scenario_with(doc, v, name, flag) for v in self.draws)

    def manifest(self) -> dict[str, Any]:
        """What a result's manifest records about the parameter uncertainty."""
        return {
            "kind": self.source.kind,
            "source": self.source.location,
            "paths": list(self.source.paths),
            "bands": {
                SEED_BAND: f"the {self.source.kind} median parameters with each replicate's seed",
                FULL_BAND: f"replicate k: parameter set k drawn from the {self.source.kind} "
                "with seed k, the same for everything run at that replicate",
            },
            "median": self.median,
            "draws": [{"replicate": k, **v} for k, v in enumerate(self.draws)],
        }


def plan(source: ParameterSource, replicates: int) -> Plan:
    """The median and ``replicates`` drawn parameter sets of ``source``."""
    return Plan(source, source.median(), tuple(source.draw(replicates)))


def interval_includes(kind: str) -> str:
    """What an interval of the parameters-and-seed-noise band includes, in words."""
    return (
        f"parameters and seed noise (replicate k: parameter set k drawn from the {kind} "
        "with seed k)"
    )


def _flat(value: Any, prefix: str = "") -> dict[str, Any]:
    """A scenario document as ``path -> leaf value`` (list items named by ``id`` if any)."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(_flat(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(value, list) and value and all(isinstance(v, dict) and "id" in v for v in value):
        out = {}
        for item in value:
            out.update(_flat(item, f"{prefix}[{item['id']}]"))
        return out
    return {prefix: value}


def erased_differences(
    reference: tuple[Scenario, Scenario], other: tuple[Scenario, Scenario]
) -> list[tuple[str, Any, Any]]:
    """Fields where two scenarios differ but no longer do once the parameters are set.

    Setting a calibrated path on every scenario replaces each one's own value there, so
    a difference between the scenarios in such a field would silently disappear from
    the comparison.

    Args:
        reference: The reference scenario as written and with the median parameters.
        other: Another scenario, the same two ways.

    Returns:
        ``(field, value in other, value in reference)`` for each such field.
    """
    ref, ref_set = (_flat(s.model_dump(mode="json")) for s in reference)
    mine, mine_set = (_flat(s.model_dump(mode="json")) for s in other)
    return [
        (key, mine[key], ref[key])
        for key in mine
        if key in ref and key in ref_set and key in mine_set
        if mine[key] != ref[key] and mine_set[key] == ref_set[key]
    ]
