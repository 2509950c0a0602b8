"""Linked and derived sweep parameters: one variable setting several fields.

A parameter whose entry has ``sets`` is a *variable*: its key is a name, not a field
path, and ``sets`` lists the fields it sets, each with its own transformation:

- ``{}``: the variable's value;
- ``{scale: k, offset: c}``: ``k * value + c``;
- an expression (:mod:`sim.sweep.expressions`) of the variables and ``base``, the
  field's own value in the base scenario (``base * budget_factor`` scales a field;
  with ``[*]``, each selected item by its own base value);
- ``{entries: {key: expression, ...}, drop_zero: true}``: a whole mapping.

``derived`` gives further fields as expressions (or entries) of the variables. Paths
are those of ``--set``, with ``[field=value]`` and ``[field=*]`` to pick list items;
a path ending in ``[*]`` on a mapping (``budget.yearly_usd[*]``) sets every entry.

:func:`compile_links` resolves every path against the base scenario once, into
concrete fields (``shocks[war_balancing].media_control``), so that each point's
assignments (:meth:`Links.assignments`) are plain ``path=value`` texts, as ``--set``
takes them.
"""

from __future__ import annotations

import contextlib
import keyword
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sim.scenario.errors import Problem, did_you_mean
from sim.scenario.overrides import parse_path, select_items, yaml_text
from sim.sweep.expressions import FUNCTIONS, Expression, ExpressionError, parse_expression
from sim.sweep.spec import Entries, Linear, ParameterSpec, SweepSpec, Target

#: The name an expression uses for the field's value in the base scenario.
BASE = "base"

Compute = Callable[[Mapping[str, Any]], Any]


@dataclass(frozen=True)
class Setter:
    """One concrete field a point sets.

    Attributes:
        path: The field, every selector resolved (``shocks[war_balancing].media_control``).
        compute: Variable values -> the field's value.
        source: Where it was given, for messages (``parameters[media].sets[...]``).
    """

    path: str
    compute: Compute
    source: str


@dataclass(frozen=True)
class Links:
    """How each design point becomes field assignments.

    Attributes:
        names: Every parameter's key, in the sweep file's order.
        direct: For each parameter, whether its key is a field path set to its value.
        setters: The fields set by variables and by ``derived``, in order.
    """

    names: tuple[str, ...]
    direct: tuple[bool, ...]
    setters: tuple[Setter, ...]

    @property
    def linked(self) -> bool:
        """Whether any variable or derived field is involved."""
        return bool(self.setters) or not all(self.direct)

    def assignments(self, values: tuple[Any, ...] | list[Any]) -> tuple[str, ...]:
        """The ``path=value`` texts of one design point.

        Args:
            values: The parameters' values, in the sweep file's order.

        Raises:
            ExpressionError: If an expression cannot be evaluated at these values.
            ValueError: If a value cannot be written as YAML.
        """
        variables = {n: v for n, v, d in zip(self.names, values, self.direct, strict=True) if not d}
        texts = [
            f"{n}={yaml_text(v)}"
            for n, v, d in zip(self.names, values, self.direct, strict=True)
            if d
        ]
        texts += [f"{s.path}={yaml_text(s.compute(variables))}" for s in self.setters]
        return tuple(texts)


def is_variable(param: ParameterSpec) -> bool:
    """Whether a parameter is a named variable (it has ``sets``) rather than a field path."""
    return param.sets is not None


