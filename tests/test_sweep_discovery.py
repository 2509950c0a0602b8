"""Scenario discovery: PRIM, a classification tree and feature scores on a known box."""

from __future__ import annotations

import os
import warnings

import pytest

from sim.sweep import load_sweep, run_sweep
from sim.sweep.discovery import DiscoveryError, discover, parse_condition
from tests.sweep_helpers import write_sweep
from tests.test_dashboard_browser import assert_clean, browser, plot_data, visit  # noqa: F401

try:
    with warnings.catch_warnings():  # it warns about its own optional extras
        warnings.simplefilter("ignore")
        import ema_workbench  # noqa: F401  (the optional extra 'analysis')
except ImportError:
    if os.environ.get("CI"):
        raise  # CI installs the test extras, which include it: fail rather than skip
    pytest.skip("the EMA Workbench is not installed (bash setup.sh test)", allow_module_level=True)

BOXED = "tests.sweep_helpers:boxed_outcome"
PARAMETERS = {
    "intermediaries[*].integrity": {"range": [0.0, 1.0]},
    "host_state.media_control": {"range": [0.0, 1.0]},
    "ngos[*].integrity": {"range": [0.5, 1.0]},
}


@pytest.fixture(scope="module")
def boxed_sweep(tmp_path_factory):
    """300 LHS points of an outcome that is 1 exactly where integrity > 0.6, control < 0.3."""
    root = tmp_path_factory.mktemp("discovery")
    path = write_sweep(
        root,
        parameters=PARAMETERS,
        design={"type": "lhs", "samples": 300},
        replicates=1,
        metrics=[BOXED, "share_leaked"],
    )
    run_sweep(load_sweep(path), root / "out", workers=1)
    return root / "out"


@pytest.fixture(scope="module")
def found(boxed_sweep):
    return discover(boxed_sweep, f"{BOXED} > 0.5")


def test_prim_finds_the_known_box(found):
    assert found.runs == 300 and 20 < found.cases < 60
    assert found.peeled == found.chosen  # both limits are significant: nothing dropped
    chosen = found.trajectory.loc[found.chosen]
    assert chosen["density"] > 0.9 and chosen["coverage"] > 0.9
    box = found.box.set_index("parameter")
    assert set(box.index) == {"intermediaries[*].integrity", "host_state.media_control"}
    assert box.loc["intermediaries[*].integrity", "low"] == pytest.approx(0.6, abs=0.05)
    assert box.loc["host_state.media_control", "high"] == pytest.approx(0.3, abs=0.05)
    # Both limits that matter are highly significant; the box's other ends are the edges.
    assert box.loc["intermediaries[*].integrity", "qp_low"] < 1e-6
    assert box.loc["host_state.media_control", "qp_high"] < 1e-6
    # The trajectory trades coverage for density, from the whole space onwards.
    first = found.trajectory.iloc[0]
    assert first["coverage"] == 1.0 and first["mass"] == 1.0
    assert found.trajectory["density"].is_monotonic_increasing


def test_the_tree_isolates_the_box(found):
    top = found.tree.iloc[0]
    assert top["share"] == 1.0 and top["cases"] == found.cases
    assert "host_state.media_control <= 0.3" in top["rule"]
    assert "intermediaries[*].integrity > 0.6" in top["rule"]
    assert found.tree_accuracy == 1.0


def test_feature_scores_rank_the_parameters_for_every_metric(found):
    scores = found.scores
    assert list(scores.columns) == [BOXED, "share_leaked"]
    assert scores[BOXED].idxmin() == "ngos[*].integrity"
    # Leakage depends on the integrity of curators and NGO leaders, not on media control.
    assert scores["share_leaked"].idxmin() == "host_state.media_control"
    assert scores.sum().to_numpy() == pytest.approx([1.0, 1.0])


