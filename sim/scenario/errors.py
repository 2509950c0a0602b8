"""Errors that speak the user's language: the file, the field path, what was expected."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario.

    Attributes:
        path: Field path such as ``ngos[compatriot_union].skim_rate`` ('' for the file).
        message: What was expected and what was found.
    """

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class ScenarioError(Exception):
    """A scenario (or sweep) file that cannot be used, with every problem found.

    Attributes:
        source: The file (or other source) the problems are in.
        problems: The problems, in the order found.
    """

    def __init__(self, source: str, problems: Sequence[Problem]) -> None:
        self.source = source
        self.problems = list(problems)
        super().__init__(self.render())

    def render(self) -> str:
        """Return the message shown to users, one line per problem."""
        lines = [f"{self.source}: {len(self.problems)} problem(s)"]
        lines += [f"  - {p}" for p in self.problems]
        return "\n".join(lines)


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """Return ' (did you mean 'x'?)' for the closest candidate, or ''."""
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def format_path(parts: Sequence[str | int], raw: object) -> str:
    """Render a location as ``a.b[id].c``, naming list items by their ``id`` when they have one.

    Args:
        parts: Keys and list indices from the top of the document.
        raw: The document the location points into, used to look up item ids.

    Returns:
        The dotted path.
    """
    out = ""
    node = raw
    for part in parts:
        if part == "[key]":
            continue  # pydantic's marker of a mapping key (the key itself is the previous part)
        if isinstance(node, dict) and part not in node and node.get("type") == part:
            continue  # pydantic's tag of a tagged union: not a key of the document
        if isinstance(node, list) and isinstance(part, int):
            node = node[part] if 0 <= part < len(node) else None
            label = (
                node["id"] if isinstance(node, dict) and isinstance(node.get("id"), str) else part
            )
            out += f"[{label}]"
            continue
        node = node.get(part) if isinstance(node, dict) else None
        out += f".{part}" if out else str(part)
    return out
