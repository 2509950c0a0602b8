"""Common checks run on every registered item of every extension point.

In the spirit of scikit-learn's ``parametrize_with_checks``: each registry (actor kinds,
shock kinds, peer rules, network generators, sweep designs, sweep metrics) is iterated,
and the same checks run on every item, so a new item is checked the moment it is
registered.
"""

from __future__ import annotations

import math

import mesa
import numpy as np
import pytest

from sim.dashboards.markers import KIND_TEXT
from sim.model.dynamics import PEER_RULES
from sim.model.kinds import ACTOR_KINDS, kinds_with_role
from sim.model.model import InfluenceModel
from sim.model.network import GENERATORS, build_network, neighbour_arrays
from sim.model.shocks import SHOCK_KINDS
from sim.quantities import money_flows
from sim.run import simulate
from sim.scenario import Scenario, ScenarioError
from sim.scenario.schema import NetworkSpec, PeerSpec
from sim.sweep.designs import build_design, design_size
from sim.sweep.metrics import METRICS
from sim.sweep.samplers import DESIGNS
from sim.sweep.spec import DesignSpec, SweepSpec
from tests.conftest import make_scenario
from tests.kind_examples import ACTOR_EXAMPLES, SHOCK_EXAMPLES, shock

# -- shock kinds --------------------------------------------------------------------------


def test_every_shock_kind_has_an_example():
    assert set(SHOCK_EXAMPLES) == set(SHOCK_KINDS)


def test_schema_allows_exactly_the_registered_shock_kinds():
    schema = Scenario.model_json_schema()
    shock_refs = schema["properties"]["shocks"]["items"]["discriminator"]["mapping"]
    assert set(shock_refs) == set(SHOCK_KINDS)


@pytest.mark.parametrize("kind", sorted(SHOCK_KINDS))
def test_shock_kind_applies_and_is_logged(kind):
    scenario = make_scenario({"shocks": [shock(kind)]})
    model = InfluenceModel(scenario, seed=3)
    while model.date < scenario.shocks[0].date or model.steps == 0:
        model.step()
    logged = [e for e in model.events if e["kind"] == kind]
    assert len(logged) == 1
    assert logged[0]["target"] == f"ex_{kind}"
    assert isinstance(logged[0]["detail"], str) and logged[0]["detail"]
    model.run()
    model.ledger.check_books()


@pytest.mark.parametrize("kind", sorted(SHOCK_KINDS))
def test_shock_kind_has_plain_words(kind):
    cls = SHOCK_KINDS[kind]
    assert cls.kind_text and cls.kind_text == KIND_TEXT[kind]
    assert cls.__doc__ and cls.__doc__.strip()


@pytest.mark.parametrize("kind", sorted(SHOCK_KINDS))
def test_shock_kind_references_are_checked(kind):
    scenario = make_scenario({"shocks": [shock(kind)]})
    refs = scenario.shocks[0].references()
    for ref in refs:
        value = SHOCK_EXAMPLES[kind][ref.field]
        bad = ["nope"] if isinstance(value, list) else "nope"
        with pytest.raises(ScenarioError) as caught:
            make_scenario({"shocks": [shock(kind, **{ref.field: bad})]})
        assert f"shocks[ex_{kind}].{ref.field}" in caught.value.render()
        assert "unknown" in caught.value.render()


@pytest.mark.parametrize("kind", sorted(SHOCK_KINDS))
def test_shock_kind_does_not_touch_the_counterfactual_money(kind):
    """A shock changes the world, and the no-spending twin disburses nothing after it."""
    scenario = make_scenario({"shocks": [shock(kind)]})
    result = simulate(scenario, seed=5)
    assert result.books_balance
    assert result.money.disbursed == result.money.leaked + result.money.activity + (
        result.money.unspent
    )


# -- actor kinds --------------------------------------------------------------------------


def test_every_actor_kind_has_an_example():
    assert set(ACTOR_EXAMPLES) == set(ACTOR_KINDS)


