"""External designs: the points of a ``file`` design, read from a CSV file and checked.

The file has a header row naming the sweep's parameters (every one, each once, in any
order) and one row per point. Each cell must be a value its parameter allows: a number
within a ``range`` (a whole number with ``integer``), one of the listed ``values``
(written as in the sweep file: ``0.5``, ``true``, ``2025-06-30``, ``host_policy``), or a
number a distribution can take (within ``truncate``; above 0 for a log-normal; within
a triangular distribution's ends). Problems are reported with the file, the line and
the column, like every other input error.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

from sim.scenario.errors import Problem, did_you_mean
from sim.scenario.safe_yaml import file_problem
from sim.sweep.distributions import column_value
from sim.sweep.spec import ParameterSpec

#: Problems listed before the rest are counted.
MAX_PROBLEMS = 10


def read_points(
    path: Path, parameters: dict[str, ParameterSpec], where: str = "design.path"
) -> tuple[tuple[tuple[Any, ...], ...], list[Problem]]:
    """Read a CSV file of design points.

    Args:
        path: The CSV file.
        parameters: The sweep's parameters (names and what each allows).
        where: The sweep file's field, for messages.

    Returns:
        The points (each a tuple of values in the parameters' order) and the problems
        found; points are returned only when there is no problem.
    """
    problem = file_problem(path)
    if problem is not None:
        return (), [Problem(where, f"{problem}: {path}")]
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle))
    except (UnicodeDecodeError, csv.Error) as exc:
        return (), [Problem(where, f"{path} is not a readable CSV file: {exc}")]
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if not rows:
        return (), [Problem(where, f"{path} is empty: expected a header row of parameter names")]
    header = [cell.strip() for cell in rows[0]]
    problems = _header_problems(header, list(parameters), path, where)
    if problems:
        return (), problems
    if len(rows) == 1:
        return (), [Problem(where, f"{path} has a header but no points")]
    order = [header.index(name) for name in parameters]
    points = []
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            problems.append(
                Problem(where, f"{path} line {line}: {len(row)} cells, expected {len(header)}")
            )
            continue
        point = []
        for name, column in zip(parameters, order, strict=True):
            value, message = parse_cell(row[column].strip(), parameters[name])
            if message:
                problems.append(Problem(where, f"{path} line {line}, column '{name}': {message}"))
            point.append(value)
        points.append(tuple(point))
    if len(problems) > MAX_PROBLEMS:
        more = len(problems) - MAX_PROBLEMS
        problems = [*problems[:MAX_PROBLEMS], Problem(where, f"... and {more} more problem(s)")]
    return (tuple(points) if not problems else ()), problems


def _header_problems(header: list[str], names: list[str], path: Path, where: str) -> list[Problem]:
    problems, seen = [], set()
    for column in header:
        if column in seen:
            continue
        seen.add(column)
        if header.count(column) > 1:
            problems.append(Problem(where, f"{path}: column '{column}' appears twice"))
        elif column not in names:
            hint = did_you_mean(column, names)
            problems.append(
                Problem(
                    where,
                    f"{path}: unknown column '{column}'{hint}; the columns are the sweep's "
                    f"parameters: {', '.join(names)}",
                )
            )
    problems += [
        Problem(where, f"{path}: no column for parameter '{name}'")
        for name in names
        if name not in header
    ]
    return problems


def parse_cell(text: str, param: ParameterSpec) -> tuple[Any, str | None]:
    """A cell's value, or a message saying why the parameter cannot take it.

    >>> parse_cell("0.6", ParameterSpec(range=(0.3, 0.9)))
    (0.6, None)
    >>> parse_cell("1.2", ParameterSpec(range=(0.3, 0.9)))[1]
    'found 1.2, outside the range [0.3, 0.9]'
    """
    if not text:
        return None, "missing value"
    if param.values is not None:
        for value in param.values:
            if _same(text, value):
                return value, None
        listed = ", ".join(column_value("string", v) for v in param.values)
        return None, f"found '{text}', expected one of the listed values: {listed}"
    try:
        x = float(text)
    except ValueError:
        return None, f"found '{text}', expected a number"
    if not math.isfinite(x):
        return None, f"found '{text}', expected a finite number"
    if param.integer:
        if x != int(x):
            return None, f"found {text}, expected a whole number (integer: true)"
        x = int(x)
    low, high = _bounds(param)
    if not low <= x <= high:
        what = "range" if param.range is not None else "bounds"
        return None, f"found {text}, outside the {what} [{low:g}, {high:g}]"
    return x, None


def _bounds(param: ParameterSpec) -> tuple[float, float]:
    if param.range is not None:
        return param.range
    if param.truncate is not None:
        return param.truncate
    if param.triangular is not None:
        return param.triangular.low, param.triangular.high
    if param.lognormal is not None:
        return math.ulp(0.0), math.inf
    return -math.inf, math.inf


def _same(text: str, value: Any) -> bool:
    """Whether a cell names a listed value (numbers by value, others as written)."""
    if isinstance(value, bool):
        return text.lower() == ("true" if value else "false")
    if isinstance(value, int | float):
        try:
            return float(text) == value
        except ValueError:
            return False
    return text == column_value("string", value)
