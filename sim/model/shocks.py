"""Dated events: one class per shock kind, each owning its scenario entry and its effect.

A shock kind is a scenario entry (a pydantic model whose ``type`` names the kind) with
three methods: :meth:`ShockBase.apply` changes the running model through the actors'
own verbs and returns a sentence for the events log, :meth:`ShockBase.references`
names the ids it needs (checked when the scenario loads), and :attr:`ShockBase.kind_text`
is the kind in plain words for the pages. :data:`SHOCK_KINDS` registers them; the
scenario schema's ``shocks`` union and the dashboards' labels are built from it.

To add a shock kind, subclass :class:`ShockBase` here with ``@register_shock``.
A shock applies at the start of the step nearest to its date (:func:`shock_steps`).
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, ClassVar, Literal, Union

from pydantic import Field

from sim.model.clock import Date
from sim.model.fields import Id, Opinion, Reference, Share, Strict

if TYPE_CHECKING:
    from sim.model.model import InfluenceModel


class ShockBase(Strict):
    """What every shock has: an id, a date and an optional label."""

    id: Id
    date: Date = Field(description="Date on which the shock applies.")
    label: str = Field(default="", max_length=200, description="Short text shown in outputs.")

    #: The kind in plain words, for figures and keys.
    kind_text: ClassVar[str] = ""

    def apply(self, model: InfluenceModel) -> str:
        """Change the running model; return what happened, in one sentence."""
        raise NotImplementedError

    def references(self) -> list[Reference]:
        """The ids this shock names (checked against the scenario when it loads)."""
        return []

    def problems(self) -> list[tuple[str, str]]:
        """Problems of this shock on its own, as ``(field, message)`` pairs."""
        return []


#: Every shock kind, by its ``type`` name.
SHOCK_KINDS: dict[str, type[ShockBase]] = {}


def register_shock(cls: type[ShockBase]) -> type[ShockBase]:
    """Register a shock kind under the name its ``type`` field allows (a decorator)."""
    (name,) = cls.model_fields["type"].annotation.__args__
    if name in SHOCK_KINDS:
        raise ValueError(f"shock kind '{name}' is already registered")
    if not cls.kind_text:
        raise ValueError(f"shock kind '{name}' needs a kind_text")
    SHOCK_KINDS[name] = cls
    return cls


@register_shock
class OutletShutdown(ShockBase):
    """The host state closes an outlet: no reach, no spending, balance frozen."""

    kind_text: ClassVar[str] = "outlet shut down"
    type: Literal["outlet_shutdown"]
    outlet: str = Field(description="Outlet id.")
    detained: Annotated[int, Field(ge=0, le=1_000_000)] = Field(
        default=0, description="Staff detained."
    )

    def apply(self, model: InfluenceModel) -> str:
        """Shut the outlet and count the detentions."""
        model.actor("outlet", self.outlet).shut_down()
        model.host.record_detentions(self.detained)
        return f"{self.outlet} shut down; {self.detained} staff detained"

    def references(self) -> list[Reference]:
        """The outlet."""
        return [Reference("outlet", "outlet", (self.outlet,))]


@register_shock
class OutletRestriction(ShockBase):
    """The host state limits an outlet (e.g. withdrawn accreditation)."""

    kind_text: ClassVar[str] = "outlet restricted"
    type: Literal["outlet_restriction"]
    outlet: str = Field(description="Outlet id.")
    capacity: Share = Field(description="Share of reach left to the outlet.")

    def apply(self, model: InfluenceModel) -> str:
        """Restrict the outlet."""
        model.actor("outlet", self.outlet).restrict(self.capacity)
        return f"{self.outlet} restricted to {self.capacity:.0%} of its reach"

    def references(self) -> list[Reference]:
        """The outlet."""
        return [Reference("outlet", "outlet", (self.outlet,))]


@register_shock
class ActivityBan(ShockBase):
    """Activity types banned until a date."""

    kind_text: ClassVar[str] = "activities banned"
    type: Literal["activity_ban"]
    activities: list[str] = Field(min_length=1, description="Activity ids.")
    until: Date = Field(description="Last day of the ban.")

    def apply(self, model: InfluenceModel) -> str:
        """Ban each activity type."""
        for activity in self.activities:
            model.host.ban(activity, self.until)
        return f"banned {', '.join(self.activities)} until {self.until}"

    def references(self) -> list[Reference]:
        """The activity types."""
        return [Reference("activities", "activity", tuple(self.activities))]

    def problems(self) -> list[tuple[str, str]]:
        """A ban must not end before it starts."""
        return [("until", "the ban ends before it starts")] if self.until < self.date else []


@register_shock
class SentimentShock(ShockBase):
    """An event that shifts opinions (and predispositions) of chosen segments."""

    kind_text: ClassVar[str] = "public sentiment"
    type: Literal["sentiment"]
    segments: list[str] = Field(min_length=1, description="Segment ids, or ['all'].")
    delta: Annotated[float, Field(ge=-2.0, le=2.0)] = Field(description="Opinion shift.")

    def apply(self, model: InfluenceModel) -> str:
        """Shift the segments' opinions and predispositions."""
        ids = model.audience.segment_ids if self.segments == ["all"] else self.segments
        model.audience.shift([model.segment_index[s] for s in ids], self.delta)
        return f"opinion shift {self.delta:+g} in {', '.join(ids)}"

    def references(self) -> list[Reference]:
        """The segments, unless it is ``['all']``."""
        if self.segments == ["all"]:
            return []
        return [Reference("segments", "segment", tuple(self.segments))]


