"""The influence-gap decomposition: the factors' transformations, the Shapley split, the
files, the command line and the run dashboard's panel."""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import json
import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from sim.cli import main
from sim.decompose import (
    ACTUAL,
    COMBINATIONS_FILE,
    DECOMPOSITION_FILE,
    FACTORS,
    GAP,
    IDEAL,
    MANIFEST_FILE,
    SUMMARY_FILE,
    Decomposition,
    DecompositionError,
    combinations,
    decompose,
    factor_names,
    remove_for_show,
    shapley_values,
    summarise,
    write_table,
)
from sim.model.model import InfluenceModel
from sim.model.shocks import SHOCK_KINDS
from sim.run import simulate
from sim.scenario import Scenario, validate_document
from sim.sweep.execute import LocalProcesses
from tests.conftest import SMALL, make_scenario
from tests.kind_examples import SHOCK_EXAMPLES, shock

SEEDS = (11, 12)
#: Every shock kind once, at different dates, so every factor has something to remove.
ALL_SHOCKS = {
    "shocks": [
        shock(kind, (dt.date(2020, 2, 10) + dt.timedelta(days=20 * i)).isoformat())
        for i, kind in enumerate(sorted(SHOCK_EXAMPLES))
    ]
}
#: Audits often enough that caught people get replaced.
AUDITED = {"funders": [{**SMALL["funders"][0], "audit_probability": 1.0}]}


@pytest.fixture(scope="module")
def shocked() -> Scenario:
    return make_scenario({**ALL_SHOCKS, **AUDITED})


@pytest.fixture(scope="module")
def decomposition(shocked: Scenario) -> Decomposition:
    return decompose(shocked, SEEDS)


def flatten(value: Any, path: str = "") -> dict[str, Any]:
    """A document as ``path -> leaf value`` (list items by index)."""
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return {path: value}
    out: dict[str, Any] = {}
    for key, item in items:
        out.update(flatten(item, f"{path}.{key}" if path else str(key)))
    return out


def changed(before: Scenario, after: Scenario) -> dict[str, tuple[Any, Any]]:
    """Every leaf that differs: path -> (before, after)."""
    a, b = flatten(before.model_dump(mode="json")), flatten(after.model_dump(mode="json"))
    missing = object()
    return {
        k: (a.get(k, missing), b.get(k, missing))
        for k in a.keys() | b.keys()
        if a.get(k, missing) != b.get(k, missing)
    }


def budgets(s: Scenario) -> list[Any]:
    return [f.budget for f in s.funders]


# --- the transformations --------------------------------------------------------------------


def test_factors_are_named_described_and_ordered():
    assert factor_names() == ("leakage", "for_show", "host_filtering", "shocks")
    for f in FACTORS:
        assert f.label and len(f.description) > 20 and callable(f.remove)


def test_leakage_removal_leaks_nothing_and_changes_only_leak_fields(shocked):
    clean = FACTORS[0].remove(shocked)
    for path, (_, new) in changed(shocked, clean).items():
        field = path.rsplit(".", 1)[-1]
        assert field in {"skim_rate", "integrity", "replacement_integrity"}, path
        assert new == (0.0 if field == "skim_rate" else 1.0)
    doc = clean.model_dump(mode="json")
    for section in ("intermediaries", "ngos", "outlets"):
        for entry in doc[section]:
            assert entry.get("skim_rate", 0.0) == 0.0 and entry.get("integrity", 1.0) == 1.0
    result, before = simulate(clean, 3), simulate(shocked, 3)
    assert result.money.leaked == 0 and before.money.leaked > 0
    assert result.ledger.loc[result.ledger["kind"] == "leak", "cents"].sum() == 0
    assert budgets(clean) == budgets(shocked)
    assert result.budget_cents == before.budget_cents


def test_for_show_removal_spends_nothing_for_show(shocked):
    clean = FACTORS[1].remove(shocked)
    for path in changed(shocked, clean):
        assert path.startswith("ngos.") and (".genuine" in path or ".activities" in path), path
    assert all(n.genuine for n in clean.ngos)
    catalogue = {a.id: a for a in clean.activities}
    assert all(not catalogue[a].for_show for n in clean.ngos for a in n.activities)
    assert simulate(shocked, 3).money.for_show > 0
    result = simulate(clean, 3)
    assert result.money.for_show == 0
    assert budgets(clean) == budgets(shocked)


def replaced(changes: dict[str, Any]) -> Scenario:
    """SMALL with whole sections replaced (``make_scenario`` would merge mixes, not replace)."""
    return validate_document({**copy.deepcopy(SMALL), **copy.deepcopy(changes)}, "small")


#: SMALL with nothing but events for show in its catalogue.
ONLY_FOR_SHOW = {
    "activities": [SMALL["activities"][1]],
    "ngos": [{**n, "activities": {"party": 1}} for n in SMALL["ngos"]],
}


