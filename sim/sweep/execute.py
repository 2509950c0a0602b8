"""Executors: where many runs happen, for sweeps, comparisons and the classroom grid.

- :class:`InProcess`: one task after another in this process (``workers=1``);
- :class:`LocalProcesses`: a pool of worker processes on this machine (``spawn``
  start method, so each worker imports the project afresh, as a cluster worker does);
- :class:`DaskCluster`: a Dask distributed cluster, reached through its scheduler's
  address (``tcp://host:port``). Workers only compute: results come back to this
  process, which stores them, so workers need the project installed but no access
  to the results folder.

An executor runs *tasks*: picklable objects with a ``run_id`` that are called on a
worker (see :class:`Task`). A sweep's tasks are :class:`~sim.sweep.tasks.RunTask`; any
other top-level function runs as a :class:`Job`, whose outcome carries the function's
return value or the error it raised. :func:`run_all` and :func:`run_each` run jobs that
are all needed (a comparison's replicates, the classroom grid): they raise
:class:`RunFailedError`, naming the run, as soon as one fails or is lost.

Each executor yields outcomes as tasks finish, in whatever order, and keeps only a
bounded number of tasks in flight (twice the number of workers), so memory does not
grow with the number of runs. A worker lost mid-run yields a :class:`LostRun` (a sweep
does not store it: the next ``--resume`` runs it again).
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import signal
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Protocol, Self

from sim.sweep.tasks import describe


class Task[R](Protocol):
    """What executors run: picklable, numbered, and called (without arguments) on a worker.

    The class must be importable by the worker (defined at the top level of a module of
    the project), like every function a task calls.
    """

    @property
    def run_id(self) -> int:
        """The task's number, unique among the tasks given to one ``run``."""
        ...

    def __call__(self) -> R:
        """Do the work; what it returns is sent back to the calling process."""
        ...


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

    def run[R](self, tasks: Iterable[Task[R]]) -> Iterator[R | LostRun]:
        """Run ``tasks`` and yield each outcome once it is available."""
        ...


def perform[R](task: Task[R]) -> R:
    """Run one task: what every executor calls, here or on a worker."""
    return task()


@dataclass(frozen=True)
class JobOutcome:
    """What a :class:`Job` sends back.

    Attributes:
        run_id: The job's number.
        value: What the function returned (None if it raised).
        error: None on success, else one line naming the exception and its message.
        traceback: The worker's traceback when the function raised.
        duration_s: Wall-clock seconds of the call.
    """

    run_id: int
    value: Any
    error: str | None = None
    traceback: str | None = None
    duration_s: float = 0.0


@dataclass(frozen=True)
class Job:
    """A top-level function and its arguments, run as one task on an executor.

    The function and the arguments must be picklable: the function defined at the top
    level of a module the workers can import, the arguments plain data (a
    :class:`~sim.scenario.Scenario` is fine).

    Attributes:
        run_id: The job's number, unique among the jobs run together.
        name: What the job is, for messages (e.g. ``the run of x.yaml with seed 3``).
        function: The function to call.
        args: Its positional arguments.
    """

    run_id: int
    name: str
    function: Callable[..., Any]
    args: tuple[Any, ...] = ()

    def __call__(self) -> JobOutcome:
        """Call the function; an exception it raises is returned as the outcome's error."""
        started = time.perf_counter()
        try:
            value = self.function(*self.args)
        except Exception as exc:  # reported to the caller, which names the run
            return JobOutcome(
                self.run_id,
                None,
                describe(exc),
                traceback.format_exc(),
                time.perf_counter() - started,
            )
        return JobOutcome(self.run_id, value, duration_s=time.perf_counter() - started)


