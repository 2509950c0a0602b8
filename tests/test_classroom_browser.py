"""The lesson page in Debian's Chromium, offline: sliders, sentence, guided story.

Skipped when Chromium or Playwright is missing, except in CI, where that fails.
"""

from __future__ import annotations

import re

import pytest

from sim.classroom import SMALL_GRID, build_classroom
from sim.classroom.page import STORY, story_texts
from tests.test_dashboard_browser import assert_clean, browser, visit  # noqa: F401

SLIDERS = ("keep", "show", "media")
SENTENCE = re.compile(
    r"^Of every \$100 sent, \$(\d+) reached a substantive activity; favourability moved by "
    r"(.+?) points?; the funder was told (.+?) points?\.$"
)


@pytest.fixture(scope="module")
def lesson(tmp_path_factory):
    out = tmp_path_factory.mktemp("classroom-browser") / "lesson"
    return build_classroom(out, grid=SMALL_GRID, workers=1, progress=False).page


@pytest.fixture(scope="module")
def loaded(browser, lesson):  # noqa: F811
    """One visit shared by the tests (loading 5 MB of page takes a few seconds)."""
    page, seen = visit(browser, lesson)
    yield page, seen
    page.close()


@pytest.fixture
def page(loaded):
    """The shared page; no test may leave a console error or a foreign request behind."""
    yield loaded[0]
    assert_clean(loaded[1])


def state(page) -> dict:
    """What the student sees: slider positions, sentence and the figures' data."""
    return page.evaluate(
        """() => {
          const fig = id => JSON.stringify(document.getElementById(id).data);
          const s = n => document.getElementById('slider-' + n);
          return {
            keep: +s('keep').value, show: +s('show').value, media: +s('media').value,
            valuetext: ['keep', 'show', 'media'].map(n => s(n).getAttribute('aria-valuetext')),
            sentence: document.getElementById('sentence').textContent,
            sankey: fig('fig-sankey'), opinion: fig('fig-opinion'), told: fig('fig-told'),
          };
        }"""
    )


def data(page) -> dict:
    return page.evaluate("JSON.parse(document.getElementById('lesson-data').textContent)")


def expected_sentence(point: dict) -> str:
    """The sentence computed here from the embedded data, as the page should show it."""
    m = point["money"]
    real = round(100 * m["substantive"] / m["disbursed"])

    def pts(v: float) -> str:
        x = 100 * v
        text = f"{abs(x):.{2 if abs(x) < 1 else 1}f}"
        if float(text) == 0:
            return "0 points"
        return ("+" if x > 0 else "\u2212") + text + " points"

    return (
        f"Of every $100 sent, ${real} reached a substantive activity; favourability moved "
        f"by {pts(point['attributable'][-1])}; the funder was told {pts(point['reported'][-1])}."
    )


def current_point(page) -> dict:
    d = data(page)
    s = state(page)
    g = d["grid"]
    i = (s["keep"] * len(g["show"]) + s["show"]) * len(g["media"]) + s["media"]
    return d["points"][i]


def test_page_loads_offline_and_draws_every_figure(loaded):
    page, seen = loaded
    drawn = page.evaluate(
        "Object.fromEntries(['fig-sankey','fig-opinion','fig-told']"
        ".map(id => [id, (document.getElementById(id).data || []).length]))"
    )
    assert drawn == {"fig-sankey": 1, "fig-opinion": 2, "fig-told": 2}
    s = state(page)
    assert SENTENCE.match(s["sentence"]), s["sentence"]
    assert all(s["valuetext"])
    assert_clean(seen)


def test_sentence_numbers_come_from_the_data(page):
    for step in range(len(STORY)):
        page.click(f"button[data-step='{step}']")
        assert state(page)["sentence"] == expected_sentence(current_point(page))


@pytest.mark.parametrize("name", SLIDERS)
def test_arrow_key_on_each_slider_changes_figures_and_sentence(page, name):
    slider = page.locator(f"#slider-{name}")
    slider.focus()
    page.keyboard.press("Home")
    before = state(page)
    assert before[name] == 0
    page.keyboard.press("ArrowRight")
    after = state(page)
    assert after[name] == 1
    assert after["sentence"] != before["sentence"]
    assert after["sentence"] == expected_sentence(current_point(page))
    assert after["valuetext"] != before["valuetext"]
    changed = {f for f in ("sankey", "opinion", "told") if after[f] != before[f]}
    # Money sliders change where the money goes; media control changes what it buys.
    assert ("sankey" in changed) if name != "media" else ("opinion" in changed)


def test_guided_steps_set_the_expected_sliders(page):
    grid = {"keep": SMALL_GRID.keep, "show": SMALL_GRID.show, "media": SMALL_GRID.media}
    texts = story_texts(SMALL_GRID, data(page)["points"])
    for step, ((title, setting, _), text) in enumerate(zip(STORY, texts, strict=True)):
        page.click(f"button[data-step='{step}']")
        s = state(page)
        for name, value in zip(SLIDERS, setting, strict=True):
            assert grid[name][s[name]] == value, (title, name)
        assert page.text_content("#story-text") == text
        assert "{" not in text and "points" in text  # the figures are filled in
        assert page.get_attribute(f"button[data-step='{step}']", "aria-pressed") == "true"
    # Moving a slider leaves the story: no step stays highlighted.
    page.locator("#slider-media").focus()
    page.keyboard.press("ArrowLeft")
    pressed = page.eval_on_selector_all(
        "button[data-step]", "bs => bs.map(b => b.getAttribute('aria-pressed'))"
    )
    assert pressed == ["false"] * len(STORY)