def test_for_show_keeps_relative_weights_or_falls_back_to_equal_weights():
    s = replaced(
        {
            "activities": [
                *SMALL["activities"],
                {
                    "id": "lecture",
                    "cost_usd": 2000,
                    "reach": {"old": 30},
                    "persuasion": 0.3,
                    "for_show": False,
                },
            ],
            "ngos": [
                {**SMALL["ngos"][0], "activities": {"course": 3, "party": 1, "lecture": 6}},
                {**SMALL["ngos"][1], "activities": {"party": 1}},
            ],
        }
    )
    clean = remove_for_show(s)
    assert clean.ngos[0].activities == {"course": 3, "lecture": 6}
    assert clean.ngos[1].activities == {"course": 1.0, "lecture": 1.0}


def test_for_show_cannot_be_removed_without_substantive_activities():
    s = replaced(ONLY_FOR_SHOW)
    with pytest.raises(DecompositionError, match="small") as info:
        remove_for_show(s)
    assert isinstance(info.value, ValueError)
    assert "substantive" in str(info.value)


def test_host_filtering_removal_filters_nothing_at_any_step(shocked):
    clean = FACTORS[2].remove(shocked)
    for path, (_, new) in changed(shocked, clean).items():
        assert path.rsplit(".", 1)[-1] in {"media_control", "ngo_restriction"}, path
        assert new == 0.0
    policies = [s for s in clean.shocks if s.type == "host_policy"]
    assert policies and all(p.stance == -0.3 for p in policies)  # the stance stays
    model = InfluenceModel(clean, 5)
    while model.running:
        model.step()
        assert model.host.media_control == 0.0 and model.host.ngo_restriction == 0.0
    assert budgets(clean) == budgets(shocked)


def test_shocks_removal_applies_no_shock(shocked):
    clean = FACTORS[3].remove(shocked)
    assert clean.shocks == [] and len(shocked.shocks) == len(SHOCK_KINDS)
    assert set(changed(shocked, clean)) == {
        p for p in flatten(shocked.model_dump(mode="json")) if p.startswith("shocks.")
    }
    events = simulate(clean, 3).events
    assert not events["kind"].isin(list(SHOCK_KINDS)).any()
    assert simulate(shocked, 3).events["kind"].isin(list(SHOCK_KINDS)).any()
    assert budgets(clean) == budgets(shocked)


def test_removals_commute_and_combinations_run_from_actual_to_ideal(shocked):
    combos = combinations(shocked)
    assert len(combos) == 16
    assert combos[frozenset()] == shocked
    for order in itertools.permutations(FACTORS):
        s = shocked
        for f in order:
            s = f.remove(s)
        assert s == combos[frozenset(factor_names())]


# --- the Shapley decomposition ---------------------------------------------------------------


def test_shapley_values_of_known_games():
    players = ["a", "b", "c"]
    subsets = [frozenset(s) for k in range(4) for s in itertools.combinations(players, k)]
    additive = {s: sum({"a": 1.0, "b": 2.0, "c": 4.0}[p] for p in s) for s in subsets}
    assert shapley_values(additive, players) == pytest.approx({"a": 1.0, "b": 2.0, "c": 4.0})
    both = {s: 1.0 if {"a", "b"} <= s else 0.0 for s in subsets}  # a and b only together
    assert shapley_values(both, players) == pytest.approx({"a": 0.5, "b": 0.5, "c": 0.0})


def test_contributions_add_up_to_the_gap_in_every_replicate(decomposition):
    t = decomposition.table
    assert list(t.columns) == ["metric", "replicate", "seed", "term", "value"]
    assert set(t["term"]) == {ACTUAL, IDEAL, *factor_names()}
    assert len(t) == len(decomposition.metrics) * len(SEEDS) * 6
    for (_, _), group in t.groupby(["metric", "replicate"]):
        v = group.set_index("term")["value"]
        gap = v[IDEAL] - v[ACTUAL]
        assert sum(v[f] for f in factor_names()) == pytest.approx(gap, rel=1e-12, abs=1e-15)
    summary = decomposition.summary()
    for _, rows in summary.groupby("metric"):
        shares = rows[rows["term"].isin(factor_names())]["share_of_gap"]
        assert shares.sum() == pytest.approx(1.0)


def test_actual_and_ideal_are_the_runs_of_those_scenarios(shocked, decomposition):
    t = decomposition.table
    first = t[(t["metric"] == "final_attributable_opinion") & (t["replicate"] == 0)]
    v = first.set_index("term")["value"]
    actual = simulate(shocked, SEEDS[0]).trajectories["attributable_opinion"].iloc[-1]
    ideal_scenario = combinations(shocked)[frozenset(factor_names())]
    ideal = simulate(ideal_scenario, SEEDS[0]).trajectories["attributable_opinion"].iloc[-1]
    assert v[ACTUAL] == actual and v[IDEAL] == ideal
    assert v[IDEAL] > v[ACTUAL]  # the ideal programme buys more


def test_a_factor_with_nothing_to_remove_gets_exactly_zero():
    d = decompose(make_scenario(), SEEDS)  # SMALL has no shocks
    shocks = d.table[d.table["term"] == "shocks"]["value"]
    assert len(shocks) == len(d.metrics) * len(SEEDS) and (shocks == 0.0).all()
    assert d.runs == 8 * len(SEEDS)  # identical combinations run once


