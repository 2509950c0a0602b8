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
    r"^Of every \$100 sent, \$(\d+) reached real work; favourability moved by "
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
        f"Of every $100 sent, ${real} reached real work; favourability moved "
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


# -- layout on a projector -------------------------------------------------------------

#: Text whose boxes must neither overlap nor be cut: chart titles, axis titles, legend
#: entries, Sankey node labels, slider labels, the values under them and the cards.
TEXT = (
    ".gtitle, .g-xtitle, .g-ytitle, .legendtext, .sankey-node .node-label, "
    ".slider label, .slider output, .card .value"
)
#: Each text element's box, with the box of what must contain it (its figure, or its
#: slider or card), in page coordinates.
BOXES = """() => {
  const page = r => ({x: r.left + scrollX, y: r.top + scrollY, w: r.width, h: r.height});
  return Array.from(document.querySelectorAll(SELECTOR)).map(e => {
    const box = e.closest('.js-plotly-plot') || e.closest('.slider') || e.closest('.card');
    return {text: e.textContent, box: page(e.getBoundingClientRect()),
            container: page(box.getBoundingClientRect())};
  }).filter(t => t.text.trim() && t.box.w > 0);
}"""


def text_boxes(page) -> list[dict]:
    return page.evaluate(BOXES.replace("SELECTOR", repr(TEXT)))


def overlap(a: dict, b: dict, slack: float = 1.0) -> bool:
    return (
        a["x"] + slack < b["x"] + b["w"]
        and b["x"] + slack < a["x"] + a["w"]
        and a["y"] + slack < b["y"] + b["h"]
        and b["y"] + slack < a["y"] + a["h"]
    )


def inside(a: dict, c: dict, slack: float = 1.0) -> bool:
    return (
        a["x"] >= c["x"] - slack
        and a["y"] >= c["y"] - slack
        and a["x"] + a["w"] <= c["x"] + c["w"] + slack
        and a["y"] + a["h"] <= c["y"] + c["h"] + slack
    )


@pytest.fixture(params=[(1366, 768), (1024, 768)], ids=["1366x768", "1024x768"])
def projector(request, browser, lesson):  # noqa: F811
    width, height = request.param
    page, seen = visit(browser, lesson)
    page.set_viewport_size({"width": width, "height": height})
    page.wait_for_timeout(400)
    yield page, width
    assert_clean(seen)
    page.close()


def test_no_text_overlaps_or_is_cut_on_a_projector(projector):
    page, width = projector
    for step in range(len(STORY)):  # every story setting: different Sankey flows
        page.click(f"button[data-step='{step}']")
        page.wait_for_timeout(1200)  # the Sankey animates its change
        texts = text_boxes(page)
        assert len([t for t in texts if "Budget" in t["text"]]) == 1
        cut = [t["text"] for t in texts if not inside(t["box"], t["container"])]
        assert cut == [], (step, cut)
        wide = [t["text"] for t in texts if t["box"]["x"] + t["box"]["w"] > width]
        assert wide == [], (step, wide)
        clashes = [
            (a["text"], b["text"])
            for i, a in enumerate(texts)
            for b in texts[i + 1 :]
            if overlap(a["box"], b["box"])
        ]
        assert clashes == [], (step, clashes)


def visible(page, selector: str) -> bool:
    """Whether the element's box lies entirely within the viewport."""
    return page.evaluate(
        """s => { const r = document.querySelector(s).getBoundingClientRect();
                  return r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight
                         && r.right <= innerWidth; }""",
        selector,
    )


def test_sliders_and_figures_are_on_screen_together_at_1366(browser, lesson):  # noqa: F811
    page, seen = visit(browser, lesson)
    page.set_viewport_size({"width": 1366, "height": 768})
    page.wait_for_timeout(300)
    page.evaluate("window.scrollTo(0, 0)")
    page.click("button[data-step='1']")
    page.wait_for_timeout(300)
    # The story button brings the result into view: sliders, sentence, cards, Sankey.
    for selector in (".sliders", "#sentence", ".cards", "#fig-sankey .main-svg"):
        assert visible(page, selector), selector
    # The sliders stay on screen beside each figure they move.
    for fig in ("#fig-opinion", "#fig-told"):
        page.locator(fig).scroll_into_view_if_needed()
        page.wait_for_timeout(100)
        assert visible(page, fig + " .main-svg"), fig
        assert visible(page, ".sliders") and visible(page, "#sentence"), fig
    assert_clean(seen)
    page.close()


def test_story_button_scrolls_the_result_into_view_at_1024(browser, lesson):  # noqa: F811
    page, seen = visit(browser, lesson)
    page.set_viewport_size({"width": 1024, "height": 768})
    page.evaluate("window.scrollTo(0, 0)")
    page.click("button[data-step='3']")
    page.wait_for_timeout(300)
    assert visible(page, ".sliders")
    assert page.evaluate("scrollY") > 0
    assert_clean(seen)
    page.close()


def test_lesson_text_is_shown_literally(browser, lesson, tmp_path, monkeypatch):  # noqa: F811
    """Labels and the decomposition paragraph reach plotly and the page as text."""
    import json

    from sim.classroom import page as lesson_module

    inject = '<a href="https://example.com">L</a><b>B</b><img src=x onerror=alert(1)> & "q"'
    html = lesson.read_text(encoding="utf-8")
    start = html.index('id="lesson-data">') + len('id="lesson-data">')
    embedded = json.loads(html[start : html.index("</script>", start)])
    nodes = tuple((key, f"{label} {inject}", role) for key, label, role in lesson_module.NODES)
    monkeypatch.setattr(lesson_module, "NODES", nodes)
    hostile = tmp_path / "lesson.html"
    hostile.write_text(
        lesson_module.lesson_page(
            SMALL_GRID, embedded["points"], embedded["dates"], decomposition=inject
        ),
        encoding="utf-8",
    )
    page, seen = visit(browser, hostile)
    page.wait_for_timeout(300)
    assert inject in page.inner_text("#decomposition")
    labels = " ".join(page.locator("#fig-sankey .node-label").all_text_contents())
    assert "<b>B</b>" in labels and "example.com" in labels
    assert page.locator("img, b, svg a").count() == 0
    assert not page.eval_on_selector_all("a", "els => els.map(e => e.href)")
    assert_clean(seen)
    page.close()