@register_shock
class HostPolicyChange(ShockBase):
    """A change in the host state's controls or stance (unset fields stay)."""

    kind_text: ClassVar[str] = "host-state policy"
    type: Literal["host_policy"]
    media_control: Share | None = Field(default=None, description="New media control.")
    ngo_restriction: Share | None = Field(default=None, description="New NGO restriction.")
    stance: Opinion | None = Field(default=None, description="New official stance.")

    def apply(self, model: InfluenceModel) -> str:
        """Change the host state's policy."""
        changed = model.host.change_policy(
            media_control=self.media_control,
            ngo_restriction=self.ngo_restriction,
            stance=self.stance,
        )
        return "host policy: " + (", ".join(changed) or "no change")


@register_shock
class BudgetChange(ShockBase):
    """Multiply a funder's remaining budget."""

    kind_text: ClassVar[str] = "budget change"
    type: Literal["budget_change"]
    funder: str = Field(description="Funder id.")
    factor: Annotated[float, Field(ge=0.0, le=100.0)] = Field(description="Multiplier.")

    def apply(self, model: InfluenceModel) -> str:
        """Rescale the funder's remaining budget."""
        model.actor("funder", self.funder).rescale_budget(self.factor)
        return f"{self.funder} budget x{self.factor:g} from now on"

    def references(self) -> list[Reference]:
        """The funder."""
        return [Reference("funder", "funder", (self.funder,))]


@register_shock
class IntermediaryReplacement(ShockBase):
    """Replace an intermediary with a new person."""

    kind_text: ClassVar[str] = "intermediary replaced"
    type: Literal["intermediary_replacement"]
    intermediary: str = Field(description="Intermediary id.")
    integrity: Share = Field(description="Integrity of the newcomer.")

    def apply(self, model: InfluenceModel) -> str:
        """Put a new person in the post."""
        model.actor("intermediary", self.intermediary).replace(self.integrity, f"shock {self.id}")
        return f"{self.intermediary} replaced (integrity {self.integrity:g})"

    def references(self) -> list[Reference]:
        """The intermediary."""
        return [Reference("intermediary", "intermediary", (self.intermediary,))]


@register_shock
class AuditDrive(ShockBase):
    """An anti-corruption drive: a higher audit probability, until a date or for good."""

    kind_text: ClassVar[str] = "audit drive"
    type: Literal["audit_drive"]
    funder: str = Field(description="Funder id.")
    audit_probability: Share = Field(description="Yearly audit probability during the drive.")
    until: Date | None = Field(default=None, description="Last day (omit: permanent).")

    def apply(self, model: InfluenceModel) -> str:
        """Start the funder's audit drive."""
        model.actor("funder", self.funder).start_audit_drive(self.audit_probability, self.until)
        until = f" until {self.until}" if self.until else ""
        return f"{self.funder} audits at {self.audit_probability:.0%}/year{until}"

    def references(self) -> list[Reference]:
        """The funder."""
        return [Reference("funder", "funder", (self.funder,))]