def test_same_seeds_same_table_bytes(shocked, decomposition, tmp_path):
    again = decompose(shocked, SEEDS)
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    write_table(decomposition, a)
    write_table(again, b)
    assert (a / DECOMPOSITION_FILE).read_bytes() == (b / DECOMPOSITION_FILE).read_bytes()
    assert summarise(pd.read_csv(a / DECOMPOSITION_FILE))["term"].tolist()[-1] == GAP


def test_local_processes_give_the_same_table(shocked, decomposition):
    with LocalProcesses(2) as executor:
        parallel = decompose(shocked, SEEDS, executor)
    pd.testing.assert_frame_equal(parallel.table, decomposition.table, check_exact=True)
    pd.testing.assert_frame_equal(parallel.combinations, decomposition.combinations)


def test_bad_requests_are_refused(shocked):
    with pytest.raises(DecompositionError, match="seed"):
        decompose(shocked, [])
    with pytest.raises(DecompositionError, match="no_such_metric"):
        decompose(shocked, SEEDS, metrics=["no_such_metric"])


# --- the command line and the pages -----------------------------------------------------------


def scenario_file(tmp_path: Path, changes: dict[str, Any] | None = None) -> Path:
    doc = copy.deepcopy(SMALL)
    doc.update(copy.deepcopy(changes or {}))
    path = tmp_path / "small.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def test_cli_decompose_end_to_end(tmp_path, capsys):
    path = scenario_file(tmp_path, {**ALL_SHOCKS, "name": "<b>small</b>"})
    out = tmp_path / "dec"
    assert main(["decompose", str(path), "--replicates", "2", "--out", str(out)]) == 0
    for name in (DECOMPOSITION_FILE, SUMMARY_FILE, COMBINATIONS_FILE, MANIFEST_FILE):
        assert (out / name).is_file(), name
    printed = capsys.readouterr().out
    for f in FACTORS:
        assert f"{f.label} " in printed and "of the gap" in printed
    manifest = json.loads((out / MANIFEST_FILE).read_text(encoding="utf-8"))
    assert manifest["seeds"] == [7, 8] and manifest["replicates"] == 2
    assert [f["name"] for f in manifest["factors"]] == list(factor_names())
    assert all(f["description"] for f in manifest["factors"])
    assert manifest["versions"]["python"] and manifest["git_commit"]
    html = (out / "decomposition.html").read_text(encoding="utf-8")
    assert "Where did the influence go?" in html and "<script src" not in html
    assert "<b>small" not in html and "&lt;b&gt;small&lt;/b&gt;" in html
    summary = pd.read_csv(out / SUMMARY_FILE)
    assert set(summary["term"]) == {ACTUAL, IDEAL, GAP, *factor_names()}
    table = pd.read_csv(out / DECOMPOSITION_FILE)
    assert sorted(table["seed"].unique()) == [7, 8]


@pytest.mark.parametrize(
    "changes, args, message",
    [
        ({}, ["--set", "audience.population=-5"], "population"),
        (ONLY_FOR_SHOW, [], "substantive"),
        ({}, ["--replicates", "0"], "replicates"),
    ],
)
def test_cli_bad_input_exits_2_and_writes_nothing(tmp_path, capsys, changes, args, message):
    path = scenario_file(tmp_path, changes)
    out = tmp_path / "dec"
    assert main(["decompose", str(path), "--out", str(out), *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["small.yaml"]


def test_run_decompose_adds_the_table_and_the_panel_only(tmp_path, capsys):
    path = scenario_file(tmp_path, ALL_SHOCKS)
    plain, with_dec = tmp_path / "plain", tmp_path / "dec"
    assert main(["run", str(path), "--out", str(plain)]) == 0
    assert main(["run", str(path), "--out", str(with_dec), "--decompose"]) == 0
    assert "of the gap" in capsys.readouterr().out
    table = pd.read_csv(with_dec / DECOMPOSITION_FILE)
    assert table["replicate"].nunique() == 5 and table["seed"].iloc[0] == 7
    for name in ("trajectories", "segments", "outlets", "ledger", "events"):
        assert (plain / f"{name}.csv").read_bytes() == (with_dec / f"{name}.csv").read_bytes()
    assert not (plain / DECOMPOSITION_FILE).exists()
    page_with = (with_dec / "dashboard.html").read_text(encoding="utf-8")
    assert "Where did the influence go? (decomposition)" in page_with
    assert "Where did the influence go?" not in (plain / "dashboard.html").read_text("utf-8")
    # the run itself is the first replicate's actual programme
    trajectories = pd.read_csv(with_dec / "trajectories.csv")
    first = table[(table["metric"] == "final_attributable_opinion") & (table["replicate"] == 0)]
    assert math.isclose(
        first.set_index("term").loc[ACTUAL, "value"],
        trajectories["attributable_opinion"].iloc[-1],
        rel_tol=1e-9,
    )
