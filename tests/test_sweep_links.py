"""Linked and derived sweep parameters, and their safe expression language."""

from __future__ import annotations

import copy

import pytest
import yaml

from sim.classroom.grid import FULL_GRID, LESSON_SCENARIO, point_overrides
from sim.scenario import ScenarioError, load_scenario
from sim.scenario.loader import validate_document
from sim.scenario.overrides import apply_override
from sim.sweep import SweepStore, load_sweep, run_sweep
from sim.sweep.designs import build_design
from sim.sweep.expressions import ExpressionError, parse_expression
from tests.conftest import ROOT
from tests.sweep_helpers import MINIMAL, write_sweep

BASELINE = ROOT / "scenarios" / "azerbaijan_2005_2025.yaml"


# -- the expression language ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 - keep * (1 + 0.4 * 0.03)", 1 - 0.5 * (1 + 0.4 * 0.03)),
        ("-keep ** 2", -0.25),
        ("2 ** -1", 0.5),
        ("min(keep, 0.2) + max(keep, 3, 1)", 3.2),
        ("clip(keep * 10, 0, 1)", 1.0),
        ("abs(-keep) + round(2.6) + sqrt(4) + log(exp(1))", 0.5 + 3 + 2 + 1),
        ("+keep / 4", 0.125),
    ],
)
def test_expressions_evaluate_like_arithmetic(text, expected):
    assert parse_expression(text)({"keep": 0.5}) == pytest.approx(expected, rel=1e-15)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("__import__('os')", "unknown function '__import__'"),
        ("__import__('os').system('true')", "may be called; found a call of Attribute"),
        ("keep.real", "Attribute"),
        ("keep[0]", "Subscript"),
        ("(lambda: 1)()", "found a call of Lambda"),
        ("keep if keep else 1", "IfExp"),
        ("keep > 1", "the operator Gt"),
        ("keep and 1", "the operator And"),
        ("'text'", "only numbers"),
        ("True", "only numbers"),
        ("keep % 2", "the operator Mod"),
        ("clip(keep, 0)", "clip takes 3 argument(s); found 2"),
        ("min(keep)", "min takes at least 2"),
        ("max(*keep)", "by position only"),
        ("round(keep, ndigits=2)", "by position only"),
        ("min", "is a function"),
        ("1 +", "not a valid expression"),
        ("", "non-empty"),
    ],
)
def test_expressions_outside_the_language_are_refused(text, says):
    with pytest.raises(ExpressionError) as info:
        parse_expression(text)
    assert says in str(info.value)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("1 / (keep - 0.5)", "division by zero"),
        ("log(keep - 1)", "log needs a positive number"),
        ("10 ** 10 ** 10", "too large"),
        ("(keep - 1) ** 0.5", "not a real number"),
        ("exp(1000)", "too large"),
        ("clip(keep, 1, 0)", "clip needs low <= high"),
    ],
)
def test_expressions_that_fail_say_why(text, says):
    with pytest.raises(ExpressionError) as info:
        parse_expression(text)({"keep": 0.5})
    assert says in str(info.value)


def test_expression_names_are_collected():
    assert parse_expression("base * f + g - f").names == ("base", "f", "g")


# -- linked sweeps ----------------------------------------------------------------------------

MEDIA = {
    "media": {
        "values": [0.3, 0.95],
        "sets": {"host_state.media_control": {}, "shocks[media_control=*].media_control": {}},
    }
}
MEDIA_METRICS = [
    "tests.sweep_helpers:media_control_at_start",
    "tests.sweep_helpers:media_control_after_shocks",
]


def test_a_linked_sweep_changes_media_control_before_and_after_2022_together(tmp_path):
    path = write_sweep(
        tmp_path,
        base=str(BASELINE),
        set={"audience.population": 100},
        parameters=MEDIA,
        replicates=1,
        metrics=MEDIA_METRICS,
    )
    run_sweep(load_sweep(path), tmp_path / "out", workers=1)
    summary = SweepStore(tmp_path / "out").read_summary()
    assert summary["media"].tolist() == [0.3, 0.95]
    assert summary[MEDIA_METRICS[0]].tolist() == [0.3, 0.95]
    assert summary[MEDIA_METRICS[1]].tolist() == [0.3, 0.95]  # the 2022 shock follows


def test_a_plain_path_sweep_leaves_the_2022_shock_alone(tmp_path):
    path = write_sweep(
        tmp_path,
        base=str(BASELINE),
        set={"audience.population": 100},
        parameters={"host_state.media_control": {"values": [0.3, 0.95]}},
        replicates=1,
    )
    sweep = load_sweep(path)
    texts = sweep.assignments(build_design(sweep.spec).values[0])
    assert texts == ("host_state.media_control=0.3",)


def test_scale_offset_and_base_expressions(tmp_path):
    base = yaml.safe_load(MINIMAL.read_text(encoding="utf-8"))
    base["funders"][0]["budget"] = {"yearly_usd": {2020: 100000, 2021: 300000, 2022: 50000}}
    base_path = tmp_path / "base.yaml"
    base_path.write_text(yaml.safe_dump(base), encoding="utf-8")
    params = {
        "factor": {
            "values": [0.5, 2.0],
            "sets": {
                "funders[*].budget.yearly_usd[*]": "base * factor",
                "host_state.media_control": {"scale": 0.25, "offset": 0.1},
            },
        }
    }
    path = write_sweep(
        tmp_path,
        base=str(base_path),
        parameters=params,
        derived={"intermediaries[*].integrity": "clip(1 - factor / 4, 0, 1)"},
        set={"audience.population": 100},
    )
    sweep = load_sweep(path)
    texts = sweep.assignments((2.0,))
    assert texts == (
        "funders[funder].budget.yearly_usd={2020: 200000.0, 2021: 600000.0, 2022: 100000.0}",
        "host_state.media_control=0.6",
        "intermediaries[curator].integrity=0.5",
    )
    doc = copy.deepcopy(sweep.base_doc)
    for text in texts:
        assert apply_override(doc, text) == []
    scenario = validate_document(doc, "x")
    assert scenario.funders[0].budget.yearly_usd == {2020: 200000, 2021: 600000, 2022: 100000}


