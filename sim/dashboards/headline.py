"""Headline numbers of a run: the money, the influence and what it cost.

Everything is computed from the saved results, so the dashboard and the comparison
table agree with the manifest. "Additional favourable people" scales the attributable
favourable share (actual minus no-spending counterfactual) to the real population the
simulation stands for. The cost per additional favourable person divides the money
disbursed by the additional favourable people averaged over every step of the run:
a programme that buys a few people briefly gets a high cost, one that buys none an
infinite cost. Each of these numbers is defined once, in :mod:`sim.quantities`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sim.dashboards.load import RunData
from sim.quantities import (
    additional_favourable_people,
    cost_per_additional_person,
    share_of_disbursed,
)


@dataclass(frozen=True)
class Headline:
    """One run's headline numbers.

    Attributes:
        budget_usd: What the funders planned to spend.
        disbursed_usd: What they paid out.
        leaked_share: Share of the disbursed money kept along the chain.
        for_show_share: Share spent on events done for the report.
        substantive_share: Share spent on substantive work and outlet operations.
        unspent_share: Share still held by intermediaries, NGOs and outlets at the end.
        final_opinion: Mean opinion at the last step (-1 to +1).
        counterfactual_final_opinion: The same without any spending.
        attributable_final: Actual minus counterfactual mean opinion, last step.
        attributable_mean: The same, averaged over all steps.
        reported_final: The influence the funder was told it bought, last step.
        additional_people_final: Additional favourable real people, last step.
        additional_people_mean: The same, averaged over all steps.
        cost_per_additional_person: ``disbursed_usd / additional_people_mean``;
            infinite when no additional people were bought on average, NaN when
            nothing was disbursed.
        real_population: Real people the simulated audience stands for.
    """

    budget_usd: float
    disbursed_usd: float
    leaked_share: float
    for_show_share: float
    substantive_share: float
    unspent_share: float
    final_opinion: float
    counterfactual_final_opinion: float
    attributable_final: float
    attributable_mean: float
    reported_final: float
    additional_people_final: float
    additional_people_mean: float
    cost_per_additional_person: float
    real_population: int

    def as_dict(self) -> dict[str, float]:
        """The numbers as a plain dictionary."""
        return asdict(self)


#: Plain-language names and units of the headline numbers, for tables.
LABELS = {
    "disbursed_usd": "Money disbursed (USD)",
    "leaked_usd": "Money leaked (USD)",
    "leaked_share": "Leaked (share of disbursed)",
    "for_show_share": "Spent for show (share)",
    "substantive_share": "Spent on substantive work (share)",
    "unspent_share": "Unspent at the end (share)",
    "final_opinion": "Mean opinion at the end (-1 to +1)",
    "attributable_final": "Attributable influence at the end (opinion points)",
    "attributable_mean": "Attributable influence, average over the run (opinion points)",
    "reported_final": "Influence reported to the funder at the end (opinion points)",
    "additional_people_mean": "Additional favourable people, average over the run",
    "cost_per_additional_person": "Cost per additional favourable person (USD)",
}


def headline(run: RunData) -> Headline:
    """Compute the headline numbers of a saved run."""
    money = run.money
    disbursed = float(money["disbursed_usd"])
    t = run.trajectories
    last = t.iloc[-1]
    pop = run.real_population
    extra = additional_favourable_people(t["attributable_favourable_share"], pop)
    extra_mean = float(extra.mean())

    def share(key: str) -> float:
        return share_of_disbursed(float(money[key]), disbursed)

    return Headline(
        budget_usd=float(money["budget_usd"]),
        disbursed_usd=disbursed,
        leaked_share=share("leaked_usd"),
        for_show_share=share("for_show_usd"),
        substantive_share=share("substantive_usd"),
        unspent_share=share("unspent_usd"),
        final_opinion=float(last["opinion_mean"]),
        counterfactual_final_opinion=float(last["counterfactual_opinion_mean"]),
        attributable_final=float(last["attributable_opinion"]),
        attributable_mean=float(t["attributable_opinion"].mean()),
        reported_final=float(last["reported_influence"]),
        additional_people_final=float(extra.iloc[-1]),
        additional_people_mean=extra_mean,
        cost_per_additional_person=cost_per_additional_person(disbursed, extra_mean),
        real_population=pop,
    )
