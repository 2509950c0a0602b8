"""Load a sweep file: safe YAML, the schema, and every parameter tried on the base scenario.

Problems are reported like a scenario's: one line each, naming the sweep file and the
field, e.g. ``parameters[intermediaries[*].integrity].range: ...``. A parameter whose
path does not exist in the base scenario, or whose range reaches values the scenario
refuses, is caught here, before anything runs.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.scenario.errors import Problem, ScenarioError, did_you_mean
from sim.scenario.loader import validate_document
from sim.scenario.overrides import apply_override, assignment
from sim.scenario.spec_file import SchemaMap, read_base, read_spec, validation_problem
from sim.sweep.designs import design_size
from sim.sweep.distributions import grid_levels, probe_values
from sim.sweep.expressions import ExpressionError
from sim.sweep.links import Links, compile_links, is_variable
from sim.sweep.metrics import METRICS, is_reference
from sim.sweep.points import read_points
from sim.sweep.samplers import DESIGNS
from sim.sweep.spec import (
    MAX_RUNS,
    DesignSpec,
    LogNormal,
    Normal,
    ParameterSpec,
    SweepSpec,
    Triangular,
)


@dataclass(frozen=True)
class Sweep:
    """A loaded, checked sweep.

    Attributes:
        spec: The sweep file's contents.
        path: The sweep file.
        base_path: The base scenario file.
        base_doc: The base scenario document, ``extends`` resolved and ``set`` applied.
    """

    spec: SweepSpec
    path: Path
    base_path: Path
    base_doc: dict[str, Any]
    links: Links | None = None

    def assignments(self, values: tuple[Any, ...] | list[Any]) -> tuple[str, ...]:
        """The ``path=value`` texts that put one design point on the base scenario.

        Args:
            values: The parameters' values, in the sweep file's order.
        """
        links = self.links
        if links is None:
            links, _ = compile_links(self.spec, self.base_doc)
        return links.assignments(values)

    @property
    def points(self) -> int:
        """Number of design points."""
        return design_size(self.spec)

    @property
    def runs(self) -> int:
        """Number of runs: points x replicates."""
        return self.points * self.spec.replicates


def load_sweep(path: str | os.PathLike[str]) -> Sweep:
    """Read and check a sweep file.

    Args:
        path: The sweep YAML file.

    Returns:
        The sweep.

    Raises:
        ScenarioError: With every problem found, naming the file and the fields.
    """
    path = Path(path)
    spec = read_spec(path, SweepSpec, _problem)
    base_path = path.parent / spec.base
    base = read_base(path, base_path, spec.set)
    base_doc, problems = base.doc, base.problems
    if not problems and spec.from_ranges:
        spec, problems = _parameters_from_ranges(spec, base_doc, base_path)
    if not problems and DESIGNS[spec.design.type].listed and spec.design.path is not None:
        spec, problems = _points_from_file(spec, path.parent / spec.design.path)
    base_ok = not problems
    problems += _check_metrics(spec)
    links = None
    if base_ok:
        problems += _check_design(spec)
        links, link_problems = compile_links(spec, base_doc)
        problems += link_problems
        for name, param in spec.parameters.items():
            if not is_variable(param):
                problems += _check_parameter(name, param, base_doc, str(base_path))
            elif not link_problems:
                problems += _check_variable(name, spec, links, base_doc, str(base_path))
    if problems:
        raise ScenarioError(str(path), problems)
    return Sweep(spec, path, base_path, base_doc, links)


def _parameters_from_ranges(
    spec: SweepSpec, base_doc: dict[str, Any], base_path: Path
) -> tuple[SweepSpec, list[Problem]]:
    """Replace ``parameters: from_ranges`` with the base scenario's ranges."""
    ranges = validate_document(copy.deepcopy(base_doc), str(base_path)).ranges
    if not ranges:
        return spec, [Problem("parameters", f"'from_ranges', but {base_path} has no ranges")]
    parameters = {
        path: ParameterSpec(range=(r.low, r.high), log=r.log) for path, r in ranges.items()
    }
    return spec.model_copy(update={"parameters": {**parameters, **spec.parameters}}), []


def _points_from_file(spec: SweepSpec, csv_path: Path) -> tuple[SweepSpec, list[Problem]]:
    """Read a file design's points into the spec (see :mod:`sim.sweep.points`)."""
    points, problems = read_points(csv_path, spec.parameters)
    if problems:
        return spec, problems
    design = spec.design.model_copy(update={"points": points})
    return spec.model_copy(update={"design": design}), []


def _check_metrics(spec: SweepSpec) -> list[Problem]:
    problems, seen = [], set()
    for i, name in enumerate(spec.metrics):
        where = f"metrics[{i}]"
        if name in seen:
            problems.append(Problem(where, f"metric '{name}' is listed twice"))
        seen.add(name)
        if name in METRICS:
            continue
        if not is_reference(name):
            hint = did_you_mean(name, METRICS)
            problems.append(
                Problem(where, f"unknown metric '{name}'{hint}; or name one as module:function")
            )
            continue
        # A module:function reference is checked for its form only: checking a file must
        # not run user code, and the module may exist on the workers only. The workers
        # import it; a run that cannot is stored as failed with the import error.
    return problems


