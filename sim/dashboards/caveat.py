"""The caveat box every page carries: what its bands include, assumptions, limitations.

One helper, :func:`caveat_box`, used by the run, comparison, sweep, decomposition,
index and classroom pages. It says three things, briefly:

- what the page's bands and intervals include (a sentence the page passes: seed noise
  only at fixed parameters for replicates, the swept parameters too for a sweep);
- that parameters marked ASSUMED in the scenario files drive the results;
- where the model's limitations are: section 9 of ``docs/ODD.md``.

The link to the limitations. The project has no documentation web site, so there is
no absolute address that would work; and pages travel (copied out of ``results/``,
e-mailed, opened from a USB stick in a classroom), so a relative link to
``docs/ODD.md`` works only while the page stays inside the checkout. The box does
both of what works:

- it **embeds the limitations** themselves (the bullet points of ODD section 9, read
  from the shipped ``ODD.md`` when the page is written) in a collapsed
  ``<details>``, so they are one click away wherever the page is opened, offline;
- when the page is written inside the checkout that holds ``docs/ODD.md``, it also
  links to that file by a relative path (``../../docs/ODD.md#9-limitations`` from
  ``results/<run>/``), which survives moving the whole checkout. Outside the
  checkout the link is left out and the text names the file and section instead.
"""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path

from sim.dashboards.text import safe
from sim.resources import model_description

#: The heading of the limitations in ``docs/ODD.md`` and its anchor (GitHub's slug).
LIMITATIONS_HEADING = "## 9. Limitations"
LIMITATIONS_ANCHOR = "9-limitations"

#: What a comparison's or decomposition's bands and intervals include.
BANDS_SEED_NOISE = (
    "Bands and intervals show seed noise only: replicates of the same scenario with "
    "different random seeds, at fixed parameters. They leave out uncertainty about the "
    "parameters themselves."
)
#: A single run has no band.
BANDS_SINGLE_RUN = (
    "This is one run with one seed, so it has no band: another seed gives somewhat "
    "different numbers (run_sim.py compare shows how much), and the parameters are fixed."
)
#: Added for a run page with its decomposition (``run --decompose``).
BANDS_DECOMPOSED_RUN = (
    "The decomposition's intervals show seed noise only: its replicates at fixed parameters."
)
#: Added for a run made with ``--posterior`` or ``--prior`` (``uncertainty.html`` beside it).
BANDS_UNCERTAIN_RUN = (
    "It uses the median parameters of a calibration's posterior or priors; "
    "uncertainty.html beside this page shows the band of seed noise and the band of "
    "parameter uncertainty."
)
#: A sweep varies parameters on purpose.
BANDS_SWEEP = (
    "Spreads here mix the swept parameters (over their stated ranges) with seed noise; "
    "parameters not swept stay at the base scenario's values."
)


def bands_with_parameters(kind: str, unit: str = "scenario") -> str:
    """What the two bands of a result run with ``--posterior`` or ``--prior`` include.

    Args:
        kind: ``posterior`` or ``prior``.
        unit: What every replicate runs (``scenario``, ``combination``), for the sentence.
    """
    return (
        f"Two bands: 'seed noise' is replicates with different seeds at the {kind} median "
        f"parameters; 'parameters and seed noise' gives replicate k parameter set k drawn "
        f"from the {kind} and seed k (the same for every {unit}), so it adds what is not "
        "known about the calibrated parameters. Parameters outside the calibration stay fixed."
    )


#: The index lists results of every kind.
BANDS_INDEX = (
    "Headlines are single runs or replicate means; each page says what its bands include "
    "(seed noise only, at fixed parameters, unless it is a sweep)."
)
#: The classroom lesson: one precomputed run per slider setting.
BANDS_CLASSROOM = (
    "Each slider setting was run once, with the same random numbers: the numbers have no "
    "error band, and everything not on a slider is fixed."
)
ASSUMED = (
    "Parameters marked ASSUMED in the scenario files (how strongly a contact persuades "
    "and for how long, costs, reach, integrity, shock sizes) are modelling choices, not "
    "estimates, and they drive these results: read them as what follows if those "
    "assumptions hold."
)

