"""Ctrl-C, run time limits, folder locks and atomic replacement, tested with real processes.

The metrics below are named in sweep files as ``tests.test_locks_and_interrupts:<name>``
so that worker processes import them as they would a user's own.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from sim import atomic, locks
from sim.atomic import atomic_directory, claim_output
from sim.cli import main
from sim.locks import LockedError, acquire, lock_path
from sim.run import RunResult
from sim.sweep import SweepStore
from sim.sweep.cli import add_sweep_parsers, cmd_sweep
from sim.sweep.load import load_sweep
from sim.sweep.runner import run_sweep
from sim.sweep.store import TRAJECTORIES
from tests.conftest import ROOT
from tests.sweep_helpers import MINIMAL, committed_runs, write_sweep

#: Set in a sweep's environment to make hangs_when_controlled hang.
HANG = "SIM_TEST_HANG"
THIS = "tests.test_locks_and_interrupts"


def hangs_when_controlled(result: RunResult) -> float:
    """Hangs (for 10 minutes) when media control is high and SIM_TEST_HANG is set."""
    control = result.scenario.host_state.media_control
    if control > 0.5 and os.environ.get(HANG):
        time.sleep(600)
    return control


def sweep_command(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="run_sim.py")
    add_sweep_parsers(parser.add_subparsers(dest="command", required=True))
    return cmd_sweep(parser.parse_args(["sweep", *argv]))


def hanging_sweep(folder: Path, **fields) -> Path:
    """8 runs: the 4 with media control 0.9 hang when SIM_TEST_HANG is set."""
    return write_sweep(folder, metrics=[f"{THIS}:hangs_when_controlled"], **fields)


def start_sweep(path: Path, out: Path, *extra: str, hang: bool = True) -> subprocess.Popen:
    env = {**os.environ, HANG: "1"} if hang else dict(os.environ)
    return subprocess.Popen(
        [sys.executable, "run_sim.py", "sweep", str(path), "--out", str(out), *extra],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal would make it
    )


def wait_for(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.05)


def dead_pid() -> int:
    """The id of a process that has ended."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


# -- Ctrl-C ---------------------------------------------------------------------------------


@pytest.mark.parametrize("to_group", [True, False], ids=["process-group", "main-process"])
def test_ctrl_c_stops_hung_runs_within_seconds_and_resume_finishes(tmp_path, to_group):
    path, out = hanging_sweep(tmp_path), tmp_path / "out"
    proc = start_sweep(path, out, "--workers", "2")
    try:
        wait_for(lambda: committed_runs(out) >= 2 or proc.poll() is not None)
        time.sleep(0.5)  # both workers are now in hung runs
        workers = psutil.Process(proc.pid).children(recursive=True)
        started = time.monotonic()
        if to_group:
            os.killpg(proc.pid, signal.SIGINT)
        else:
            proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
        seconds = time.monotonic() - started
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, err
    assert seconds < 5, f"took {seconds:.1f} s to stop"
    _, alive = psutil.wait_procs(workers, timeout=5)
    assert not alive, "worker processes left running"
    store = SweepStore(out)
    before = store.read_summary()
    assert len(before) == 2 and set(before["run_id"]) == {0, 1}
    assert f"interrupted: 2 of 8 runs are stored in {out}; continue with:" in err
    assert "no results written" not in err
    resume = err.rsplit("continue with:", 1)[1].strip()
    assert resume.endswith(f"sweep {path} --out {out} --resume --workers 2")
    assert not list(out.rglob(".*")) and not lock_path(out).exists()

    finished = subprocess.run(
        [sys.executable, *shlex.split(resume)[1:]],  # the command printed
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert finished.returncode == 0, finished.stderr
    assert "2 already stored, 6 to run" in finished.stdout
    after = SweepStore(out).read_summary()
    assert list(after["run_id"]) == list(range(8))
    # the two stored runs were kept, not redone (duration_s is a wall-clock time)
    assert list(after["duration_s"][:2]) == list(before["duration_s"])


# -- time limits ----------------------------------------------------------------------------


@pytest.mark.parametrize("workers", [1, 2])
def test_a_run_over_the_time_limit_fails_and_the_sweep_goes_on(tmp_path, monkeypatch, workers):
    monkeypatch.setenv(HANG, "1")
    path = hanging_sweep(tmp_path, run_time_limit_s=5, replicates=1)
    started = time.monotonic()
    report = run_sweep(load_sweep(path), tmp_path / "out", workers=workers)
    assert time.monotonic() - started < 60
    assert (report.ok, report.failed, report.lost) == (2, 2, [])
    summary = SweepStore(tmp_path / "out").read_summary()
    failed = summary[summary["status"] == "error"]
    assert list(failed["host_state.media_control"]) == [0.9, 0.9]
    assert failed["error"].str.startswith("TimeLimitExceeded: stopped after").all()
    assert failed["error"].str.contains(r"time limit of 5 s \(run_time_limit_s\)").all()
    assert (failed["duration_s"] >= 5).all()
    assert summary[summary["status"] == "ok"]["error"].isna().all()
    # no worker left behind, hung or not
    assert not [p for p in psutil.Process().children(recursive=True) if "spawn" in p.cmdline()]


def test_the_time_limit_may_change_on_resume(tmp_path):
    path = write_sweep(tmp_path, replicates=1)
    sweep_out = tmp_path / "out"
    run_sweep(load_sweep(path), sweep_out)
    limited = write_sweep(tmp_path, replicates=1, run_time_limit_s=100)
    assert sweep_command(str(limited), "--out", str(sweep_out), "--resume", "--workers", "1") == 0
    assert not (sweep_out / TRAJECTORIES).exists()  # not kept, so no empty folder


# -- locks ----------------------------------------------------------------------------------

HOLD = (
    "import sys, time; from sim.locks import acquire; acquire(sys.argv[1]); "
    "print('held', flush=True); time.sleep(600)"
)


def hold_lock(target: Path) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(target)], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_a_second_writer_is_refused_with_the_holder_and_a_dead_holder_is_taken_over(tmp_path):
    target = tmp_path / "out"
    holder = hold_lock(target)
    try:
        with pytest.raises(LockedError) as refused:
            acquire(target)
        message = str(refused.value)
        assert f"pid {holder.pid} on host {socket.gethostname()}, since 20" in message
        assert "wait for it to finish, or stop it" in message
    finally:
        holder.kill()
        holder.wait()
    # killed outright: the kernel released its lock; the record it left is replaced
    assert json.loads(lock_path(target).read_text())["pid"] == holder.pid
    with acquire(target) as lock:
        assert json.loads(lock.path.read_text())["pid"] == os.getpid()
        with acquire(target):  # re-entrant in a process
            pass
        assert lock.path.exists() and lock.held
    assert not lock_path(target).exists()


