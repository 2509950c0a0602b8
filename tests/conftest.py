"""Shared fixtures: small scenarios built in code, so each test states what it varies."""

from __future__ import annotations

import copy
import os
import signal
from pathlib import Path
from typing import Any

import pytest

from sim.scenario import Scenario, validate_document
from sim.scenario.overrides import deep_merge

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"

# Tests interrupt commands they start with SIGINT, as Ctrl-C would. A shell starting the
# suite as a background job sets SIGINT to "ignored", which every child would inherit
# (and then never stop); a handler, unlike "ignored", is not inherited across exec, so
# with one here the children start with the default Ctrl-C behaviour.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

#: A small scenario with one of everything: two intermediaries, two NGOs (one a
#: facade), an outlet, two segments and no shocks.
SMALL: dict[str, Any] = {
    "name": "small",
    "description": "test scenario",
    "seed": 7,
    "time": {"start": "2020-01-01", "end": "2021-12-31", "step": "month"},
    "funders": [
        {
            "id": "f",
            "budget": {"total_usd": 2_400_000},
            "allocation": {"cur": 2, "med": 1},
            "audit_probability": 0.0,
        }
    ],
    "intermediaries": [
        {"id": "cur", "integrity": 0.5, "grantees": ["real_ngo", "fake_ngo"]},
        {"id": "med", "integrity": 0.8, "grantees": ["tv"], "grantee_choice": "capability"},
    ],
    "activities": [
        {
            "id": "course",
            "cost_usd": 1000,
            "reach": {"young": 20},
            "persuasion": 0.5,
            "for_show": False,
        },
        {
            "id": "party",
            "cost_usd": 5000,
            "reach": {"old": 200, "young": 50},
            "persuasion": 0.05,
            "for_show": True,
        },
    ],
    "ngos": [
        {
            "id": "real_ngo",
            "integrity": 0.9,
            "loyalty": 0.2,
            "capability": 0.9,
            "activities": {"course": 3, "party": 1},
        },
        {
            "id": "fake_ngo",
            "genuine": False,
            "integrity": 0.5,
            "loyalty": 0.8,
            "activities": {"party": 1, "course": 1},
        },
    ],
    "outlets": [
        {
            "id": "tv",
            "reach": {"old": 0.3, "young": 0.1},
            "running_cost_usd_per_year": 500_000,
            "funder_dependence": 1.0,
            "integrity": 0.9,
            "language": "russian",
        },
    ],
    "host_state": {"media_control": 0.5, "ngo_restriction": 0.2},
    "audience": {
        "population": 1000,
        "real_population": 100_000,
        "segments": [
            {"id": "young", "share": 0.4, "opinion_mean": 0.0, "languages": {"russian": 0.5}},
            {"id": "old", "share": 0.6, "opinion_mean": 0.2},
        ],
        "network": {"mean_degree": 6},
    },
}


def make_scenario(changes: dict[str, Any] | None = None) -> Scenario:
    """The SMALL scenario with ``changes`` deep-merged over it (as ``extends`` would)."""
    doc = deep_merge(copy.deepcopy(SMALL), changes or {})
    return validate_document(doc, "<test>")


@pytest.fixture
def small() -> Scenario:
    return make_scenario()


def require_browser() -> str:
    """The Chromium for browser tests and static images.

    Skips the test when there is none, except in CI (``CI`` set), where it fails:
    CI installs Debian's chromium, so a missing browser there is a broken setup.
    """
    from sim.dashboards.images import find_browser

    found = find_browser()
    if found:
        return found
    message = "no Chromium found (Debian: apt-get install chromium)"
    if os.environ.get("CI"):
        pytest.fail(message + "; CI must run the browser tests")
    pytest.skip(message)
