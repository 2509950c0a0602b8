"""Media outlets: pay running costs and reach segments, filtered by the host state."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from pydantic import Field

from sim.model.actors.holder import INTEGRITY_TEXT, Grantee
from sim.model.clock import Date
from sim.model.fields import Id, Reference, Share, Strict, Usd
from sim.model.kinds import ActorKind, Section, register_actor
from sim.model.ledger import KIND_CODES

if TYPE_CHECKING:
    from sim.model.model import InfluenceModel

SUBSTANTIVE = KIND_CODES["substantive"]


class OutletSpec(Strict):
    """A media outlet funded (partly) by the funder."""

    id: Id
    name: str = Field(default="", max_length=200, description="Display name.")
    language: str = Field(
        default="russian",
        max_length=64,
        description="Broadcast language (matched to segment languages).",
    )
    reach: dict[str, Share] = Field(
        description="Segment id -> share of the segment reached per month at full capacity "
        "(contacts scale with the step length)."
    )
    credibility: Share = Field(default=0.5, description="Source credibility.")
    persuasion: Share = Field(default=0.3, description="Persuasive strength of one contact.")
    half_life_weeks: Annotated[float, Field(gt=0.0, le=5200.0)] = Field(
        default=2.0,
        description="How long a contact's effect lasts: half-life of the exposure, in weeks (the "
        "effects of mass communication fade within weeks: Hill et al. 2013).",
    )
    running_cost_usd_per_year: Usd = Field(
        default=0.0, description="Cost of running at full capacity."
    )
    funder_dependence: Share = Field(
        default=1.0,
        description="Share of capacity that depends on the funder's money (0 = self-funded).",
    )
    integrity: Share = Field(default=1.0, description=INTEGRITY_TEXT)
    loyalty: Share = Field(default=0.5, description="Loyalty/kickbacks to the intermediary.")
    capability: Share = Field(default=0.5, description="Ability to deliver real work.")
    start: Date | None = Field(default=None, description="Date the outlet enters.")

    def references(self) -> list[Reference]:
        """The segments it reaches."""
        return [Reference("reach", "segment", tuple(self.reach), keyed=True)]


class Outlet(Grantee):
    """A media outlet such as Sputnik Azerbaijan.

    Each step its managers keep their take of the new grant (Becker, as for every
    holder) and it pays its running costs for
    the step from its balance. Its capacity is the self-funded part
    ``1 - funder_dependence`` plus the funded part in proportion to the running
    costs it could pay. Reach per segment (given per month, scaled to the step length)
    is then cut by restrictions, by the host state's media control and by the share of
    the segment following its language.

    Attributes:
        spec: The scenario's outlet entry.
        received: Cents granted this step.
        shut: True once the host state has closed it.
        restricted: True once the host state has restricted it.
        restriction: Share of reach left after restrictions.
        reach_share: Share of the whole real population reached in the last step.
        delivered: Contacts made in the last step.
        operations: The ledger code of the account its running costs go to.
        reach: Per segment reached: its delivery cell and the real people reached per
            step at full capacity.
    """

    def __init__(self, model: InfluenceModel, spec: OutletSpec) -> None:
        super().__init__(model, OUTLET.name, spec.id, spec.integrity)
        self.spec = spec
        self.shut = False
        self.restricted = False
        self.restriction = 1.0
        self.reach_share = 0.0
        self.operations = model.ledger.account(f"operations:{spec.id}")
        self.cost_per_step = round(spec.running_cost_usd_per_year * 100 * model.years)
        months = model.years * 12
        self.people = {
            seg: share
            * months
            * model.audience.real_sizes[model.segment_index[seg]]
            * model.language_share(seg, spec.language)
            for seg, share in spec.reach.items()
        }
        self.reach = tuple(
            (model.delivery_cell(seg, spec.half_life_weeks), people)
            for seg, people in self.people.items()
        )
        # Contacts a cent buys in each segment at full capacity (what reports assume).
        if self.cost_per_step:
            for seg, people in self.people.items():
                self.contacts_per_cent[model.segment_index[seg]] = people / self.cost_per_step

    @property
    def started(self) -> bool:
        """Whether its start date has come."""
        return self.spec.start is None or self.model.date >= self.spec.start

    @property
    def active(self) -> bool:
        """Whether it is on air (started, not shut, staff not detained)."""
        return self.started and not self.shut and not self.detained

    @property
    def status(self) -> str:
        """'not started', 'open', 'restricted', 'shut' or 'detained'."""
        if self.shut:
            return "shut"
        if self.detained:
            return "detained"
        if self.restricted:
            return "restricted"
        return "open" if self.started else "not started"

    def shut_down(self) -> None:
        """The host state closes it: no reach, no spending, its balance frozen."""
        self.shut = True

    def restrict(self, capacity: float) -> None:
        """The host state leaves it ``capacity`` of its reach."""
        self.restriction = capacity
        self.restricted = True

    @property
    def expected_filter(self) -> float:
        """Share of its reach left by restrictions and the host state's media control."""
        return self.restriction * (1.0 - self.model.host.media_control)

    def work(self) -> None:
        """Keep a share of the grant, pay this step's running costs, reach the audience."""
        m = self.model
        self.take_incoming()
        self.delivered = self.reach_share = 0.0
        if not self.active:
            return
        paid = min(m.ledger.held(self.code), self.cost_per_step)
        m.ledger.move(self.code, self.operations, paid, SUBSTANTIVE)
        funded = paid / self.cost_per_step if self.cost_per_step else 1.0
        dependence = self.spec.funder_dependence
        capacity = (1.0 - dependence) + dependence * funded
        factor = capacity * self.expected_filter
        self.delivered = m.deliver(self.reach, factor, self.spec.persuasion * self.spec.credibility)
        self.reach_share = self.delivered / m.spec.audience.real_population


OUTLET = register_actor(
    ActorKind(
        name="outlet",
        label="outlet",
        role="grantee",
        agent=Outlet,
        sections=(
            Section(
                "outlets",
                list[OutletSpec],
                Field(default_factory=list, description="Funded media outlets."),
                namespace="outlet",
            ),
        ),
        leak_label="Leaked: kept at outlets",
        lesson_label="News outlet (Sputnik)",
        lesson_leak_label="Kept at the outlet",
    )
)