def test_registry_roles_cover_the_money_chain():
    roles = [k.role for k in ACTOR_KINDS.values()]
    assert roles == sorted(roles, key=("funder", "intermediary", "grantee", "host").index)
    assert kinds_with_role("funder") and kinds_with_role("intermediary")


@pytest.mark.parametrize("name", list(ACTOR_KINDS))
def test_actor_kind_sections_are_in_the_schema(name):
    kind = ACTOR_KINDS[name]
    for section in kind.sections:
        assert section.name in Scenario.model_fields
    assert kind.label and issubclass(kind.agent, mesa.Agent)


@pytest.mark.parametrize("name", list(ACTOR_KINDS))
def test_actor_kind_builds_one_agent_per_entry_and_balances(name):
    kind = ACTOR_KINDS[name]
    scenario = make_scenario(ACTOR_EXAMPLES[name])
    model = InfluenceModel(scenario, seed=1)
    entries = getattr(scenario, kind.section.name)
    expected = len(entries) if isinstance(entries, list) else 1
    assert expected >= 1
    assert len(model.actors[name]) == expected
    assert all(isinstance(a, kind.agent) for a in model.actors[name].values())
    assert len(model.agents_by_type[kind.agent]) == expected
    model.run()
    money = model.ledger.check_books()
    if kind.holds_money:
        assert kind.leak_label and kind.lesson_label and kind.lesson_leak_label
        accounts = {a.account for a in model.actors[name].values()}
        flows = money_flows(_ledger_frame(model))
        assert accounts & set(flows["source"]), f"no money flowed out of any {name}"
    if kind.role == "funder":
        assert money.disbursed > 0


def _ledger_frame(model):
    import pandas as pd

    rows = model.ledger.rows
    return pd.DataFrame(
        {
            "from": [r.source for r in rows],
            "to": [r.destination for r in rows],
            "kind": [r.kind for r in rows],
            "cents": [r.cents for r in rows],
        }
    )


# -- peer rules ---------------------------------------------------------------------------


def test_schema_allows_exactly_the_registered_peer_rules():
    allowed = PeerSpec.model_json_schema()["properties"]["rule"]["enum"]
    assert allowed == list(PEER_RULES)


@pytest.mark.parametrize("name", list(PEER_RULES))
def test_peer_rule_draws_do_not_depend_on_opinions(name):
    """The random stream stays aligned between a run and its counterfactual."""
    rng_graph = np.random.default_rng(0)
    adj = build_network(np.zeros(300, dtype=np.int32), 8, 0.0, "random", rng_graph)
    indptr, indices, _ = neighbour_arrays(adj)
    spec = PeerSpec(rule=name)
    states = []
    for x in (np.linspace(-1, 1, 300), np.zeros(300), np.full(300, 0.9)):
        rng = np.random.default_rng(42)
        out = PEER_RULES[name].step(x.copy(), indptr, indices, 500, rng, spec)
        assert out.shape == x.shape
        assert np.all(np.abs(out) <= 1.0)
        states.append(rng.bit_generator.state["state"]["state"])
    assert len(set(states)) == 1


@pytest.mark.parametrize("name", list(PEER_RULES))
def test_peer_rule_runs_in_the_model_and_balances(name):
    scenario = make_scenario({"audience": {"peer": {"rule": name}}})
    result = simulate(scenario, seed=2)
    assert result.books_balance
    assert np.isfinite(result.trajectories["opinion_mean"]).all()


# -- network generators -------------------------------------------------------------------


def test_schema_allows_exactly_the_registered_generators():
    allowed = NetworkSpec.model_json_schema()["properties"]["generator"]["enum"]
    assert allowed == list(GENERATORS)


@pytest.mark.parametrize("name", list(GENERATORS))
def test_generator_builds_a_simple_graph_near_the_requested_degree(name):
    seg = np.repeat(np.arange(2, dtype=np.int32), 200)
    adj = build_network(seg, 6, 0.5, name, np.random.default_rng(1))
    assert adj.shape == (400, 400)
    assert (adj != adj.T).nnz == 0 and adj.diagonal().sum() == 0
    assert abs(adj.nnz / 400 - 6) < 0.5
    assert GENERATORS[name].description