def test_a_lower_coverage_or_a_given_box_can_be_chosen(boxed_sweep):
    found = discover(boxed_sweep, f"{BOXED} > 0.5", box=0)
    assert found.chosen == 0 and found.box.empty  # the whole space restricts nothing


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("share_leaked >> 1", "not of the form METRIC OP NUMBER"),
        ("__import__('os') > 1", "not of the form"),
        ("share_leakd > 0.1", "was not recorded (did you mean 'share_leaked'?)"),
        ("share_leaked > 5", "holds in none of the 300 runs"),
        ("share_leaked >= 0", "holds in all of the 300 runs"),
    ],
)
def test_bad_conditions_are_refused(boxed_sweep, text, says):
    with pytest.raises(DiscoveryError) as info:
        discover(boxed_sweep, text)
    assert says in str(info.value)


def test_conditions_parse_without_evaluating():
    c = parse_condition("  mean_attributable_opinion>=-1.5e-3 ")
    assert (c.metric, c.op, c.threshold) == ("mean_attributable_opinion", ">=", -1.5e-3)
    assert c.text == "mean_attributable_opinion >= -0.0015"


def test_the_sweep_page_shows_the_box_the_tree_and_the_scores(boxed_sweep, tmp_path):
    from sim.dashboards.sweep_dashboard import render_sweep

    html = render_sweep(boxed_sweep, condition=f"{BOXED} > 0.5").read_text(encoding="utf-8")
    assert f"Scenario discovery: where does {BOXED} &gt; 0.5 hold?" in html
    assert 'id="sweep-prim"' in html and 'id="sweep-feature-scores"' in html
    assert "quasi-p low" in html and "intermediaries[*].integrity &gt; 0.6" in html
    plain = render_sweep(boxed_sweep).read_text(encoding="utf-8")
    assert "--condition" in plain and 'id="sweep-prim"' not in plain


def test_the_cli_refuses_a_bad_condition_with_status_2(boxed_sweep, capsys):
    from sim.cli import main

    page = boxed_sweep / "dashboard.html"
    page.unlink(missing_ok=True)
    assert main(["sweep-report", str(boxed_sweep), "--condition", "share_leaked = 1"]) == 2
    assert "not of the form METRIC OP NUMBER" in capsys.readouterr().err
    assert not page.exists()  # nothing written


def test_the_discovery_page_loads_offline_in_a_browser(browser, boxed_sweep):  # noqa: F811
    from sim.dashboards.sweep_dashboard import render_sweep

    path = render_sweep(boxed_sweep, condition=f"{BOXED} > 0.5")
    page, seen = visit(browser, path)
    drawn = plot_data(page)
    assert drawn["sweep-prim"] >= 2 and drawn["sweep-feature-scores"] == 1
    assert_clean(seen)


def test_restrictions_that_are_not_significant_are_dropped(tmp_path):
    # The known box, plus one run in five meeting the condition by chance: peeling
    # through the noise nicks the ignored parameter, which simplification drops.
    noisy = "tests.sweep_helpers:noisy_boxed_outcome"
    path = write_sweep(
        tmp_path,
        parameters=PARAMETERS,
        design={"type": "lhs", "samples": 300},
        replicates=1,
        seeds="independent",
        metrics=[noisy],
    )
    run_sweep(load_sweep(path), tmp_path / "out", workers=1)
    peeled = discover(tmp_path / "out", f"{noisy} > 0.5", simplify=False)
    simple = discover(tmp_path / "out", f"{noisy} > 0.5")
    assert "ngos[*].integrity" in set(peeled.box["parameter"])
    assert set(simple.box["parameter"]) == {
        "intermediaries[*].integrity",
        "host_state.media_control",
    }
    assert simple.peeled == peeled.chosen and simple.chosen > simple.peeled
    assert (simple.trajectory.loc[simple.chosen, "step"]) == "drop"
    # Every restriction left is significant on at least one side.
    assert (simple.box[["qp_low", "qp_high"]].min(axis=1) < 0.05).all()
