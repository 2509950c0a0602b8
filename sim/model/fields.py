"""Building blocks of the scenario schema shared by the actor kinds, shocks and schema.

They live in the model package, not in :mod:`sim.scenario`, so that each actor kind and
each shock kind can declare its own scenario entry next to its behaviour without an
import cycle (:mod:`sim.scenario.schema` assembles the whole file format from them).
"""

from __future__ import annotations

from typing import Annotated, NamedTuple

from pydantic import BaseModel, ConfigDict, Field

Id = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z][A-Za-z0-9_\-]*$",
        description="Identifier: a letter, then letters, digits, '_' or '-'.",
    ),
]
Share = Annotated[float, Field(ge=0.0, le=1.0)]
Opinion = Annotated[float, Field(ge=-1.0, le=1.0)]
Usd = Annotated[float, Field(ge=0.0, le=1e13)]


class Strict(BaseModel):
    """Base for every scenario object: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Reference(NamedTuple):
    """Ids that one field of a scenario entry names, checked against a namespace.

    Attributes:
        field: The field's name within its entry (``"allocation"``).
        namespace: Where the ids must exist: an actor kind's name (``"intermediary"``),
            ``"grantee"`` (any grantee kind), ``"activity"`` or ``"segment"``.
        ids: The ids named.
        keyed: True when the field is a mapping keyed by the ids: a problem's path then
            ends with the key (``ngos[a].activities.concert``).
    """

    field: str
    namespace: str
    ids: tuple[str, ...]
    keyed: bool = False
