"""The historical baseline reproduces the case's headline; counterfactuals move as they should.

Tolerances (stated in docs/ODD.md): "near zero" means the attributable opinion shift,
averaged over 2007-2024, is below 0.005 on the [-1, 1] scale (a quarter of a percent
of the scale) and the attributable favourable share below one percentage point.
"""

import pandas as pd
import pytest

from sim.run import simulate
from sim.scenario import load_scenario
from tests.conftest import SCENARIOS

PROGRAMME = ("2007-01-01", "2024-11-01")


def run(name: str):
    scenario = load_scenario(SCENARIOS / f"{name}.yaml")
    return simulate(scenario)


@pytest.fixture(scope="module")
def baseline():
    return run("azerbaijan_2005_2025")


@pytest.fixture(scope="module")
def clean():
    return run("clean_money")


def programme_mean(t: pd.DataFrame, column: str) -> float:
    rows = t[(t["date"] >= PROGRAMME[0]) & (t["date"] <= PROGRAMME[1])]
    return float(rows[column].mean())


def test_about_100_million_disbursed_mostly_leaked_or_for_show(baseline):
    m = baseline.money
    assert 95e6 <= m.disbursed / 100 <= 105e6
    lost = (m.leaked + m.for_show) / m.disbursed
    assert lost >= 0.75, f"only {lost:.0%} leaked or spent for show"
    assert m.leaked > m.for_show > 0


def test_attributable_influence_near_zero(baseline):
    t = baseline.trajectories
    assert abs(programme_mean(t, "attributable_opinion")) < 0.005
    assert abs(programme_mean(t, "attributable_favourable_share")) < 0.01
    assert abs(t["attributable_opinion"].iloc[-1]) < 0.005


def test_reports_claim_far_more_than_was_achieved(baseline):
    t = baseline.trajectories
    assert t["reported_influence"].iloc[-1] > 5 * programme_mean(t, "attributable_opinion")


def test_favourability_falls_after_the_2024_2025_shocks(baseline):
    t = baseline.trajectories.set_index("date")
    before, after = t.loc["2024-11-01"], t.iloc[-1]
    assert before["opinion_mean"] - after["opinion_mean"] > 0.15
    assert after["favourable_share"] < before["favourable_share"]


def test_clean_money_buys_clearly_more_influence(baseline, clean):
    base = programme_mean(baseline.trajectories, "attributable_opinion")
    honest = programme_mean(clean.trajectories, "attributable_opinion")
    assert clean.money.leaked == 0
    assert honest >= 2.5 * base > 0
    gained = programme_mean(clean.trajectories, "attributable_favourable_share")
    assert gained > 2.5 * programme_mean(baseline.trajectories, "attributable_favourable_share")


def test_no_shocks_means_no_fall():
    t = run("no_shocks").trajectories.set_index("date")
    assert abs(t.loc["2024-11-01"]["opinion_mean"] - t.iloc[-1]["opinion_mean"]) < 0.03


def test_open_media_space_lets_more_influence_through(baseline):
    open_ = run("no_media_control").trajectories
    assert programme_mean(open_, "attributable_opinion") > 1.5 * programme_mean(
        baseline.trajectories, "attributable_opinion"
    )


def test_sputnik_shutdown_cuts_its_reach_to_zero(baseline):
    o = baseline.outlets
    sputnik = o[o["outlet"] == "sputnik_az"].set_index("date")
    assert sputnik.loc["2024-06-01", "reach_share"] > 0
    assert (sputnik.loc["2025-07-01":, "reach_share"] == 0).all()
    assert sputnik.loc["2025-12-01", "status"] == "shut"
