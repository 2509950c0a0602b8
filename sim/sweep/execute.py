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
bounded number of tasks in flight (one per local worker process; twice the number of
Dask worker threads), so memory does not grow with the number of runs. A worker lost
mid-run yields a :class:`LostRun` (a sweep does not store it: the next ``--resume``
runs it again). With a time limit, a task that runs longer is stopped and yields a
:class:`TimedOut` (a sweep stores it as failed). Leaving an executor's ``with`` block
on an exception (Ctrl-C included) stops its local workers at once.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.connection
import os
import signal
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
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


@dataclass(frozen=True)
class TimedOut(LostRun):
    """A run stopped because it ran longer than the time limit.

    Unlike a lost run it counts as done: a sweep stores it as failed, with ``reason``
    as its error.

    Attributes:
        seconds: How long it had run when it was stopped.
    """

    seconds: float = 0.0


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

    def run[R](
        self, tasks: Iterable[Task[R]], time_limit: float | None = None
    ) -> Iterator[R | LostRun]:
        """Run ``tasks`` and yield each outcome once it is available.

        ``time_limit`` (seconds) stops a task that runs longer, yielding a
        :class:`TimedOut` for it; :class:`InProcess` cannot and refuses one.
        """
        ...


_DONE = object()


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

    def run[R](
        self, tasks: Iterable[Task[R]], time_limit: float | None = None
    ) -> Iterator[R | LostRun]:
        """Run each task in turn.

        Raises:
            ExecutorError: With a ``time_limit``: a run in this process cannot be stopped
                from outside; :func:`make_executor` gives one worker process instead.
        """
        if time_limit is not None:
            raise ExecutorError("a time limit needs worker processes; use LocalProcesses(1)")
        for task in tasks:
            yield perform(task)


