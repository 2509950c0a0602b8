"""Run the simulator from the EMA Workbench: a ``Model`` built from a scenario in one call.

The EMA Workbench (Kwakkel 2017, *Environmental Modelling & Software* 96) samples
uncertain parameters, runs a model for every sample and analyses the results
(scenario discovery with PRIM, feature scoring, ...). :func:`ema_model` wraps a
scenario so EMA can run it::

    from ema_workbench import perform_experiments
    from sim.adapters.ema import ema_model

    model = ema_model(
        "scenarios/azerbaijan_2005_2025.yaml",
        {"integrity": "intermediaries[*].integrity", "control": "host_state.media_control"},
        metrics=["final_attributable_opinion", "share_leaked"],
    )
    experiments, outcomes = perform_experiments(model, scenarios=50)

Each EMA parameter name maps to a field path, written as for ``--set`` (``[*]`` sets
every item of a list). Its bounds come from ``uncertainties`` or, when not given, from
the scenario's ``ranges:`` section (the entry with exactly that path). A range marked
``log: true`` becomes an uncertainty over the base-10 logarithm named ``log10_<name>``,
so EMA samples it evenly across orders of magnitude; the run sets the field to
``10 ** value``. The outcomes are sweep metrics (:mod:`sim.sweep.metrics`), by default
:data:`sim.sweep.metrics.DEFAULT_METRICS`.

Every experiment runs with the same seed (the scenario's, or ``seed``), so experiments
differ only in their parameters (common random numbers, as in sweeps). With
``replications=N`` the model is an EMA ``ReplicatorModel`` whose replications use the
seeds ``seed, seed + 1, ...`` (as ``compare`` does), and each outcome is the mean over
them.

The function EMA calls is a picklable object, so EMA's ``MultiprocessingEvaluator``
can run experiments in parallel. A run whose parameter values the scenario rejects
raises :class:`~sim.scenario.errors.ScenarioError` (EMA reports the experiment as
failed).
"""

from __future__ import annotations

import copy
import math
import os
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.run import simulate
from sim.scenario import Scenario, load_scenario
from sim.scenario.errors import Problem, ScenarioError
from sim.scenario.loader import validate_document
from sim.scenario.overrides import apply_override, read_path
from sim.sweep.load import assignment
from sim.sweep.metrics import DEFAULT_METRICS, resolve_metric
from sim.sweep.seeds import replicate_seeds

#: How to get the optional dependency.
INSTALL_HINT = "the EMA adapter needs the 'analysis' extra: pip install 'influence-sim[analysis]'"
_IDENTIFIER = re.compile(r"^[A-Za-z_]\w*$")
_LOG_PREFIX = "log10_"


@dataclass(frozen=True)
class Parameter:
    """One EMA uncertainty and the scenario field it sets.

    Attributes:
        name: The EMA name (a Python identifier; ``log10_<name>`` for a log range).
        path: The field path, as for ``--set``.
        low: Lower bound of what EMA samples.
        high: Upper bound.
        log: Whether EMA samples the base-10 logarithm of the value.
    """

    name: str
    path: str
    low: float
    high: float
    log: bool = False

    def value(self, sampled: float) -> float:
        """The field's value for a sampled one."""
        return float(10.0**sampled) if self.log else float(sampled)


@dataclass(frozen=True)
class ScenarioFunction:
    """What EMA calls for each experiment: set the fields, simulate, measure.

    Picklable (plain data), so it runs in EMA's worker processes too.

    Attributes:
        document: The scenario's validated document.
        source: Where it came from, for error messages.
        parameters: The uncertainties and their fields.
        metrics: The outcomes (sweep metric names).
        seed: The seed of every run (replications pass their own).
    """

    document: dict[str, Any]
    source: str
    parameters: tuple[Parameter, ...]
    metrics: tuple[str, ...]
    seed: int

    def scenario(self, **values: float) -> Scenario:
        """The scenario with the sampled values set (validated).

        Raises:
            ScenarioError: If a value is missing or the scenario rejects it.
        """
        doc = copy.deepcopy(self.document)
        problems: list[Problem] = []
        for p in self.parameters:
            if p.name not in values:
                problems.append(Problem(p.path, f"no value given for EMA parameter '{p.name}'"))
                continue
            problems += apply_override(doc, assignment(p.path, p.value(values[p.name])))
        if problems:
            raise ScenarioError(self.source, problems)
        return validate_document(doc, self.source)

    def __call__(self, seed: int | None = None, **values: float) -> dict[str, float]:
        """Run one experiment.

        Args:
            seed: The run's seed (replications pass it); the model's seed when None.
            **values: One value per EMA parameter name.

        Returns:
            Metric name -> value.
        """
        result = simulate(self.scenario(**values), self.seed if seed is None else int(seed))
        return {m: float(resolve_metric(m).function(result)) for m in self.metrics}


