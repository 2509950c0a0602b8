"""Every shipped scenario loads, and the decomposition's factors apply to each."""

import pytest

from sim.decompose import combinations, decompose
from sim.resources import scenarios_folder
from sim.scenario import load_scenario

SHIPPED = sorted(
    p.relative_to(scenarios_folder()).as_posix()
    for p in scenarios_folder().rglob("*.yaml")
    if "sweeps" not in p.parts and "calibration" not in p.parts  # not scenarios
)


def test_the_shipped_scenarios_are_found():
    assert "azerbaijan_2005_2025.yaml" in SHIPPED
    assert "validation/olken_2007.yaml" in SHIPPED


@pytest.mark.parametrize("name", SHIPPED)
def test_every_factor_can_be_turned_off(name):
    scenario = load_scenario(scenarios_folder() / name)
    combos = combinations(scenario)
    assert len(combos) == 16
    budgets = [[f.budget for f in s.funders] for s in combos.values()]
    assert all(b == budgets[0] for b in budgets)  # the same money in every combination


def test_the_minimal_scenario_decomposes_exactly():
    scenario = load_scenario(scenarios_folder() / "minimal.yaml", ["audience.population=200"])
    table = decompose(scenario, seeds=[1]).table
    final = table[table["metric"] == "final_attributable_opinion"].set_index("term")["value"]
    parts = final.drop(["actual", "ideal"]).sum()
    assert parts == pytest.approx(final["ideal"] - final["actual"], abs=1e-12)
    assert final["shocks"] == 0.0  # the minimal scenario has no shocks
