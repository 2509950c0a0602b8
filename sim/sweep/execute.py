"""Executors: where a sweep's runs happen.

- :class:`InProcess`: one run after another in this process (``workers=1``);
- :class:`LocalProcesses`: a pool of worker processes on this machine (``spawn``
  start method, so each worker imports the project afresh, as a cluster worker does);
- :class:`DaskCluster`: a Dask distributed cluster, reached through its scheduler's
  address (``tcp://host:port``). Workers only compute: results come back to this
  process, which stores them, so workers need the project installed but no access
  to the results folder.

Each executor yields results as runs finish, in whatever order, and keeps only a
bounded number of runs in flight (twice the number of workers), so memory does not
grow with the size of the sweep. A worker lost mid-run yields a :class:`LostRun`
(not stored: the next ``--resume`` runs it again).
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import signal
import threading
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Protocol, Self

from sim.sweep.tasks import RunOutcome, RunTask, run_task


@dataclass(frozen=True)
class LostRun:
    """A run whose worker died (or was cancelled) before it returned.

    Attributes:
        run_id: The run.
        reason: What happened.
    """

    run_id: int
    reason: str


class ExecutorError(Exception):
    """An executor that cannot start (e.g. an unreachable Dask scheduler)."""


class Executor(Protocol):
    """Runs tasks and yields their outcomes as they finish."""

    description: str

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def run(self, tasks: Iterator[RunTask]) -> Iterator[RunOutcome | LostRun]:
        """Run ``tasks`` and yield each outcome once it is available."""
        ...


class InProcess:
    """Runs one task after another in this process."""

    description = "in this process"

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        return None

    def run(self, tasks: Iterator[RunTask]) -> Iterator[RunOutcome | LostRun]:
        """Run each task in turn."""
        for task in tasks:
            yield run_task(task)


def _init_worker() -> None:
    """Set up a local worker process.

    Ctrl-C reaches the whole process group; only the parent handles it (and then stops
    the workers), so a worker never dies half-way through a handler. And a worker
    exits as soon as its parent does, even if the parent was killed outright: it
    would otherwise wait forever for tasks that never come.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_exit_with, args=(parent.sentinel,), daemon=True).start()


def _exit_with(sentinel: int) -> None:
    multiprocessing.connection.wait([sentinel])
    os._exit(1)


class LocalProcesses:
    """A pool of ``workers`` processes on this machine."""

    def __init__(self, workers: int) -> None:
        if workers < 1:
            raise ExecutorError(f"workers must be at least 1, got {workers}")
        self.workers = workers
        self.description = f"{workers} local worker processes"
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> Self:
        self._pool = ProcessPoolExecutor(
            self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
        )
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        if kind is None:
            pool.shutdown(wait=True)
            return
        # Interrupted or failed: do not wait for runs in flight; stop the workers.
        pool.shutdown(wait=False, cancel_futures=True)
        terminate = getattr(pool, "terminate_workers", None)  # Python 3.14+
        if terminate is not None:
            terminate()
        else:
            for process in list((getattr(pool, "_processes", None) or {}).values()):
                process.terminate()

    def run(self, tasks: Iterator[RunTask]) -> Iterator[RunOutcome | LostRun]:
        """Keep up to twice ``workers`` tasks in flight; yield outcomes as they finish."""
        pool = self._pool
        if pool is None:
            raise ExecutorError("use the executor in a with statement")
        in_flight: dict[Future[RunOutcome], int] = {}
        source = iter(tasks)

        def refill() -> None:
            while len(in_flight) < 2 * self.workers:
                task = next(source, None)
                if task is None:
                    return
                in_flight[pool.submit(run_task, task)] = task.run_id

        refill()
        while in_flight:
            done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            for future in done:
                run_id = in_flight.pop(future)
                try:
                    outcome = future.result()
                except BrokenProcessPool as exc:
                    # A worker died (killed, out of memory): the pool is unusable. Report
                    # what was in flight as lost and stop; --resume runs the rest.
                    yield LostRun(run_id, f"worker process died: {exc}")
                    for other in list(in_flight):
                        yield LostRun(in_flight.pop(other), "worker pool broken")
                    return
                yield outcome
            refill()


class DaskCluster:
    """A Dask distributed cluster, reached through its scheduler."""

    def __init__(self, address: str, timeout: float = 10.0) -> None:
        self.address = address
        self.timeout = timeout
        self.description = f"Dask cluster at {address}"
        self._client: Any = None

    def __enter__(self) -> Self:
        from distributed import Client  # imported only when a cluster is used

        try:
            self._client = Client(self.address, timeout=self.timeout)
        except (OSError, TimeoutError, ValueError) as exc:  # ValueError: a malformed address
            raise ExecutorError(
                f"cannot reach the Dask scheduler at {self.address}: {exc}"
            ) from None
        return self

    def __exit__(self, *_: object) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.close()

    def _slots(self) -> int:
        return max(2, 2 * sum(self._client.nthreads().values()))

    def run(self, tasks: Iterator[RunTask]) -> Iterator[RunOutcome | LostRun]:
        """Submit tasks as slots free up; yield outcomes in the order they finish."""
        from distributed import as_completed

        client = self._client
        if client is None:
            raise ExecutorError("use the executor in a with statement")
        in_flight: dict[Any, int] = {}
        finished = as_completed()
        source = iter(tasks)

        def refill() -> None:
            slots = self._slots()
            while len(in_flight) < slots:
                task = next(source, None)
                if task is None:
                    return
                future = client.submit(run_task, task, pure=False)
                in_flight[future] = task.run_id
                finished.add(future)

        try:
            refill()
            for future in finished:
                run_id = in_flight.pop(future)
                try:
                    outcome = future.result()
                except Exception as exc:  # KilledWorker, cancelled: not a result of the run
                    yield LostRun(run_id, f"{type(exc).__name__}: {exc}")
                else:
                    yield outcome
                finally:
                    future.release()
                refill()
        finally:
            if in_flight:
                client.cancel(list(in_flight))


def make_executor(workers: int = 1, scheduler: str | None = None) -> Executor:
    """The executor for the given options.

    Args:
        workers: Local worker processes (1: run in this process). Ignored with a scheduler.
        scheduler: Address of a Dask scheduler, e.g. ``tcp://127.0.0.1:8786``.

    Returns:
        The executor (use it in a ``with`` statement).
    """
    if scheduler:
        return DaskCluster(scheduler)
    if workers == 1:
        return InProcess()
    return LocalProcesses(workers)
