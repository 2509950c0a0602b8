"""Atomic writes: a folder or file appears complete, or not at all."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path


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
def atomic_directory(target: str | os.PathLike[str], marker: str) -> Iterator[Path]:
    """Build a folder under a temporary name and move it to ``target`` when done.

    The temporary folder is hidden, beside ``target`` (so the final rename stays on one
    file system). If the block raises, it is deleted and ``target`` is left as it was;
    otherwise an existing ``target`` is moved aside, replaced, then deleted. Only an
    empty folder or an earlier output (a folder holding ``marker``) is ever replaced.

    Args:
        target: The folder to create or replace.
        marker: A file every output of this kind contains (see :func:`check_replaceable`).

    Yields:
        The temporary folder to write into.

    Raises:
        OccupiedError: If ``target`` holds something else.
    """
    check_replaceable(target, marker)
    target = Path(target).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent))
    tmp.chmod(0o777 & ~_umask())  # mkdtemp makes it private; results are meant to be shared
    try:
        yield tmp
        if target.exists():
            old = target.with_name(f".{target.name}.old-{os.getpid()}")
            target.rename(old)
            tmp.rename(target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
