"""Deep merging (for ``extends``) and ``--set path=value`` overrides on raw documents.

Both work on the plain dicts and lists read from YAML, before validation, so that
the schema checks the final result once.

Paths look like ``audience.population``, ``ngos[compatriot_union].skim_rate``
(a list item by its id), ``shocks[0].date`` (by position),
``intermediaries[*].integrity`` (every item), ``shocks[type=host_policy].stance``
(every item whose field ``type`` is ``host_policy``) or
``shocks[media_control=*].media_control`` (every item that gives ``media_control``).
"""

from __future__ import annotations

import copy
import re
from typing import Any

import yaml

from sim.scenario.errors import Problem, did_you_mean
from sim.scenario.safe_yaml import load_text

_TOKEN = re.compile(r"([^.\[\]]+)|\[([^\[\]]*)\]")


def deep_merge(base: Any, over: Any) -> Any:
    """Merge ``over`` onto ``base`` and return the result (inputs are not modified).

    Mappings merge key by key. Lists whose items all carry an ``id`` merge item by
    item (matching ids merge, new ids are appended); an empty list, or any other
    list, replaces the base list. Anything else in ``over`` replaces ``base``.

    Args:
        base: The base document (or part of it).
        over: What to lay over it.

    Returns:
        The merged document.
    """
    if isinstance(base, dict) and isinstance(over, dict):
        # Copy what is not overridden too: the result shares nothing with the inputs,
        # so overrides applied to it later cannot reach back into a base document.
        out = {
            k: deep_merge(v, over[k]) if k in over else copy.deepcopy(v) for k, v in base.items()
        }
        out.update({k: copy.deepcopy(v) for k, v in over.items() if k not in base})
        return out
    if _is_id_list(base) and _is_id_list(over) and over:
        merged = [copy.deepcopy(item) for item in base]
        index = {item["id"]: n for n, item in enumerate(merged)}
        for item in over:
            if item["id"] in index:
                n = index[item["id"]]
                merged[n] = deep_merge(merged[n], item)
            else:
                merged.append(copy.deepcopy(item))
        return merged
    return copy.deepcopy(over)


def _is_id_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(i, dict) and "id" in i for i in value)


def parse_path(path: str) -> list[str | tuple[str]]:
    """Split ``a.b[x].c`` into ``['a', 'b', ('x',), 'c']`` (bracketed parts as 1-tuples).

    Args:
        path: A field path.

    Returns:
        The tokens.

    Raises:
        ValueError: If the path is empty or malformed.
    """
    tokens: list[str | tuple[str]] = []
    pos = 0
    while pos < len(path):
        if path[pos] == "." and tokens and pos + 1 < len(path):
            pos += 1
        m = _TOKEN.match(path, pos)
        if not m:
            raise ValueError(f"malformed path '{path}' at character {pos + 1}")
        key, selector = m.groups()
        tokens.append(key if key is not None else (selector,))
        pos = m.end()
    if not tokens or not isinstance(tokens[0], str):
        raise ValueError(f"malformed path '{path}'")
    return tokens


def apply_override(doc: dict[str, Any], assignment: str) -> list[Problem]:
    """Apply one ``path=value`` assignment to ``doc`` in place.

    The value is read as a YAML scalar or flow collection (``0.3``, ``true``,
    ``2025-06-30``, ``[a, b]``), with the same safe loader and limits as files (an
    impossible date stays text, for the schema to refuse). Missing mapping keys are
    created, so a field left at its default can be set; the schema then checks the result.

    Args:
        doc: The raw scenario document.
        assignment: Text of the form ``path=value``.

    Returns:
        Problems with the assignment (empty when it was applied).
    """
    path, sep, text = _split_assignment(assignment)
    path = path.strip()
    if not sep or not path:
        return [Problem("--set", f"expected PATH=VALUE, found '{assignment}'")]
    try:
        tokens = parse_path(path)
    except ValueError as exc:
        return [Problem(f"--set {path}", str(exc))]
    try:
        value = load_text(text) if text.strip() else ""
    except yaml.YAMLError as exc:
        what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        shown = text.strip()
        if len(shown) > 60:
            shown = f"{shown[:60]}... ({len(shown):,} characters)"
        return [Problem(f"--set {path}", f"value '{shown}' is not valid YAML: {what}")]
    problems: list[Problem] = []
    _assign(doc, tokens, value, path, problems)
    return problems


def _split_assignment(assignment: str) -> tuple[str, str, str]:
    """Split ``path=value`` at the first ``=`` outside brackets (``[type=x]`` is a path)."""
    depth = 0
    for n, char in enumerate(assignment):
        if char == "[":
            depth += 1
        elif char == "]":
            depth = max(0, depth - 1)
        elif char == "=" and depth == 0:
            return assignment[:n], "=", assignment[n + 1 :]
    return assignment.partition("=")  # unbalanced brackets: the path is reported malformed


