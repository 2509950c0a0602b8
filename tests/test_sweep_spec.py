"""Sweep files: validation messages, designs, distributions and seeds (nothing is run)."""

from __future__ import annotations

import numpy as np
import pytest

from sim.scenario import ScenarioError
from sim.sweep import load_sweep
from sim.sweep.designs import build_design
from sim.sweep.distributions import from_unit, grid_levels
from sim.sweep.metrics import METRICS
from sim.sweep.seeds import run_seed
from sim.sweep.spec import DesignSpec, ParameterSpec, SweepSpec
from tests.conftest import ROOT, SCENARIOS
from tests.sweep_helpers import write_sweep


def problems(tmp_path, **fields) -> list[str]:
    with pytest.raises(ScenarioError) as err:
        load_sweep(write_sweep(tmp_path, **fields))
    assert err.value.source.endswith("sweep.yaml")
    return [str(p) for p in err.value.problems]


def test_unknown_key_is_named_with_a_hint(tmp_path):
    found = problems(tmp_path, replicats=3)
    assert found == ["replicats: unknown field 'replicats' (did you mean 'replicates'?)"]


def test_parameter_key_errors_name_the_parameter(tmp_path):
    found = problems(
        tmp_path, parameters={"host_state.media_control": {"rnage": [0, 1]}}, design="random"
    )
    assert found[0] == (
        "parameters[host_state.media_control].rnage: unknown field 'rnage' (did you mean 'range'?)"
    )


def test_a_path_missing_from_the_base_is_caught_at_load(tmp_path):
    found = problems(
        tmp_path,
        parameters={
            "ngos[language_ngo].integrty": {"range": [0.5, 1], "levels": 2},
            "intermediaries[curatr].integrity": {"values": [0.5]},
        },
    )
    assert found == [
        "parameters[ngos[language_ngo].integrty]: ngos[language_ngo].integrty: unknown field "
        "'integrty' (did you mean 'integrity'?)",
        "parameters[intermediaries[curatr].integrity]: no item with id 'curatr' "
        "(did you mean 'curator'?)",
    ]


def test_values_the_scenario_refuses_are_caught_at_load(tmp_path):
    found = problems(
        tmp_path, parameters={"intermediaries[*].integrity": {"range": [0.5, 1.5], "levels": 3}}
    )
    assert len(found) == 1
    assert found[0].startswith("parameters[intermediaries[*].integrity]: value 1.5 (the upper end)")
    assert "less than or equal to 1" in found[0]


def test_a_whole_number_field_asks_for_integer(tmp_path):
    found = problems(
        tmp_path,
        parameters={"audience.population": {"range": [50, 200]}},
        design={"type": "lhs", "samples": 4},
    )
    assert "add integer: true" in found[0]
    load_sweep(
        write_sweep(
            tmp_path,
            parameters={"audience.population": {"range": [50, 200], "integer": True}},
            design={"type": "lhs", "samples": 4},
        )
    )


def test_design_rules(tmp_path):
    assert problems(tmp_path, design={"type": "sobol", "samples": 12}) == [
        "design: sobol needs samples to be a power of 2; found 12"
    ]
    assert problems(tmp_path, design={"type": "random"}) == [
        "design: a random design needs 'samples'"
    ]
    normal = {"audience.exposure.effect_per_year": {"normal": {"mean": 0.5, "sd": 0.05}}}
    assert problems(tmp_path, parameters=normal) == [
        "parameters[audience.exposure.effect_per_year]: a grid needs a range or values, "
        "not a normal distribution"
    ]
    assert (
        "truncate"
        in problems(tmp_path, parameters=normal, design={"type": "morris", "samples": 4})[0]
    )


def test_metrics_base_and_set_are_checked(tmp_path):
    assert problems(tmp_path, metrics=["final_opinon"]) == [
        "metrics[0]: unknown metric 'final_opinon' (did you mean 'final_opinion'?); "
        "or name one as module:function"
    ]
    # A module:function reference is checked for its form only: user code is imported
    # where the runs happen (a failed import is a failed run, see test_locks_and_interrupts).
    sweep = load_sweep(write_sweep(tmp_path, metrics=["tests.sweep_helpers:nothing"]))
    assert sweep.spec.metrics == ["tests.sweep_helpers:nothing"]
    assert problems(tmp_path, base="nowhere.yaml")[0].startswith("base: no such file")
    found = problems(tmp_path, set={"audience.population": 5})
    assert found[0].startswith("base: ") and "audience.population" in found[0]


