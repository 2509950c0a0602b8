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
    with pytest.raises(ValueError, match="need a sobol or morris design, not grid"):
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