def test_the_classroom_grid_sweep_file_gives_the_packs_scenarios_exactly():
    sweep = load_sweep(ROOT / "scenarios" / "sweeps" / "classroom_grid.yaml")
    design = build_design(sweep.spec)
    assert design.size == len(FULL_GRID) == 80
    assert set(design.values) == set(FULL_GRID.points())
    lesson = load_scenario(LESSON_SCENARIO)
    for values in design.values:
        doc = copy.deepcopy(sweep.base_doc)
        for text in sweep.assignments(values):
            assert apply_override(doc, text) == []
        ours = validate_document(doc, "sweep").model_dump_json()
        pack = load_scenario(LESSON_SCENARIO, point_overrides(lesson, *values)).model_dump_json()
        assert ours == pack, values  # byte for byte, dictionary order included


def _problems(tmp_path, **fields) -> str:
    path = write_sweep(tmp_path, **fields)
    with pytest.raises(ScenarioError) as info:
        load_sweep(path)
    return info.value.render()


def test_bad_links_are_reported_with_their_place(tmp_path):
    text = _problems(
        tmp_path,
        parameters={
            "keep": {"range": [0, 1], "sets": {"intermediaries[*].integrity": "1 - keep"}},
            "show": {"range": [0, 1], "sets": {"host_state.media_control": "shw * 2"}},
            "a.b": {"range": [0, 1], "sets": {}},
            "idle": {"range": [0, 1], "sets": {}},
        },
        derived={
            "ngos[*].integrity": "keep.real",
            "intermediaries[kind=nothing].integrity": "keep",
            "ngos[*].activities[*]": {"entries": {"a": "keep"}},
        },
    )
    assert "parameters[show].sets[host_state.media_control]" in text
    assert "uses 'shw', which is not a variable (did you mean 'show'?)" in text
    assert "parameters[a.b]: a variable (a parameter with 'sets') needs a name" in text
    assert "parameters[idle].sets: this variable sets nothing" in text
    assert "derived[ngos[*].integrity]" in text and "Attribute" in text
    assert "derived[intermediaries[kind=nothing].integrity]: no item with a field" not in text
    assert "derived[intermediaries[kind=nothing].integrity]: no item with kind = nothing" in text
    assert "derived[ngos[*].activities[*]]: entries set a whole mapping" in text


def test_a_misspelt_target_field_is_reported(tmp_path):
    text = _problems(
        tmp_path,
        parameters={"k": {"range": [0, 1], "sets": {"intermediaries[*].integrty": "1 - k"}}},
    )
    assert "parameters[k]: value 0 (the lower end) is not valid here" in text
    assert "intermediaries[curator].integrty: unknown field 'integrty'" in text


def test_values_a_link_makes_invalid_are_caught_at_load(tmp_path):
    text = _problems(
        tmp_path,
        parameters={"k": {"range": [0, 1], "sets": {"intermediaries[*].integrity": "1 + k"}}},
    )
    assert "parameters[k]: value 1 (the upper end) is not valid here" in text
    assert "intermediaries[curator].integrity" in text


def test_a_field_set_twice_is_an_error(tmp_path):
    text = _problems(
        tmp_path,
        parameters={
            "intermediaries[*].integrity": {"range": [0.2, 0.8]},
            "k": {"range": [0, 1], "sets": {"intermediaries[curator].integrity": {}}},
        },
    )
    assert "intermediaries[curator].integrity is also set by parameters[intermediaries[*]" in text


def test_an_expression_failing_at_a_probe_value_is_reported(tmp_path):
    text = _problems(
        tmp_path,
        parameters={"k": {"range": [0, 1], "sets": {"host_state.media_control": "1 / k"}}},
    )
    assert "parameters[k]: at 0 (the lower end)" in text and "division by zero" in text


def test_the_cli_refuses_a_bad_link_with_status_2(tmp_path, capsys):
    from sim.cli import main

    path = write_sweep(
        tmp_path,
        parameters={"k": {"range": [0, 1], "sets": {"host_state.media_control": "k +"}}},
    )
    assert main(["sweep", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "parameters[k].sets[host_state.media_control]" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_a_folder_from_before_links_resumes(tmp_path):
    import json

    from sim.sweep.store import SweepStore as Store

    path = write_sweep(tmp_path)
    run_sweep(load_sweep(path), tmp_path / "out", workers=1)
    manifest_path = tmp_path / "out" / "sweep.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    del manifest["spec"]["derived"], manifest["spec"]["design"]["path"]
    for param in manifest["spec"]["parameters"].values():
        del param["sets"]
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    report = run_sweep(load_sweep(path), tmp_path / "out", workers=1, resume=True)
    assert report.complete and report.done_before == len(Store(tmp_path / "out").read_summary())
