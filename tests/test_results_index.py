"""The registry of result kinds: the index lists every kind, ``report`` re-renders each.

Runs and comparisons are covered in tests/test_dashboards.py, sweeps in
tests/test_sweep_dashboard.py and finished calibrations in tests/test_calibration.py;
here: the registry itself, decompositions, unfinished calibrations and folders that
are no result at all.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sim.cli import main
from sim.dashboards.index import find_entries, write_index
from sim.dashboards.load import NotAResultError
from sim.dashboards.report import render_any
from sim.dashboards.results import KINDS, ImagesNotAvailableError, kind_of, kinds_sentence
from tests.conftest import SCENARIOS

XSS = "<img src=x onerror=alert(1)>"


def test_every_kind_is_registered_once_and_named_in_the_index_text(tmp_path):
    names = [k.name for k in KINDS]
    assert sorted(names) == ["calibration", "comparison", "decomposition", "run", "sweep"]
    assert len({k.page for k in KINDS}) == len(KINDS) - 1  # runs and sweeps: dashboard.html
    index = write_index(tmp_path).read_text(encoding="utf-8")
    for k in KINDS:
        assert k.plural in kinds_sentence()
        assert k.plural in index


@pytest.fixture(scope="module")
def decomposition(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("results")
    out = root / "dec"
    argv = ["decompose", str(SCENARIOS / "minimal.yaml"), "--replicates", "1"]
    argv += ["--set", "audience.population=200", "--set", f"name={XSS}", "--out", str(out)]
    assert main(argv) == 0
    return out


def test_a_decomposition_is_listed_and_report_rerenders_it(decomposition):
    page = decomposition / "decomposition.html"
    page.unlink()
    (entry,) = find_entries(decomposition.parent)
    assert (entry.kind, entry.path, entry.page, entry.title) == ("decomposition", "dec", None, XSS)
    manifest = json.loads((decomposition / "manifest.json").read_text(encoding="utf-8"))
    assert f"{manifest['combinations']} combinations of " in entry.details
    assert f"{manifest['runs']} distinct runs" in entry.details
    assert main(["report", str(decomposition)]) == 0
    assert page.is_file()
    (entry,) = find_entries(decomposition.parent)
    assert entry.page == "dec/decomposition.html"
    index = write_index(decomposition.parent).read_text(encoding="utf-8")
    assert 'href="dec/decomposition.html"' in index
    assert "&lt;img src=x onerror=alert(1)&gt;" in index and "<img" not in index


def test_images_are_refused_for_kinds_without_image_export(decomposition):
    with pytest.raises(ImagesNotAvailableError, match="--images is available for runs"):
        render_any(decomposition, images=True)


def test_an_unfinished_calibration_is_listed_and_report_says_how_to_finish_it(tmp_path, capsys):
    folder = tmp_path / "results" / "cal"
    folder.mkdir(parents=True)
    state = {"spec": {"name": f"Cal {XSS}"}, "base_scenario": {}, "parameters": []}
    (folder / "calibration.json").write_text(json.dumps(state), encoding="utf-8")
    (folder / "history.db").write_bytes(b"")
    assert kind_of(folder).name == "calibration"
    (entry,) = find_entries(tmp_path / "results")
    assert (entry.kind, entry.page, entry.title) == ("calibration", None, f"Cal {XSS}")
    assert entry.details.startswith("not finished")
    index = write_index(tmp_path / "results").read_text(encoding="utf-8")
    assert "Cal &lt;img" in index and "<img" not in index
    assert main(["report", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "not finished" in err and "--resume" in err and "Traceback" not in err
    assert not (folder / "calibration.html").exists()


def test_unreadable_files_are_listed_as_such(tmp_path):
    folder = tmp_path / "dec"
    folder.mkdir()
    (folder / "manifest.json").write_text('{"kind": "decomposition"}', encoding="utf-8")
    (entry,) = find_entries(tmp_path)
    assert entry.kind == "decomposition" and entry.title == "(unreadable decomposition files)"


def test_report_on_a_folder_of_no_kind_names_every_kind(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("hello", encoding="utf-8")
    assert kind_of(tmp_path) is None
    with pytest.raises(NotAResultError, match="nor is it any other kind of result"):
        render_any(tmp_path)
    assert main(["report", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "calibrations" in err and "decompositions" in err and "missing manifest.json" in err
    assert find_entries(tmp_path) == []
