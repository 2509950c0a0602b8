"""Locks on output folders: one writer at a time, and a clear refusal naming the holder.

A folder being written (a sweep folder, a run's ``--out`` folder) is locked with a
hidden file beside it, ``.<name>.lock``, held with ``fcntl.flock`` on an open file
descriptor. The kernel releases such a lock when its process dies, however it dies
(Ctrl-C, SIGKILL, out of memory), so a stale lock never blocks anyone: the next
writer takes it over and overwrites the record. The file also holds a readable
record of its holder (pid, host, start time, command), which a refused writer shows::

    results/sweep-x is being written by another process (pid 4242 on host lab1, since
    2026-11-30T21:51:59+00:00: run_sim.py sweep x.yaml --resume); wait for it to finish,
    or stop it

The holder deletes the file when it lets go (while still holding the lock, and each
taker checks that the file it locked is still the one at the path, so a writer never
holds a lock on a deleted file). A lock is re-entrant within a process: a sweep that
holds its folder's lock can write the folder through :mod:`sim.atomic`, which takes the
same lock again.

Where ``flock`` is not available (no ``fcntl``, or a network file system that refuses
it) the record alone is used: a record whose process is alive on this host, or comes
from another host, refuses; one whose process is gone on this host is stale and
replaced.
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import os
import socket
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # not POSIX: the record alone
    fcntl = None  # type: ignore[assignment]

#: Lock files end with this.
SUFFIX = ".lock"


class LockedError(Exception):
    """Another process is writing the folder.

    Attributes:
        target: The folder.
        holder: The holder's record (``pid``, ``host``, ``started``, ``command``), as far
            as it could be read.
    """

    def __init__(self, target: Path, holder: dict[str, Any]) -> None:
        self.target = target
        self.holder = holder
        super().__init__(
            f"{target} is being written by another process ({describe_holder(holder)}); "
            "wait for it to finish, or stop it"
        )


def describe_holder(holder: dict[str, Any]) -> str:
    """The holder's record as text: pid, host, start time and command."""
    if not holder:
        return "whose record could not be read"
    pid, host = holder.get("pid", "?"), holder.get("host", "?")
    text = f"pid {pid} on host {host}"
    if holder.get("started"):
        text += f", since {holder['started']}"
    if holder.get("command"):
        text += f": {holder['command']}"
    if host == socket.gethostname() and isinstance(pid, int) and not pid_alive(pid):
        text += "; that process has ended, but a process it started still holds the lock"
    return text


def pid_alive(pid: int) -> bool:
    """Whether a process with this id runs on this host."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def lock_path(target: str | os.PathLike[str]) -> Path:
    """The lock file of ``target``: ``.<name>.lock`` beside it."""
    target = Path(target).resolve()
    return target.with_name(f".{target.name}{SUFFIX}")


class FolderLock:
    """A held lock (see :func:`acquire`); release it with :meth:`release`.

    Attributes:
        target: The folder locked.
        path: The lock file.
    """

    def __init__(self, target: Path, path: Path, fd: int) -> None:
        self.target = target
        self.path = path
        self._fd = fd
        self._count = 1

    @property
    def held(self) -> bool:
        """Whether this process still holds it."""
        return self._fd >= 0

    def release(self) -> None:
        """Let go once; the last release deletes the lock file and unlocks it."""
        with _guard:
            if self._fd < 0:
                return
            self._count -= 1
            if self._count > 0:
                return
            _held.pop(self.path, None)
            fd, self._fd = self._fd, -1
        try:
            self.path.unlink(missing_ok=True)  # while still locked: see the module docstring
        finally:
            os.close(fd)  # releases the flock

    def __enter__(self) -> FolderLock:
        return self

    def __exit__(self, *_: object) -> None:
        self.release()

    def __del__(self) -> None:  # a lock nobody released: let go when it is collected
        if getattr(self, "_fd", -1) >= 0:
            self._count = 1
            self.release()


_held: dict[Path, FolderLock] = {}
_guard = threading.Lock()


def acquire(target: str | os.PathLike[str]) -> FolderLock:
    """Lock ``target`` for writing, or refuse at once if another process holds it.

    Args:
        target: The folder (it need not exist yet; its parent is created).

    Returns:
        The lock: call :meth:`FolderLock.release` (or use it in a ``with`` statement).

    Raises:
        LockedError: If another process holds the lock.
    """
    target = Path(target).resolve()
    path = lock_path(target)
    with _guard:
        mine = _held.get(path)
        if mine is not None and mine.held:
            mine._count += 1
            return mine
    path.parent.mkdir(parents=True, exist_ok=True)
    for _ in range(20):  # retried only while another process is deleting the file
        fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o666)
        try:
            if not _lock(fd, target, path):
                continue
            with _guard:
                lock = FolderLock(target, path, fd)
                _held[path] = lock
            _write_record(fd)
            return lock
        except BaseException:
            os.close(fd)
            raise
    raise LockedError(target, _read_record(path))


@contextmanager
def locked(target: str | os.PathLike[str]) -> Iterator[FolderLock]:
    """Hold the lock on ``target`` for the ``with`` block (see :func:`acquire`)."""
    lock = acquire(target)
    try:
        yield lock
    finally:
        lock.release()


def _lock(fd: int, target: Path, path: Path) -> bool:
    """Lock the open file; False if it is no longer the file at ``path`` (retry)."""
    if fcntl is not None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LockedError(target, _read_record(path)) from None
        except OSError as exc:  # a file system without flock
            if exc.errno not in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL):
                raise
            _check_record(target, path)
    else:
        _check_record(target, path)
    try:
        same = os.stat(path).st_ino == os.fstat(fd).st_ino
    except FileNotFoundError:
        same = False
    if not same:
        os.close(fd)
    return same


def _check_record(target: Path, path: Path) -> None:
    """Without flock: refuse if the record names a live process (or another host)."""
    holder = _read_record(path)
    if not holder:
        return
    if holder.get("host") != socket.gethostname():
        raise LockedError(target, holder)
    pid = holder.get("pid")
    if isinstance(pid, int) and pid != os.getpid() and pid_alive(pid):
        raise LockedError(target, holder)


def _write_record(fd: int) -> None:
    record = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": " ".join(sys.argv),
    }
    data = (json.dumps(record) + "\n").encode()
    os.ftruncate(fd, 0)
    os.pwrite(fd, data, 0)


def _read_record(path: Path) -> dict[str, Any]:
    try:
        record = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return {}
    return record if isinstance(record, dict) else {}
