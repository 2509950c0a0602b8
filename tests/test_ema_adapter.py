"""The EMA Workbench adapter: a small EMA experiment on the minimal scenario.

ema-workbench is in the test extra (and the 'analysis' extra); outside CI the tests
are skipped when it is missing.
"""

from __future__ import annotations

import os
import pickle
import warnings

import numpy as np
import pytest

from sim.run import simulate
from sim.scenario.errors import ScenarioError
from sim.sweep.metrics import resolve_metric
from tests.conftest import SCENARIOS

try:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # optional back-ends it lacks
        import ema_workbench
except ImportError:
    if os.environ.get("CI"):
        raise
    pytest.skip("ema-workbench is not installed (bash setup.sh test)", allow_module_level=True)

from sim.adapters.ema import ema_model

MINIMAL = SCENARIOS / "minimal.yaml"
SMALL = ["audience.population=300"]
METRICS = ["final_attributable_opinion", "share_leaked"]
PARAMETERS = {"integrity": "intermediaries[*].integrity", "control": "host_state.media_control"}
BOUNDS = {"integrity": (0.1, 0.9), "control": (0.0, 0.9)}


def direct(model, seed, **values):
    """The metrics of one experiment, run without EMA."""
    result = simulate(model.function.scenario(**values), seed)
    return {m: resolve_metric(m).function(result) for m in METRICS}


def test_a_small_ema_experiment_runs_the_scenario(tmp_path):
    model = ema_model(MINIMAL, PARAMETERS, uncertainties=BOUNDS, overrides=SMALL, metrics=METRICS)
    assert isinstance(model, ema_workbench.Model)
    assert [u.name for u in model.uncertainties] == ["integrity", "control"]
    assert [o.name for o in model.outcomes] == METRICS
    experiments, outcomes = perform(model, 4)
    assert len(experiments) == 4
    for name, (low, high) in BOUNDS.items():
        assert experiments[name].between(low, high).all()
    assert experiments["integrity"].nunique() == 4  # Latin hypercube: all different
    for metric in METRICS:
        assert outcomes[metric].shape == (4,)
    # every outcome is what a direct run with the sampled values gives (same seed)
    for i in range(4):
        values = {n: experiments[n].iloc[i] for n in BOUNDS}
        again = direct(model, model.function.seed, **values)
        for metric in METRICS:
            assert outcomes[metric][i] == again[metric]
    # more integrity, less leaked: the parameter really reaches the scenario
    order = np.argsort(experiments["integrity"].to_numpy())
    assert np.all(np.diff(outcomes["share_leaked"][order]) < 0)
    # the same sampling seed gives the same experiments and outcomes
    experiments2, outcomes2 = perform(model, 4)
    assert experiments2[list(BOUNDS)].equals(experiments[list(BOUNDS)])
    assert all(np.array_equal(outcomes[m], outcomes2[m]) for m in METRICS)


def perform(model, n):
    return ema_workbench.perform_experiments(
        model, scenarios=n, uncertainty_sampling_kwargs={"rng": 42}
    )


def test_bounds_come_from_the_ranges_section_with_log_ranges_in_log10(tmp_path):
    scenario = tmp_path / "ranged.yaml"
    scenario.write_text(
        f"extends: {MINIMAL}\n"
        "ranges:\n"
        "  intermediaries[*].integrity: {low: 0.2, high: 0.8}\n"
        "  funders[*].budget.total_usd: {low: 100000, high: 10000000, log: true}\n",
        encoding="utf-8",
    )
    model = ema_model(
        scenario,
        ["intermediaries[*].integrity", "funders[*].budget.total_usd"],
        overrides=SMALL,
        metrics=["disbursed_usd"],
    )
    bounds = {u.name: (u.lower_bound, u.upper_bound) for u in model.uncertainties}
    assert bounds == {
        "intermediaries_integrity": (0.2, 0.8),
        "log10_funders_budget_total_usd": (5.0, 7.0),
    }
    s = model.function.scenario(intermediaries_integrity=0.3, log10_funders_budget_total_usd=6.5)
    assert s.funders[0].budget.total_usd == pytest.approx(10**6.5)
    assert s.intermediaries[0].integrity == 0.3


def test_replications_average_over_compare_style_seeds():
    model = ema_model(
        MINIMAL,
        PARAMETERS,
        uncertainties=BOUNDS,
        overrides=SMALL,
        metrics=METRICS,
        seed=5,
        replications=2,
    )
    assert isinstance(model, ema_workbench.ReplicatorModel)
    experiments, outcomes = perform(model, 2)
    values = {n: experiments[n].iloc[0] for n in BOUNDS}
    runs = [direct(model, s, **values) for s in (5, 6)]
    metric = "final_attributable_opinion"
    assert outcomes[metric][0] == pytest.approx(np.mean([r[metric] for r in runs]), rel=1e-12)
    assert runs[0][metric] != runs[1][metric]  # two seeds, two results


def test_the_function_pickles_for_multiprocessing():
    model = ema_model(MINIMAL, PARAMETERS, uncertainties=BOUNDS, overrides=SMALL, metrics=METRICS)
    clone = pickle.loads(pickle.dumps(model.function))
    assert clone == model.function


def test_bad_inputs_are_clear_errors():
    with pytest.raises(ScenarioError) as caught:
        ema_model(
            MINIMAL,
            {
                "x": "host_state.no_such_field",
                "integrity": "intermediaries[*].integrity",
                "1a": "a",
            },
            uncertainties={"y": (0, 1)},
            metrics=["no_such_metric"],
        )
    text = str(caught.value)
    assert "minimal.yaml" in text
    assert "parameters[x]" in text and "no_such_field" in text
    assert "give uncertainties['integrity'] or a ranges: entry" in text
    assert "parameters[1a]: expected a Python identifier" in text
    assert "names not among the parameters: ['y']" in text
    assert "unknown metric 'no_such_metric'" in text
    with pytest.raises(ScenarioError, match="expected low < high"):
        ema_model(MINIMAL, PARAMETERS, uncertainties={**BOUNDS, "control": (0.5, 0.5)})