def test_shipped_sweeps_load_with_the_run_counts_they_state():
    grid = load_sweep(SCENARIOS / "sweeps" / "leakage_budget_grid.yaml")
    assert (grid.points, grid.runs) == (25, 100)  # "100 runs" in the file's comment
    sobol = load_sweep(SCENARIOS / "sweeps" / "baseline_sobol.yaml")
    assert (sobol.points, sobol.runs) == (64 * (7 + 2), 576)  # "576 runs" in its comment
    assert build_design(sobol.spec).size == sobol.points


@pytest.mark.parametrize(
    ("design", "points"),
    [
        ({"type": "random", "samples": 7}, 7),
        ({"type": "lhs", "samples": 8}, 8),
        ({"type": "sobol", "samples": 8}, 8 * (3 + 2)),
        ({"type": "sobol", "samples": 8, "second_order": True}, 8 * (2 * 3 + 2)),
        ({"type": "morris", "samples": 5}, 5 * (3 + 1)),
    ],
)
def test_sampled_designs_have_the_documented_size_and_are_reproducible(tmp_path, design, points):
    params = {
        "intermediaries[*].integrity": {"range": [0.2, 0.8]},
        "host_state.media_control": {"values": [0.1, 0.5, 0.9]},
        "funders[funder].budget.total_usd": {"range": [1e5, 1e7], "log": True},
    }
    sweep = load_sweep(write_sweep(tmp_path, parameters=params, design=design))
    first, again = build_design(sweep.spec), build_design(sweep.spec)
    assert first.size == sweep.points == points
    assert first.values == again.values
    other = load_sweep(write_sweep(tmp_path, "b.yaml", parameters=params, design=design, seed=12))
    assert build_design(other.spec).values != first.values
    integrity = [v[0] for v in first.values]
    budget = [v[2] for v in first.values]
    assert min(integrity) >= 0.2 and max(integrity) <= 0.8
    assert {v[1] for v in first.values} <= {0.1, 0.5, 0.9}
    assert min(budget) >= 1e5 and max(budget) <= 1e7


def test_grid_is_every_combination_first_parameter_slowest(tmp_path):
    sweep = load_sweep(write_sweep(tmp_path))
    assert build_design(sweep.spec).values == ((0.2, 0.1), (0.2, 0.9), (0.8, 0.1), (0.8, 0.9))


def test_distributions_map_the_unit_interval():
    u = np.array([0.0, 0.5, 1.0])
    assert from_unit(ParameterSpec(range=(1.0, 100.0), log=True), u) == pytest.approx(
        [1.0, 10.0, 100.0]
    )
    assert from_unit(ParameterSpec(values=["a", "b", "c"]), np.array([0.0, 0.34, 0.99, 1.0])) == [
        "a",
        "b",
        "c",
        "c",
    ]
    assert from_unit(ParameterSpec(range=(0, 10), integer=True), u) == [0, 5, 10]
    truncated = ParameterSpec(normal={"mean": 0.5, "sd": 1.0}, truncate=(0.0, 1.0))
    x = from_unit(truncated, np.linspace(0, 1, 101))
    assert min(x) == 0.0 and max(x) == 1.0 and x[50] == pytest.approx(0.5)
    tri = from_unit(ParameterSpec(triangular={"low": 0, "mode": 0.2, "high": 1}), u)
    assert tri[0] == 0 and tri[2] == 1 and 0.2 < tri[1] < 0.5
    assert grid_levels(ParameterSpec(range=(0, 3), integer=True), 7)[0] == [0, 1, 2, 3]


def test_yaml_exponents_without_sign_are_numbers():
    assert ParameterSpec(values=["2.0e7", "x"]).values == [2.0e7, "x"]


def test_run_seeds_depend_on_root_point_and_replicate_only():
    common = [run_seed(5, p, r) for p in range(3) for r in range(2)]
    assert common[0] == common[2] == common[4] and common[0] != common[1]  # same r, any point
    independent = {run_seed(5, p, r, common=False) for p in range(3) for r in range(2)}
    assert len(independent) == 6
    assert run_seed(5, 0, 0) != run_seed(6, 0, 0)
    assert all(0 <= s < 2**63 for s in independent)


def test_docs_describe_every_field_and_metric():
    text = (ROOT / "docs" / "sweeps.md").read_text(encoding="utf-8")
    for model in (SweepSpec, ParameterSpec, DesignSpec):
        for name in model.model_fields:
            assert f"| `{name}" in text, f"{model.__name__}.{name} missing from docs/sweeps.md"
    for name in METRICS:
        assert f"| `{name}`" in text, f"metric {name} missing from docs/sweeps.md"
