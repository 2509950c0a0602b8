"""Load a calibration file: safe YAML, the schema, the summaries, the priors on the base.

Problems are reported like a scenario's or a sweep's: one line each, naming the file
and the field (``priors[host_state.media_control].uniform: ...``,
``targets[youth_2011].args.segment: ...``), and every one is found before anything
runs: a prior whose path does not exist in the base scenario or reaches values the
scenario refuses, an unknown summary or argument, a segment, outlet or date the base
scenario does not have.
"""

from __future__ import annotations

import copy
import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from sim.calibration.priors import Prior, probe_values, resolve
from sim.calibration.spec import (
    BetaPrior,
    CalibrationSpec,
    MethodSpec,
    NormalPrior,
    PriorSpec,
    TargetSpec,
    TruncatedNormalPrior,
)
from sim.calibration.summaries import SUMMARIES, SummaryArgs, is_share
from sim.model.kinds import ACTOR_KINDS
from sim.scenario.errors import Problem, ScenarioError, did_you_mean
from sim.scenario.loader import validate_document
from sim.scenario.overrides import apply_override, assignment
from sim.scenario.schema import Scenario
from sim.scenario.spec_file import SchemaMap, read_base, read_spec, validation_problem


@dataclass(frozen=True)
class Target:
    """A checked target.

    Attributes:
        name: Its name in the file.
        spec: The file's entry.
        args: The summary's validated arguments.
        sd: The observation's standard deviation.
    """

    name: str
    spec: TargetSpec
    args: SummaryArgs
    sd: float

    @property
    def observed(self) -> float:
        """The observed value."""
        return self.spec.observed


@dataclass(frozen=True)
class Calibration:
    """A loaded, checked calibration.

    Attributes:
        spec: The file's contents.
        path: The calibration file.
        base_path: The base scenario file.
        base_doc: The base scenario document, ``extends`` resolved and ``set`` applied.
        priors: One per inferred field, in file order.
        targets: One per observation, in file order.
    """

    spec: CalibrationSpec
    path: Path
    base_path: Path
    base_doc: dict[str, Any]
    priors: tuple[Prior, ...]
    targets: tuple[Target, ...]

    @property
    def method(self) -> MethodSpec:
        """The method and its budget."""
        return self.spec.method


def load_calibration(path: str | os.PathLike[str]) -> Calibration:
    """Read and check a calibration file.

    Args:
        path: The calibration YAML file.

    Returns:
        The calibration.

    Raises:
        ScenarioError: With every problem found, naming the file and the fields.
    """
    path = Path(path)
    spec = read_spec(path, CalibrationSpec, _problem)
    base_path = Path(os.path.normpath(path.parent / spec.base))
    base = read_base(path, base_path, spec.set)
    base_doc, scenario, problems = base.doc, base.scenario, base.problems
    priors: list[Prior] = []
    targets: list[Target] = []
    if scenario is not None:
        for name, entry in spec.priors.items():
            where = f"priors[{name}]"
            try:
                prior = resolve(name, entry, scenario.ranges)
            except ValueError as exc:
                unknown = _unknown_path(name, base_doc, str(base_path))
                problems.append(Problem(where, unknown or str(exc)))
                continue
            found = _check_prior(prior, base_doc, str(base_path))
            problems += [Problem(where, m) for m in found]
            priors.append(prior)
        for name, target in spec.targets.items():
            checked, found = _check_target(name, target, scenario)
            problems += found
            if checked is not None:
                targets.append(checked)
    if problems:
        raise ScenarioError(str(path), problems)
    return Calibration(spec, path, base_path, base_doc, tuple(priors), tuple(targets))


def _check_prior(prior: Prior, base_doc: dict[str, Any], source: str) -> list[str]:
    """Messages for a prior whose path is missing or whose values the scenario refuses."""
    for value, label in probe_values(prior):
        doc = copy.deepcopy(base_doc)
        problems = apply_override(doc, assignment(prior.path, value))
        if problems:
            return [p.message for p in problems]
        try:
            validate_document(doc, source, check_memory=False)
        except ScenarioError as exc:
            first, more = exc.problems[0], len(exc.problems) - 1
            also = f" (and {more} more like it)" if more else ""
            if first.message.startswith("unknown field"):
                return [f"{first}{also}"]
            return [
                f"value {value:.6g} ({label} of {prior.label}) is not valid here: {first}{also}"
            ]
    return []


