"""``extends`` deep merging and ``--set path=value`` overrides."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

import pytest

from sim.scenario import ScenarioError, load_scenario
from sim.scenario.overrides import apply_override, deep_merge, parse_path

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = REPO / "scenarios"
MINIMAL = SCENARIOS / "minimal.yaml"
BASELINE = SCENARIOS / "azerbaijan_2005_2025.yaml"


def small_doc() -> dict:
    return {
        "name": "doc",
        "audience": {"population": 100, "segments": [{"id": "all", "share": 1.0}]},
        "ngos": [
            {"id": "alpha", "integrity": 0.1, "activities": {"a": 1}},
            {"id": "beta", "integrity": 0.2, "activities": {"b": 1}},
        ],
        "shocks": [],
    }


# ---------------------------------------------------------------------------- deep_merge


def test_deep_merge_mappings_recursively() -> None:
    base = {"a": 1, "b": {"c": 2, "d": {"e": 3, "f": 4}}, "keep": "x"}
    over = {"a": 10, "b": {"d": {"e": 30}, "g": 5}, "new": [1]}
    assert deep_merge(base, over) == {
        "a": 10,
        "b": {"c": 2, "d": {"e": 30, "f": 4}, "g": 5},
        "keep": "x",
        "new": [1],
    }


def test_deep_merge_id_lists_by_id() -> None:
    base = [{"id": "x", "v": 1, "w": 1}, {"id": "y", "v": 2}]
    over = [{"id": "y", "v": 20}, {"id": "z", "v": 3}, {"id": "x", "w": 10}]
    assert deep_merge(base, over) == [
        {"id": "x", "v": 1, "w": 10},
        {"id": "y", "v": 20},
        {"id": "z", "v": 3},  # new ids are appended, after the base's items
    ]


def test_deep_merge_nested_id_lists_inside_mappings() -> None:
    base = {"audience": {"segments": [{"id": "s", "share": 1.0, "opinion_mean": 0.1}]}}
    over = {"audience": {"segments": [{"id": "s", "opinion_mean": 0.5}]}}
    assert deep_merge(base, over)["audience"]["segments"] == [
        {"id": "s", "share": 1.0, "opinion_mean": 0.5}
    ]


def test_deep_merge_empty_list_replaces() -> None:
    base = {"shocks": [{"id": "a", "type": "sentiment"}]}
    assert deep_merge(base, {"shocks": []}) == {"shocks": []}


@pytest.mark.parametrize(
    ("base", "over", "expected"),
    [
        ([1, 2, 3], [4], [4]),  # plain lists replace
        ([{"id": "a"}], [{"name": "no id"}], [{"name": "no id"}]),  # over without ids
        ([{"name": "no id"}], [{"id": "a"}], [{"id": "a"}]),  # base without ids
        ({"a": 1}, 5, 5),  # a scalar replaces a mapping
        (5, {"a": 1}, {"a": 1}),  # and a mapping a scalar
        ({"a": {"b": 1}}, {"a": None}, {"a": None}),  # null replaces too
    ],
)
def test_deep_merge_replaces_what_it_cannot_merge(
    base: object, over: object, expected: object
) -> None:
    assert deep_merge(base, over) == expected


def test_deep_merge_does_not_mutate_inputs() -> None:
    base = small_doc()
    over = {"ngos": [{"id": "beta", "integrity": 0.9}, {"id": "gamma"}], "audience": {"x": 1}}
    base_copy, over_copy = copy.deepcopy(base), copy.deepcopy(over)
    merged = deep_merge(base, over)
    assert base == base_copy
    assert over == over_copy
    assert merged["ngos"][1]["integrity"] == 0.9


def test_deep_merge_result_shares_nothing_with_inputs() -> None:
    """Overrides applied to a merged document must not reach back into its base."""
    base = small_doc()
    over = {"name": "child", "ngos": [{"id": "gamma", "activities": {"c": 1}}]}
    base_copy, over_copy = copy.deepcopy(base), copy.deepcopy(over)
    merged = deep_merge(base, over)
    merged["audience"]["segments"][0]["share"] = 0.5  # untouched by over
    merged["ngos"][0]["activities"]["a"] = 99
    merged["ngos"][2]["activities"]["c"] = 99
    assert apply_override(merged, "audience.population=5") == []
    assert base == base_copy
    assert over == over_copy


# ---------------------------------------------------------------------------- parse_path


@pytest.mark.parametrize(
    ("path", "tokens"),
    [
        ("name", ["name"]),
        ("audience.population", ["audience", "population"]),
        ("ngos[compatriot_union].integrity", ["ngos", ("compatriot_union",), "integrity"]),
        ("shocks[0].date", ["shocks", ("0",), "date"]),
        ("intermediaries[*].integrity", ["intermediaries", ("*",), "integrity"]),
        ("a[x][1].b.c", ["a", ("x",), ("1",), "b", "c"]),
        ("funders[f].budget.yearly_usd.2020", ["funders", ("f",), "budget", "yearly_usd", "2020"]),
    ],
)
def test_parse_path(path: str, tokens: list) -> None:
    assert parse_path(path) == tokens


@pytest.mark.parametrize("path", ["", ".", "a.", ".a", "a..b", "a[", "a]", "a[x", "[x]", "[0].a"])
def test_parse_path_malformed(path: str) -> None:
    with pytest.raises(ValueError, match="malformed path"):
        parse_path(path)


# ---------------------------------------------------------------------------- apply_override


def test_override_by_id() -> None:
    doc = small_doc()
    assert apply_override(doc, "ngos[beta].integrity=0") == []
    assert doc["ngos"][1]["integrity"] == 0
    assert doc["ngos"][0]["integrity"] == 0.1


def test_override_by_index() -> None:
    doc = small_doc()
    assert apply_override(doc, "ngos[0].integrity=0.5") == []
    assert [n["integrity"] for n in doc["ngos"]] == [0.5, 0.2]


def test_override_wildcard() -> None:
    doc = small_doc()
    assert apply_override(doc, "ngos[*].integrity=0.3") == []
    assert [n["integrity"] for n in doc["ngos"]] == [0.3, 0.3]
    assert apply_override(doc, "ngos[*].activities.extra=2") == []
    assert [n["activities"] for n in doc["ngos"]] == [{"a": 1, "extra": 2}, {"b": 1, "extra": 2}]


def test_override_wildcard_values_are_independent() -> None:
    doc = small_doc()
    assert apply_override(doc, "ngos[*].activities={x: 1}") == []
    doc["ngos"][0]["activities"]["x"] = 5
    assert doc["ngos"][1]["activities"] == {"x": 1}


def test_override_creates_missing_keys() -> None:
    doc = small_doc()
    assert apply_override(doc, "host_state.stance=0.25") == []
    assert doc["host_state"] == {"stance": 0.25}
    assert apply_override(doc, "audience.network.mean_degree=4") == []
    assert doc["audience"]["network"] == {"mean_degree": 4}
    assert doc["audience"]["population"] == 100


def test_override_replaces_whole_item_and_list() -> None:
    doc = small_doc()
    assert apply_override(doc, "ngos[alpha]={id: alpha, activities: {z: 1}}") == []
    assert doc["ngos"][0] == {"id": "alpha", "activities": {"z": 1}}
    assert apply_override(doc, "shocks=[]") == []
    assert doc["shocks"] == []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("2025-06-30", dt.date(2025, 6, 30)),
        ("[a, b]", ["a", "b"]),
        ("{x: 1, y: [2]}", {"x": 1, "y": [2]}),
        ("true", True),
        ("0.3", 0.3),
        ("1000000", 1_000_000),
        ("null", None),
        ("'0.3'", "0.3"),
        ("hello world", "hello world"),
        ("a=b", "a=b"),  # only the first '=' separates path and value
        ("", ""),
    ],
)
def test_override_values_are_yaml(text: str, value: object) -> None:
    doc = small_doc()
    assert apply_override(doc, f"name={text}") == []
    assert doc["name"] == value
    assert type(doc["name"]) is type(value)


def test_override_path_whitespace_is_ignored() -> None:
    doc = small_doc()
    assert apply_override(doc, " audience.population = 7 ") == []
    assert doc["audience"]["population"] == 7


def test_override_unknown_id_has_hint_and_changes_nothing() -> None:
    doc = small_doc()
    before = copy.deepcopy(doc)
    problems = apply_override(doc, "ngos[bet].integrity=0")
    assert [str(p) for p in problems] == [
        "--set ngos[bet].integrity: no item with id 'bet' (did you mean 'beta'?)"
    ]
    assert doc == before


def test_override_index_out_of_range() -> None:
    (problem,) = apply_override(small_doc(), "ngos[2].integrity=0")
    assert problem.path == "--set ngos[2].integrity"
    assert "the list has 2 item(s)" in problem.message


def test_override_unknown_list_has_hint() -> None:
    (problem,) = apply_override(small_doc(), "nogs[alpha].integrity=0")
    assert problem.path == "--set nogs[alpha].integrity"
    assert "did you mean 'ngos'" in problem.message


def test_override_field_of_list_needs_selector() -> None:
    (problem,) = apply_override(small_doc(), "ngos.integrity=0")
    assert problem.path == "--set ngos.integrity"
    assert "[id], [index] or [*]" in problem.message


def test_override_through_a_scalar() -> None:
    (problem,) = apply_override(small_doc(), "audience.population.low=1")
    assert "parent is not a mapping" in problem.message
    (problem,) = apply_override(small_doc(), "name[0]=x")
    assert "applies to a list only" in problem.message


@pytest.mark.parametrize(
    ("assignment", "fragment"),
    [
        ("audience.population", "expected PATH=VALUE"),
        ("=5", "expected PATH=VALUE"),
        ("audience..population=5", "malformed path"),
        ("ngos[alpha.integrity=5", "malformed path"),
        ("[0].integrity=5", "malformed path"),
        ("name=[unclosed", "value '[unclosed' is not valid YAML"),
    ],
)
def test_override_malformed(assignment: str, fragment: str) -> None:
    doc = small_doc()
    before = copy.deepcopy(doc)
    (problem,) = apply_override(doc, assignment)
    assert problem.path.startswith("--set")
    assert fragment in problem.message
    assert doc == before


# ---------------------------------------------------------------------------- load_scenario


def test_load_with_override_takes_effect() -> None:
    assert load_scenario(MINIMAL).audience.population == 2000
    s = load_scenario(MINIMAL, ["audience.population=1234"])
    assert s.audience.population == 1234


def test_later_override_wins() -> None:
    s = load_scenario(MINIMAL, ["seed=1", "seed=2"])
    assert s.seed == 2


def test_override_a_default_field() -> None:
    s = load_scenario(MINIMAL, ["host_state.stance=-0.4", "time.step=week"])
    assert s.host_state.stance == -0.4
    assert s.host_state.media_control == 0.5  # the other fields keep their defaults
    assert s.time.step == "week"


def test_override_date_field() -> None:
    s = load_scenario(MINIMAL, ["time.end=2021-06-30"])
    assert s.time.end == dt.date(2021, 6, 30)


def test_wildcard_override_sets_all_intermediaries() -> None:
    base = load_scenario(BASELINE)
    assert len(base.intermediaries) >= 2
    assert any(i.integrity != 1 for i in base.intermediaries)
    s = load_scenario(BASELINE, ["intermediaries[*].integrity=1"])
    assert [i.integrity for i in s.intermediaries] == [1.0] * len(base.intermediaries)
    assert [i.grantees for i in s.intermediaries] == [i.grantees for i in base.intermediaries]


def test_bad_override_value_names_the_field() -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario(MINIMAL, ["ngos[language_ngo].integrity=1.5"])
    assert "minimal.yaml" in info.value.source
    assert [str(p) for p in info.value.problems] == [
        "ngos[language_ngo].integrity: Input should be less than or equal to 1; found 1.5"
    ]


def test_override_typo_gets_did_you_mean() -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario(MINIMAL, ["audience.populaton=5000"])
    (problem,) = info.value.problems
    assert problem.path == "audience.populaton"
    assert "did you mean 'population'" in problem.message


def test_override_unknown_id_is_a_scenario_error() -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario(MINIMAL, ["ngos[languge_ngo].integrity=0", "audience.population=5"])
    assert [p.path for p in info.value.problems] == ["--set ngos[languge_ngo].integrity"]
    assert "did you mean 'language_ngo'" in info.value.render()


def test_override_reference_checked_after_override() -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario(MINIMAL, ["ngos[language_ngo].activities={language_cours: 1}"])
    (problem,) = info.value.problems
    assert problem.path == "ngos[language_ngo].activities.language_cours"
    assert "did you mean 'language_course'" in problem.message


def test_override_cannot_set_extends() -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario(MINIMAL, ["extends=azerbaijan_2005_2025.yaml"])
    assert info.value.problems[0].path == "--set extends"


def test_override_applies_after_extends() -> None:
    s = load_scenario(SCENARIOS / "clean_money.yaml", ["intermediaries[curator_az].integrity=0.2"])
    by_id = {i.id: i for i in s.intermediaries}
    assert by_id["curator_az"].integrity == 0.2
    assert by_id["compatriot_council"].integrity == 1.0


def test_override_does_not_touch_the_file(tmp_path: Path) -> None:
    text = MINIMAL.read_text(encoding="utf-8")
    copy_path = tmp_path / "minimal.yaml"
    copy_path.write_text(text, encoding="utf-8")
    load_scenario(copy_path, ["audience.population=1234"])
    assert copy_path.read_text(encoding="utf-8") == text
    assert load_scenario(copy_path).audience.population == 2000


# ---------------------------------------------------------------------------- counterfactuals


def test_clean_money_resolves_over_baseline() -> None:
    base = load_scenario(BASELINE)
    clean = load_scenario(SCENARIOS / "clean_money.yaml")
    assert clean.name != base.name
    assert clean.activities == base.activities
    assert [i.id for i in clean.intermediaries] == [i.id for i in base.intermediaries]
    assert all(i.integrity == 1 for i in clean.intermediaries)
    assert all(i.grantee_choice == "capability" for i in clean.intermediaries)
    # Fields the counterfactual does not mention come from the baseline.
    assert [i.grantees for i in clean.intermediaries] == [i.grantees for i in base.intermediaries]
    assert [n.id for n in clean.ngos] == [n.id for n in base.ngos]
    assert all(n.integrity == 1 for n in clean.ngos)
    assert [n.activities for n in clean.ngos] == [n.activities for n in base.ngos]
    assert clean.shocks == base.shocks
    assert clean.funders == base.funders
    assert clean.audience == base.audience
    assert clean.seed == base.seed


def test_no_shocks_has_zero_shocks() -> None:
    base = load_scenario(BASELINE)
    none = load_scenario(SCENARIOS / "no_shocks.yaml")
    assert len(base.shocks) > 0
    assert none.shocks == []
    assert none.intermediaries == base.intermediaries
    assert none.ngos == base.ngos
    assert none.time == base.time


def test_no_media_control_merges_a_shock_by_id() -> None:
    base = load_scenario(BASELINE)
    open_media = load_scenario(SCENARIOS / "no_media_control.yaml")
    assert open_media.host_state.media_control == 0
    assert [sh.id for sh in open_media.shocks] == [sh.id for sh in base.shocks]
    merged = next(sh for sh in open_media.shocks if sh.id == "war_balancing")
    original = next(sh for sh in base.shocks if sh.id == "war_balancing")
    assert merged.media_control == 0
    assert merged.model_dump(exclude={"media_control"}) == original.model_dump(
        exclude={"media_control"}
    )


def test_items_can_be_selected_by_a_field_value_or_by_having_a_field():
    doc = {
        "shocks": [
            {"id": "a", "type": "host_policy", "stance": 0.3},
            {"id": "b", "type": "host_policy", "media_control": 0.8},
            {"id": "c", "type": "sentiment", "delta": -0.1},
        ]
    }
    assert apply_override(doc, "shocks[type=host_policy].stance=0.5") == []
    assert [s.get("stance") for s in doc["shocks"]] == [0.5, 0.5, None]
    assert apply_override(doc, "shocks[media_control=*].media_control=0.2") == []
    assert [s.get("media_control") for s in doc["shocks"]] == [None, 0.2, None]
    (problem,) = apply_override(doc, "shocks[type=policy].stance=1")
    assert "no item with type = policy; found host_policy, sentiment" in problem.message
    (problem,) = apply_override(doc, "shocks[capacity=*].capacity=1")
    assert "no item with a field 'capacity'" in problem.message
