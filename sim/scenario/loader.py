"""Load a scenario file: safe YAML, ``extends``, ``--set`` overrides, validation.

Every failure raises :class:`ScenarioError` naming the file and the field paths;
nothing here writes files or allocates the population.
"""

from __future__ import annotations

import datetime as dt
import os
import typing
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from sim.scenario.errors import Problem, ScenarioError, did_you_mean, format_path
from sim.scenario.overrides import apply_override, deep_merge
from sim.scenario.references import check_references
from sim.scenario.safe_yaml import UnreadableFileError, file_problem, load_text, read_text
from sim.scenario.schema import Scenario

#: Bytes of memory one simulated person costs, per unit of mean degree and fixed.
_BYTES_PER_PERSON_PER_DEGREE = 24
_BYTES_PER_PERSON = 400


def _yaml_problem(exc: yaml.YAMLError) -> Problem:
    """Describe a YAML error with its line and column (and where the enclosing part began)."""
    mark = getattr(exc, "problem_mark", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
    what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context, context_mark = getattr(exc, "context", None), getattr(exc, "context_mark", None)
    if context and context_mark and (not mark or context_mark.line != mark.line):
        what += f" ({context} started at line {context_mark.line + 1})"
    return Problem("", f"not valid YAML: {where}{what}")


def read_yaml(path: Path) -> dict[str, Any]:
    """Read a YAML mapping with the safe loader (no object construction from tags).

    Args:
        path: The file to read.

    Returns:
        The document.

    Raises:
        ScenarioError: If the file is missing, not a regular file, larger than
            :data:`~sim.scenario.safe_yaml.MAX_FILE_BYTES`, unreadable, not YAML (or
            nested too deeply) or not a mapping.
    """
    try:
        text = read_text(path)
    except UnreadableFileError as exc:
        raise ScenarioError(str(path), [Problem("", f"cannot read file: {exc}")]) from None
    try:
        doc = load_text(text)
    except yaml.YAMLError as exc:
        raise ScenarioError(str(path), [_yaml_problem(exc)]) from None
    if not isinstance(doc, dict):
        found = "an empty file" if doc is None else type(doc).__name__
        raise ScenarioError(
            str(path), [Problem("", f"expected a mapping at top level, found {found}")]
        )
    return doc


def resolve_extends(path: Path, _chain: tuple[Path, ...] = ()) -> dict[str, Any]:
    """Read ``path`` and deep-merge it over the file named by its ``extends`` (recursively).

    Args:
        path: The scenario file.
        _chain: Files already being resolved (for cycle detection).

    Returns:
        The merged document, without an ``extends`` key.

    Raises:
        ScenarioError: On a missing or unreadable base (named as this file's ``extends``
            field: only regular files of at most 10 MiB are read), or a cycle of ``extends``.
    """
    # Messages name files as the user wrote them; cycles are detected on resolved paths.
    doc = read_yaml(path)  # first: a name that cannot be resolved is reported as unreadable
    if path.resolve() in {p.resolve() for p in _chain}:
        cycle = " -> ".join(p.name for p in (*_chain, path))
        raise ScenarioError(str(_chain[0]), [Problem("extends", f"cycle of extends: {cycle}")])
    base_name = doc.pop("extends", None)
    if base_name is None:
        return doc
    if not isinstance(base_name, str):
        found = type(base_name).__name__
        raise ScenarioError(str(path), [Problem("extends", f"expected a file name, found {found}")])
    base_path = path.parent / base_name
    problem = file_problem(base_path)
    if problem is not None:
        shown = base_path if len(str(base_path)) <= 200 else f"{str(base_path)[:200]}..."
        raise ScenarioError(str(path), [Problem("extends", f"{problem}: {shown}")])
    return deep_merge(resolve_extends(base_path, (*_chain, path)), doc)


def validate_document(doc: dict[str, Any], source: str, *, check_memory: bool = True) -> Scenario:
    """Validate a raw document into a :class:`Scenario`.

    Args:
        doc: The merged, overridden document.
        source: Name of the file, for messages.
        check_memory: Refuse populations that would not fit in available memory.

    Returns:
        The validated scenario.

    Raises:
        ScenarioError: With every problem found.
    """
    try:
        scenario = Scenario.model_validate(doc)
    except ValidationError as exc:
        raise ScenarioError(source, [_problem_from(err, doc) for err in exc.errors()]) from None
    problems = check_references(scenario)
    if check_memory:
        problems += check_size(scenario)
    if problems:
        raise ScenarioError(source, problems)
    return scenario


def load_scenario(path: str | os.PathLike[str], overrides: Sequence[str] = ()) -> Scenario:
    """Load, merge, override and validate a scenario file.

    Args:
        path: The YAML scenario file.
        overrides: ``path=value`` assignments applied after ``extends`` is resolved.

    Returns:
        The validated, immutable scenario.

    Raises:
        ScenarioError: With the file, the field paths and what was expected.
    """
    path = Path(path)
    doc = resolve_extends(path)
    problems = [p for text in overrides for p in apply_override(doc, text)]
    if "extends" in doc:  # only an override can put it back: it would be silently ignored
        problems.append(Problem("--set extends", "extends is only read from the file itself"))
    if problems:
        raise ScenarioError(str(path), problems)
    return validate_document(doc, str(path))


def estimated_bytes(scenario: Scenario) -> int:
    """Estimate peak memory of a run (the run and its counterfactual share the network)."""
    a = scenario.audience
    return int(
        a.population * (a.network.mean_degree * _BYTES_PER_PERSON_PER_DEGREE + _BYTES_PER_PERSON)
    )


def available_bytes() -> int:
    """Return the memory available to this process, in bytes."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")


def check_size(scenario: Scenario) -> list[Problem]:
    """Refuse scenarios whose population would exhaust memory, before allocating it."""
    need, have = estimated_bytes(scenario), int(0.8 * available_bytes())
    if need <= have:
        return []
    return [
        Problem(
            "audience.population",
            f"{scenario.audience.population:,} people with mean degree "
            f"{scenario.audience.network.mean_degree:g} need about {need / 2**30:.1f} GiB; "
            f"only {have / 2**30:.1f} GiB is available",
        )
    ]


def _problem_from(err: dict[str, Any], doc: dict[str, Any]) -> Problem:
    loc = list(err["loc"])
    path = format_path(loc, doc)
    kind = err["type"]
    if kind == "extra_forbidden":
        fields = _fields_at(loc[:-1], doc)
        return Problem(path, f"unknown field '{loc[-1]}'{did_you_mean(str(loc[-1]), fields)}")
    if kind == "missing":
        return Problem(path, "required field is missing")
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        # A tagged union (shocks): name the tag field itself and the tags allowed.
        ctx = err.get("ctx", {})
        field = ctx.get("discriminator", "'type'").strip("'")
        tags = [t for t in map(_tag_of, _models_at(loc, doc)) if t is not None]
        expected = f"expected one of {', '.join(tags)}" if tags else "expected a known type"
        if kind == "union_tag_not_found":
            return Problem(f"{path}.{field}", f"required field is missing; {expected}")
        tag = str(ctx.get("tag", ""))
        hint = did_you_mean(tag, tags)
        return Problem(f"{path}.{field}", f"unknown {field} '{tag}'{hint}; {expected}")
    msg = err["msg"].removeprefix("Value error, ")
    if loc and loc[-1] == "[key]":
        msg = f"invalid key: {msg}"
    if "input" not in err:
        return Problem(path, msg)
    found = err["input"]
    if isinstance(found, dict | list):
        if kind == "value_error":
            return Problem(path, msg)  # a check on a whole object: its type says nothing
        return Problem(path, f"{msg}; found a {type(found).__name__}")
    return Problem(path, f"{msg}; found {shorten(found)}")


def shorten(value: object, limit: int = 80) -> str:
    """The ``repr`` of a value found, cut to ``limit`` characters with its length stated.

    >>> shorten("x" * 1000, 10)
    "'xxxxxxxx... (1,000 characters)"
    >>> shorten(1.5)
    '1.5'
    >>> shorten(dt.date(9999, 12, 31))
    '9999-12-31'
    """
    text = value.isoformat() if isinstance(value, dt.date) else repr(value)
    if len(text) <= limit:
        return text
    size = f"{len(value):,} characters" if isinstance(value, str) else f"{len(text):,} characters"
    return f"{text[: limit - 1]}... ({size})"


def _fields_at(loc: list[Any], doc: dict[str, Any]) -> list[str]:
    """Field names allowed at a location, for 'did you mean' hints."""
    candidates = _models_at(loc, doc)
    return list(candidates[0].model_fields) if len(candidates) == 1 else []


def _models_at(loc: list[Any], doc: dict[str, Any]) -> list[type[BaseModel]]:
    """The schema classes an object at a location may be (several for a tagged union)."""
    candidates: list[type[BaseModel]] = [Scenario]
    node: Any = doc
    for part in loc:
        if isinstance(node, list) and isinstance(part, int):
            node = node[part] if part < len(node) else None
            continue
        tagged = [c for c in candidates if _tag_of(c) == part]
        if tagged:
            candidates = tagged
            continue
        if len(candidates) != 1 or part not in candidates[0].model_fields:
            return []
        candidates = _models_in(candidates[0].model_fields[part].annotation)
        node = node.get(part) if isinstance(node, dict) else None
    return candidates


def _tag_of(cls: type[BaseModel]) -> str | None:
    field = cls.model_fields.get("type")
    args = typing.get_args(field.annotation) if field else ()
    return args[0] if args else None


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]
