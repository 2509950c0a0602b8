"""Bad scenario input gets a clear error and nothing else.

The corpus in ``tests/malformed/`` holds copies of ``tests/malformed/valid/base.yaml``
with one defect each. The first line of each file states what the error must say::

    # expect: <field path> | <substring of the message>

(an empty field path means a problem with the file as a whole).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest
import yaml

from sim.cli import main
from sim.scenario import ScenarioError, load_scenario, validate_document
from sim.scenario import loader as loader_module

REPO = Path(__file__).resolve().parents[1]
MALFORMED = Path(__file__).resolve().parent / "malformed"
BASE = MALFORMED / "valid" / "base.yaml"
SCENARIOS = sorted((REPO / "scenarios").glob("*.yaml"))
CORPUS = sorted(
    p for p in MALFORMED.rglob("*.yaml") if "valid" not in p.relative_to(MALFORMED).parts
)


def _id(path: Path) -> str:
    return path.relative_to(MALFORMED).as_posix()


def expectation(path: Path) -> tuple[str, str]:
    """Return (field path, message fragment) from a corpus file's header line."""
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# expect:"), f"{path.name}: first line must be '# expect: ...'"
    where, bar, fragment = first.removeprefix("# expect:").partition("|")
    assert bar and fragment.strip(), f"{path.name}: header needs '<path> | <fragment>'"
    return where.strip(), fragment.strip()


def base_doc() -> dict:
    return yaml.safe_load(BASE.read_text(encoding="utf-8"))


def write_yaml(path: Path, doc: dict) -> Path:
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


# ---------------------------------------------------------------------------- the corpus


def test_corpus_covers_enough_defects() -> None:
    assert len(CORPUS) >= 15
    assert {p.parent.name for p in CORPUS} >= {"malformed", "cycle"}
    for path in CORPUS:
        expectation(path)


def test_corpus_base_is_valid() -> None:
    """Each corpus file breaks a valid scenario, so its one error is the defect itself."""
    s = load_scenario(BASE)
    assert [n.id for n in s.ngos] == ["language_ngo", "compatriot_union"]
    assert [o.id for o in s.outlets] == ["radio"]
    assert {sh.type for sh in s.shocks} >= {
        "outlet_shutdown",
        "activity_ban",
        "sentiment",
        "budget_change",
        "intermediary_replacement",
    }


@pytest.mark.parametrize("path", CORPUS, ids=_id)
def test_malformed_file_is_refused_with_path_and_message(path: Path) -> None:
    where, fragment = expectation(path)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    err = info.value
    rendered = err.render()
    assert path.name in err.source
    assert path.name in rendered
    assert where in rendered
    assert fragment in rendered
    # One defect, one problem: no cascade of follow-on errors.
    assert len(err.problems) == 1, rendered
    (problem,) = err.problems
    assert problem.path == where
    assert fragment in problem.message
    assert "Traceback" not in rendered


