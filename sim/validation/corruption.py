"""The corruption chain against two field studies: Olken (2007) and Reinikka & Svensson (2004).

Both run the shipped validation scenarios (``scenarios/validation/``) and measure the
share of the money disbursed that leaked, exactly from the ledger (integer cents):

- :func:`olken_audit_experiment`: missing expenditure along the whole chain with audits at
  4% and at 100% a year. Olken found a fall of about 8 percentage points (from ~28%).
- :func:`reinikka_svensson_campaign`: capture (leaked share of a year's disbursement) in
  1995, before the 1997 newspaper campaign, and in 2001. Reinikka & Svensson found about
  80% and under 20%.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sim.resources import shipped_scenario
from sim.run import RunResult, simulate
from sim.scenario import load_scenario

#: The scenario files, relative to the shipped scenarios folder.
OLKEN = "validation/olken_2007.yaml"
REINIKKA_SVENSSON = "validation/reinikka_svensson_2004.yaml"


@dataclass(frozen=True)
class Measured:
    """A measured quantity over seeds.

    Attributes:
        values: One value per seed.
    """

    values: tuple[float, ...]

    @property
    def mean(self) -> float:
        """Mean over the seeds."""
        return float(np.mean(self.values))


def leaked_share(result: RunResult, year: int | None = None) -> float:
    """Leaked cents over disbursed cents, for the whole run or one calendar year."""
    ledger = result.ledger
    if year is not None:
        ledger = ledger[ledger["date"].str.startswith(f"{year}-")]
    disbursed = int(ledger.loc[ledger["kind"] == "disbursement", "cents"].sum())
    leaked = int(ledger.loc[ledger["kind"] == "leak", "cents"].sum())
    return leaked / disbursed


def olken_audit_experiment(seeds: Sequence[int] = (1, 2, 3)) -> dict[str, Measured]:
    """Missing expenditure with audits at 4% (control) and 100% (treatment) a year.

    Returns:
        ``control``, ``treatment`` and ``drop`` (control minus treatment, in shares).
    """
    path = shipped_scenario(OLKEN)
    control, treatment = [], []
    for seed in seeds:
        for probability, out in ((0.04, control), (1.0, treatment)):
            scenario = load_scenario(path, [f"funders[*].audit_probability={probability}"])
            out.append(leaked_share(simulate(scenario, seed)))
    drop = tuple(c - t for c, t in zip(control, treatment, strict=True))
    return {
        "control": Measured(tuple(control)),
        "treatment": Measured(tuple(treatment)),
        "drop": Measured(drop),
    }


def reinikka_svensson_campaign(seeds: Sequence[int] = (1, 2, 3)) -> dict[str, Measured]:
    """Capture before (1995) and after (2001) the transfers were published.

    Returns:
        ``before`` and ``after``: the leaked share of each year's disbursement.
    """
    scenario = load_scenario(shipped_scenario(REINIKKA_SVENSSON))
    before, after = [], []
    for seed in seeds:
        result = simulate(scenario, seed)
        before.append(leaked_share(result, 1995))
        after.append(leaked_share(result, 2001))
    return {"before": Measured(tuple(before)), "after": Measured(tuple(after))}