def compile_links(spec: SweepSpec, base_doc: dict[str, Any]) -> tuple[Links, list[Problem]]:
    """Resolve the sweep's variables and derived fields against the base scenario.

    Args:
        spec: The sweep.
        base_doc: The base scenario document (``set`` applied).

    Returns:
        The links, and every problem found (bad names, paths, expressions, a field set
        twice), each naming where in the sweep file it was given.
    """
    problems: list[Problem] = []
    variables = [n for n, p in spec.parameters.items() if is_variable(p)]
    for name in variables:
        if not name.isidentifier() or keyword.iskeyword(name) or name in (*FUNCTIONS, BASE):
            problems.append(
                Problem(
                    f"parameters[{name}]",
                    "a variable (a parameter with 'sets') needs a name of letters, digits "
                    f"and _, not starting with a digit, other than {BASE} and the function "
                    f"names; found '{name}'",
                )
            )
    numeric = {n for n in variables if _numeric(spec.parameters[n])}
    setters: list[Setter] = []
    used: set[str] = set()
    for name in variables:
        for path, target in (spec.parameters[name].sets or {}).items():
            where = f"parameters[{name}].sets[{path}]"
            made = _setters(path, target, name, where, base_doc, variables, numeric, problems)
            setters += made
            used |= _names(target) | ({name} if isinstance(target, Linear) else set())
    for path, target in spec.derived.items():
        where = f"derived[{path}]"
        setters += _setters(path, target, None, where, base_doc, variables, numeric, problems)
        used |= _names(target)
    for name in variables:
        if not spec.parameters[name].sets and name not in used:
            problems.append(
                Problem(
                    f"parameters[{name}].sets",
                    "this variable sets nothing and no expression uses it",
                )
            )
    problems += _overlaps(spec, base_doc, setters)
    direct = tuple(not is_variable(p) for p in spec.parameters.values())
    return Links(tuple(spec.parameters), direct, tuple(setters)), problems


def _numeric(param: ParameterSpec) -> bool:
    if param.values is None:
        return True
    return all(isinstance(v, int | float) and not isinstance(v, bool) for v in param.values)


def _names(target: Target) -> set[str]:
    """Variable names a target's expressions use (unparseable ones: none)."""
    texts = [target] if isinstance(target, str) else []
    if isinstance(target, Entries):
        texts = list(target.entries.values())
    names: set[str] = set()
    for text in texts:
        with contextlib.suppress(ExpressionError):
            names |= set(parse_expression(text).names)
    return names


def _setters(
    path: str,
    target: Target,
    variable: str | None,
    where: str,
    doc: dict[str, Any],
    variables: list[str],
    numeric: set[str],
    problems: list[Problem],
) -> list[Setter]:
    """The concrete fields one target sets, or problems."""
    if variable is None and isinstance(target, Linear):
        problems.append(Problem(where, "give an expression (derived fields have no variable)"))
        return []
    compute = _compiler(target, variable, where, variables, numeric, problems)
    fields = resolve(doc, path, where, problems)
    if compute is None:
        return []
    out = []
    for concrete, base, each_entry in fields:
        if isinstance(target, Entries) and each_entry:
            problems.append(Problem(where, "entries set a whole mapping: remove the final [*]"))
            continue
        if each_entry:
            out.append(Setter(concrete, _per_entry(compute, base), where))
        else:
            out.append(Setter(concrete, _bound(compute, base), where))
    return out


Evaluate = Callable[[Mapping[str, Any], Any], Any]


def _compiler(
    target: Target,
    variable: str | None,
    where: str,
    variables: list[str],
    numeric: set[str],
    problems: list[Problem],
) -> Evaluate | None:
    """``(variables, base value) -> field value`` for a target, or None with problems."""
    if isinstance(target, Linear):
        assert variable is not None
        if target.scale == 1 and target.offset == 0:
            return lambda values, base: values[variable]
        if variable not in numeric:
            problems.append(
                Problem(
                    where,
                    f"scale and offset need numbers; '{variable}' has values that are not numbers",
                )
            )
            return None
        scale, offset = target.scale, target.offset
        return lambda values, base: scale * values[variable] + offset
    texts = {None: target} if isinstance(target, str) else dict(target.entries)
    parsed: dict[Any, Expression] = {}
    for key, text in texts.items():
        at = where if key is None else f"{where}.entries[{key}]"
        try:
            expression = parse_expression(text)
        except ExpressionError as exc:
            problems.append(Problem(at, str(exc)))
            continue
        bad = False
        for name in expression.names:
            if name == BASE:
                continue
            if name not in variables:
                hint = did_you_mean(name, [*variables, BASE])
                problems.append(
                    Problem(
                        at,
                        f"'{text}' uses '{name}', which is not a variable{hint}; "
                        f"the variables are {', '.join(variables) or 'none'} (a "
                        "parameter is a variable when it has 'sets')",
                    )
                )
                bad = True
            elif name not in numeric:
                problems.append(
                    Problem(at, f"'{text}' uses '{name}', whose values are not all numbers")
                )
                bad = True
        if not bad:
            parsed[key] = expression
    if len(parsed) != len(texts):
        return None
    if isinstance(target, str):
        expression = parsed[None]
        return lambda values, base: expression(_with_base(values, base, expression))
    drop = target.drop_zero

    def entries(values: Mapping[str, Any], base: Any) -> dict[Any, float]:
        base_map = base if isinstance(base, dict) else {}
        out = {}
        for key, expression in parsed.items():
            value = expression(_with_base(values, base_map.get(key), expression))
            if not (drop and value == 0):
                out[key] = value
        return out

    return entries


