"""pyabc's samplers, made safe to interrupt and made to report their runs as they go.

pyabc writes each generation to its SQLite history between samplings. A Ctrl-C that
lands inside such a write leaves the transaction open; pyabc's clean-up then commits
on another connection and waits on that lock for its database timeout (two minutes),
and fails with a traceback instead of stopping. So while a calibration runs, Ctrl-C
is taken by :class:`Interrupts`: during sampling (the model runs, in this process or
on workers) it stops at once, as usual; at any other moment it is held and raised as
soon as pyabc has finished writing, when the next sampling would start or when the
generation loop checks (:meth:`Interrupts.raise_pending`).

A generation of a thousand particles can take minutes; so that progress shows within it,
the local samplers count each model run in shared memory (also from forked worker
processes) and a thread passes the count to ``on_runs`` every :data:`REPORT_EVERY`
seconds while sampling, and once at its end. On a Dask cluster runs are not counted
(a counter in shared memory does not reach other machines).

This module imports pyabc; import it only where pyabc is needed.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from ctypes import c_longlong
from types import FrameType
from typing import Any

import pyabc
from pyabc.sampler.util import get_mp_context

#: Seconds between two reports of the runs done in the generation being sampled.
REPORT_EVERY = 0.5


class Interrupts:
    """Where a Ctrl-C goes: raised at once while sampling, else held until it is safe."""

    def __init__(self) -> None:
        self.pending = False
        self._sampling = False

    def handle(self, signum: int, frame: FrameType | None) -> None:
        """The SIGINT handler."""
        if self._sampling:
            raise KeyboardInterrupt
        self.pending = True

    def raise_pending(self) -> None:
        """Raise a held Ctrl-C now.

        Raises:
            KeyboardInterrupt: If one is held.
        """
        if self.pending:
            self.pending = False
            raise KeyboardInterrupt

    @contextlib.contextmanager
    def sampling(self) -> Iterator[None]:
        """While sampling, Ctrl-C is raised at once (a held one first)."""
        self.raise_pending()
        self._sampling = True
        try:
            yield
        finally:
            self._sampling = False


@contextlib.contextmanager
def held_interrupts() -> Iterator[Interrupts]:
    """Take SIGINT with an :class:`Interrupts` for the block (in the main thread only).

    Elsewhere signals cannot be handled, and Ctrl-C reaches the main thread as usual.
    """
    interrupts = Interrupts()
    if threading.current_thread() is not threading.main_thread():
        yield interrupts
        return
    previous = signal.signal(signal.SIGINT, interrupts.handle)
    try:
        yield interrupts
    finally:
        signal.signal(signal.SIGINT, previous)


class _Counted:
    """pyabc's ``simulate_one``, counting its calls in a shared-memory counter."""

    def __init__(self, simulate_one: Callable[[], Any], counter: Any) -> None:
        self.simulate_one = simulate_one
        self.counter = counter

    def __call__(self) -> Any:
        result = self.simulate_one()
        with self.counter.get_lock():
            self.counter.value += 1
        return result


class _Reporting:
    """Mixin: sampling is interruptible (:class:`Interrupts`) and reports its runs.

    Attributes:
        interrupts: Where Ctrl-C goes (None: Python's default).
        on_runs: Called with the number of model runs so far in the generation being
            sampled, every :data:`REPORT_EVERY` seconds and at the end of the sampling
            (None: not counted).
    """

    interrupts: Interrupts | None = None
    on_runs: Callable[[int], object] | None = None

    @property
    def counts_runs(self) -> bool:
        """Whether a counter in this machine's shared memory reaches every run."""
        return True

    def sample_until_n_accepted(self, n: int, simulate_one: Any, *args: Any, **kwargs: Any) -> Any:
        """Sample as pyabc does, with Ctrl-C raised at once and the runs reported."""
        with contextlib.ExitStack() as stack:
            if self.on_runs is not None and self.counts_runs:
                simulate_one = stack.enter_context(self._counting(simulate_one, self.on_runs))
            if self.interrupts is not None:
                stack.enter_context(self.interrupts.sampling())
            return super().sample_until_n_accepted(n, simulate_one, *args, **kwargs)

    @staticmethod
    @contextlib.contextmanager
    def _counting(
        simulate_one: Callable[[], Any], on_runs: Callable[[int], object]
    ) -> Iterator[_Counted]:
        """``simulate_one`` counted, with a thread reporting the count meanwhile."""
        counter = get_mp_context().Value(c_longlong, 0)  # pyabc's context: forks share it
        done = threading.Event()

        def report() -> None:
            while not done.wait(REPORT_EVERY):
                on_runs(counter.value)

        thread = threading.Thread(target=report, name="calibration runs", daemon=True)
        thread.start()
        try:
            yield _Counted(simulate_one, counter)
        finally:
            done.set()
            thread.join()
        on_runs(counter.value)


class SingleCoreSampler(_Reporting, pyabc.sampler.SingleCoreSampler):
    """pyabc's single-core sampler (the model runs in this process)."""


class MulticoreEvalParallelSampler(_Reporting, pyabc.sampler.MulticoreEvalParallelSampler):
    """pyabc's evaluation-parallel sampler on local worker processes."""

    @property
    def counts_runs(self) -> bool:
        """Whether the workers are forked (then they share the counter)."""
        return not self.pickle  # pickled for the other start methods: a counter cannot be


class DaskDistributedSampler(_Reporting, pyabc.sampler.DaskDistributedSampler):
    """pyabc's sampler on a Dask cluster (its runs are not counted)."""

    @property
    def counts_runs(self) -> bool:
        """Never: the runs are on other machines."""
        return False