def test_without_flock_the_record_decides(tmp_path, monkeypatch):
    monkeypatch.setattr(locks, "fcntl", None)
    target = tmp_path / "out"
    lock_path(target).write_text(json.dumps({"pid": dead_pid(), "host": socket.gethostname()}))
    with acquire(target):  # stale: its process is gone
        pass
    lock_path(target).write_text(json.dumps({"pid": 1, "host": socket.gethostname()}))
    with pytest.raises(LockedError, match="pid 1 on host"):
        acquire(target)


def test_a_second_sweep_on_the_same_folder_is_refused(tmp_path, capsys):
    path, out = hanging_sweep(tmp_path), tmp_path / "out"
    first = start_sweep(path, out, "--workers", "2")
    try:
        wait_for(lambda: committed_runs(out) >= 2 or first.poll() is not None)
        assert sweep_command(str(path), "--out", str(out), "--resume", "--workers", "1") == 2
        err = capsys.readouterr().err
        assert f"error: {out.resolve()} is being written by another process (pid {first.pid}" in err
        assert "run_sim.py sweep" in err
        assert first.poll() is None  # the first goes on undisturbed
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
    # killed outright: its lock went with it, and --resume goes on
    assert sweep_command(str(path), "--out", str(out), "--resume", "--workers", "1") == 0
    assert len(SweepStore(out).read_summary()) == 8


def test_a_second_run_into_the_same_out_is_refused(tmp_path, capsys):
    out = tmp_path / "run"
    holder = hold_lock(out)
    try:
        code = main(["run", str(MINIMAL), "--out", str(out), "--no-dashboard"])
    finally:
        holder.kill()
        holder.wait()
    assert code == 2
    assert f"is being written by another process (pid {holder.pid}" in capsys.readouterr().err
    assert not out.exists()


# -- atomic replacement ---------------------------------------------------------------------


def make_output(folder: Path, text: str) -> None:
    folder.mkdir(parents=True)
    (folder / "marker.json").write_text(text)


def test_replacing_keeps_a_result_visible_and_leaves_nothing_hidden(tmp_path):
    target = tmp_path / "out"
    make_output(target, "old")
    with atomic_directory(target, "marker.json") as tmp:
        (tmp / "marker.json").write_text("new")
        assert tmp.name.startswith(f".out.{os.getpid()}.")
    assert (target / "marker.json").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