def _with_base(values: Mapping[str, Any], base: Any, expression: Expression) -> dict[str, Any]:
    if BASE not in expression.names:
        return dict(values)
    if isinstance(base, bool) or not isinstance(base, int | float):
        found = "nothing" if base is None else repr(base)
        raise ExpressionError(
            f"'{expression.text}' uses base, but the base scenario's value here is {found}, "
            "not a number"
        )
    return {**values, BASE: base}


def _bound(compute: Evaluate, base: Any) -> Compute:
    return lambda values: compute(values, base)


def _per_entry(compute: Evaluate, base: Any) -> Compute:
    return lambda values: {key: compute(values, value) for key, value in base.items()}


def resolve(
    doc: dict[str, Any], path: str, where: str, problems: list[Problem]
) -> list[tuple[str, Any, bool]]:
    """The concrete fields a path selects in a document.

    Args:
        doc: The base scenario document.
        path: A field path as in ``--set`` (``[field=value]``, ``[field=*]`` allowed; a
            final ``[*]`` on a mapping selects its entries).
        where: Where the path was given, for messages.
        problems: Where problems are added.

    Returns:
        ``(concrete path, base value, each entry)`` per field; the base value is None
        for a field the base scenario leaves at its default; ``each entry`` marks a
        mapping whose every entry is set.
    """
    try:
        tokens = parse_path(path)
    except ValueError as exc:
        problems.append(Problem(where, str(exc)))
        return []
    nodes: list[tuple[str, Any]] = [("", doc)]
    found: list[Problem] = []
    for n, token in enumerate(tokens):
        last = n == len(tokens) - 1
        step: list[tuple[str, Any]] = []
        for prefix, node in nodes:
            if isinstance(token, tuple) and isinstance(node, dict) and last and token[0] == "*":
                return [(prefix, node, True) for prefix, node in nodes if isinstance(node, dict)]
            if isinstance(token, tuple):
                if not isinstance(node, list):
                    found.append(
                        Problem(
                            where,
                            f"{path}: '[{token[0]}]' applies to a list "
                            "(or, last in a path, [*] to a mapping) only",
                        )
                    )
                    continue
                for i in select_items(node, token[0], path, found):
                    item = node[i]
                    label = item.get("id") if isinstance(item, dict) else None
                    key = label if isinstance(label, str) and not label.isdigit() else str(i)
                    step.append((f"{prefix}[{key}]", item))
            elif isinstance(node, dict):
                here = f"{prefix}.{token}" if prefix else token
                if token in node or last:
                    step.append((here, node.get(token)))
                elif not isinstance(tokens[n + 1], tuple):  # a section left at its defaults
                    step.append((here, {}))
                else:
                    hint = did_you_mean(token, [k for k in node if isinstance(k, str)])
                    found.append(Problem(where, f"{path}: no field '{token}' here{hint}"))
            else:
                found.append(
                    Problem(where, f"{path}: cannot find '{token}' in a {type(node).__name__}")
                )
        nodes = step
    problems += [Problem(where, p.message.removeprefix("--set ")) for p in found]
    if found:
        return []
    return [(prefix, node, False) for prefix, node in nodes]


def _overlaps(spec: SweepSpec, doc: dict[str, Any], setters: list[Setter]) -> list[Problem]:
    """A field set by two parameters or derived entries is an error."""
    owner: dict[str, str] = {}
    problems = []
    direct = []
    for name, param in spec.parameters.items():
        if not is_variable(param):
            scratch: list[Problem] = []
            direct += [(p, f"parameters[{name}]") for p, _, _ in resolve(doc, name, "", scratch)]
    for path, source in [*direct, *((s.path, s.source) for s in setters)]:
        if path in owner and owner[path] != source:
            problems.append(Problem(source, f"{path} is also set by {owner[path]}"))
        owner.setdefault(path, source)
    return problems
