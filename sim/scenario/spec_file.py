"""The first steps shared by files that lay settings over a base scenario.

Sweep files (:mod:`sim.sweep.load`) and calibration files (:mod:`sim.calibration.load`)
both name a ``base`` scenario and may ``set`` fields of it. Loading either starts the
same way, here: read the file with the safe YAML loader and validate it against its
schema (:func:`read_spec`), then check that the base scenario is a readable file,
resolve its ``extends``, apply ``set`` and validate the result (:func:`read_base`).
Problems name the spec file and the field (``base``, ``set[path]``, the schema's
locations as the caller spells them); each loader keeps its own location spelling and
its own schema classes for "did you mean" hints, and passes them in.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from sim.scenario.errors import Problem, ScenarioError, did_you_mean
from sim.scenario.loader import read_yaml, resolve_extends, validate_document
from sim.scenario.overrides import apply_override, assignment
from sim.scenario.safe_yaml import file_problem
from sim.scenario.schema import Scenario

#: Maps one of pydantic's error dicts to a problem.
ErrorMapper = Callable[[dict[str, Any]], Problem]


def read_spec[SpecT: BaseModel](path: Path, model: type[SpecT], problem: ErrorMapper) -> SpecT:
    """Read ``path`` safely and validate it as ``model``.

    Args:
        path: The spec file.
        model: Its schema.
        problem: Turns each of pydantic's errors into a problem.

    Returns:
        The validated spec.

    Raises:
        ScenarioError: If the file cannot be read as a YAML mapping, or with every
            schema error, named by ``problem``.
    """
    raw = read_yaml(path)
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise ScenarioError(str(path), [problem(err) for err in exc.errors()]) from None


@dataclass(frozen=True)
class Base:
    """The base scenario of a spec file, ``extends`` resolved and ``set`` applied.

    Attributes:
        doc: The document.
        scenario: It validated, or None when there are problems.
        problems: What is wrong with ``set`` or with the result (empty when fine).
    """

    doc: dict[str, Any]
    scenario: Scenario | None
    problems: list[Problem]


def read_base(path: Path, base_path: Path, settings: Mapping[str, Any]) -> Base:
    """Read the base scenario a spec file names and apply its ``set`` entries.

    Only regular files of at most 10 MiB are read (see
    :func:`~sim.scenario.safe_yaml.file_problem`).

    Args:
        path: The spec file (problems are reported against it).
        base_path: The base scenario file, as the spec file resolves it.
        settings: The spec file's ``set``: field path -> value.

    Returns:
        The base; its problems name ``set[path]`` or ``base``.

    Raises:
        ScenarioError: If the base file cannot be read (named as the spec file's ``base``).
    """
    problem = file_problem(base_path)
    if problem is not None:
        raise ScenarioError(str(path), [Problem("base", f"{problem}: {base_path}")])
    doc = resolve_extends(base_path)
    problems = apply_set(settings, doc)
    scenario = None
    if not problems:
        try:
            scenario = validate_document(copy.deepcopy(doc), str(base_path))
        except ScenarioError as exc:
            problems = [
                Problem("base", f"{base_path} (with set applied): {p}") for p in exc.problems
            ]
    return Base(doc, scenario, problems)


def apply_set(settings: Mapping[str, Any], doc: dict[str, Any]) -> list[Problem]:
    """Apply ``set`` entries (path -> value) to ``doc`` in place; the problems found."""
    problems = []
    for name, value in settings.items():
        try:
            text = assignment(name, value)
        except ValueError as exc:
            problems.append(Problem(f"set[{name}]", str(exc)))
            continue
        problems += [Problem(f"set[{name}]", p.message) for p in apply_override(doc, text)]
    return problems


@dataclass(frozen=True)
class SchemaMap:
    """Which schema class holds the fields at a location, for "did you mean" hints.

    Attributes:
        root: The file's schema.
        sections: Top-level keys holding one model (``method`` -> its class).
        entries: Top-level keys holding a mapping of named entries (``priors``), each
            one of this class.
        nested: Keys inside an entry that hold a model of their own (``normal``).
    """

    root: type[BaseModel]
    sections: Mapping[str, type[BaseModel]]
    entries: Mapping[str, type[BaseModel]]
    nested: Mapping[str, type[BaseModel]]

    def model_at(self, loc: list[Any]) -> type[BaseModel]:
        """The schema class at a location of pydantic's (``["priors", "a.b", "beta"]``)."""
        if not loc:
            return self.root
        head = str(loc[0])
        if head in self.sections:
            return self.sections[head]
        if head in self.entries and len(loc) >= 2:
            entry = self.entries[head]
            return self.nested.get(str(loc[2]), entry) if len(loc) >= 3 else entry
        return self.root


def validation_problem(
    err: Mapping[str, Any], where: str, model_at: Callable[[list[Any]], type[BaseModel]]
) -> Problem:
    """One of pydantic's errors as a problem at ``where``.

    Args:
        err: The error (from ``ValidationError.errors()``).
        where: Its location, spelt as the file's loader spells field paths.
        model_at: The schema class at a location (for the fields an unknown one may
            have been meant as).
    """
    loc = list(err["loc"])
    kind = err["type"]
    if kind == "extra_forbidden":
        hint = did_you_mean(str(loc[-1]), model_at(loc[:-1]).model_fields)
        return Problem(where, f"unknown field '{loc[-1]}'{hint}")
    if kind == "missing":
        return Problem(where, "required field is missing")
    msg = err["msg"].removeprefix("Value error, ")
    found = err.get("input")
    if "input" not in err or isinstance(found, dict | list) or kind == "value_error":
        return Problem(where, msg)
    return Problem(where, f"{msg}; found {found!r}")
