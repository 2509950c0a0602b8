"""The sweep command: what it prints, its exit status, and Ctrl-C."""

from __future__ import annotations

import argparse
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import psutil

from sim.sweep import SweepStore
from sim.sweep.cli import add_sweep_parsers, cmd_sweep
from tests.conftest import ROOT
from tests.sweep_helpers import committed_runs, write_sweep


def sweep_command(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="run_sim.py")
    add_sweep_parsers(parser.add_subparsers(dest="command", required=True))
    return cmd_sweep(parser.parse_args(["sweep", *argv]))


def test_sweep_runs_prints_the_drivers_and_refuses_to_overwrite(tmp_path, capsys):
    path = write_sweep(
        tmp_path,
        parameters={
            "intermediaries[*].integrity": {"range": [0.1, 0.9]},
            "host_state.media_control": {"range": [0.0, 1.0]},
        },
        design={"type": "sobol", "samples": 8},
        replicates=1,
        metrics=["share_leaked"],
    )
    out = tmp_path / "out"
    assert sweep_command(str(path), "--out", str(out), "--workers", "1") == 0
    printed = capsys.readouterr().out
    assert "sobol design, 32 points x 1 replicate(s) = 32 runs; 32 to run" in printed
    assert "32 runs: 32 ok, 0 failed, 0 not run" in printed
    drivers = printed.split("what drives share_leaked")[1].splitlines()
    assert drivers[1].endswith("intermediaries[*].integrity")  # the largest index first
    assert f"results: {out}" in printed

    assert sweep_command(str(path), "--out", str(out), "--workers", "1") == 2
    assert "already holds a sweep; pass --resume" in capsys.readouterr().err
    assert sweep_command(str(path), "--out", str(out), "--workers", "1", "--resume") == 0
    assert "32 already stored, 0 to run" in capsys.readouterr().out

    changed = write_sweep(tmp_path, "changed.yaml", design={"type": "sobol", "samples": 16})
    assert sweep_command(str(changed), "--out", str(out), "--resume", "--workers", "1") == 2
    assert "holds a different sweep" in capsys.readouterr().err


def test_failures_are_listed_with_a_command_to_rerun_them(tmp_path, capsys):
    path = write_sweep(tmp_path, metrics=["tests.sweep_helpers:fails_when_open"])
    assert sweep_command(str(path), "--out", str(tmp_path / "out"), "--workers", "1") == 1
    printed = capsys.readouterr().out
    assert "8 runs: 4 ok, 4 failed, 0 not run" in printed
    assert printed.count("failed: metric tests.sweep_helpers:fails_when_open: ValueError") == 4
    assert "rerun alone: " in printed and "run_sim.py run" in printed
    assert "--set host_state.media_control=0.1" in printed


def test_bad_input_exits_with_2(tmp_path, capsys):
    bad = write_sweep(tmp_path, replicates=0)
    assert sweep_command(str(bad), "--out", str(tmp_path / "out")) == 2
    assert "replicates: Input should be greater than or equal to 1" in capsys.readouterr().err
    good = write_sweep(tmp_path, "good.yaml")
    assert sweep_command(str(good), "--workers", "0") == 2
    assert not (tmp_path / "out").exists()


def test_ctrl_c_stops_the_workers_and_keeps_what_finished(tmp_path):
    parameters = {"intermediaries[*].integrity": {"range": [0.1, 0.9], "levels": 10}}
    metrics = ["tests.sweep_helpers:slow_share_leaked"]
    path = write_sweep(tmp_path, parameters=parameters, replicates=12, metrics=metrics)
    out = tmp_path / "out"
    code = (
        "import sys; from tests.test_sweep_cli import sweep_command; "
        f"sys.exit(sweep_command({str(path)!r}, '--out', {str(out)!r}, '--workers', '2'))"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            if committed_runs(out) >= 3:
                break
            time.sleep(0.02)
        children = psutil.Process(proc.pid).children(recursive=True)
        started = time.monotonic()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert time.monotonic() - started < 5  # does not wait for the remaining runs
    assert len(children) >= 2  # the workers (and multiprocessing's resource tracker)
    _, alive = psutil.wait_procs(children, timeout=5)
    assert not alive, "worker processes left running"
    stored = SweepStore(out).completed_run_ids()
    assert 3 <= len(stored) < 120
    assert f"interrupted: {len(stored)} of 120 runs are stored in {out}" in err
    assert "--resume" in err
    assert not list(out.rglob(".*"))  # no temporary file left
    assert len(SweepStore(out).read_summary()) == len(stored)
    assert SweepStore(out).manifest["sessions"][-1]["interrupted"] is True


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_docs_dask_recipe_scheduler_and_workers_started_by_hand(tmp_path):
    """docs/sweeps.md's multi-machine recipe, on loopback: `dask scheduler`, `dask worker`
    and `run_sim.py sweep --scheduler`, each its own process, as on separate machines."""
    address = f"tcp://127.0.0.1:{_free_port()}"
    dask = str(Path(sys.executable).with_name("dask"))
    started = [
        subprocess.Popen(
            [
                dask,
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                address.rsplit(":", 1)[1],
                "--no-dashboard",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    ]
    try:
        started.append(
            subprocess.Popen(
                [dask, "worker", address, "--nworkers", "2", "--nthreads", "1", "--no-dashboard"],
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        path = write_sweep(tmp_path)
        on_dask = subprocess.run(
            [
                sys.executable,
                "run_sim.py",
                "sweep",
                str(path),
                "--out",
                str(tmp_path / "dask"),
                "--scheduler",
                address,
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        for proc in reversed(started):
            proc.send_signal(signal.SIGINT)
        for proc in reversed(started):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
    assert on_dask.returncode == 0, on_dask.stderr
    assert sweep_command(str(path), "--out", str(tmp_path / "here")) == 0
    there = SweepStore(tmp_path / "dask").read_summary().drop(columns="duration_s")
    here = SweepStore(tmp_path / "here").read_summary().drop(columns="duration_s")
    assert len(here) == 8
    pd.testing.assert_frame_equal(there, here, check_exact=True)
