"""pyabc's samplers, made safe to interrupt: Ctrl-C stops model runs, never a history write.

pyabc writes each generation to its SQLite history between samplings. A Ctrl-C that
lands inside such a write leaves the transaction open; pyabc's clean-up then commits
on another connection and waits on that lock for its database timeout (two minutes),
and fails with a traceback instead of stopping. So while a calibration runs, Ctrl-C
is taken by :class:`Interrupts`: during sampling (the model runs, in this process or
on workers) it stops at once, as usual; at any other moment it is held and raised as
soon as pyabc has finished writing, when the next sampling would start or when the
generation loop checks (:meth:`Interrupts.raise_pending`).

This module imports pyabc; import it only where pyabc is needed.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType
from typing import Any

import pyabc


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


class _Interruptible:
    """Mixin: sampling runs in :meth:`Interrupts.sampling` (when interrupts are given)."""

    interrupts: Interrupts | None = None

    def sample_until_n_accepted(self, *args: Any, **kwargs: Any) -> Any:
        """Sample as pyabc does, with Ctrl-C raised at once."""
        if self.interrupts is None:
            return super().sample_until_n_accepted(*args, **kwargs)
        with self.interrupts.sampling():
            return super().sample_until_n_accepted(*args, **kwargs)


class SingleCoreSampler(_Interruptible, pyabc.sampler.SingleCoreSampler):
    """pyabc's single-core sampler (the model runs in this process)."""


class MulticoreEvalParallelSampler(_Interruptible, pyabc.sampler.MulticoreEvalParallelSampler):
    """pyabc's evaluation-parallel sampler on local worker processes."""


class DaskDistributedSampler(_Interruptible, pyabc.sampler.DaskDistributedSampler):
    """pyabc's sampler on a Dask cluster."""
