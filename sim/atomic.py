"""Atomic writes: a folder or file appears complete, or not at all.

Output folders are written by one process at a time (:func:`claim_output` and
:func:`atomic_directory` hold the lock of :mod:`sim.locks`), and replaced so that a
result is always visible, whenever the writer is killed.
"""

from __future__ import annotations

import ctypes
import errno
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from sim.locks import locked, pid_alive


@cache
def _umask() -> int:
    """The process's file-creation mask (read by setting and restoring it)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_file(path: str | os.PathLike[str], write: Callable[[Path], object]) -> Path:
    """Write a file under a temporary name, flush it to disk, then rename it into place.

    Args:
        path: The file to create or replace.
        write: Writes the content to the temporary path it is given.

    Returns:
        The file written.
    """
    path = Path(path)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        tmp.chmod(0o666 & ~_umask())  # as a plain open() would (mkstemp makes it private)
        write(tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())  # the data reaches the disk before the name does
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


class OccupiedError(ValueError):
    """An output path holds something this program did not write: it will not replace it."""


def check_replaceable(target: str | os.PathLike[str], marker: str) -> None:
    """Refuse to replace anything but an empty folder or an earlier output of the same kind.

    Args:
        target: The output folder about to be written.
        marker: A file name that every earlier output of this kind contains.

    Raises:
        OccupiedError: If ``target`` is a file, or a non-empty folder without ``marker``.
    """
    target = Path(target)
    if not target.exists():
        return
    if not target.is_dir():
        raise OccupiedError(f"{target} exists and is not a folder; choose another output path")
    if any(target.iterdir()) and not (target / marker).is_file():
        raise OccupiedError(
            f"{target} is a non-empty folder that is not an earlier output (it has no "
            f"{marker}); refusing to replace it: choose another output path"
        )


@contextmanager
def claim_output(target: str | os.PathLike[str], marker: str) -> Iterator[Path]:
    """Hold ``target`` for writing: lock it, tidy what dead writers left, check it.

    Commands take this before their (long) runs, so that a second command writing the
    same folder is refused at once rather than after its runs, and keep it until the
    folder is written; :func:`atomic_directory` inside the block takes the same lock
    again (locks are re-entrant within a process).

    Args:
        target: The output folder.
        marker: A file every output of this kind contains (see :func:`check_replaceable`).

    Yields:
        ``target``, resolved.

    Raises:
        LockedError: If another process is writing ``target``.
        OccupiedError: If ``target`` holds something else than an earlier output.
    """
    target = Path(target).resolve()
    with locked(target):
        recover(target)
        check_replaceable(target, marker)
        yield target


def recover(target: str | os.PathLike[str]) -> list[Path]:
    """Tidy what writers of ``target`` that died mid-way left beside it.

    If ``target`` is missing but a writer died between moving the old ``target`` aside
    and moving the new one in (the fallback where the two folders cannot be exchanged
    atomically), the old one is put back. Then the hidden temporary folders of dead
    writers (``.<name>.<pid>.*.partial`` and ``.<name>.old-<pid>``) are deleted, as
    are those older than an hour of the earlier naming without a process id. Call it
    while holding the lock on ``target`` (see :mod:`sim.locks`).

    Args:
        target: The output folder.

    Returns:
        What was restored or deleted.
    """
    target = Path(target).resolve()
    parent, name = target.parent, re.escape(target.name)
    if not parent.is_dir():
        return []
    old = re.compile(rf"^\.{name}\.old-(\d+)$")
    partial = re.compile(rf"^\.{name}\.(\d+)\.[a-z0-9_]+\.partial$")
    legacy = re.compile(rf"^\.{name}\.[a-z0-9_]{{8}}\.partial$")
    dead_old, dead_partial = [], []
    for path in parent.iterdir():
        m = old.match(path.name) or partial.match(path.name)
        if m and int(m.group(1)) != os.getpid() and not pid_alive(int(m.group(1))):
            (dead_old if m.re is old else dead_partial).append(path)
        elif legacy.match(path.name) and _age(path) > _LEGACY_AGE_S:
            dead_partial.append(path)
    touched = []
    if dead_old and not target.exists():
        newest = max(dead_old, key=_mtime)
        newest.rename(target)
        dead_old.remove(newest)
        touched.append(target)
    for path in dead_old + dead_partial:
        _remove(path)
        touched.append(path)
    return touched


_LEGACY_AGE_S = 3600.0


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _age(path: Path) -> float:
    return time.time() - _mtime(path)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2`` with ``RENAME_EXCHANGE``).

    Returns:
        False if this system or file system cannot (the caller then falls back).
    """
    function = _renameat2()
    if function is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    if function(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.EPERM):
        return False
    raise OSError(code, os.strerror(code), str(a), None, str(b))


@cache
def _renameat2() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):  # glibc before 2.28, or another C library
        return None
    function.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    function.restype = ctypes.c_int
    return function


@contextmanager
def atomic_directory(target: str | os.PathLike[str], marker: str) -> Iterator[Path]:
    """Build a folder under a temporary name and move it to ``target`` when done.

    The temporary folder is hidden, beside ``target`` (so the final rename stays on one
    file system), and named after this process (``.<name>.<pid>.*.partial``), so that
    the next writer can delete it if this process dies. If the block raises, it is
    deleted and ``target`` is left as it was. Otherwise an existing ``target`` is
    exchanged with it in one atomic step (Linux ``renameat2``), so a result is visible
    at every moment, and the old one is then deleted; where that is not possible, the
    old ``target`` is moved aside to ``.<name>.old-<pid>`` first, and the next writer
    puts it back if this process died before the new one was in place (see
    :func:`recover`). Only an empty folder or an earlier output (a folder holding
    ``marker``) is ever replaced, and only by the process holding the lock on
    ``target`` (see :mod:`sim.locks`).

    Args:
        target: The folder to create or replace.
        marker: A file every output of this kind contains (see :func:`check_replaceable`).

    Yields:
        The temporary folder to write into.

    Raises:
        OccupiedError: If ``target`` holds something else.
        LockedError: If another process is writing ``target``.
    """
    with claim_output(target, marker) as target:
        tmp = Path(
            tempfile.mkdtemp(
                prefix=f".{target.name}.{os.getpid()}.", suffix=".partial", dir=target.parent
            )
        )
        tmp.chmod(0o777 & ~_umask())  # mkdtemp makes it private; results are meant to be shared
        try:
            yield tmp
            if not target.exists():
                tmp.rename(target)
            elif _exchange(tmp, target):
                shutil.rmtree(tmp, ignore_errors=True)  # now the old one
            else:
                old = target.with_name(f".{target.name}.old-{os.getpid()}")
                target.rename(old)
                tmp.rename(target)
                shutil.rmtree(old, ignore_errors=True)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