@pytest.mark.parametrize("path", CORPUS, ids=_id)
def test_validate_command_reports_malformed_file(
    path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    where, fragment = expectation(path)
    assert main(["validate", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("error: ")
    assert path.name in err
    assert where in err
    assert fragment in err
    assert "Traceback" not in err


# ---------------------------------------------------------------------------- messages


def test_error_names_file_as_given(monkeypatch: pytest.MonkeyPatch) -> None:
    """Syntax and schema errors name the file the same way: as the user typed it."""
    monkeypatch.chdir(REPO)
    for name in ("invalid_yaml_syntax.yaml", "integrity_out_of_bounds.yaml"):
        given = f"tests/malformed/{name}"
        with pytest.raises(ScenarioError) as info:
            load_scenario(given)
        assert info.value.render().startswith(f"{given}: 1 problem(s)")


def test_wrong_type_says_what_was_expected_and_found() -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario(MALFORMED / "string_for_number.yaml")
    (problem,) = info.value.problems
    assert "valid number" in problem.message
    assert "found 'high'" in problem.message


def test_out_of_bounds_says_bound_and_value() -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario(MALFORMED / "integrity_out_of_bounds.yaml")
    assert str(info.value.problems[0]) == (
        "ngos[compatriot_union].integrity: Input should be less than or equal to 1; found 1.5"
    )


def test_every_problem_is_reported(tmp_path: Path) -> None:
    doc = base_doc()
    doc["ngos"][1]["integrity"] = 1.5
    doc["audience"]["population"] = "lots"
    doc["outlets"][0]["credibilty"] = 0.5
    with pytest.raises(ScenarioError) as info:
        load_scenario(write_yaml(tmp_path / "three.yaml", doc))
    paths = {p.path for p in info.value.problems}
    assert paths == {
        "ngos[compatriot_union].integrity",
        "audience.population",
        "outlets[radio].credibilty",
    }
    assert "3 problem(s)" in info.value.render()
    assert "did you mean 'credibility'" in info.value.render()


def test_shock_without_type_names_the_type_field(tmp_path: Path) -> None:
    doc = base_doc()
    del doc["shocks"][2]["type"]
    with pytest.raises(ScenarioError) as info:
        load_scenario(write_yaml(tmp_path / "untyped.yaml", doc))
    (problem,) = info.value.problems
    assert problem.path == "shocks[crash].type"
    assert "required field is missing" in problem.message
    assert "sentiment" in problem.message  # lists the types allowed


def test_bad_mapping_key_has_a_clean_path(tmp_path: Path) -> None:
    doc = base_doc()
    doc["funders"][0]["budget"] = {"yearly_usd": {"twenty": 5}}
    with pytest.raises(ScenarioError) as info:
        load_scenario(write_yaml(tmp_path / "key.yaml", doc))
    (problem,) = info.value.problems
    assert problem.path == "funders[funder].budget.yearly_usd.twenty"
    assert problem.message.startswith("invalid key: ")


def test_reference_errors_are_all_reported_with_hints(tmp_path: Path) -> None:
    doc = base_doc()
    doc["shocks"][0]["outlet"] = "radoi"
    doc["shocks"][3]["funder"] = "nobody"
    with pytest.raises(ScenarioError) as info:
        load_scenario(write_yaml(tmp_path / "refs.yaml", doc))
    msgs = {p.path: p.message for p in info.value.problems}
    assert msgs == {
        "shocks[radio_closed].outlet": "unknown outlet 'radoi' (did you mean 'radio'?)",
        "shocks[cut].funder": "unknown funder 'nobody'",
    }


# ---------------------------------------------------------------------------- safe YAML


@pytest.mark.parametrize(
    "tag",
    [
        "!!python/object/apply:os.system",
        "!!python/object/new:os.system",
        "!!python/object/apply:subprocess.call",
    ],
)
def test_python_tags_are_refused_not_executed(tmp_path: Path, tag: str) -> None:
    marker = tmp_path / "executed"
    text = BASE.read_text(encoding="utf-8").replace(
        "name: Malformed corpus base", f'name: {tag} [["touch", "{marker}"]]'
    )
    if tag.endswith("os.system"):
        text = text.replace(f'[["touch", "{marker}"]]', f'["touch {marker}"]')
    bad = tmp_path / "tagged.yaml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(bad)
    assert not marker.exists()
    (problem,) = info.value.problems
    assert problem.path == ""
    assert "line 2" in problem.message
    assert "could not determine a constructor" in problem.message


def test_duplicate_keys_are_refused_but_merge_keys_are_allowed(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario(MALFORMED / "duplicate_key.yaml")
    assert "line 38" in info.value.render()
    # An anchor merged with '<<' and then overridden is not a duplicate.
    text = BASE.read_text(encoding="utf-8")
    text = text.replace(
        "  - id: language_ngo\n    activities: {language_course: 1}\n",
        "  - &ngo\n    id: language_ngo\n    activities: {language_course: 1}\n",
    ).replace(
        "  - id: compatriot_union\n    integrity: 0.8\n    activities: {reception: 1}\n",
        "  - <<: *ngo\n    id: compatriot_union\n    integrity: 0.8\n",
    )
    merged = tmp_path / "merge.yaml"
    merged.write_text(text, encoding="utf-8")
    s = load_scenario(merged)
    assert s.ngos[1].id == "compatriot_union"
    assert dict(s.ngos[1].activities) == {"language_course": 1}


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario(tmp_path / "absent.yaml")
    assert "cannot read file" in info.value.render()
    assert "absent.yaml" in info.value.render()
    with pytest.raises(ScenarioError) as info:
        load_scenario(tmp_path)
    assert "cannot read file" in info.value.render()


def test_non_utf8_file(tmp_path: Path) -> None:
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes("name: caf\u00e9\n".encode("latin-1"))
    with pytest.raises(ScenarioError, match="not UTF-8"):
        load_scenario(bad)


# ---------------------------------------------------------------------------- extends


def test_extends_states_only_what_differs(tmp_path: Path) -> None:
    write_yaml(tmp_path / "base.yaml", base_doc())
    child = tmp_path / "child.yaml"
    child.write_text(
        "extends: base.yaml\nname: Child\nngos:\n  - {id: compatriot_union, integrity: 0}\n",
        encoding="utf-8",
    )
    s = load_scenario(child)
    base = load_scenario(tmp_path / "base.yaml")
    assert s.name == "Child"
    assert s.ngos[1].integrity == 0
    assert s.ngos[1].activities == base.ngos[1].activities
    assert s.shocks == base.shocks
    assert s.extends is None


def test_extends_chain_and_relative_paths(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    write_yaml(tmp_path / "base.yaml", base_doc())
    (tmp_path / "sub" / "middle.yaml").write_text(
        "extends: ../base.yaml\nseed: 7\n", encoding="utf-8"
    )
    (tmp_path / "top.yaml").write_text("extends: sub/middle.yaml\nname: Top\n", encoding="utf-8")
    s = load_scenario(tmp_path / "top.yaml")
    assert (s.name, s.seed) == ("Top", 7)


def test_extends_self_is_a_cycle(tmp_path: Path) -> None:
    doc = base_doc()
    doc["extends"] = "self.yaml"
    with pytest.raises(ScenarioError) as info:
        load_scenario(write_yaml(tmp_path / "self.yaml", doc))
    assert info.value.problems[0].path == "extends"
    assert "self.yaml -> self.yaml" in info.value.problems[0].message


def test_extends_must_be_a_file_name(tmp_path: Path) -> None:
    doc = base_doc()
    doc["extends"] = ["a.yaml", "b.yaml"]
    with pytest.raises(ScenarioError) as info:
        load_scenario(write_yaml(tmp_path / "list.yaml", doc))
    assert str(info.value.problems[0]) == "extends: expected a file name, found list"


def test_syntax_error_in_base_names_the_base(tmp_path: Path) -> None:
    (tmp_path / "base.yaml").write_text("name: [unclosed\n", encoding="utf-8")
    (tmp_path / "child.yaml").write_text("extends: base.yaml\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(tmp_path / "child.yaml")
    assert Path(info.value.source).name == "base.yaml"
    assert "not valid YAML" in info.value.render()


# ---------------------------------------------------------------------------- memory


def test_huge_population_refused_without_allocating() -> None:
    tracemalloc.start()
    try:
        with pytest.raises(ScenarioError) as info:
            load_scenario(MALFORMED / "population_exhausts_memory.yaml")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20 * 2**20  # far below even one byte per simulated person
    assert "100,000,000 people" in info.value.render()


def test_memory_check_uses_available_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    doc = base_doc()
    doc["audience"]["population"] = 1_000_000
    doc["audience"]["real_population"] = 10_000_000  # at least the simulated population
    doc["audience"]["network"]["mean_degree"] = 50
    monkeypatch.setattr(loader_module, "available_bytes", lambda: 2**30)
    with pytest.raises(ScenarioError) as info:
        validate_document(doc, "big.yaml")
    (problem,) = info.value.problems
    assert problem.path == "audience.population"
    assert "1,000,000 people with mean degree 50" in problem.message
    assert validate_document(doc, "big.yaml", check_memory=False).audience.population == 1_000_000
    monkeypatch.setattr(loader_module, "available_bytes", lambda: 2**40)
    assert validate_document(doc, "big.yaml").audience.population == 1_000_000


# ---------------------------------------------------------------------------- the CLI


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_validate_every_shipped_scenario(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(path)]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("ok: ")
    assert "Traceback" not in err


def test_shipped_scenarios_found() -> None:
    assert {p.name for p in SCENARIOS} >= {
        "minimal.yaml",
        "azerbaijan_2005_2025.yaml",
        "clean_money.yaml",
        "no_shocks.yaml",
    }


def test_validate_with_set(capsys: pytest.CaptureFixture[str]) -> None:
    minimal = str(REPO / "scenarios" / "minimal.yaml")
    assert main(["validate", minimal, "--set", "audience.population=1234"]) == 0
    assert "1,234 people" in capsys.readouterr().out
    assert main(["validate", minimal, "--set", "audience.population=lots"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "minimal.yaml" in err
    assert "audience.population: Input should be a valid integer" in err
    assert main(["validate", minimal, "--set", "ngos[nope].integrity=0"]) == 2
    assert "--set ngos[nope].integrity: no item with id 'nope'" in capsys.readouterr().err


def test_validate_missing_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["validate", str(tmp_path / "nope.yaml")]) == 2
    err = capsys.readouterr().err
    assert "nope.yaml" in err
    assert "cannot read file" in err


def test_schema_prints_json_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert {"name", "time", "audience", "shocks"} <= set(schema["properties"])
    assert {"name", "description", "time", "audience"} <= set(schema["required"])
    assert schema["additionalProperties"] is False  # unknown keys are errors


@pytest.mark.parametrize(
    "name", ["integrity_out_of_bounds.yaml", "population_exhausts_memory.yaml"]
)
def test_run_bad_input_creates_no_results(
    name: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)  # the default results/ folder would land here
    bad = str(MALFORMED / name)
    assert main(["run", bad, "--out", str(tmp_path / "out")]) == 2
    assert main(["run", bad]) == 2
    err = capsys.readouterr().err
    assert err.count("error: ") == 2
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def _run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(
        [sys.executable, "run_sim.py", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )


def test_run_bad_input_subprocess(tmp_path: Path) -> None:
    bad = MALFORMED / "python_object_tag.yaml"
    results = REPO / "results"
    before = set(results.iterdir()) if results.is_dir() else set()
    proc = _run_cli("run", str(bad), "--out", str(tmp_path / "out"))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith("error: ")
    assert "python_object_tag.yaml" in proc.stderr
    assert "line 8" in proc.stderr
    assert "hi" not in proc.stdout.split()  # os.system("echo hi") never ran
    assert not (tmp_path / "out").exists()
    assert list(tmp_path.iterdir()) == []
    after = set(results.iterdir()) if results.is_dir() else set()
    assert not {p for p in after - before if p.name.startswith("python_object_tag")}


def test_validate_subprocess_exit_status() -> None:
    ok = _run_cli("validate", "scenarios/minimal.yaml")
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("ok: Minimal example")
    bad = _run_cli("validate", "tests/malformed/unknown_key_top_level.yaml")
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr
    assert "shoks: unknown field 'shoks' (did you mean 'shocks'?)" in bad.stderr
