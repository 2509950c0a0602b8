"""Generate the field reference of ``docs/scenario-format.md`` from the schema.

The reference sits between two marker lines in the Markdown file; the prose around
it is written by hand. A test checks that the file matches the schema, and
``python -m sim.scenario.docs`` rewrites the section after a schema change.

This is a tool for the source repository, not for an installed package: it rewrites a
file of the checkout (:data:`DOC_PATH`, found next to the ``sim`` package being run,
i.e. in the checkout of an editable install). The file is deliberately not package data
(see :mod:`sim.resources`): writing into an installed package would change nothing
anyone reads. Run from an installed wheel, :func:`main` stops with a message instead.
"""

from __future__ import annotations

import enum
import sys
import types
import typing
from pathlib import Path

import annotated_types as at
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from sim.scenario.schema import Scenario

BEGIN = "<!-- BEGIN GENERATED FIELD REFERENCE: python -m sim.scenario.docs -->"
END = "<!-- END GENERATED FIELD REFERENCE -->"
#: The source checkout this module is run from (when it is one; see :func:`main`).
CHECKOUT = Path(__file__).resolve().parents[2]
#: The Markdown file whose generated section :func:`main` rewrites.
DOC_PATH = CHECKOUT / "docs" / "scenario-format.md"


def _type_name(annotation: object) -> str:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _type_name(args[0])
    if origin is typing.Literal:
        return " \\| ".join(f"`{a}`" for a in args)
    if origin in (typing.Union, types.UnionType):
        names = [_type_name(a) for a in args if a is not type(None)]
        optional = " or null" if type(None) in args else ""
        return " \\| ".join(names) + optional
    if origin is list:
        return f"list of {_type_name(args[0])}"
    if origin is dict:
        return f"map {_type_name(args[0])} → {_type_name(args[1])}"
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return " \\| ".join(f"`{m.value}`" for m in annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return f"[{annotation.__name__}](#{annotation.__name__.lower()})"
    return getattr(annotation, "__name__", str(annotation))


def _bounds(field: FieldInfo) -> str:
    parts = []
    for m in _constraints(field.metadata, field.annotation):
        for cls, attr, sign in (
            (at.Ge, "ge", "≥"),
            (at.Gt, "gt", ">"),
            (at.Le, "le", "≤"),
            (at.Lt, "lt", "<"),
        ):
            if isinstance(m, cls):
                value = getattr(m, attr)
                parts.append(f"{sign} {value:g}" if isinstance(value, float) else f"{sign} {value}")
        if isinstance(m, at.MinLen) and m.min_length:
            parts.append(f"length ≥ {m.min_length}")
        if isinstance(m, at.MaxLen):
            parts.append(f"length ≤ {m.max_length}")
    return ", ".join(parts)


def _constraints(metadata: list[object], annotation: object) -> list[object]:
    """Constraint objects of a field, including those inside Annotated type arguments."""
    found: list[object] = []
    for m in metadata:
        found += m.metadata if isinstance(m, FieldInfo) else [m]
    for arg in typing.get_args(annotation):
        found += _constraints(list(getattr(arg, "__metadata__", ())), arg)
    return found


def _default(field: FieldInfo) -> str:
    if field.is_required():
        return "**required**"
    if field.default_factory is not None:
        value = field.default_factory()
        return "(defaults)" if isinstance(value, BaseModel) else f"`{value!r}`"
    if field.default is PydanticUndefined or field.default is None:
        return "—"
    value = field.default
    return f"`{value.value if isinstance(value, enum.Enum) else value!r}`"


def _models(root: type[BaseModel]) -> list[type[BaseModel]]:
    """Every model reachable from ``root``, parents before children."""
    seen: list[type[BaseModel]] = []

    def visit(annotation: object) -> None:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if annotation not in seen:
                seen.append(annotation)
                for f in annotation.model_fields.values():
                    visit(f.annotation)
            return
        for arg in typing.get_args(annotation):
            visit(arg)

    visit(root)
    return seen


def render_reference() -> str:
    """Return the Markdown field reference for every object in the scenario format."""
    out: list[str] = []
    for model in _models(Scenario):
        out.append(f"### {model.__name__}\n")
        out.append((model.__doc__ or "").strip().splitlines()[0] + "\n")
        out.append("| field | type | default | bounds | description |")
        out.append("|---|---|---|---|---|")
        for name, field in model.model_fields.items():
            desc = (field.description or "").replace("|", "\\|")
            out.append(
                f"| `{name}` | {_type_name(field.annotation)} | {_default(field)} "
                f"| {_bounds(field)} | {desc} |"
            )
        out.append("")
    return "\n".join(out)


def replace_section(text: str, section: str) -> str:
    """Replace what lies between the markers in ``text`` with ``section``."""
    head, sep, rest = text.partition(BEGIN)
    _, sep2, tail = rest.partition(END)
    if not sep or not sep2:
        raise ValueError(f"markers not found; the file needs the lines\n{BEGIN}\n{END}")
    return f"{head}{BEGIN}\n\n{section}\n{END}{tail}"


def main() -> int:
    """Rewrite the generated section of docs/scenario-format.md.

    Returns:
        0 once the file is rewritten; 1 when ``sim`` is not run from a source checkout
        (an installed wheel), which has no such file to rewrite.
    """
    if not (CHECKOUT / "pyproject.toml").is_file() or not DOC_PATH.is_file():
        print(
            f"error: {CHECKOUT} is not a source checkout (no pyproject.toml and "
            "docs/scenario-format.md): python -m sim.scenario.docs rewrites a file of the "
            "repository, so run it from a checkout (with the editable install that setup.sh "
            "makes), not from an installed package",
            file=sys.stderr,
        )
        return 1
    text = DOC_PATH.read_text(encoding="utf-8")
    DOC_PATH.write_text(replace_section(text, render_reference()), encoding="utf-8")
    print(f"updated {DOC_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