class RunFailedError(Exception):
    """A run that a whole (a comparison, the classroom grid) needs failed or was lost.

    Attributes:
        purpose: What needed every run, e.g. ``the comparison``.
        name: The run, as its :class:`Job` names it.
        reason: What went wrong (the exception, or why the worker was lost).
        lost: True when the worker was lost rather than the run raising.
        worker_traceback: The traceback on the worker, when the run raised.
    """

    def __init__(
        self,
        purpose: str,
        name: str,
        reason: str,
        *,
        lost: bool = False,
        worker_traceback: str | None = None,
    ) -> None:
        what = "was lost with its worker" if lost else "failed"
        super().__init__(f"{purpose} needs every run, but {name} {what}: {reason}")
        self.purpose = purpose
        self.name = name
        self.reason = reason
        self.lost = lost
        self.worker_traceback = worker_traceback
        if worker_traceback:
            self.add_note(f"on the worker:\n{worker_traceback.rstrip()}")


def run_each(executor: Executor, jobs: Iterable[Job], purpose: str) -> Iterator[tuple[Job, Any]]:
    """Run jobs that are all needed; yield each job with its value as it finishes.

    Jobs finish in any order. At the first failure the iteration stops with
    :class:`RunFailedError`; leave the executor's ``with`` block with that exception
    and the jobs still in flight are dropped (local workers are terminated, Dask
    futures cancelled).

    Args:
        executor: An executor, inside its ``with`` block.
        jobs: The jobs (taken lazily, a few more than the workers at a time).
        purpose: What needs every run, for the error message (``the comparison``).

    Yields:
        ``(job, value)``: the job and what its function returned.

    Raises:
        RunFailedError: If a job raises or its worker is lost.
        ValueError: If two jobs share a ``run_id``.
    """
    submitted: dict[int, Job] = {}
    seen: set[int] = set()

    def feed() -> Iterator[Job]:
        for job in jobs:
            if job.run_id in seen:
                raise ValueError(f"two jobs have run_id {job.run_id}")
            seen.add(job.run_id)
            submitted[job.run_id] = job
            yield job

    for outcome in executor.run(feed()):
        job = submitted.pop(outcome.run_id)
        if isinstance(outcome, LostRun):
            raise RunFailedError(purpose, job.name, outcome.reason, lost=True)
        if outcome.error is not None:
            raise RunFailedError(
                purpose, job.name, outcome.error, worker_traceback=outcome.traceback
            )
        yield job, outcome.value


def run_all(
    executor: Executor,
    jobs: Sequence[Job],
    purpose: str,
    progress: Callable[[int], object] | None = None,
) -> list[Any]:
    """Run jobs that are all needed and return their values in the jobs' order.

    Args:
        executor: An executor, inside its ``with`` block.
        jobs: The jobs.
        purpose: What needs every run, for the error message.
        progress: Called with 1 as each job finishes.

    Returns:
        Each job's value, in the order of ``jobs`` (whatever order they finished in).

    Raises:
        RunFailedError: If a job raises or its worker is lost.
    """
    values: dict[int, Any] = {}
    for job, value in run_each(executor, jobs, purpose):
        values[job.run_id] = value
        if progress is not None:
            progress(1)
    return [values[job.run_id] for job in jobs]


class InProcess:
    """Runs one task after another in this process."""

    description = "in this process"

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        return None

    def run[R](self, tasks: Iterable[Task[R]]) -> Iterator[R | LostRun]:
        """Run each task in turn."""
        for task in tasks:
            yield perform(task)


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

    def run[R](self, tasks: Iterable[Task[R]]) -> Iterator[R | LostRun]:
        """Keep up to twice ``workers`` tasks in flight; yield outcomes as they finish."""
        pool = self._pool
        if pool is None:
            raise ExecutorError("use the executor in a with statement")
        in_flight: dict[Future[R], int] = {}
        source = iter(tasks)

        def refill() -> None:
            while len(in_flight) < 2 * self.workers:
                task = next(source, None)
                if task is None:
                    return
                in_flight[pool.submit(perform, task)] = task.run_id

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

    def run[R](self, tasks: Iterable[Task[R]]) -> Iterator[R | LostRun]:
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
                future = client.submit(perform, task, pure=False)
                in_flight[future] = task.run_id
                finished.add(future)

        try:
            refill()
            for future in finished:
                run_id = in_flight.pop(future)
                try:
                    outcome = future.result()
                except Exception as exc:  # KilledWorker, cancelled: not a result of the task
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
