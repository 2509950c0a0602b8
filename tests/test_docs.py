"""Documentation that must stay true: the field reference and the Quick start."""

import re

from sim.scenario.docs import BEGIN, DOC_PATH, END, render_reference
from sim.scenario.schema import Scenario
from tests.conftest import ROOT


def test_scenario_format_reference_matches_schema():
    text = DOC_PATH.read_text(encoding="utf-8")
    generated = text.split(BEGIN, 1)[1].split(END, 1)[0].strip()
    assert generated == render_reference().strip(), (
        "docs/scenario-format.md is stale: run .venv/bin/python -m sim.scenario.docs"
    )


def test_every_schema_field_is_documented_and_described():
    text = DOC_PATH.read_text(encoding="utf-8")
    for name, field in Scenario.model_fields.items():
        assert f"| `{name}` |" in text
        assert field.description, f"Scenario.{name} has no description"


def quick_start_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = re.search(r"^## Quick start\n(.*?)^## ", readme, re.S | re.M).group(1)
    block = re.search(r"```(?:bash|sh)?\n(.*?)```", section, re.S).group(1)
    return [
        line.strip()
        for line in block.splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]


def test_readme_quick_start_has_two_commands_and_ci_runs_the_test_one():
    commands = quick_start_commands()
    assert len(commands) == 2
    assert "pytest" in commands[1]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert commands[1] in ci.splitlines()
