"""External designs: a sweep that runs exactly the points of a CSV file."""

from __future__ import annotations

import pytest

from sim.cli import main
from sim.scenario import ScenarioError
from sim.sweep import SweepStore, SweepStoreError, load_sweep, run_sweep
from sim.sweep.designs import build_design
from tests.sweep_helpers import write_sweep

PARAMETERS = {
    "intermediaries[*].integrity": {"range": [0.2, 0.8]},
    "host_state.media_control": {"values": [0.1, 0.9]},
    "audience.population": {"range": [50, 200], "integer": True},
}
GOOD = """intermediaries[*].integrity,host_state.media_control,audience.population
0.2,0.9,100
0.65,0.1,50
0.8,0.9,120
"""


def _sweep(tmp_path, csv_text: str, **fields):
    (tmp_path / "designs").mkdir(exist_ok=True)
    (tmp_path / "designs" / "points.csv").write_text(csv_text, encoding="utf-8")
    fields.setdefault("parameters", PARAMETERS)
    return write_sweep(
        tmp_path, design={"type": "file", "path": "designs/points.csv"}, replicates=1, **fields
    )


def test_a_file_design_runs_exactly_the_listed_points(tmp_path):
    sweep = load_sweep(_sweep(tmp_path, GOOD))
    assert sweep.points == 3 and sweep.runs == 3
    design = build_design(sweep.spec)
    assert design.values == ((0.2, 0.9, 100), (0.65, 0.1, 50), (0.8, 0.9, 120))
    assert design.unit[1].tolist() == pytest.approx([0.75, 0.25, 0.0])
    run_sweep(sweep, tmp_path / "out", workers=1)
    summary = SweepStore(tmp_path / "out").read_summary()
    assert summary["intermediaries[*].integrity"].tolist() == [0.2, 0.65, 0.8]
    assert summary["host_state.media_control"].tolist() == [0.9, 0.1, 0.9]
    assert summary["audience.population"].tolist() == [100, 50, 120]
    assert (summary["status"] == "ok").all()


def test_columns_may_come_in_any_order_and_with_variables(tmp_path):
    params = {"media": {"range": [0, 1], "sets": {"host_state.media_control": {}}}}
    text = "media\n0.25\n0.5\n"
    sweep = load_sweep(_sweep(tmp_path, text, parameters=params))
    assert [sweep.assignments(v) for v in build_design(sweep.spec).values] == [
        ("host_state.media_control=0.25",),
        ("host_state.media_control=0.5",),
    ]


def test_a_changed_file_is_refused_on_resume(tmp_path):
    path = _sweep(tmp_path, GOOD)
    run_sweep(load_sweep(path), tmp_path / "out", workers=1)
    (tmp_path / "designs" / "points.csv").write_text(GOOD.replace("0.65", "0.6"), "utf-8")
    with pytest.raises(SweepStoreError, match="design sampled now differs"):
        run_sweep(load_sweep(path), tmp_path / "out", workers=1, resume=True)


def _problems(tmp_path, csv_text: str) -> str:
    with pytest.raises(ScenarioError) as info:
        load_sweep(_sweep(tmp_path, csv_text))
    return info.value.render()


def test_bad_cells_are_reported_by_line_and_column(tmp_path):
    text = _problems(
        tmp_path,
        "intermediaries[*].integrity,host_state.media_control,audience.population\n"
        "0.9,0.9,100\n"  # out of range
        ",0.1,50\n"  # missing
        "abc,0.5,50\n"  # not a number, not listed
        "0.5,0.1,50.5\n"  # not whole
        "0.5,0.1\n",  # short row
    )
    where = "design.path: " + str(tmp_path / "designs" / "points.csv")
    assert f"{where} line 2, column 'intermediaries[*].integrity': found 0.9, outside the " in (
        text
    )
    assert "range [0.2, 0.8]" in text
    assert f"{where} line 3, column 'intermediaries[*].integrity': missing value" in text
    assert "line 4, column 'intermediaries[*].integrity': found 'abc', expected a number" in text
    assert "line 4, column 'host_state.media_control': found '0.5', expected one of the " in text
    assert "line 5, column 'audience.population': found 50.5, expected a whole number" in text
    assert "line 6: 2 cells, expected 3" in text


def test_unknown_and_missing_columns_are_reported(tmp_path):
    text = _problems(tmp_path, "intermediaries[*].integrty,host_state.media_control,x\n1,2,3\n")
    assert "unknown column 'intermediaries[*].integrty' (did you mean " in text
    assert "unknown column 'x'" in text
    assert "no column for parameter 'intermediaries[*].integrity'" in text
    assert "no column for parameter 'audience.population'" in text


@pytest.mark.parametrize(
    ("csv_text", "says"),
    [
        ("", "is empty: expected a header row"),
        ("intermediaries[*].integrity,host_state.media_control,audience.population\n", "no points"),
        (
            "intermediaries[*].integrity,intermediaries[*].integrity,host_state.media_control,"
            "audience.population\n0.5,0.5,0.1,50\n",
            "appears twice",
        ),
    ],
)
def test_empty_files_and_repeated_columns_are_reported(tmp_path, csv_text, says):
    assert says in _problems(tmp_path, csv_text)


def test_a_missing_file_and_bad_design_fields_are_reported(tmp_path):
    path = write_sweep(tmp_path, design={"type": "file", "path": "nope.csv"})
    with pytest.raises(ScenarioError, match=r"nope\.csv"):
        load_sweep(path)
    for design, says in (
        ({"type": "file"}, "a file design needs 'path'"),
        ({"type": "file", "path": "p.csv", "samples": 3}, "remove 'samples'"),
        ({"type": "lhs", "samples": 3, "path": "p.csv"}, "'path' applies to a file design"),
        ({"type": "file", "path": "p.csv", "points": [[1]]}, "'points' are read from the file"),
    ):
        with pytest.raises(ScenarioError) as info:
            load_sweep(write_sweep(tmp_path, "bad.yaml", design=design))
        assert says in info.value.render()


def test_the_cli_refuses_a_bad_file_with_status_2(tmp_path, capsys):
    path = _sweep(tmp_path, GOOD.replace("0.65", "zero"))
    assert main(["sweep", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "found 'zero', expected a number" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()