@register_shock
class Publication(ShockBase):
    """A funder publishes its transfers: intended recipients learn what was sent.

    After Uganda's government published school grants in newspapers, capture fell from
    about 80% to under 20% (Reinikka & Svensson 2004): theft that informed recipients
    notice carries a penalty (the funder's ``publication_deterrence``).
    """

    kind_text: ClassVar[str] = "transfers published"
    type: Literal["publication"]
    funder: str = Field(description="Funder id.")
    share: Share = Field(
        description="Share of intended recipients who learn what was sent (0 stops it)."
    )

    def apply(self, model: InfluenceModel) -> str:
        """Publish the funder's transfers."""
        model.actor("funder", self.funder).publish(self.share)
        return f"{self.funder} publishes its transfers ({self.share:.0%} of recipients informed)"

    def references(self) -> list[Reference]:
        """The funder."""
        return [Reference("funder", "funder", (self.funder,))]


@register_shock
class FunderRestructure(ShockBase):
    """The funder's department is reorganised: beliefs reset, budget and oversight change."""

    kind_text: ClassVar[str] = "funder restructured"
    type: Literal["funder_restructure"]
    funder: str = Field(description="Funder id.")
    budget_factor: Annotated[float, Field(ge=0.0, le=100.0)] = Field(
        default=1.0, description="Multiplier on the remaining budget."
    )
    audit_probability: Share | None = Field(default=None, description="New audit probability.")

    def apply(self, model: InfluenceModel) -> str:
        """Restructure the funder."""
        model.actor("funder", self.funder).restructure(self.budget_factor, self.audit_probability)
        return f"{self.funder} restructured: budget x{self.budget_factor:g}, beliefs reset"

    def references(self) -> list[Reference]:
        """The funder."""
        return [Reference("funder", "funder", (self.funder,))]


@register_shock
class StaffDetention(ShockBase):
    """Staff of an NGO or outlet detained: it stops working."""

    kind_text: ClassVar[str] = "staff detained"
    type: Literal["staff_detention"]
    target: str = Field(description="NGO or outlet id.")
    detained: Annotated[int, Field(ge=0, le=1_000_000)] = Field(
        default=1, description="People detained."
    )

    def apply(self, model: InfluenceModel) -> str:
        """Detain the grantee's staff."""
        model.grantees_by_id[self.target].detain()
        model.host.record_detentions(self.detained)
        return f"{self.detained} staff of {self.target} detained; it stops working"

    def references(self) -> list[Reference]:
        """The grantee."""
        return [Reference("target", "grantee", (self.target,))]


def shock_union() -> object:
    """The scenario schema's type of one shock: a union of the kinds tagged by ``type``."""
    return Annotated[Union[tuple(SHOCK_KINDS.values())], Field(discriminator="type")]  # noqa: UP007


def shock_steps(shocks: Sequence[ShockBase], dates: list[dt.date]) -> dict[int, list[ShockBase]]:
    """Group shocks by the index of the step that starts nearest to their date.

    A shock therefore takes effect at most half a step from its date, early or late, with
    no systematic bias toward earlier (ties go to the earlier step). Shocks of one step
    apply in date order.

    >>> days = [dt.date(2025, 6, 1), dt.date(2025, 7, 1)]
    >>> sorted(shock_steps([_dated(dt.date(2025, 6, 27))], days))
    [1]
    >>> sorted(shock_steps([_dated(dt.date(2025, 6, 10))], days))
    [0]
    """
    due: dict[int, list[ShockBase]] = {}
    for shock in sorted(shocks, key=lambda s: s.date):
        n = max(bisect.bisect_right(dates, shock.date) - 1, 0)
        if n + 1 < len(dates) and dates[n + 1] - shock.date < shock.date - dates[n]:
            n += 1
        due.setdefault(n, []).append(shock)
    return due


def _dated(date: dt.date) -> ShockBase:
    """A shock of no kind with a date (for the examples above)."""
    return ShockBase.model_construct(id="x", date=date, label="")
