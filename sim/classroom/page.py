"""The lesson page: sliders, a guided story and three figures over precomputed runs.

Everything is in one HTML file: plotly.js (inline, once), the grid's data as a JSON
block, and a small hand-written script that redraws the figures with
``Plotly.react`` whenever a slider moves. The page has the dashboards'
Content-Security-Policy, so it can fetch nothing; it works from a USB stick.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from plotly.offline import get_plotlyjs

from sim.classroom.grid import NODES, Grid
from sim.dashboards import palette
from sim.dashboards.caveat import BANDS_CLASSROOM, caveat_box
from sim.dashboards.caveat import CSS as CAVEAT_CSS
from sim.dashboards.page import CSP
from sim.dashboards.style import FONT_FAMILY
from sim.dashboards.text import safe

#: The guided story: (title, (keep, show, media), explanation). Settings are grid values.
#: The explanations are templates: ``{s1.real}`` is a figure of story step 1's run
#: (see :class:`StoryFigures`), so the text always states what the precomputed runs show.
STORY: tuple[tuple[str, tuple[float, float, float], str], ...] = (
    (
        "1. What happened",
        (0.75, 0.75, 0.75),
        "From 2005 a department of the Russian presidential administration spent more "
        "than $100 million over twenty years to make people in Azerbaijan friendlier "
        "towards Russia. People who worked inside the scheme later said that curators "
        "and their local partners shared out most of the money between themselves, and "
        "that much of the rest paid for receptions, concerts and exhibitions held mainly "
        "so that they could be written up in a report. Azerbaijan's government also keeps "
        "a tight grip on its media, so a Russian news site could only reach a few people. "
        "In the simulation only ${s1.real} of every $100 reaches real work, and by the end "
        "favourability has moved by {s1.moved} compared with a world where nothing was "
        "spent, while the reports sent back to Moscow add up to {s1.told}.",
    ),
    (
        "2. Clean money",
        (0.0, 0.75, 0.75),
        "Now imagine that nobody steals anything: curators, NGO leaders and the news "
        "outlet pass on every dollar. The red flows disappear and ${s2.real} of every $100 "
        "reaches real work instead of ${s1.real}. But three quarters of what the NGOs spend "
        "still goes on show events, which reach people briefly and are soon forgotten, and "
        "the state still blocks most foreign media. Favourability moves by {s2.moved} "
        "instead of {s1.moved}.",
    ),
    (
        "3. No show events",
        (0.0, 0.0, 0.75),
        "The money is still clean, and now the NGOs drop receptions and concerts and "
        "spend everything on language courses, youth camps and journalism schools, whose "
        "effect lasts for years instead of weeks. Favourability moves by {s3.moved} "
        "(against {s2.moved} with show events). NGO work meets a few thousand people a "
        "year in a country of ten million, so it changes the minds of the young people "
        "and students it reaches far more than the country's average. Notice that the "
        "funder's reports barely change: they count activity, not results.",
    ),
    (
        "4. The host state cracks down",
        (0.0, 0.0, 0.9),
        "Finally the host government tightens its control of the media even more, as "
        "Baku did after Russia invaded Ukraine in 2022, and as it did in 2025 when it "
        "suspended Sputnik Azerbaijan's accreditation and then raided and closed its "
        "office. The news outlet now reaches almost nobody, so even well-spent money buys "
        "less: favourability moves by {s4.moved} instead of {s3.moved}. The host state, "
        "not the funder, decides how far foreign messages travel.",
    ),
)


@dataclass(frozen=True)
class StoryFigures:
    """What one story step's precomputed run shows, worded for the story text.

    Attributes:
        real: Dollars of every $100 disbursed that reached substantive work.
        moved: The change in favourability the money caused by the end, in points on
            the lesson's -100..+100 scale (actual minus the no-spending world).
        told: What the funder's reports implied by the end, in the same points.
    """

    real: int
    moved: str
    told: str


def lesson_points(value: float) -> str:
    """A change on the -1..+1 model scale in the lesson's points (-100..+100).

    >>> lesson_points(0.0123)
    '+1.2 points'
    >>> lesson_points(-0.00042)
    '\u22120.04 points'
    """
    x = value * 100
    text = f"{abs(x):.{2 if abs(x) < 1 else 1}f}"
    if float(text) == 0:
        return "0 points"
    return ("+" if x > 0 else "\u2212") + text + " points"


def story_texts(grid: Grid, points: Sequence[dict[str, Any]]) -> list[str]:
    """The story's explanations with the figures of the runs at each step's setting."""
    by_setting = {(p["keep"], p["show"], p["media"]): p for p in points}
    figures = {}
    for n, (_, setting, _) in enumerate(STORY, start=1):
        p = by_setting[
            tuple(_nearest(values, v) for values, v in zip(_axes(grid), setting, strict=True))
        ]
        money = p["money"]
        figures[f"s{n}"] = StoryFigures(
            real=round(100 * money["substantive"] / money["disbursed"]),
            moved=lesson_points(p["attributable"][-1]),
            told=lesson_points(p["reported"][-1]),
        )
    return [text.format(**figures) for _, _, text in STORY]


def _axes(grid: Grid) -> tuple[tuple[float, ...], ...]:
    return (grid.keep, grid.show, grid.media)


def _nearest(values: Sequence[float], target: float) -> float:
    return min(values, key=lambda v: abs(v - target))


def decomposition_sentence(summary: Any) -> str:
    """One paragraph of the lesson: where the influence of an ideal programme went.

    Args:
        summary: A decomposition summary (:func:`sim.decompose.summarise`).
    """
    rows = summary[summary["metric"] == "final_attributable_opinion"].set_index("term")
    share = {k: round(100 * rows.loc[k, "share_of_gap"]) for k in FACTOR_WORDS}
    parts = ", ".join(f"{FACTOR_WORDS[k]} {share[k]}%" for k in FACTOR_WORDS)
    return (
        "Where did the influence go? The same $100 million, with nobody stealing, nothing "
        "spent on show events, no media filter and none of the 2024\u20132025 shocks, would "
        f"have moved favourability by {lesson_points(rows.loc['ideal', 'mean'])} by the end, "
        f"instead of {lesson_points(rows.loc['actual', 'mean'])}. Of that difference: {parts} "
        "(a fair split among the four causes, the Shapley value, from 16 runs)."
    )


#: The decomposition's factors in the lesson's words.
FACTOR_WORDS = {
    "leakage": "theft along the chain",
    "for_show": "show events",
    "host_filtering": "the host state's filters",
    "shocks": "the 2024\u20132025 shocks",
}

_SLIDERS = (
    (
        "keep",
        "How much each middleman keeps",
        "What the curators keep of every grant. NGO leaders and the news outlet keep "
        "less (their real-life shares at 75%, nothing at 0%).",
    ),
    (
        "show",
        "Share of NGO spending on show events",
        "Receptions, concerts and exhibitions, instead of language courses, youth camps "
        "and journalism schools.",
    ),
    (
        "media",
        "Host state's control of the media",
        "How much of a foreign news outlet's reach the host government blocks.",
    ),
)

_ROLE_COLOUR = {
    "disbursed": palette.BLACK,
    "grant": palette.BLUE,
    "leaked": palette.MONEY["leaked"],
    "for_show": palette.MONEY["for_show"],
    "substantive": palette.MONEY["substantive"],
    "unspent": palette.GREY,
}

_CSS = f"""
:root {{ --ink: #000; --paper: #fff; --accent: {palette.BLUE}; --leak: {palette.VERMILLION}; }}
* {{ box-sizing: border-box; }}
html {{ font-size: 22px; }}
@media (max-width: 1500px) {{ html {{ font-size: 18px; }} }}
body {{ font-family: {FONT_FAMILY}; font-size: 1rem; line-height: 1.45; color: var(--ink);
       background: var(--paper); margin: 0 auto; max-width: 1800px; padding: 0.6rem 1.4rem; }}
h1 {{ font-size: 2.1rem; margin: 0.2rem 0 0.3rem; }}
h2 {{ font-size: 1.5rem; margin: 1.4rem 0 0.5rem; border-bottom: 3px solid #000; }}
p {{ margin: 0.4rem 0 0.8rem; }}
.lead {{ font-size: 1.1rem; }}
.story-buttons {{ display: flex; flex-wrap: wrap; gap: 0.6rem; margin: 0.5rem 0; }}
button {{ font: inherit; font-size: 1.05rem; padding: 0.5rem 1rem; border: 3px solid #000;
         border-radius: 8px; background: #fff; color: #000; cursor: pointer; }}
button[aria-pressed="true"] {{ background: #000; color: #fff; }}
button:focus-visible, input:focus-visible {{ outline: 5px solid {palette.ORANGE};
         outline-offset: 3px; }}
#story-text {{ background: #f2f2f2; border-left: 8px solid var(--accent); padding: 0.8rem 1.1rem;
              min-height: 3rem; }}
/* The lab: sliders on the left, kept on screen (sticky) beside the figures they move;
   below 1200 px wide the sliders come first and the figures under them. */
#lab {{ display: grid; grid-template-columns: minmax(300px, 28%) minmax(0, 1fr); gap: 1.2rem;
        align-items: start; scroll-margin-top: 0; }}
.controls {{ position: sticky; top: 0; max-height: 100vh; overflow-y: auto;
             padding: 0.4rem 0.2rem 0.6rem 0; background: var(--paper); }}
.controls h2 {{ margin: 0.1rem 0 0.2rem; font-size: 1.3rem; }}
.controls .note {{ font-size: 0.8rem; margin: 0 0 0.3rem; }}
.results {{ min-width: 0; }}
.sliders {{ display: grid; gap: 0.5rem; margin: 0.3rem 0; }}
.slider label {{ display: block; font-weight: 700; line-height: 1.25; }}
.slider output {{ display: block; font-size: 1.05rem; font-weight: 700; line-height: 1.25;
                 color: var(--accent); }}
.slider .hint {{ display: block; font-size: 0.72rem; line-height: 1.25; color: #222; }}
input[type=range] {{ width: 100%; height: 1.7rem; margin: 0; accent-color: #000;
                     cursor: pointer; }}
#sentence {{ font-size: 1.05rem; font-weight: 600; line-height: 1.3; border: 4px solid #000;
            border-radius: 10px; padding: 0.4rem 0.7rem; margin: 0.5rem 0 0.2rem;
            background: #fffbe6; }}
.cards {{ display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr));
         gap: 0.6rem; margin: 0.4rem 0 0.6rem; }}
.card {{ border: 3px solid #000; border-radius: 8px; padding: 0.3rem 0.6rem; line-height: 1.25; }}
.card .value {{ font-size: 1.6rem; font-weight: 800; }}
.card.leaked {{ border-color: var(--leak); }}
.card.leaked .value {{ color: #a33d00; }}
.figures {{ display: grid; grid-template-columns: repeat(auto-fit, minmax(400px, 1fr));
           gap: 1rem; }}
.fig {{ min-height: 380px; min-width: 0; }}
#fig-sankey {{ min-height: 460px; }}
.note {{ font-size: 1rem; }}
footer {{ font-size: 0.9rem; margin-top: 2rem; border-top: 2px solid #000; padding-top: 0.5rem; }}
{CAVEAT_CSS}
@media (max-width: 1199px) {{
  #lab {{ display: block; }}
  .controls {{ position: static; max-height: none; }}
}}
"""

_JS = r"""
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("lesson-data").textContent);
  var NAMES = ["keep", "show", "media"];
  var sliders = {};
  var outputs = {};
  var CONFIG = {displaylogo: false, responsive: true, displayModeBar: false};
  var FONT = {family: D.font, size: 18, color: "#000"};

  NAMES.forEach(function (n) {
    sliders[n] = document.getElementById("slider-" + n);
    outputs[n] = document.getElementById("value-" + n);
  });

  function value(n) { return D.grid[n][+sliders[n].value]; }
  function pct(v) { return Math.round(v * 100) + "%"; }
  function describe(n, v) {
    if (n === "keep") { return pct(v) + " of each grant kept"; }
    if (n === "show") { return pct(v) + " on show events"; }
    return pct(v) + " of foreign media reach blocked";
  }
  function point() {
    var i = (+sliders.keep.value * D.grid.show.length + +sliders.show.value) *
      D.grid.media.length + +sliders.media.value;
    return D.points[i];
  }
  function per100(cents, total) { return Math.round(100 * cents / total); }
  function points(v) {
    var x = v * 100;
    var digits = Math.abs(x) < 1 ? 2 : 1;
    var s = Math.abs(x).toFixed(digits);
    if (+s === 0) { return "0 points"; }
    return (x > 0 ? "+" : "\u2212") + s + " points";
  }
  function millions(usd) {
    if (usd >= 95000) { return "$" + (usd / 1e6).toFixed(1) + "M"; }
    if (usd >= 1000) { return "$" + Math.round(usd / 1000) + "k"; }
    return "$" + Math.round(usd);
  }
  function last(a) { return a[a.length - 1]; }
  function layout(title, ytitle, extra) {
    var l = {
      title: {text: title, x: 0, xanchor: "left", xref: "container", y: 1, yanchor: "top",
              yref: "container", pad: {t: 8, l: 4}, font: {size: 19}},
      font: FONT, height: 400, margin: {l: 86, r: 16, t: 56, b: 96},
      paper_bgcolor: "#fff", plot_bgcolor: "#fff",
      legend: {orientation: "h", x: 0, xanchor: "left", y: 0, yanchor: "bottom",
               yref: "container", font: {size: 15}},
      xaxis: {showgrid: true, gridcolor: "#ddd", linecolor: "#000", tickfont: {size: 15}},
      yaxis: {title: {text: ytitle, font: {size: 15}, standoff: 6}, showgrid: true,
              gridcolor: "#ddd", zerolinecolor: "#000", linecolor: "#000",
              tickfont: {size: 15}},
      hovermode: "x unified"
    };
    Object.keys(extra || {}).forEach(function (k) { l[k] = extra[k]; });
    return l;
  }

  // Sankey labels: at most LABEL_CHARS characters a line (two lines at most for the
  // lesson's labels), so that the labels of neighbouring columns never reach each
  // other; the node padding is taller than two lines, so labels of small neighbouring
  // nodes in one column never overlap either.
  var LABEL_CHARS = 18;
  // Plotly reads <b>, <a>, <br>... in labels as markup: labels are escaped first.
  function esc(text) {
    return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;")
      .replace(/>/g, "&gt;").replace(/"/g, "&#34;").replace(/'/g, "&#39;");
  }
  function wrap(text) {
    var lines = [], line = "";
    esc(text).split(" ").forEach(function (word) {
      if (line && (line + " " + word).length > LABEL_CHARS) { lines.push(line); line = word; }
      else { line = line ? line + " " + word : word; }
    });
    if (line) { lines.push(line); }
    return lines.join("<br>");
  }

  function drawSankey(p) {
    var n = D.nodes.length;
    var inflow = new Array(n).fill(0);
    var outflow = new Array(n).fill(0);
    p.links.forEach(function (l) {
      outflow[l[0]] += l[2] / 100; inflow[l[1]] += l[2] / 100;
    });
    // Only nodes that money passes through: an empty node would still take a label.
    var shown = [], index = {};
    D.nodes.forEach(function (node, k) {
      if (inflow[k] > 0 || outflow[k] > 0) { index[k] = shown.length; shown.push(k); }
    });
    var src = [], dst = [], val = [], col = [];
    p.links.forEach(function (l) {
      if (l[2] <= 0) { return; }
      src.push(index[l[0]]); dst.push(index[l[1]]); val.push(l[2] / 100);
      col.push(D.nodes[l[1]].link);
    });
    var labels = shown.map(function (k) {
      return wrap(D.nodes[k].label + " " + millions(Math.max(inflow[k], outflow[k])));
    });
    var layout = {
      title: {text: "Where the money went (red = kept by middlemen)", x: 0, xanchor: "left",
              xref: "container", y: 1, yanchor: "top", yref: "container", pad: {t: 8, l: 4},
              font: {size: 19}},
      font: FONT, height: 460, margin: {l: 6, r: 6, t: 50, b: 30}, paper_bgcolor: "#fff"
    };
    if (!val.length) {
      layout.annotations = [{text: "Nothing to show: no money was sent.", showarrow: false,
                             xref: "paper", yref: "paper", x: 0.5, y: 0.5}];
      layout.xaxis = layout.yaxis = {visible: false};
      Plotly.react("fig-sankey", [], layout, CONFIG);
      return;
    }
    Plotly.react("fig-sankey", [{
      type: "sankey", arrangement: "snap", valueformat: "$,.0f",
      textfont: {size: 14, color: "#000", family: D.font},
      node: {label: labels, color: shown.map(function (k) { return D.nodes[k].colour; }),
             pad: 40, thickness: 22, line: {color: "#000", width: 1},
             hovertemplate: "%{label}<extra></extra>"},
      link: {source: src, target: dst, value: val, color: col,
             hovertemplate: "%{source.label} \u2192 %{target.label}: $%{value:,.0f}<extra></extra>"}
    }], layout, CONFIG);
  }

  function drawOpinion(p) {
    var scale = function (a) { return a.map(function (v) { return v * 100; }); };
    Plotly.react("fig-opinion", [
      {x: D.dates, y: scale(p.opinion), name: "With the programme", mode: "lines",
       line: {color: D.colours.actual, width: 4}},
      {x: D.dates, y: scale(p.counterfactual), name: "If not a cent had been spent",
       mode: "lines", line: {color: D.colours.counterfactual, width: 4, dash: "dash"}}
    ], layout("How people feel about Russia",
              "Favourability<br>(\u2212100 to +100)"), CONFIG);
  }

  function drawTold(p) {
    var scale = function (a) { return a.map(function (v) { return v * 100; }); };
    Plotly.react("fig-told", [
      {x: D.dates, y: scale(p.reported), name: "What the funder was told", mode: "lines",
       line: {color: D.colours.reported, width: 4}},
      {x: D.dates, y: scale(p.attributable), name: "What the money really did",
       mode: "lines", line: {color: D.colours.attributable, width: 4}}
    ], layout("What the funder was told vs the truth",
              "Change in<br>favourability<br>(points)"), CONFIG);
  }

  function update() {
    var p = point();
    NAMES.forEach(function (n) {
      var text = describe(n, value(n));
      outputs[n].textContent = text;
      sliders[n].setAttribute("aria-valuetext", text);
    });
    var m = p.money;
    var real = per100(m.substantive, m.disbursed);
    document.getElementById("sentence").textContent =
      "Of every $100 sent, $" + real + " reached real work; " +
      "favourability moved by " + points(last(p.attributable)) +
      "; the funder was told " + points(last(p.reported)) + ".";
    document.getElementById("card-leaked").textContent = "$" + per100(m.leaked, m.disbursed);
    document.getElementById("card-show").textContent = "$" + per100(m.for_show, m.disbursed);
    document.getElementById("card-real").textContent = "$" + real;
    document.getElementById("card-unspent").textContent = "$" + per100(m.unspent, m.disbursed);
    drawSankey(p);
    drawOpinion(p);
    drawTold(p);
  }

  function nearest(n, v) {
    var best = 0;
    D.grid[n].forEach(function (g, k) {
      if (Math.abs(g - v) < Math.abs(D.grid[n][best] - v)) { best = k; }
    });
    return best;
  }

  var buttons = Array.prototype.slice.call(document.querySelectorAll("button[data-step]"));
  function choose(step) {
    var s = D.story[step];
    NAMES.forEach(function (n, k) { sliders[n].value = String(nearest(n, s.setting[k])); });
    buttons.forEach(function (b) {
      b.setAttribute("aria-pressed", String(+b.getAttribute("data-step") === step));
    });
    document.getElementById("story-text").textContent = s.text;
    update();
  }
  var lab = document.getElementById("lab");
  buttons.forEach(function (b) {
    b.addEventListener("click", function () {
      choose(+b.getAttribute("data-step"));
      // Show the result: the sliders and the figures the step has just set.
      lab.scrollIntoView({block: "start", behavior: "instant"});
    });
  });
  NAMES.forEach(function (n) {
    sliders[n].addEventListener("input", function () {
      buttons.forEach(function (b) { b.setAttribute("aria-pressed", "false"); });
      update();
    });
  });
  choose(0);
}());
"""


def lesson_page(
    grid: Grid,
    points: Sequence[dict[str, Any]],
    dates: Sequence[str],
    decomposition: str = "",
) -> str:
    """The lesson's HTML page.

    Args:
        grid: The slider values the points were run at.
        points: One per grid point, in :meth:`Grid.points` order.
        dates: The step dates (ISO), shared by every point.
        decomposition: The paragraph of :func:`decomposition_sentence` (none if empty).

    Returns:
        The page's HTML, with plotly.js, the data and the script inside.

    Raises:
        ValueError: If the points do not match the grid.
    """
    expected = list(grid.points())
    found = [(p["keep"], p["show"], p["media"]) for p in points]
    if found != expected:
        raise ValueError("the points do not match the grid (missing, extra or out of order)")
    data = {
        "grid": {"keep": list(grid.keep), "show": list(grid.show), "media": list(grid.media)},
        "dates": list(dates),
        "points": list(points),
        "nodes": [
            {
                "label": label,
                "colour": _ROLE_COLOUR[role],
                "link": palette.with_alpha(_ROLE_COLOUR[role], 0.9 if role == "leaked" else 0.5),
            }
            for _, label, role in NODES
        ],
        "story": [
            {"title": t, "setting": list(s), "text": x}
            for (t, s, _), x in zip(STORY, story_texts(grid, points), strict=True)
        ],
        "colours": dict(palette.INFLUENCE),
        "font": FONT_FAMILY,
    }
    payload = (
        json.dumps(data, separators=(",", ":"))
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
    )
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="referrer" content="no-referrer">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        "<title>Where did the $100 million go?</title>\n"
        f"<style>{_CSS}</style>\n"
        f'<script type="text/javascript">{get_plotlyjs()}</script>\n'
        "</head>\n<body>\n"
        + _body(grid, decomposition)
        + f'\n<script type="application/json" id="lesson-data">{payload}</script>\n'
        + f"<script>{_JS}</script>\n</body>\n</html>\n"
    )


def _body(grid: Grid, decomposition: str = "") -> str:
    steps = "".join(
        f'<button type="button" data-step="{n}" aria-pressed="false">{safe(title)}</button>'
        for n, (title, _, _) in enumerate(STORY)
    )
    sliders = "".join(
        f'<div class="slider"><label for="slider-{key}">{safe(label)}</label>'
        f'<input type="range" id="slider-{key}" min="0" max="{len(getattr(grid, key)) - 1}" '
        f'step="1" value="0" aria-describedby="hint-{key}">'
        f'<output id="value-{key}" for="slider-{key}" aria-live="polite"></output>'
        f'<span class="hint" id="hint-{key}">{safe(hint)}</span></div>'
        for key, label, hint in _SLIDERS
    )
    cards = "".join(
        f'<div class="card {cls}"><div class="value" id="card-{key}">-</div>'
        f"<div>{safe(text)}</div></div>"
        for key, cls, text in (
            ("leaked", "leaked", "of every $100 kept by middlemen"),
            ("show", "", "of every $100 spent on show events"),
            ("real", "", "of every $100 spent on real work"),
            ("unspent", "", "of every $100 not spent by the end"),
        )
    )
    return f"""
<h1>Where did the $100 million go?</h1>
<p class="lead">Russia's "balalaika diplomacy" in Azerbaijan, 2005&#8211;2025: a simulation.
Move the sliders, or follow the story, and watch where the money goes and what it buys.</p>
{caveat_box(BANDS_CLASSROOM)}
<h2>The story in four steps</h2>
<div class="story-buttons" role="group" aria-label="Guided story">{steps}</div>
<section id="lab" aria-label="The simulation: sliders and what they change">
<div class="controls">
<h2>Try it yourself</h2>
<p class="note">Click a slider and use the arrow keys, or drag it.</p>
<div class="sliders">{sliders}</div>
<p id="sentence" aria-live="polite"></p>
</div>
<div class="results">
<p id="story-text" aria-live="polite"></p>
<div class="cards">{cards}</div>
<div id="fig-sankey" class="fig" role="img"
 aria-label="Money flowing from the budget through middlemen to activities"></div>
<div class="figures">
<div id="fig-opinion" class="fig" role="img"
 aria-label="Favourability over time, with and without the programme"></div>
<div id="fig-told" class="fig" role="img"
 aria-label="Influence reported to the funder and influence really caused"></div>
</div>
</div>
</section>
{f'<p id="decomposition">{safe(decomposition)}</p>' if decomposition else ""}
<h2>How to read this</h2>
<p><strong>Favourability</strong> is the average feeling of the simulated population
towards Russia, from &#8722;100 (very hostile) to +100 (very friendly). Every number of
"points" on this page is a point on that &#8722;100 to +100 scale. (The simulator's own
dashboards write the same scale as &#8722;1 to +1, so 1 point here is 0.01 there.) "Moved
by" is the difference at the end of 2025 between the world with the programme and the same world
in which not a cent was spent: only that difference was bought with the money. The fall
in 2024&#8211;2025 comes from the AZAL plane crash, the killings in Yekaterinburg and the
closure of Sputnik Azerbaijan, and happens in both worlds.</p>
<p><strong>What the funder was told</strong> is what the curators' reports add up to:
they count the events they said they paid for, and make them sound bigger.</p>
<p><strong>How the sliders work.</strong> The first slider sets what each curator keeps;
NGO leaders and the news outlet keep their real-life shares when it is at 75% and
proportionally less below, nothing at 0%. The second slider sets every NGO's mix of
events, including the "friendship society" that in real life existed mostly on paper;
here it runs real courses too when the slider allows. The third slider sets how strictly
the host government filters foreign media, for the whole twenty years. Every setting was
run once in advance with the same random numbers, so differences come from the sliders
alone.</p>
<p class="note"><strong>Limits.</strong> This is a model, not a record. How strongly one
contact persuades and how long it lasts are assumptions within ranges taken from
research on persuasion, not measurements from Azerbaijan, and they are the same in every
setting: the small effect of the historical case comes out of theft, show events, the
media filter and the shocks, not out of a setting chosen to make it small. Use it to
think about mechanisms, not to predict numbers. The simulated audience has 2,000 people
standing in for 10 million.</p>
<footer>Made with influence-sim (open source). Works offline: nothing on this page is
loaded from the internet.</footer>
"""
