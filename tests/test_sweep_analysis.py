"""Analysis of stored sweeps: replicate summaries, Sobol' and Morris indices via SALib."""

from __future__ import annotations

import numpy as np
import pytest

from sim.sweep import SweepStore, aggregate, load_sweep, run_sweep, sensitivity
from tests.sweep_helpers import write_sweep

SYNTHETIC = "tests.sweep_helpers:media_control_only"
PARAMETERS = {
    "intermediaries[*].integrity": {"range": [0.1, 0.9]},
    "host_state.media_control": {"range": [0.0, 1.0]},
    "ngos[*].integrity": {"range": [0.5, 1.0]},
}


def test_sobol_total_order_is_zero_for_parameters_the_outcome_ignores(tmp_path):
    path = write_sweep(
        tmp_path,
        parameters=PARAMETERS,
        design={"type": "sobol", "samples": 32},
        replicates=1,
        metrics=[SYNTHETIC, "share_leaked"],
    )
    run_sweep(load_sweep(path), tmp_path / "out")
    table = sensitivity(tmp_path / "out", SYNTHETIC).set_index("parameter")
    assert table.loc["host_state.media_control", "ST"] > 0.8
    assert table.loc["host_state.media_control", "S1"] > 0.5
    others = table.drop(index="host_state.media_control")
    assert (others["ST"].abs() < 0.05).all()
    assert (table["ST_conf"] >= 0).all() and table["ST_conf"].notna().all()
    # A real outcome: media control does not move money, so it explains no leakage.
    leak = sensitivity(tmp_path / "out", "share_leaked").set_index("parameter")
    assert leak.loc["intermediaries[*].integrity", "ST"] > 0.3
    assert abs(leak.loc["host_state.media_control", "ST"]) < 0.05


def test_morris_mu_star_is_zero_for_parameters_the_outcome_ignores(tmp_path):
    path = write_sweep(
        tmp_path,
        parameters=PARAMETERS,
        design={"type": "morris", "samples": 6},
        replicates=1,
        metrics=[SYNTHETIC],
    )
    run_sweep(load_sweep(path), tmp_path / "out")
    table = sensitivity(tmp_path / "out", SYNTHETIC).set_index("parameter")
    # f = c^2 + c/2 on [0, 1]: every elementary effect is positive, about 1.5 on average.
    assert 1.0 < table.loc["host_state.media_control", "mu_star"] < 2.0
    assert (
        table.loc["host_state.media_control", "mu"]
        == table.loc["host_state.media_control", "mu_star"]
    )
    others = table.drop(index="host_state.media_control")
    assert (others[["mu_star", "sigma"]] == 0).all().all()


def test_sensitivity_needs_a_complete_sampled_design(tmp_path):
    run_sweep(load_sweep(write_sweep(tmp_path)), tmp_path / "grid")
    with pytest.raises(ValueError, match="need a random, lhs, sobol or morris design, not grid"):
        sensitivity(tmp_path / "grid", "final_opinion")
    path = write_sweep(
        tmp_path, parameters=PARAMETERS, design={"type": "sobol", "samples": 2}, replicates=1
    )
    sweep = load_sweep(path)
    run_sweep(sweep, tmp_path / "sobol")
    store = SweepStore(tmp_path / "sobol")
    for p in (tmp_path / "sobol" / "summary").iterdir():
        p.unlink()  # as if nothing had run yet
    with pytest.raises(ValueError, match="no finite mean at 10 of 10 points"):
        sensitivity(store, "final_opinion")
    with pytest.raises(ValueError, match="was not recorded"):
        sensitivity(store, "peak_opinion")


def test_aggregate_summarises_replicates_per_point(tmp_path):
    run_sweep(load_sweep(write_sweep(tmp_path, replicates=5)), tmp_path / "out")
    summary = SweepStore(tmp_path / "out").read_summary()
    table = aggregate(tmp_path / "out", interval=0.9)
    assert table["point_id"].tolist() == [0, 1, 2, 3]
    assert (table["runs"] == 5).all() and (table["failed"] == 0).all()
    for point, rows in summary.groupby("point_id"):
        values = rows["final_opinion"].to_numpy()
        got = table.loc[point]
        assert got["final_opinion_mean"] == pytest.approx(values.mean())
        assert got["final_opinion_low"] == pytest.approx(np.quantile(values, 0.05))
        assert got["final_opinion_high"] == pytest.approx(np.quantile(values, 0.95))
        assert got["host_state.media_control"] == rows["host_state.media_control"].iloc[0]
    assert (table["final_opinion_low"] < table["final_opinion_high"]).all()


RANKED = "tests.sweep_helpers:ranked_outcome"


@pytest.mark.parametrize("design", ["lhs", "random"])
def test_rbd_fast_ranks_parameters_of_a_known_function(tmp_path, design):
    # 4 i + 2 c^2 with i, c uniform on [0, 1]: S1 = 0.79 (i), 0.21 (c), 0 (the third).
    params = {
        "intermediaries[*].integrity": {"range": [0.0, 1.0]},
        "host_state.media_control": {"range": [0.0, 1.0]},
        "ngos[*].integrity": {"range": [0.5, 1.0]},
    }
    path = write_sweep(
        tmp_path,
        parameters=params,
        design={"type": design, "samples": 160},
        replicates=1,
        metrics=[RANKED],
    )
    run_sweep(load_sweep(path), tmp_path / "out", workers=1)
    table = sensitivity(tmp_path / "out", RANKED).set_index("parameter")
    assert list(table.columns) == ["S1", "S1_conf"]
    s1 = table["S1"]
    assert s1.idxmax() == "intermediaries[*].integrity"
    assert 0.6 < s1["intermediaries[*].integrity"] < 0.95
    assert 0.05 < s1["host_state.media_control"] < 0.4
    assert abs(s1["ngos[*].integrity"]) < 0.15
    assert (table["S1_conf"] > 0).all() and (table["S1_conf"] < 0.4).all()
    # The interval covers the true value for the two parameters that matter.
    for name, true in (("intermediaries[*].integrity", 0.79), ("host_state.media_control", 0.21)):
        assert abs(s1[name] - true) <= table.loc[name, "S1_conf"] * 1.5


def test_rbd_fast_needs_enough_points(tmp_path):
    path = write_sweep(
        tmp_path,
        parameters={"host_state.media_control": {"range": [0.0, 1.0]}},
        design={"type": "lhs", "samples": 8},
        replicates=1,
        metrics=[RANKED],
    )
    run_sweep(load_sweep(path), tmp_path / "out", workers=1)
    with pytest.raises(ValueError, match="need at least 16 points; this design has 8"):
        sensitivity(tmp_path / "out", RANKED)
