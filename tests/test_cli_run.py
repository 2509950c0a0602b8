"""End-to-end: the CLI runs a scenario and writes complete, atomic results."""

import json
import subprocess
import sys

import pandas as pd
import pytest

from sim import output
from sim.cli import main
from sim.run import TRAJECTORY_COLUMNS, simulate
from tests.conftest import ROOT, SCENARIOS

EXPECTED_FILES = {
    "trajectories.csv",
    "segments.csv",
    "outlets.csv",
    "ledger.csv",
    "events.csv",
    "manifest.json",
    "dashboard.html",  # the run's dashboard, written beside its outputs
}


def test_run_command_end_to_end(tmp_path):
    out = tmp_path / "minimal"
    proc = subprocess.run(
        [
            sys.executable,
            "run_sim.py",
            "run",
            str(SCENARIOS / "minimal.yaml"),
            "--seed",
            "3",
            "--out",
            str(out),
            "--set",
            "audience.population=500",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert f"results: {out}" in proc.stdout
    assert "books balance" in proc.stdout
    assert {p.name for p in out.iterdir()} == EXPECTED_FILES
    assert [p.name for p in tmp_path.iterdir()] == ["minimal"]  # no temporary left behind

    t = pd.read_csv(out / "trajectories.csv")
    assert list(t.columns) == list(TRAJECTORY_COLUMNS)
    assert len(t) == 36 and t["step"].tolist() == list(range(1, 37))
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 3
    assert manifest["scenario"]["audience"]["population"] == 500
    assert set(manifest["versions"]) >= {"python", "mesa", "numpy", "pandas"}
    assert manifest["git_commit"]
    money = manifest["money"]
    for key in (
        "budget_usd",
        "disbursed_usd",
        "leaked_usd",
        "activity_usd",
        "for_show_usd",
        "substantive_usd",
        "unspent_usd",
    ):
        assert key in money
    assert money["disbursed_usd"] == pytest.approx(
        money["leaked_usd"] + money["activity_usd"] + money["unspent_usd"]
    )
    assert money["activity_usd"] == pytest.approx(money["for_show_usd"] + money["substantive_usd"])
    ledger = pd.read_csv(out / "ledger.csv", dtype={"amount_usd": str})
    assert list(ledger.columns) == ["step", "date", "from", "to", "amount_usd", "kind"]
    disbursed = sum(
        round(float(a) * 100)
        for a, k in zip(ledger["amount_usd"], ledger["kind"], strict=True)
        if k == "disbursement"
    )
    assert disbursed == round(money["disbursed_usd"] * 100)


def test_rerun_replaces_the_folder(tmp_path, capsys):
    out = tmp_path / "r"
    args = [
        "run",
        str(SCENARIOS / "minimal.yaml"),
        "--out",
        str(out),
        "--set",
        "audience.population=300",
    ]
    assert main(args) == 0
    (out / "stale.txt").write_text("from an older run")
    assert main([*args, "--seed", "9"]) == 0
    assert not (out / "stale.txt").exists()
    assert json.loads((out / "manifest.json").read_text())["seed"] == 9
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]


def test_failure_while_writing_leaves_nothing(tmp_path, monkeypatch, small):
    result = simulate(small, 1)

    def broken(*_a, **_k):
        raise OSError("disk full")

    monkeypatch.setattr(output, "manifest", broken)
    with pytest.raises(OSError):
        output.write_run(result, tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


def test_default_output_folder_under_results(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["run", str(SCENARIOS / "minimal.yaml"), "--set", "audience.population=200"]) == 0
    assert (tmp_path / "results" / "minimal-seed0" / "manifest.json").is_file()


@pytest.mark.parametrize("kind", ["file", "foreign folder"])
def test_run_refuses_to_replace_what_it_did_not_write(tmp_path, capsys, kind):
    target = tmp_path / "precious"
    if kind == "file":
        target.write_text("my thesis")
    else:
        target.mkdir()
        (target / "thesis.txt").write_text("my thesis")
    status = main(
        [
            "run",
            str(SCENARIOS / "minimal.yaml"),
            "--out",
            str(target),
            "--no-dashboard",
            "--set",
            "audience.population=100",
        ]
    )
    assert status == 2
    err = capsys.readouterr().err
    assert "precious" in err
    assert ("not a folder" if kind == "file" else "refusing to replace it") in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["precious"]
    assert (target if kind == "file" else target / "thesis.txt").read_text() == "my thesis"


@pytest.mark.parametrize("seed", ["-1", str(2**63), "abc"])
def test_out_of_range_seeds_are_usage_errors(seed, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["run", str(SCENARIOS / "minimal.yaml"), "--seed", seed])
    assert exc.value.code == 2
    assert "--seed" in capsys.readouterr().err
