"""The host state: filters foreign reach, bans activities, closes outlets."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING

import mesa
from pydantic import Field

from sim.model.fields import Opinion, Share, Strict
from sim.model.kinds import ActorKind, Section, register_actor

if TYPE_CHECKING:
    from sim.model.model import InfluenceModel


class HostStateSpec(Strict):
    """The host government, filtering foreign influence."""

    media_control: Share = Field(
        default=0.5, description="Share of foreign outlets' reach the state filters out."
    )
    ngo_restriction: Share = Field(
        default=0.2, description="Share of NGO activities' reach the state filters out."
    )
    stance: Opinion = Field(
        default=0.0,
        description="Official stance toward the funder's country; state media pull "
        "opinions toward it.",
    )
    state_media_pull_per_year: Share = Field(
        default=0.1, description="Yearly rate at which state media pull opinions to the stance."
    )


class HostState(mesa.Agent):
    """The government of the audience's country.

    It filters a share of foreign outlets' reach (``media_control``) and of NGO
    activities' reach (``ngo_restriction``); its state media pull opinions toward
    its ``stance``. Shocks change these, ban activity types for a period, restrict
    or shut outlets and detain staff.

    Attributes:
        media_control: Share of foreign outlets' reach filtered out.
        ngo_restriction: Share of NGO activities' reach filtered out.
        stance: Official stance toward the funder's country, on [-1, 1].
        state_media_pull_per_year: Yearly pull of state media toward the stance.
        bans: Activity id -> last day of its ban.
        detained: People detained so far.
    """

    def __init__(self, model: InfluenceModel, spec: HostStateSpec) -> None:
        super().__init__(model)
        self.media_control = spec.media_control
        self.ngo_restriction = spec.ngo_restriction
        self.stance = spec.stance
        self.state_media_pull_per_year = spec.state_media_pull_per_year
        self.bans: dict[str, dt.date] = {}
        self.detained = 0

    def change_policy(self, **values: float | None) -> list[str]:
        """Set the given controls (``media_control``, ``ngo_restriction``, ``stance``).

        Values that are None are left as they are.

        Returns:
            ``name=value`` for each control changed, in the order given.
        """
        changed = []
        for name, value in values.items():
            if value is not None:
                setattr(self, name, value)
                changed.append(f"{name}={value:g}")
        return changed

    def record_detentions(self, people: int) -> None:
        """Count people its security services detained."""
        self.detained += people

    def ban(self, activity: str, until: dt.date) -> None:
        """Ban an activity type until (and including) a date."""
        self.bans[activity] = max(until, self.bans.get(activity, until))

    def is_banned(self, activity: str, date: dt.date) -> bool:
        """Whether an activity type is banned on a date."""
        until = self.bans.get(activity)
        return until is not None and date <= until

    def allowed(self, activities: Iterable[str], date: dt.date) -> list[str]:
        """The activity types among ``activities`` not banned on a date, in order."""
        if not self.bans:
            return list(activities)
        return [a for a in activities if not self.is_banned(a, date)]


HOST_STATE = register_actor(
    ActorKind(
        name="host_state",
        label="host state",
        role="host",
        agent=HostState,
        sections=(
            Section(
                "host_state",
                HostStateSpec,
                Field(
                    default_factory=HostStateSpec,
                    description="The host government's controls and stance.",
                ),
            ),
        ),
    )
)