def _assign(node: Any, tokens: list, value: Any, path: str, problems: list[Problem]) -> None:
    head, rest = tokens[0], tokens[1:]
    if isinstance(head, tuple):
        if not isinstance(node, list):
            problems.append(Problem(f"--set {path}", f"'[{head[0]}]' applies to a list only"))
            return
        targets = select_items(node, head[0], path, problems)
        for n in targets:
            if rest:
                _assign(node[n], rest, value, path, problems)
            else:
                node[n] = copy.deepcopy(value)
        return
    if isinstance(node, list):
        problems.append(
            Problem(
                f"--set {path}",
                f"cannot find '{head}' in a list: select items with [id], [index] or [*] first",
            )
        )
        return
    if not isinstance(node, dict):
        found = type(node).__name__ if node is not None else "nothing"
        problems.append(
            Problem(f"--set {path}", f"cannot find '{head}': parent is not a mapping ({found})")
        )
        return
    if not rest:
        node[head] = copy.deepcopy(value)
        return
    if head not in node:
        if isinstance(rest[0], tuple):
            problems.append(
                Problem(f"--set {path}", f"no list '{head}' here{did_you_mean(head, node)}")
            )
            return
        node[head] = {}
    _assign(node[head], rest, value, path, problems)


def select_items(items: list, selector: str, path: str, problems: list[Problem]) -> list[int]:
    """Positions of the items a bracketed selector picks; problems if it picks none.

    Args:
        items: The list.
        selector: ``*``, an id, a position, ``field=value`` or ``field=*``.
        path: The whole path, for messages.
        problems: Where problems are added.

    Returns:
        The positions, in list order.
    """
    if selector == "*":
        return list(range(len(items)))
    if "=" in selector:
        return _select_where(items, selector, path, problems)
    ids = [i.get("id") for i in items if isinstance(i, dict)]
    if selector in ids:
        return [ids.index(selector)]
    if selector.isdigit():
        if int(selector) < len(items):
            return [int(selector)]
        problems.append(
            Problem(f"--set {path}", f"no item [{selector}]: the list has {len(items)} item(s)")
        )
        return []
    hint = did_you_mean(selector, [i for i in ids if isinstance(i, str)])
    problems.append(Problem(f"--set {path}", f"no item with id '{selector}'{hint}"))
    return []


def _select_where(items: list, selector: str, path: str, problems: list[Problem]) -> list[int]:
    """Items whose field equals a value (``[type=host_policy]``) or is given (``[f=*]``)."""
    key, _, wanted = (part.strip() for part in selector.partition("="))
    chosen = [
        n
        for n, item in enumerate(items)
        if isinstance(item, dict)
        and item.get(key) is not None
        and (wanted == "*" or _as_text(item[key]) == wanted)
    ]
    if not chosen:
        what = f"a field '{key}'" if wanted == "*" else f"{key} = {wanted}"
        found = sorted({_as_text(i.get(key)) for i in items if isinstance(i, dict) and key in i})
        shown = f"; found {', '.join(found)}" if found and wanted != "*" else ""
        problems.append(Problem(f"--set {path}", f"no item with {what}{shown}"))
    return chosen


def _as_text(value: Any) -> str:
    """A scalar as written in YAML (``true``, ``0.8``, ``host_policy``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def read_path(doc: Any, path: str) -> tuple[list[Any], list[Problem]]:
    """The values a field path selects in a document (``[*]`` selects every item).

    Args:
        doc: A scenario document (for defaults too, a validated scenario's ``model_dump()``).
        path: A field path as in ``--set``.

    Returns:
        The values found, and the problems of a path that selects nothing.
    """
    try:
        tokens = parse_path(path)
    except ValueError as exc:
        return [], [Problem(path, str(exc))]
    nodes, problems = [doc], []
    for token in tokens:
        found = []
        for node in nodes:
            if isinstance(token, tuple):
                if isinstance(node, list):
                    found += [node[n] for n in select_items(node, token[0], path, problems)]
                else:
                    problems.append(Problem(path, f"'[{token[0]}]' applies to a list only"))
            elif isinstance(node, dict) and token in node:
                found.append(node[token])
            else:
                keys = node if isinstance(node, dict) else []
                problems.append(
                    Problem(path, f"no field '{token}' here{did_you_mean(token, keys)}")
                )
        nodes = found
    return nodes, [Problem(p.path.removeprefix("--set "), p.message) for p in problems]


def yaml_text(value: Any) -> str:
    """The value as one line of YAML that reads back as the same value.

    Raises:
        ValueError: If it does not read back equal (NaN, for one).
    """
    text = yaml.safe_dump(value, default_flow_style=True, width=10**9, sort_keys=False).strip()
    text = text.removesuffix("...").strip()
    if yaml.safe_load(text) != value:
        raise ValueError(f"value {value!r} cannot be written as YAML")
    return text


def assignment(path: str, value: Any) -> str:
    """The ``path=value`` text that sets ``path`` to ``value`` (as ``--set`` would).

    Raises:
        ValueError: If the value cannot be written as YAML.
    """
    return f"{path}={yaml_text(value)}"