# -- sweep designs ------------------------------------------------------------------------


def _spec(design: str) -> SweepSpec:
    listed = DESIGNS[design].listed
    samples = None if design == "grid" or listed else 16  # RBD-FAST needs 16 points
    spec = SweepSpec(
        name="t",
        base="x.yaml",
        parameters={"a": {"range": [0, 1], "levels": 3}, "b": {"values": [1, 2]}},
        design=DesignSpec(type=design, samples=samples, levels=4, path="p.csv" if listed else None),
        replicates=1,
        seed=3,
    )
    if listed:  # the points a CSV file would give, as load_sweep puts them in
        points = ((0.0, 1), (0.25, 2), (1.0, 1))
        return spec.model_copy(update={"design": spec.design.model_copy(update={"points": points})})
    return spec


@pytest.mark.parametrize("name", list(DESIGNS))
def test_design_size_matches_the_points_it_makes(name):
    spec = _spec(name)
    design = build_design(spec)
    assert design.size == design_size(spec) > 0
    assert design.unit.shape == (design.size, 2)
    assert ((design.unit >= 0) & (design.unit <= 1)).all()
    assert design.values == build_design(spec).values  # same seed, same points


@pytest.mark.parametrize("name", [n for n, d in DESIGNS.items() if d.analyse is not None])
def test_sensitivity_design_gives_its_index_columns(name):
    spec = _spec(name)
    design = build_design(spec)
    y = design.unit[:, 0] * 2.0 + 0.1 * design.unit[:, 1]
    problem = {"num_vars": 2, "names": ["a", "b"], "bounds": [[0.0, 1.0]] * 2}
    si = DESIGNS[name].analyse(problem, design.unit, y, spec.design.model_dump(), 50, 0.95, 1)
    for column in DESIGNS[name].index_columns:
        assert len(si[column]) == 2


# -- sweep metrics ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_result():
    return simulate(make_scenario(), seed=4)


@pytest.mark.parametrize("name", list(METRICS))
def test_metric_returns_a_number_with_a_description(name, small_result):
    metric = METRICS[name]
    value = metric.function(small_result)
    assert isinstance(value, float)
    assert not math.isnan(value)
    assert metric.description


# -- Mesa's own tools -----------------------------------------------------------------------


def test_model_runs_under_mesa_batch_run():
    scenario = make_scenario({"time": {"end": "2020-06-30"}, "audience": {"population": 200}})
    rows = mesa.batch_run(
        InfluenceModel,
        parameters={"spec": [scenario]},
        rng=[1, 2],  # our model names it seed; batch_run passes it as such
        max_steps=100,
        number_processes=1,
        data_collection_period=-1,
        display_progress=False,
    )
    assert len(rows) == 2
    assert {r["seed"] for r in rows} == {1, 2}
    assert all(r["Step"] == 6 and r["disbursed_usd"] > 0 for r in rows)


def test_solara_reset_path_rebuilds_our_scenario():
    """SolaraViz's Reset re-creates the model from its parameters (no browser needed)."""
    from mesa.visualization import solara_viz

    scenario = make_scenario({"time": {"end": "2020-06-30"}, "audience": {"population": 200}})
    params = {"spec": scenario, "seed": 9}
    model = InfluenceModel(**params)
    model.step()
    kwargs = solara_viz._build_model_init_kwargs(
        model, params, add_scenario_when_empty=True, require_model_accepts_scenario=True
    )
    fresh = type(model)(**kwargs)
    assert fresh.spec is scenario and fresh.steps == 0
    fresh.run()
    again = InfluenceModel(**params)
    again.run()
    assert fresh.datacollector.get_model_vars_dataframe().equals(
        again.datacollector.get_model_vars_dataframe()
    )
