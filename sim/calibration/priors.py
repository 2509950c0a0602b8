"""Priors: from a calibration file's entries to SciPy distributions and pyabc's priors.

Each prior is one SciPy distribution (pyabc's ``RV`` wraps SciPy too, so the density
the sampler uses and the one the dashboard draws are the same). An entry that gives
nothing takes the base scenario's ``ranges:`` entry for its path: uniform over it, or
log-uniform when the range says ``log``, as sweeps' ``from_ranges`` does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from scipy import stats

from sim.calibration.spec import PriorSpec


@dataclass(frozen=True)
class Prior:
    """One field's prior, resolved.

    Attributes:
        path: The field path (as in ``--set``).
        kind: uniform, log_uniform, normal, truncated_normal or beta.
        args: SciPy's positional shape/location arguments, in order.
        kwargs: SciPy's keyword arguments (loc, scale).
        scipy_name: The SciPy distribution's name.
        label: The prior in words, e.g. ``uniform(0.1, 0.6) [from ranges]``.
    """

    path: str
    kind: str
    scipy_name: str
    args: tuple[float, ...]
    kwargs: tuple[tuple[str, float], ...]
    label: str

    def frozen(self) -> Any:
        """The SciPy frozen distribution."""
        return getattr(stats, self.scipy_name)(*self.args, **dict(self.kwargs))

    def support(self) -> tuple[float, float]:
        """Where the prior puts 99.8% of its mass or all of it (for probing and plots)."""
        d = self.frozen()
        low, high = d.support()
        if low == float("-inf") or high == float("inf"):
            return float(d.ppf(0.001)), float(d.ppf(0.999))
        return float(low), float(high)


def resolve(path: str, spec: PriorSpec | None, ranges: dict[str, Any]) -> Prior:
    """Turn a file's prior entry into a :class:`Prior`.

    Args:
        path: The field path.
        spec: The entry (None or empty: from the base scenario's range).
        ranges: The base scenario's ``ranges:`` section (path -> RangeSpec).

    Returns:
        The prior.

    Raises:
        ValueError: If the entry is empty and the base scenario has no range for ``path``.
    """
    kind = spec.kind if spec is not None else None
    note = ""
    if kind is None:
        r = ranges.get(path)
        if r is None:
            raise ValueError(
                "no prior given and the base scenario's ranges: section has no entry for this "
                "path; give uniform, log_uniform, normal, truncated_normal or beta"
            )
        spec = (
            PriorSpec(log_uniform=(r.low, r.high)) if r.log else PriorSpec(uniform=(r.low, r.high))
        )
        kind, note = spec.kind, " [from ranges]"
    assert spec is not None
    if kind == "uniform":
        low, high = spec.uniform  # type: ignore[misc]
        return Prior(
            path,
            kind,
            "uniform",
            (),
            (("loc", low), ("scale", high - low)),
            f"uniform({low:g}, {high:g}){note}",
        )
    if kind == "log_uniform":
        low, high = spec.log_uniform  # type: ignore[misc]
        return Prior(
            path, kind, "loguniform", (low, high), (), f"log-uniform({low:g}, {high:g}){note}"
        )
    if kind == "normal":
        n = spec.normal
        assert n is not None
        return Prior(
            path,
            kind,
            "norm",
            (),
            (("loc", n.mean), ("scale", n.sd)),
            f"normal(mean {n.mean:g}, sd {n.sd:g})",
        )
    if kind == "truncated_normal":
        t = spec.truncated_normal
        assert t is not None
        a, b = (t.low - t.mean) / t.sd, (t.high - t.mean) / t.sd
        return Prior(
            path,
            kind,
            "truncnorm",
            (a, b),
            (("loc", t.mean), ("scale", t.sd)),
            f"normal(mean {t.mean:g}, sd {t.sd:g}) within [{t.low:g}, {t.high:g}]",
        )
    b_ = spec.beta
    assert b_ is not None
    return Prior(
        path,
        "beta",
        "beta",
        (b_.a, b_.b),
        (("loc", b_.low), ("scale", b_.high - b_.low)),
        f"beta({b_.a:g}, {b_.b:g}) on [{b_.low:g}, {b_.high:g}]",
    )


def probe_values(prior: Prior) -> list[tuple[float, str]]:
    """Values to try on the base scenario when a calibration is loaded, each with a label."""
    d = prior.frozen()
    low, high = d.support()
    if low == float("-inf") or high == float("inf"):
        return [
            (float(d.ppf(0.001)), "the 0.1% quantile"),
            (float(d.ppf(0.999)), "the 99.9% quantile"),
            (float(d.median()), "the median"),
        ]
    return [
        (float(low), "the lower end"),
        (float(high), "the upper end"),
        (float(d.median()), "the median"),
    ]
