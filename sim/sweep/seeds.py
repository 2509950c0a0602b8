"""Seeds of a sweep: everything random derives from the sweep's one root seed.

A run's seed depends only on the root seed, its design point and its replicate
number, never on which process runs it or in which order, so the same sweep gives
the same results on one core, on many, or on a cluster.

Two streams are split off the root with NumPy's ``SeedSequence`` (distinct spawn
keys, hence statistically independent):

- the design stream samples random, Latin-hypercube, Sobol' and Morris designs;
- the run stream gives each run its seed.

With ``seeds: common`` (the default) replicate *r* has the same seed at every design
point (common random numbers: points differ only in their parameters, which makes
comparisons between points and sensitivity estimates less noisy); with
``seeds: independent`` every (point, replicate) pair gets its own seed.
"""

from __future__ import annotations

import numpy as np

_DESIGN_STREAM = 0
_RUN_STREAM = 1


def design_rng(root_seed: int) -> np.random.Generator:
    """The generator that samples the design.

    Args:
        root_seed: The sweep's root seed.

    Returns:
        A fresh generator; the same root seed always gives the same draws.
    """
    return np.random.default_rng(np.random.SeedSequence(root_seed, spawn_key=(_DESIGN_STREAM,)))


def analysis_seed(root_seed: int) -> int:
    """A seed for the bootstrap of sensitivity confidence intervals (reproducible too)."""
    return _to_int(np.random.SeedSequence(root_seed, spawn_key=(_RUN_STREAM + 1,)))


def run_seed(root_seed: int, point: int, replicate: int, *, common: bool = True) -> int:
    """The seed of one run.

    Args:
        root_seed: The sweep's root seed.
        point: The design point's number (ignored when ``common``).
        replicate: The replicate number at that point.
        common: Whether replicates share seeds across points (common random numbers).

    Returns:
        A seed in [0, 2**63), as accepted by ``simulate``.
    """
    key = (_RUN_STREAM, replicate) if common else (_RUN_STREAM, point, replicate)
    return _to_int(np.random.SeedSequence(root_seed, spawn_key=key))


def _to_int(seq: np.random.SeedSequence) -> int:
    return int(seq.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))


#: Seeds are kept inside the scenario format's range.
SEED_LIMIT = 2**63


def replicate_seeds(root: int, n: int) -> list[int]:
    """The seeds of ``n`` replicates that every scenario or combination shares.

    ``root``, ``root + 1``, ... (wrapping within the scenario format's range), so that
    comparisons and decompositions run with common random numbers.

    >>> replicate_seeds(7, 3)
    [7, 8, 9]

    Raises:
        ValueError: If ``n`` is below 1.
    """
    if n < 1:
        raise ValueError(f"replicates must be at least 1, got {n}")
    return [(root + i) % SEED_LIMIT for i in range(n)]
