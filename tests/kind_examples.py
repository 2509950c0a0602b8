"""One example of every registered shock kind and actor kind, for the SMALL scenario.

The common checks (``test_registries.py``) and the books-balance property test
(``test_model.py``) run every registered kind through these examples; a test fails
when a kind is registered without one, so a new kind comes with its example.
"""

from __future__ import annotations

from typing import Any

#: Shock type -> its fields, except ``id``, ``type`` and ``date``.
SHOCK_EXAMPLES: dict[str, dict[str, Any]] = {
    "outlet_shutdown": {"outlet": "tv", "detained": 2},
    "outlet_restriction": {"outlet": "tv", "capacity": 0.5},
    "activity_ban": {"activities": ["party"], "until": "2020-12-31"},
    "sentiment": {"segments": ["young"], "delta": -0.2},
    "host_policy": {"media_control": 0.9, "stance": -0.3},
    "budget_change": {"funder": "f", "factor": 0.5},
    "intermediary_replacement": {"intermediary": "cur", "integrity": 0.9},
    "audit_drive": {"funder": "f", "audit_probability": 1.0, "until": "2020-12-31"},
    "funder_restructure": {"funder": "f", "budget_factor": 0.8, "audit_probability": 0.3},
    "staff_detention": {"target": "real_ngo", "detained": 3},
    "publication": {"funder": "f", "share": 0.9},
}


#: Actor kind -> changes to the SMALL scenario that give it at least one working entry
#: (deep-merged; SMALL already has every shipped kind).
ACTOR_EXAMPLES: dict[str, dict[str, Any]] = {
    "funder": {},
    "intermediary": {},
    "ngo": {},
    "outlet": {},
    "host_state": {},
}


def shock(kind: str, date: str = "2020-03-15", **changes: Any) -> dict[str, Any]:
    """A scenario entry for a shock of ``kind`` on ``date``, with ``changes`` applied."""
    return {"id": f"ex_{kind}", "type": kind, "date": date, **SHOCK_EXAMPLES[kind], **changes}