CSS = """
aside.caveat { border: 2px solid #8a6d00; background: #fff8e1; border-radius: 6px;
               padding: 0.5rem 0.8rem; margin: 0.6rem 0 1rem; font-size: 0.92em;
               line-height: 1.4; }
aside.caveat details { margin-top: 0.3rem; }
aside.caveat summary { cursor: pointer; font-weight: 600; }
aside.caveat li { margin: 0.2rem 0; }
"""


def caveat_box(variation: str, page_folder: str | os.PathLike[str] | None = None) -> str:
    """The caveat box of a page.

    Args:
        variation: What the page's bands and intervals include: one of the
            ``BANDS_*`` sentences of this module, or a sentence of the page's own.
        page_folder: Where the page is written; a link to ``docs/ODD.md`` is added
            when it lies in the checkout that holds that file.

    Returns:
        An HTML fragment (styled by :data:`CSS`, which every page includes).
    """
    href = limitations_href(page_folder)
    where = "section 9 of docs/ODD.md"
    reference = f'<a href="{safe(href)}">{safe(where)}</a>' if href else safe(where)
    items = limitation_items()
    listed = (
        "<details><summary>The model&#39;s limitations</summary><ul>"
        + "".join(f"<li>{item}</li>" for item in items)
        + "</ul></details>"
        if items
        else ""
    )
    return (
        '<aside class="caveat" role="note" aria-label="How to read these results">'
        f"<strong>How to read these results.</strong> {safe(variation)} {safe(ASSUMED)} "
        f"The model&#39;s limitations are in {reference}{' and below' if items else ''}."
        f"{listed}</aside>"
    )


def limitations_href(page_folder: str | os.PathLike[str] | None) -> str | None:
    """A relative link from ``page_folder`` to the limitations, if both are in one checkout.

    Returns:
        ``<relative path to docs/ODD.md>#9-limitations``, or None when the page is not
        inside the checkout (or ``docs/ODD.md`` is not a file of one).
    """
    if page_folder is None:
        return None
    odd = _checkout_description()
    if odd is None:
        return None
    folder = Path(page_folder).resolve()
    if not folder.is_relative_to(odd.parent.parent):
        return None
    relative = Path(os.path.relpath(odd, folder)).as_posix()
    return f"{relative}#{LIMITATIONS_ANCHOR}"


def _checkout_description() -> Path | None:
    """``docs/ODD.md`` of the checkout this package runs from, if it runs from one."""
    try:
        odd = model_description().resolve()
    except (ModuleNotFoundError, RuntimeError):
        return None
    in_checkout = odd.parent.name == "docs" and (odd.parent.parent / "pyproject.toml").is_file()
    return odd if odd.is_file() and in_checkout else None


@functools.cache
def limitation_items() -> tuple[str, ...]:
    """The limitations of ODD section 9, one HTML fragment per bullet point (escaped).

    Empty when the model description cannot be read (the box then names it only).
    """
    try:
        text = model_description().read_text(encoding="utf-8")
    except (OSError, ModuleNotFoundError, RuntimeError):
        return ()
    return tuple(_render(item) for item in _section_bullets(text))


def _section_bullets(text: str) -> list[str]:
    """The bullet points of the limitations section, each joined onto one line."""
    lines = text.splitlines()
    try:
        start = lines.index(LIMITATIONS_HEADING) + 1
    except ValueError:
        return []
    bullets: list[str] = []
    for line in lines[start:]:
        if line.startswith(("## ", "---")):
            break
        if line.startswith("- "):
            bullets.append(line[2:].strip())
        elif line.strip() and bullets:
            bullets[-1] += " " + line.strip()
    return bullets


#: The few bits of TeX in the section, as plain text.
_TEX = {r"\nu": "ν", "^{*}": "*", r"\Delta": "Δ"}


def _render(markdown: str) -> str:
    """Escape one bullet point and keep its bold, code and simple maths readable."""
    text = safe(markdown)
    for tex, plain in _TEX.items():
        text = text.replace(tex, plain)
    text = text.replace("$", "")
    text = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", text)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", text)
