"""Compile plain Python loops with Numba on first use (cached in memory and on disk).

Numba is imported only when a loop is first needed, so importing the model (the scenario
schema does) does not pay for it. Uncompiled, every loop gives the same results, only
about a hundred times more slowly.
"""

from __future__ import annotations

import functools
from collections.abc import Callable


@functools.cache
def compiled(loop: Callable[..., None]) -> Callable[..., None]:
    """``loop`` compiled with ``numba.njit`` (nopython, GIL released, cached on disk)."""
    import numba

    return numba.njit(cache=True, nogil=True)(loop)
