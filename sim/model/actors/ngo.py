"""NGOs: keep a share of each grant and spend the rest on activities from the catalogue."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, NamedTuple

from pydantic import Field

from sim.model.actors.holder import INTEGRITY_TEXT, Grantee
from sim.model.fields import Id, Reference, Share, Strict
from sim.model.kinds import ActorKind, Section, register_actor
from sim.model.ledger import KIND_CODES, CentSplitter, split_cents

if TYPE_CHECKING:
    from sim.model.model import InfluenceModel


class Sector(StrEnum):
    """NGO sectors of the reference case."""

    compatriots = "compatriots"
    youth = "youth"
    students = "students"
    education = "education"
    russian_language = "russian_language"
    culture = "culture"
    journalism = "journalism"
    border_regions = "border_regions"
    other = "other"


class ActivitySpec(Strict):
    """One kind of activity in the catalogue NGOs draw from."""

    id: Id
    name: str = Field(default="", max_length=200, description="Display name.")
    cost_usd: Annotated[float, Field(ge=0.01, le=1e10)] = Field(
        description="Cost of one event, in USD (at least one cent)."
    )
    reach: dict[str, Annotated[float, Field(ge=0.0, le=1e9)]] = Field(
        description="Segment id -> real people reached by one event."
    )
    persuasion: Share = Field(
        description="Exposure one contact adds to a person's stock (its persuasive strength)."
    )
    half_life_weeks: Annotated[float, Field(gt=0.0, le=5200.0)] = Field(
        default=4.0,
        description="How long its effect lasts: half-life of the exposure it leaves, in weeks "
        "(a reception is forgotten in weeks; a course or a camp lasts years).",
    )
    for_show: bool = Field(
        description="True for receptions, concerts and showcases done for the report "
        "('balalaika diplomacy'); False for substantive work."
    )

    def references(self) -> list[Reference]:
        """The segments it reaches."""
        return [Reference("reach", "segment", tuple(self.reach), keyed=True)]


class ActivityPlan(NamedTuple):
    """How an NGO's money for one activity turns into ledger rows and contacts.

    Attributes:
        account: The code of the ledger account its spending goes to.
        kind: The code of that spending's ledger kind (``for_show`` or ``substantive``).
        cents_per_event: What one event costs, in cents.
        persuasion: Persuasive strength of one contact (0 at a facade NGO).
        reach: Per segment reached: its delivery cell and the real people one event reaches.
    """

    account: int
    kind: int
    cents_per_event: float
    persuasion: float
    reach: tuple[tuple[int, float], ...]


class NgoSpec(Strict):
    """A local NGO or compatriot organisation receiving grants."""

    id: Id
    name: str = Field(default="", max_length=200, description="Display name.")
    sector: Sector = Field(default=Sector.other, description="Field of work.")
    genuine: bool = Field(
        default=True,
        description="False for a facade: everything it runs is for the report only "
        "(counted as for show, no persuasion).",
    )
    integrity: Share = Field(default=1.0, description=INTEGRITY_TEXT)
    loyalty: Share = Field(default=0.5, description="Loyalty/kickbacks to the intermediary.")
    capability: Share = Field(default=0.5, description="Ability to deliver real work.")
    activities: dict[str, Annotated[float, Field(gt=0.0, le=1e6, allow_inf_nan=False)]] = Field(
        min_length=1,
        description="Activity id -> relative share of spending (weights are at most 1e6).",
    )

    def references(self) -> list[Reference]:
        """The activities it runs."""
        return [Reference("activities", "activity", tuple(self.activities), keyed=True)]


class Ngo(Grantee):
    """A local NGO or compatriot organisation.

    Each step its leaders keep their take of the new grant (Becker, as for every
    holder: :attr:`~sim.model.actors.holder.MoneyHolder.take`), then it spends its whole balance
    on the activities in its mix that are not banned, in proportion to their
    weights. An event reaches real people in each segment (less what the host
    state's NGO restrictions filter out). A facade NGO runs everything for the
    report: the money counts as for show and persuades nobody.

    Attributes:
        spec: The scenario's NGO entry.
        received: Cents granted this step.
        detained: True once its staff are detained (it stops working).
        delivered: Contacts made in the last step.
        plans: Activity id -> what spending on it does (:class:`ActivityPlan`).
    """

    def __init__(self, model: InfluenceModel, spec: NgoSpec) -> None:
        super().__init__(model, NGO.name, spec.id, spec.integrity)
        self.spec = spec
        catalogue = model.activities_by_id
        total = sum(spec.activities.values())
        # Contacts a cent buys in each segment when the mix is spent as planned (what
        # reports assume), in the model's segment order.
        for a, w in spec.activities.items():
            for segment, people in catalogue[a].reach.items():
                per_cent = people / (catalogue[a].cost_usd * 100)
                self.contacts_per_cent[model.segment_index[segment]] += w / total * per_cent
        self.plans = {a: self._plan(model, catalogue[a]) for a in spec.activities}
        # Its whole mix, for the steps when nothing in it is banned (most of them).
        self._mix = list(self.plans.values())
        self._split_mix = CentSplitter(list(spec.activities.values()))

    def _plan(self, model: InfluenceModel, activity: ActivitySpec) -> ActivityPlan:
        """What spending on ``activity`` does, worked out once."""
        genuine = self.spec.genuine
        return ActivityPlan(
            account=model.ledger.account(f"activity:{activity.id}"),
            kind=KIND_CODES["substantive" if genuine and not activity.for_show else "for_show"],
            cents_per_event=activity.cost_usd * 100,
            persuasion=activity.persuasion if genuine else 0.0,
            reach=tuple(
                (model.delivery_cell(segment, activity.half_life_weeks), people)
                for segment, people in activity.reach.items()
            ),
        )

    @property
    def expected_filter(self) -> float:
        """Share of its events' reach the host state's NGO restrictions let through."""
        return 1.0 - self.model.host.ngo_restriction

    def work(self) -> None:
        """Keep a share of the grant, then spend the balance on allowed activities."""
        m = self.model
        self.take_incoming()
        self.delivered = 0.0
        balance = m.ledger.held(self.code)
        if self.detained or balance == 0:
            return
        allowed = m.host.allowed(self.spec.activities, m.date)
        if len(allowed) == len(self._mix):
            plans, parts = self._mix, self._split_mix(balance)
        elif allowed:
            plans = [self.plans[a] for a in allowed]
            parts = split_cents(balance, [self.spec.activities[a] for a in allowed])
        else:
            return
        filter_ = self.expected_filter
        move = m.ledger.move
        delivered = 0.0
        for (account, kind, cents_per_event, persuasion, reach), cents in zip(
            plans, parts, strict=True
        ):
            move(self.code, account, cents, kind)
            delivered += m.deliver(reach, cents / cents_per_event * filter_, persuasion)
        self.delivered = delivered


NGO = register_actor(
    ActorKind(
        name="ngo",
        label="NGO",
        role="grantee",
        agent=Ngo,
        sections=(
            Section(
                "activities",
                list[ActivitySpec],
                Field(
                    default_factory=list, description="Catalogue of activity types NGOs can run."
                ),
                namespace="activity",
            ),
            Section(
                "ngos",
                list[NgoSpec],
                Field(default_factory=list, description="NGOs receiving grants."),
                namespace="ngo",
            ),
        ),
        leak_label="Leaked: kept by NGO leaders",
        lesson_label="Local NGOs",
        lesson_leak_label="Kept by NGO leaders",
    )
)