def _worker_main(conn: multiprocessing.connection.Connection) -> None:
    """A local worker process: run the tasks the parent sends, one at a time, until None.

    Ctrl-C reaches the whole process group; only the parent handles it (and then stops
    the workers), so a worker never dies half-way through a handler. And a worker
    exits as soon as its parent does, even if the parent was killed outright: it
    would otherwise wait forever for tasks that never come.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_exit_with, args=(parent.sentinel,), daemon=True).start()
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):  # the parent closed the pipe
            return
        if task is None:
            return
        conn.send(("started", None))  # the time limit counts from here, not from the import
        try:
            message: tuple[str, Any] = ("ok", perform(task))
        except BaseException as exc:  # tasks return their own errors; this is a surprise
            message = ("error", f"{describe(exc)}\n{traceback.format_exc()}")
        try:
            conn.send(message)
        except Exception as exc:  # e.g. a value that cannot be pickled
            conn.send(("error", f"cannot send the outcome back: {describe(exc)}"))


def _exit_with(sentinel: int) -> None:
    multiprocessing.connection.wait([sentinel])
    os._exit(1)


class _Worker:
    """One local worker process, the pipe to it and the task it is running."""

    def __init__(self, context: Any) -> None:
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_worker_main, args=(child,), daemon=True)
        self.process.start()
        child.close()
        self.task: Any = None
        self.started: float | None = None  # when the worker began the task

    def give(self, task: Any) -> None:
        self.conn.send(task)
        self.task, self.started = task, None

    def stop(self, grace: float) -> None:
        """Ask the process to exit (terminate it after ``grace`` seconds, kill if need be)."""
        if grace > 0 and self.task is None and self.process.is_alive():
            with contextlib.suppress(OSError, ValueError):
                self.conn.send(None)
            self.process.join(grace)
        if self.process.is_alive():
            self.process.terminate()  # SIGTERM: also stops a run stuck in C code
            self.process.join(2)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(2)
        self.conn.close()


class LocalProcesses:
    """A pool of ``workers`` processes on this machine, each running one task at a time.

    The pool is managed here rather than with :class:`concurrent.futures.ProcessPoolExecutor`
    so that a worker can be killed and replaced when its run exceeds a time limit, and
    so that leaving the ``with`` block on an exception (Ctrl-C included) terminates every
    worker at once, whatever its run is doing, on every Python version.
    """

    def __init__(self, workers: int) -> None:
        if workers < 1:
            raise ExecutorError(f"workers must be at least 1, got {workers}")
        self.workers = workers
        self.description = f"{workers} local worker processes"
        self._context = multiprocessing.get_context("spawn")
        self._pool: list[_Worker] | None = None

    def __enter__(self) -> Self:
        self._pool = []
        try:
            for _ in range(self.workers):
                self._pool.append(_Worker(self._context))
        except BaseException:
            self.__exit__(KeyboardInterrupt)
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        # Finished: let idle workers exit. Interrupted or failed: do not wait for runs in
        # flight; terminate the workers now (the caller stores nothing more from them).
        if kind is not None:
            for worker in pool:
                if worker.process.is_alive():
                    worker.process.terminate()
        for worker in pool:
            worker.stop(grace=5.0 if kind is None else 0.0)

    def run[R](
        self, tasks: Iterable[Task[R]], time_limit: float | None = None
    ) -> Iterator[R | LostRun]:
        """Give each worker one task at a time; yield outcomes as they finish.

        A worker is handed its next task as soon as it returns an outcome, before the
        outcome is yielded, so it does not wait while the caller stores a result.

        Args:
            tasks: The tasks (taken lazily, one per idle worker).
            time_limit: Seconds a task may run; a task still running then is stopped,
                its worker killed and replaced, and a :class:`TimedOut` yielded.

        Yields:
            Each task's outcome, a :class:`TimedOut`, or a :class:`LostRun` when a worker
            died (the pool then stops: what was in flight is reported lost).
        """
        pool = self._pool
        if pool is None:
            raise ExecutorError("use the executor in a with statement")
        source = iter(tasks)
        exhausted = False

        def give_next(worker: _Worker) -> None:
            nonlocal exhausted
            task = None if exhausted else next(source, None)
            if task is None:
                exhausted = True
            else:
                worker.give(task)

        while True:
            for worker in pool:
                if worker.task is None:
                    give_next(worker)
            busy = [w for w in pool if w.task is not None]
            if not busy:
                return
            timeout = None
            running = [w.started for w in busy if w.started is not None]
            if time_limit is not None and running:
                timeout = max(0.0, min(running) + time_limit - time.monotonic())
            ready = multiprocessing.connection.wait(
                [w.conn for w in busy] + [w.process.sentinel for w in busy], timeout
            )
            for worker in busy:
                run_id = worker.task.run_id
                if worker.conn in ready or worker.conn.poll():
                    try:
                        kind, value = worker.conn.recv()
                    except (EOFError, OSError):
                        kind, value = "died", "the worker process died"
                else:
                    kind, value = (
                        ("died", "the worker process died")
                        if (worker.process.sentinel in ready)
                        else ("", None)
                    )
                if kind == "started":
                    worker.started = time.monotonic()
                elif kind in ("ok", "error"):
                    # The worker's next task goes out before the caller handles this
                    # outcome (storing it takes a few milliseconds it need not wait for).
                    worker.task = None
                    give_next(worker)
                    yield value if kind == "ok" else LostRun(run_id, value)
                elif kind == "died":
                    # Killed from outside (out of memory...): report what was in flight as
                    # lost and stop; --resume runs the rest.
                    code = worker.process.exitcode
                    worker.task = None
                    yield LostRun(run_id, f"worker process died (exit code {code}): {value}")
                    for other in pool:
                        if other.task is not None:
                            lost, other.task = other.task.run_id, None
                            yield LostRun(lost, "another worker process died; run abandoned")
                    return
            if time_limit is not None:
                now = time.monotonic()
                for i, worker in enumerate(pool):
                    if worker.started is not None and now - worker.started >= time_limit:
                        run_id, seconds = worker.task.run_id, now - worker.started
                        worker.stop(grace=0.0)
                        pool[i] = _Worker(self._context)
                        yield TimedOut(run_id, _time_limit_reason(time_limit, seconds), seconds)


def _time_limit_reason(limit: float, seconds: float) -> str:
    return (
        f"TimeLimitExceeded: stopped after {seconds:.1f} s, over the time limit of "
        f"{limit:g} s (run_time_limit_s)"
    )


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

    def run[R](
        self, tasks: Iterable[Task[R]], time_limit: float | None = None
    ) -> Iterator[R | LostRun]:
        """Submit tasks as slots free up; yield outcomes in the order they finish.

        With a ``time_limit``, only as many tasks as the cluster has threads are in
        flight, so a task starts about when it is submitted; its clock starts then, and
        a task still unfinished after ``time_limit`` seconds is cancelled and yielded as
        :class:`TimedOut`. Dask cannot stop a task a worker thread has started, so the
        worker running it is restarted by its nanny (other runs it had in flight are
        rerun elsewhere by the scheduler); a worker without a nanny stays busy until
        the run ends.
        """
        from distributed import as_completed

        client = self._client
        if client is None:
            raise ExecutorError("use the executor in a with statement")
        in_flight: dict[Any, int] = {}
        submitted: dict[Any, float] = {}
        finished = as_completed()
        source = iter(tasks)

        def refill() -> None:
            slots = self._slots()
            if time_limit is not None:
                slots = max(1, slots // 2)
            while len(in_flight) < slots:
                task = next(source, None)
                if task is None:
                    return
                future = client.submit(perform, task, pure=False)
                in_flight[future] = task.run_id
                submitted[future] = time.monotonic()
                finished.add(future)

        def next_finished() -> Any:
            """The next finished future, or None when a task has run out of time."""
            if time_limit is None:
                return next(finished, _DONE)
            while True:
                if not in_flight:
                    return next(finished, _DONE)
                first = min(submitted[f] for f in in_flight) + time_limit
                left = first - time.monotonic()
                if left <= 0:
                    return None
                try:
                    batch = finished.next_batch(block=False)
                except StopIteration:
                    return _DONE
                if batch:
                    for extra in batch[1:]:  # put back the rest, in order
                        finished.add(extra)
                    return batch[0]
                time.sleep(min(left, 0.05))

        try:
            refill()
            while True:
                future = next_finished()
                if future is _DONE:
                    break
                if future is None:  # someone's time is up
                    now = time.monotonic()
                    late = [f for f in in_flight if now - submitted[f] >= time_limit]
                    keys = {f.key for f in late}
                    busy = [w for w, ks in client.processing().items() if keys & set(ks)]
                    client.cancel(late)
                    if busy:  # the only way to free a thread stuck in a run
                        with contextlib.suppress(Exception):  # e.g. a worker without a nanny
                            client.restart_workers(busy, timeout=10, raise_for_error=False)
                    for future in late:
                        run_id, seconds = in_flight.pop(future), now - submitted.pop(future)
                        future.release()
                        yield TimedOut(run_id, _time_limit_reason(time_limit, seconds), seconds)
                    refill()
                    continue
                if future not in in_flight:  # cancelled for its time, then reported done
                    continue
                run_id = in_flight.pop(future)
                submitted.pop(future, None)
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


def make_executor(
    workers: int = 1, scheduler: str | None = None, *, time_limit: float | None = None
) -> Executor:
    """The executor for the given options.

    Args:
        workers: Local worker processes (1: run in this process). Ignored with a scheduler.
        scheduler: Address of a Dask scheduler, e.g. ``tcp://127.0.0.1:8786``.
        time_limit: The runs will have a time limit: with ``workers=1`` they then run in
            one worker process (which can be killed) rather than in this process.

    Returns:
        The executor (use it in a ``with`` statement).
    """
    if scheduler:
        return DaskCluster(scheduler)
    if workers == 1 and time_limit is None:
        return InProcess()
    return LocalProcesses(workers)