def _unknown_path(path: str, base_doc: dict[str, Any], source: str) -> str | None:
    """Why ``path`` names no field of the base scenario, or None if it does."""
    doc = copy.deepcopy(base_doc)
    problems = apply_override(doc, assignment(path, 0.5))
    if problems:
        return problems[0].message
    try:
        validate_document(doc, source, check_memory=False)
    except ScenarioError as exc:
        first = exc.problems[0]
        if first.message.startswith("unknown field"):
            return str(first)
    return None


def _check_target(
    name: str, target: TargetSpec, scenario: Scenario
) -> tuple[Target | None, list[Problem]]:
    where = f"targets[{name}]"
    summary = SUMMARIES.get(target.summary)
    if summary is None:
        hint = did_you_mean(target.summary, SUMMARIES)
        known = ", ".join(sorted(SUMMARIES))
        return None, [
            Problem(f"{where}.summary", f"unknown summary '{target.summary}'{hint}; known: {known}")
        ]
    try:
        args = summary.args.model_validate(target.args)
    except ValidationError as exc:
        return None, [
            _problem(err, prefix=f"{where}.args", model=summary.args) for err in exc.errors()
        ]
    problems = _check_args(f"{where}.args", args, scenario)
    if target.sample_size is not None and not is_share(target.summary, args):
        problems.append(
            Problem(
                f"{where}.sample_size",
                f"a sample size gives the uncertainty of a share; '{target.summary}' is not "
                "one: give sd instead",
            )
        )
    return Target(name, target, args, target.standard_deviation()), problems


def _check_args(where: str, args: SummaryArgs, scenario: Scenario) -> list[Problem]:
    """Segments, outlets and dates the base scenario must have."""
    problems = []
    segments = [s.id for s in scenario.audience.segments]
    segment = getattr(args, "segment", None)
    if segment is not None and segment not in segments:
        hint = did_you_mean(segment, segments)
        problems.append(
            Problem(
                f"{where}.segment",
                f"no segment '{segment}' in the base scenario{hint}; it has {', '.join(segments)}",
            )
        )
    outlets = [o.id for o in scenario.outlets]
    outlet = getattr(args, "outlet", None)
    if outlet is not None and outlet not in outlets:
        shown = ", ".join(outlets) or "none"
        problems.append(
            Problem(f"{where}.outlet", f"no outlet '{outlet}' in the base scenario; it has {shown}")
        )
    actor = getattr(args, "actor", None)
    if actor is not None:
        problems += _check_actor(where, actor, getattr(args, "actor_kind", None), scenario)
    start, end = scenario.time.start, scenario.time.end
    for field in ("date", "start", "end"):
        value = getattr(args, field, None)
        if isinstance(value, dt.date) and not start <= value <= end:
            problems.append(
                Problem(
                    f"{where}.{field}",
                    f"expected a date within the simulated period {start}..{end}, found {value}",
                )
            )
    return problems


def _check_actor(where: str, actor: str, kind: str | None, scenario: Scenario) -> list[Problem]:
    """A money holder's id the base scenario must have (of ``kind`` when given)."""
    kinds = [k for k in ACTOR_KINDS.values() if k.holds_money and kind in (None, k.name)]
    ids = [e.id for k in kinds for e in getattr(scenario, k.section.name)]
    if actor in ids:
        return []
    which = f"{kind} " if kind else "money holder "
    hint = did_you_mean(actor, ids)
    return [
        Problem(
            f"{where}.actor",
            f"no {which}'{actor}' in the base scenario{hint}; it has {', '.join(ids) or 'none'}",
        )
    ]


# -- schema errors ---------------------------------------------------------------------------

_SCHEMA = SchemaMap(
    CalibrationSpec,
    sections={"method": MethodSpec},
    entries={"priors": PriorSpec, "targets": TargetSpec},
    nested={"normal": NormalPrior, "truncated_normal": TruncatedNormalPrior, "beta": BetaPrior},
)


def _problem(
    err: dict[str, Any], prefix: str = "", model: type[BaseModel] | None = None
) -> Problem:
    where = _path(list(err["loc"]), prefix)
    return validation_problem(err, where, _SCHEMA.model_at if model is None else lambda _: model)


def _path(loc: list[Any], prefix: str = "") -> str:
    """``priors[a.b[*].c].uniform[1]``: keys of priors, targets and set in brackets."""
    out = prefix
    for n, part in enumerate(loc):
        keyed = n == 1 and not prefix and loc[0] in ("priors", "targets", "set")
        if isinstance(part, int) or keyed:
            out += f"[{part}]"
        elif part not in ("function-after", "function-before") and not str(part).endswith("]"):
            out += f".{part}" if out else str(part)
    return out