KILL_BETWEEN = """
import os, sys
from pathlib import Path
from sim import atomic
atomic._exchange = lambda a, b: False  # the fallback: move aside, then move in
renames = Path.rename
def rename(self, target):
    if self.name.startswith(".out.") and self.name.endswith(".partial"):
        os._exit(9)  # killed between the two renames
    return renames(self, target)
Path.rename = rename
with atomic.atomic_directory(sys.argv[1], "marker.json") as tmp:
    (tmp / "marker.json").write_text("new")
"""

KILL_AFTER_EXCHANGE = """
import os, shutil, sys
from sim import atomic
shutil.rmtree = lambda *a, **k: os._exit(9)  # killed before the old one is deleted
with atomic.atomic_directory(sys.argv[1], "marker.json") as tmp:
    (tmp / "marker.json").write_text("new")
"""


def test_a_writer_killed_between_the_renames_is_undone_by_the_next(tmp_path):
    target = tmp_path / "out"
    make_output(target, "old")
    killed = subprocess.run([sys.executable, "-c", KILL_BETWEEN, str(target)], cwd=ROOT)
    assert killed.returncode == 9
    assert not target.exists()  # the hazard of the fallback...
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out.old-")]
    with claim_output(target, "marker.json"):  # ...which the next writer repairs
        assert (target / "marker.json").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_writer_killed_after_the_exchange_leaves_the_new_result(tmp_path):
    target = tmp_path / "out"
    make_output(target, "old")
    if atomic._renameat2() is None:
        pytest.skip("no renameat2 here")
    killed = subprocess.run([sys.executable, "-c", KILL_AFTER_EXCHANGE, str(target)], cwd=ROOT)
    assert killed.returncode == 9
    assert (target / "marker.json").read_text() == "new"
    leftovers = [p for p in tmp_path.iterdir() if p.name.endswith(".partial")]
    assert len(leftovers) == 1 and (leftovers[0] / "marker.json").read_text() == "old"
    with atomic_directory(target, "marker.json") as tmp:
        (tmp / "marker.json").write_text("newer")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_temporary_folders_of_live_writers_are_left_alone(tmp_path):
    target = tmp_path / "out"
    mine = tmp_path / f".out.{os.getpid()}.abcd1234.partial"
    theirs = tmp_path / f".out.{dead_pid()}.abcd1234.partial"
    other = tmp_path / f".out2.{dead_pid()}.abcd1234.partial"
    for folder in (mine, theirs, other):
        folder.mkdir()
    assert atomic.recover(target) == [theirs]
    assert mine.exists() and other.exists()


# -- metrics named as module:function -------------------------------------------------------


def test_checking_a_sweep_does_not_import_metric_modules(tmp_path, monkeypatch):
    module = tmp_path / "noisy_metric.py"
    module.write_text(
        "from pathlib import Path\n"
        f"Path({str(tmp_path / 'imported')!r}).touch()\n"
        "def value(result):\n    return 1.0\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    path = write_sweep(tmp_path, metrics=["noisy_metric:value", "no_such_module_xyz:value"])
    load_sweep(path)
    assert not (tmp_path / "imported").exists()
    report = run_sweep(load_sweep(path), tmp_path / "out")
    assert report.failed == 8
    errors = SweepStore(tmp_path / "out").read_summary()["error"]
    assert errors.str.fullmatch(
        r"metric no_such_module_xyz:value: ModuleNotFoundError: No module named "
        r"'no_such_module_xyz'"
    ).all()
    descriptions = SweepStore(tmp_path / "out").manifest["metric_descriptions"]
    assert "not importable where the sweep started" in descriptions["no_such_module_xyz:value"]


def test_a_run_over_the_time_limit_on_dask_is_cancelled_and_its_worker_restarted(
    tmp_path, monkeypatch
):
    from distributed import LocalCluster

    monkeypatch.setenv(HANG, "1")  # the workers (and their nannies) start after this
    parameters = {"host_state.media_control": {"values": [0.9, 0.1]}}  # the first hangs
    path = hanging_sweep(tmp_path, parameters=parameters, run_time_limit_s=5, replicates=1)
    with LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        report = run_sweep(load_sweep(path), tmp_path / "out", scheduler=cluster.scheduler_address)
    assert (report.ok, report.failed, report.lost) == (1, 1, [])
    summary = SweepStore(tmp_path / "out").read_summary()
    assert list(summary["status"]) == ["error", "ok"]
    assert summary["error"][0].startswith("TimeLimitExceeded: stopped after")
