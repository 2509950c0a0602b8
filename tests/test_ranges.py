"""The ranges section: plausible ranges of uncertain numbers, checked and usable by sweeps."""

import pytest

from sim.scenario import ScenarioError, load_scenario
from sim.scenario.references import range_coverage
from sim.sweep.load import load_sweep
from tests.conftest import SCENARIOS, make_scenario
from tests.sweep_helpers import write_sweep

BASELINE = SCENARIOS / "azerbaijan_2005_2025.yaml"


def test_every_baseline_value_lies_in_its_range():
    scenario = load_scenario(BASELINE)
    assert len(scenario.ranges) >= 40
    assert range_coverage(scenario) == []


def test_every_assumed_exposure_and_chain_parameter_has_a_range():
    ranges = load_scenario(BASELINE).ranges
    for path in (
        "audience.exposure.half_saturation",
        "audience.exposure.effect_per_year",
        "intermediaries[*].integrity",
        "ngos[*].integrity",
        "funders[*].audit_deterrence",
        "funders[*].publication_deterrence",
        "outlets[sputnik_az].half_life_weeks",
    ):
        assert path in ranges, path


def test_counterfactuals_may_leave_the_baseline_ranges():
    clean = load_scenario(SCENARIOS / "clean_money.yaml")
    assert any(line.startswith("intermediaries[*].integrity") for line in range_coverage(clean))


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("ngos[*].integrty", "no field 'integrty' here (did you mean 'integrity'?)"),
        ("ngos.integrity", "no field 'integrity' here"),
        ("ngos[*].activities", "expected a number"),
    ],
)
def test_a_range_on_a_bad_path_is_refused_with_the_path(path, message):
    with pytest.raises(ScenarioError) as info:
        make_scenario({"ranges": {path: {"low": 0.0, "high": 1.0}}})
    assert f"ranges[{path}]" in info.value.render()
    assert message in info.value.render()


def test_a_range_needs_low_below_high():
    with pytest.raises(ScenarioError) as info:
        make_scenario({"ranges": {"ngos[*].integrity": {"low": 1.0, "high": 0.5}}})
    assert "needs low < high" in info.value.render()


def test_a_sweep_can_take_its_parameters_from_the_ranges(tmp_path):
    path = write_sweep(
        tmp_path,
        base=str(BASELINE),
        set={"audience.population": 200},
        parameters="from_ranges",
        design={"type": "lhs", "samples": 4},
    )
    sweep = load_sweep(path)
    ranges = load_scenario(BASELINE).ranges
    assert list(sweep.spec.parameters) == list(ranges)
    half = sweep.spec.parameters["audience.exposure.half_saturation"]
    assert half.range == (0.03, 0.5) and half.log