def ema_model(
    scenario: str | os.PathLike[str] | Scenario,
    parameters: Mapping[str, str] | Sequence[str],
    *,
    uncertainties: Mapping[str, tuple[float, float]] | None = None,
    metrics: Sequence[str] = DEFAULT_METRICS,
    overrides: Sequence[str] = (),
    seed: int | None = None,
    replications: int = 1,
    name: str = "influence_sim",
) -> Any:
    """An EMA Workbench model of a scenario.

    Args:
        scenario: A scenario file or a loaded scenario.
        parameters: EMA name -> field path; or field paths alone, each named after its
            path (``host_state.media_control`` -> ``host_state_media_control``).
        uncertainties: EMA name -> (low, high); names not given take the scenario's
            ``ranges:`` entry for their path.
        metrics: The outcomes, as sweep metric names (registered or ``module:function``).
        overrides: ``PATH=VALUE`` applied to a scenario file first (as ``--set``).
        seed: The seed of every run (default: the scenario's).
        replications: Runs per experiment (seeds ``seed, seed + 1, ...``); above 1 the
            model is a ``ReplicatorModel`` and each outcome the mean over replications.
        name: The EMA model's name (letters, digits and '_').

    Returns:
        An ``ema_workbench.Model`` (or ``ReplicatorModel``) with its uncertainties and
        outcomes set.

    Raises:
        ImportError: If ema-workbench is not installed (with how to install it).
        ScenarioError: For a bad path, a missing range, an unknown metric or a bad name,
            naming the field and what was expected.
    """
    ema = _import_ema()
    if isinstance(scenario, Scenario):
        loaded, source = scenario, f"scenario '{scenario.name}'"
    else:
        loaded, source = load_scenario(scenario, list(overrides)), str(scenario)
    document = loaded.model_dump(mode="json")
    named = _named(parameters)
    problems: list[Problem] = []
    params = _parameters(named, dict(uncertainties or {}), loaded, document, problems)
    for i, metric in enumerate(metrics):
        try:
            resolve_metric(metric)
        except (KeyError, ImportError) as exc:
            problems.append(Problem(f"metrics[{i}]", f"unknown metric '{metric}' ({exc})"))
    if not _IDENTIFIER.match(name):
        problems.append(Problem("name", f"expected letters, digits and '_'; found '{name}'"))
    if replications < 1:
        problems.append(Problem("replications", f"expected at least 1, found {replications}"))
    if problems:
        raise ScenarioError(source, problems)
    root = loaded.seed if seed is None else int(seed)
    function = ScenarioFunction(document, source, tuple(params), tuple(metrics), root)
    if replications == 1:
        model = ema.Model(name, function=function)
        outcomes = [ema.ScalarOutcome(m) for m in metrics]
    else:
        model = ema.ReplicatorModel(name, function=function)
        model.replications = [{"seed": s} for s in replicate_seeds(root, replications)]
        outcomes = [ema.ScalarOutcome(m, function=np.mean) for m in metrics]
    model.uncertainties = [ema.RealParameter(p.name, p.low, p.high) for p in params]
    model.outcomes = outcomes
    return model


def _import_ema() -> Any:
    try:
        with warnings.catch_warnings():  # optional parallel back-ends announce their absence
            warnings.filterwarnings("ignore", message=".*not installed.*", category=UserWarning)
            import ema_workbench
    except ImportError as exc:
        raise ImportError(INSTALL_HINT) from exc
    return ema_workbench


def _named(parameters: Mapping[str, str] | Sequence[str]) -> dict[str, str]:
    if isinstance(parameters, Mapping):
        return dict(parameters)
    if isinstance(parameters, str):
        parameters = [parameters]
    return {re.sub(r"\W+", "_", p.replace("[*]", "")).strip("_"): p for p in parameters}


def _parameters(
    named: dict[str, str],
    bounds: dict[str, tuple[float, float]],
    scenario: Scenario,
    document: dict[str, Any],
    problems: list[Problem],
) -> list[Parameter]:
    out = []
    if not named:
        problems.append(Problem("parameters", "expected at least one parameter name -> path"))
    unknown = sorted(set(bounds) - set(named))
    if unknown:
        problems.append(Problem("uncertainties", f"names not among the parameters: {unknown}"))
    for name, path in named.items():
        where = f"parameters[{name}]"
        if not _IDENTIFIER.match(name):
            problems.append(Problem(where, f"expected a Python identifier; found '{name}'"))
            continue
        found, path_problems = read_path(document, path)
        if path_problems or not found:
            problems += [Problem(where, p.message) for p in path_problems]
            if not path_problems:
                problems.append(Problem(where, f"'{path}' selects no field of the scenario"))
            continue
        if name in bounds:
            low, high = (float(v) for v in bounds[name])
            if not (math.isfinite(low) and math.isfinite(high) and low < high):
                problems.append(
                    Problem(f"uncertainties[{name}]", f"expected low < high; found {bounds[name]}")
                )
                continue
            out.append(Parameter(name, path, low, high))
            continue
        r = scenario.ranges.get(path)
        if r is None:
            problems.append(
                Problem(
                    where,
                    f"no bounds: give uncertainties['{name}'] or a ranges: entry for '{path}' "
                    f"(the scenario has ranges for: {', '.join(scenario.ranges) or 'none'})",
                )
            )
            continue
        if r.log:
            out.append(
                Parameter(_LOG_PREFIX + name, path, math.log10(r.low), math.log10(r.high), True)
            )
        else:
            out.append(Parameter(name, path, r.low, r.high))
    return out
