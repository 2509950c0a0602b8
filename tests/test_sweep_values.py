"""Grid levels are the decimals a person would write, in the design, the store and labels."""

from __future__ import annotations

import pandas as pd

from sim.dashboards.sweep_figures import heatmap
from sim.sweep import SweepStore, load_sweep, run_sweep
from sim.sweep.designs import build_design
from sim.sweep.distributions import grid_levels
from sim.sweep.spec import ParameterSpec
from tests.conftest import ROOT
from tests.sweep_helpers import write_sweep


def test_linear_levels_are_exact_decimals():
    values, unit = grid_levels(ParameterSpec(range=(0.3, 0.9), levels=3), 4)
    assert values == [0.3, 0.6, 0.9]
    assert unit == [0.0, 0.5, 1.0]
    assert grid_levels(ParameterSpec(range=(0.1, 0.7), levels=7), 4)[0] == [
        0.1,
        0.2,
        0.3,
        0.4,
        0.5,
        0.6,
        0.7,
    ]
    # A level without a finite decimal is the float nearest the exact fraction.
    assert grid_levels(ParameterSpec(range=(0.0, 1.0), levels=4), 4)[0][1] == 1 / 3


def test_log_levels_are_round_where_the_exact_level_is_round():
    param = ParameterSpec(range=(25_000_000, 400_000_000), log=True, levels=5)
    assert grid_levels(param, 4)[0] == [25e6, 50e6, 100e6, 200e6, 400e6]
    middle = grid_levels(ParameterSpec(range=(0.1, 1.0), log=True, levels=3), 4)[0][1]
    assert abs(middle - 0.1**0.5) < 1e-12 and len(repr(middle)) <= 14


def test_integer_levels_still_merge():
    assert grid_levels(ParameterSpec(range=(0, 3), integer=True), 7)[0] == [0, 1, 2, 3]


def test_shipped_grid_has_round_budget_levels():
    sweep = load_sweep(ROOT / "scenarios" / "sweeps" / "leakage_budget_grid.yaml")
    design = build_design(sweep.spec)
    budgets = sorted({v[1] for v in design.values})
    assert budgets == [25e6, 50e6, 100e6, 200e6, 400e6]
    assert sorted({v[0] for v in design.values}) == [0.0, 0.25, 0.5, 0.75, 1.0]


def test_stored_levels_match_the_written_decimal(tmp_path):
    params = {"intermediaries[*].integrity": {"range": [0.3, 0.9], "levels": 3}}
    path = write_sweep(tmp_path, parameters=params, replicates=1)
    run_sweep(load_sweep(path), tmp_path / "out", workers=1)
    summary = SweepStore(tmp_path / "out").read_summary()
    assert (summary["intermediaries[*].integrity"] == 0.6).sum() == 1
    design = SweepStore(tmp_path / "out").read_design().to_pandas()
    assert design["intermediaries[*].integrity"].tolist() == [0.3, 0.6, 0.9]


def test_heatmap_labels_show_the_written_levels():
    sweep = load_sweep(ROOT / "scenarios" / "sweeps" / "leakage_budget_grid.yaml")
    names = list(sweep.spec.parameters)
    points = pd.DataFrame(build_design(sweep.spec).values, columns=names)
    points["m_mean"] = range(len(points))
    fig = heatmap(points, names[1], names[0], "m")
    labels = [str(v) for v in fig.data[0].x]
    assert labels == ["25000000.0", "50000000.0", "100000000.0", "200000000.0", "400000000.0"]
    assert "99999" not in fig.to_json()


def test_morris_levels_are_clean_too(tmp_path):
    params = {
        "intermediaries[*].integrity": {"range": [0.3, 0.9]},
        "audience.population": {"range": [100, 400], "integer": True},
    }
    path = write_sweep(tmp_path, parameters=params, design={"type": "morris", "samples": 4})
    values = build_design(load_sweep(path).spec).values
    assert {v[0] for v in values} <= {0.3, 0.5, 0.7, 0.9}
    assert {v[1] for v in values} <= {100, 200, 300, 400}
    assert 0.9 in {v[0] for v in values} or 0.3 in {v[0] for v in values}
