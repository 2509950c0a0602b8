"""Atomic writes: a folder or file appears complete, or not at all."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _umask() -> int:
    """The process's file-creation mask (read by setting and restoring it)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextmanager
def atomic_directory(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Build a folder under a temporary name and move it to ``target`` when done.

    The temporary folder is hidden, beside ``target`` (so the final rename stays on one
    file system). If the block raises, it is deleted and ``target`` is left as it was;
    otherwise an existing ``target`` is moved aside, replaced, then deleted.

    Args:
        target: The folder to create or replace.

    Yields:
        The temporary folder to write into.
    """
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
