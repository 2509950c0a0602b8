"""One engine for many runs: comparisons and the classroom grid on the sweep executors.

The functions at the top are run by worker processes, which import this module.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
import yaml

import sim.classroom.build
import sim.compare
from sim.classroom import Grid, compute_grid
from sim.classroom.grid import run_point
from sim.cli import main
from sim.compare import run_comparison
from sim.run import RunResult, simulate
from sim.scenario import Scenario
from sim.sweep.execute import InProcess, Job, LocalProcesses, RunFailedError, run_all
from tests.conftest import SCENARIOS, SMALL

#: Manifest keys that record when and where a run was written, not what it computed.
VOLATILE = {"created_utc", "run_seconds", "git_commit"}
#: Two points of the lesson's grid (a few seconds each).
TWO_POINTS = Grid(keep=(0.0, 0.75), show=(0.5,), media=(0.5,))


def square_after(x: int, delay: float) -> int:
    """``x * x``, after ``delay`` seconds."""
    time.sleep(delay)
    return x * x


def fail_on_three(x: int) -> int:
    """``x``, except for 3."""
    if x == 3:
        raise ValueError("three is not allowed")
    return x


def die() -> None:
    """Kill the worker process outright."""
    os._exit(3)


def simulate_failing_seed_12(scenario: Scenario, seed: int) -> RunResult:
    """:func:`sim.run.simulate`, except that seed 12 fails."""
    if seed == 12:
        raise ValueError("the model exploded")
    return simulate(scenario, seed)


def run_point_failing_keep(
    path: str, overrides: list[str], seed: int, setting: tuple[float, float, float]
) -> dict:
    """:func:`sim.classroom.grid.run_point`, except that keep 0.75 fails."""
    if setting[0] == 0.75:
        raise ValueError("no such curator")
    return run_point(path, overrides, seed, setting)


@pytest.fixture(scope="module")
def scheduler():
    """The address of a small in-process Dask cluster."""
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0"
    ) as cluster:
        yield cluster.scheduler_address


@pytest.fixture(scope="module")
def two_scenarios(tmp_path_factory) -> list[str]:
    """Two different small scenario files."""
    folder = tmp_path_factory.mktemp("scenarios")
    small = folder / "small.yaml"
    small.write_text(yaml.safe_dump(SMALL), encoding="utf-8")
    return [str(SCENARIOS / "minimal.yaml"), str(small)]


def compare_argv(inputs: list[str], out: Path, *extra: str) -> list[str]:
    return [
        "compare",
        *inputs,
        "--replicates",
        "2",
        "--seed",
        "11",
        "--set",
        "audience.population=200",
        "--out",
        str(out),
        *extra,
    ]


def assert_same_outputs(a: Path, b: Path) -> None:
    """Every CSV and JSON file of ``a`` is in ``b`` with the same bytes, but for VOLATILE."""
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.suffix in (".csv", ".json"))
    assert files == sorted(p.relative_to(b) for p in b.rglob("*") if p.suffix in (".csv", ".json"))
    assert len(files) > 10
    for rel in files:
        x, y = (a / rel).read_bytes(), (b / rel).read_bytes()
        if rel.suffix == ".json":
            x, y = (_without_volatile(t) for t in (x, y))
        assert x == y, f"{rel} differs"


def _without_volatile(raw: bytes) -> bytes:
    return b"\n".join(
        line for line in raw.splitlines() if not any(f'"{k}"'.encode() in line for k in VOLATILE)
    )


# -- the executors run any job -----------------------------------------------------------------


def test_run_all_returns_values_in_job_order_whatever_order_they_finish():
    delays = (0.6, 0.4, 0.2, 0.0)  # the last jobs finish first
    jobs = [Job(n, f"job {n}", square_after, (n, delay)) for n, delay in enumerate(delays)]
    finished = []
    with LocalProcesses(2) as executor:
        values = run_all(executor, jobs, "the test", progress=finished.append)
    assert values == [0, 1, 4, 9]
    assert finished == [1, 1, 1, 1]


def test_a_failing_job_names_the_run_and_says_every_run_is_needed():
    jobs = [Job(n, f"the run with x={n}", fail_on_three, (n,)) for n in range(5)]
    with pytest.raises(RunFailedError) as caught, InProcess() as executor:
        run_all(executor, jobs, "the test")
    error = caught.value
    assert str(error) == (
        "the test needs every run, but the run with x=3 failed: ValueError: three is not allowed"
    )
    assert not error.lost
    assert "fail_on_three" in error.worker_traceback
    assert any("on the worker" in note for note in error.__notes__)


def test_a_lost_worker_is_a_clear_error():
    lost = "the doomed job was lost with its worker"
    with pytest.raises(RunFailedError, match=lost) as caught, LocalProcesses(1) as executor:
        run_all(executor, [Job(0, "the doomed job", die)], "the test")
    assert caught.value.lost


def test_job_ids_must_be_unique():
    jobs = [Job(0, "a", fail_on_three, (1,)), Job(0, "b", fail_on_three, (2,))]
    with pytest.raises(ValueError, match="two jobs have run_id 0"), InProcess() as executor:
        run_all(executor, jobs, "the test")


# -- compare -----------------------------------------------------------------------------------


def test_compare_gives_the_same_folders_on_local_workers_and_on_dask(
    tmp_path, two_scenarios, scheduler, capsys
):
    one, two, dask = tmp_path / "one", tmp_path / "two", tmp_path / "dask"
    assert main(compare_argv(two_scenarios, one)) == 0
    assert main(compare_argv(two_scenarios, two, "--workers", "2")) == 0
    assert main(compare_argv(two_scenarios, dask, "--scheduler", scheduler)) == 0
    doc = json.loads((one / "comparison.json").read_text())
    assert [e["runs"] for e in doc["scenarios"]] == [
        ["runs/minimal/seed-11", "runs/minimal/seed-12"],
        ["runs/small/seed-11", "runs/small/seed-12"],
    ]
    assert_same_outputs(one, two)
    assert_same_outputs(one, dask)
    assert (two / "comparison.html").read_bytes() == (one / "comparison.html").read_bytes()


def test_a_failing_replicate_stops_the_comparison_and_writes_nothing(
    tmp_path, two_scenarios, monkeypatch
):
    monkeypatch.setattr(sim.compare, "simulate", simulate_failing_seed_12)
    out = tmp_path / "cmp"
    with pytest.raises(RunFailedError) as caught:
        run_comparison(two_scenarios, out, replicates=2, seed=11, workers=2)
    message = str(caught.value)
    assert message.startswith("the comparison needs every run, but the run of ")
    assert "with seed 12 failed: ValueError: the model exploded" in message
    assert list(tmp_path.iterdir()) == []  # no folder, no temporary left behind


def test_compare_cli_reports_a_failed_run_with_exit_1(tmp_path, two_scenarios, monkeypatch, capsys):
    monkeypatch.setattr(sim.compare, "simulate", simulate_failing_seed_12)
    assert main(compare_argv(two_scenarios, tmp_path / "cmp")) == 1
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("error: the comparison needs every run, but the run of ")
    assert err.endswith("with seed 12 failed: ValueError: the model exploded; nothing was written")
    assert not (tmp_path / "cmp").exists()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--workers", "0"], "--workers must be at least 1, got 0"),
        (["--scheduler", "not-an-address"], "cannot reach the Dask scheduler at not-an-address"),
    ],
)
def test_compare_refuses_bad_executor_options_with_exit_2(
    tmp_path, two_scenarios, capsys, extra, message
):
    assert main(compare_argv(two_scenarios, tmp_path / "cmp", *extra)) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err
    assert not (tmp_path / "cmp").exists()


# -- the classroom grid ------------------------------------------------------------------------


def test_classroom_grid_is_the_same_on_local_workers_and_on_dask(scheduler):
    in_process = compute_grid(TWO_POINTS, workers=1, progress=False)
    assert [(p["keep"], p["show"], p["media"]) for p in in_process] == list(TWO_POINTS.points())
    assert in_process[0]["money"] != in_process[1]["money"]
    as_json = json.dumps(in_process)
    assert json.dumps(compute_grid(TWO_POINTS, workers=2, progress=False)) == as_json
    assert json.dumps(compute_grid(TWO_POINTS, scheduler=scheduler, progress=False)) == as_json


def test_a_failing_grid_point_is_named(monkeypatch):
    monkeypatch.setattr(sim.classroom.build, "run_point", run_point_failing_keep)
    with pytest.raises(RunFailedError) as caught:
        compute_grid(TWO_POINTS, workers=1, progress=False)
    assert str(caught.value) == (
        "the classroom grid needs every run, but the grid point keep=0.75, show=0.5, "
        "media=0.5 failed: ValueError: no such curator"
    )