def _check_design(spec: SweepSpec) -> list[Problem]:
    problems = []
    kind = DESIGNS[spec.design.type]
    if kind.sample is None and not kind.listed:  # the grid enumerates levels
        for name, param in spec.parameters.items():
            try:
                grid_levels(param, spec.design.levels)
            except ValueError as exc:
                problems.append(Problem(f"parameters[{name}]", str(exc)))
    if kind.bounded_only:
        for name, param in spec.parameters.items():
            if not param.bounded:
                problems.append(
                    Problem(
                        f"parameters[{name}]",
                        f"a {kind.name} design needs bounded values; give this {param.kind} "
                        "distribution a truncate: [low, high]",
                    )
                )
    if problems:
        return problems
    runs = design_size(spec) * spec.replicates
    if runs > MAX_RUNS:
        problems.append(Problem("design", f"{runs:,} runs is more than the {MAX_RUNS:,} allowed"))
    return problems


def _check_parameter(
    name: str, param: ParameterSpec, base_doc: dict[str, Any], source: str
) -> list[Problem]:
    where = f"parameters[{name}]"
    for value, label in probe_values(param):
        doc = copy.deepcopy(base_doc)
        try:
            text = assignment(name, value)
        except ValueError as exc:
            return [Problem(where, str(exc))]
        problems = apply_override(doc, text)
        if problems:  # a path that does not exist: the same for every value
            return [Problem(where, p.message) for p in problems]
        try:
            validate_document(doc, source)
        except ScenarioError as exc:
            first, more = exc.problems[0], len(exc.problems) - 1
            also = f" (and {more} more like it)" if more else ""
            if first.message.startswith("unknown field"):
                return [Problem(where, f"{first}{also}")]
            hint = _integer_hint(param, exc)
            shown = f"{value:.6g}" if isinstance(value, float) else repr(value)
            message = f"value {shown} ({label}) is not valid here: {first}{hint}{also}"
            return [Problem(where, message)]
    return []


def _check_variable(
    name: str, spec: SweepSpec, links: Links, base_doc: dict[str, Any], source: str
) -> list[Problem]:
    """Try a variable's probe values, the other parameters at an inner value each."""
    where = f"parameters[{name}]"
    inner = [probe_values(p)[-1][0] for p in spec.parameters.values()]
    position = list(spec.parameters).index(name)
    for value, label in probe_values(spec.parameters[name]):
        values = [*inner[:position], value, *inner[position + 1 :]]
        shown = f"{value:.6g}" if isinstance(value, float) else repr(value)
        try:
            texts = links.assignments(values)
        except (ExpressionError, ValueError) as exc:
            return [Problem(where, f"at {shown} ({label}): {exc}")]
        doc = copy.deepcopy(base_doc)
        problems = [p for text in texts for p in apply_override(doc, text)]
        if problems:
            return [Problem(where, p.message) for p in problems]
        try:
            validate_document(doc, source)
        except ScenarioError as exc:
            first, more = exc.problems[0], len(exc.problems) - 1
            also = f" (and {more} more like it)" if more else ""
            return [Problem(where, f"value {shown} ({label}) is not valid here: {first}{also}")]
    return []


def _integer_hint(param: ParameterSpec, exc: ScenarioError) -> str:
    if (
        param.values is None
        and not param.integer
        and any("integer" in p.message for p in exc.problems)
    ):
        return " (add integer: true to draw whole numbers)"
    return ""


# -- schema errors ---------------------------------------------------------------------------

_SCHEMA = SchemaMap(
    SweepSpec,
    sections={"design": DesignSpec},
    entries={"parameters": ParameterSpec},
    nested={"normal": Normal, "lognormal": LogNormal, "triangular": Triangular},
)


def _problem(err: dict[str, Any]) -> Problem:
    return validation_problem(err, _path(list(err["loc"])), _SCHEMA.model_at)


def _path(loc: list[Any]) -> str:
    """``parameters[a.b[*].c].range[1]``: mapping keys of parameters and set in brackets."""
    out = ""
    for n, part in enumerate(loc):
        if part in ("str", "Linear", "Entries", "str-enum", "dict[str,str]"):
            continue  # the members of a union, in pydantic's locations
        keyed = (n == 1 and loc[0] in ("parameters", "set", "derived")) or (
            n == 3 and loc[0] == "parameters" and loc[2] == "sets"
        )
        if isinstance(part, int) or keyed:
            out += f"[{part}]"
        elif part not in ("function-after", "function-before"):
            out += f".{part}" if out else str(part)
    return out
