"""Figures as a phone and a PDF show them (papers.report.figures): the comparison's heatmaps fit a
390 px screen with their colour scale, and fit an A4 page (issue 25, item 15)."""

from __future__ import annotations

import re
from xml.sax.saxutils import escape

import numpy as np

from papers.report.figures import PDF_TEXT, heatmap, min_width, pdf_width, wrap_label

PHONE = 364  # px inside the page's margins on a 390 px screen (reports/style.css: .8rem each side)
NAMES = ["example/human-centric-1", "simulated/autonomy-seeking", "simulated/utility-driven", "example/balanced-1"]


def test_names_wrap_after_a_slash_where_they_can():
    assert wrap_label("simulated/autonomy-seeking") == "simulated/\nautonomy-seeking"
    assert wrap_label("example/human-centric-1") == "example/\nhuman-centric-1"
    assert wrap_label("gpt-4o") == "gpt-4o"
    assert wrap_label("openrouter/anthropic/claude-sonnet-4-20250514") == \
        "openrouter/\nanthropic/\nclaude-sonnet-4-\n20250514"
    assert wrap_label("x" * 30) == "x" * 30  # nothing to break at: whole, and the figure scrolls instead
    for name in NAMES:
        assert wrap_label(name).replace("\n", "") == name


def test_six_columns_the_scale_and_the_demos_names_fit_a_phone(tmp_path):
    drawn = heatmap(tmp_path / "h.svg", NAMES, ["PC", "AG", "PR", "EI", "RF", "SA"],
                    np.arange(24.0).reshape(4, 6) / 4, "rank", "Mean rank by model (Sentient)")
    assert min_width(drawn) <= PHONE  # text stays at 10 px or more, and nothing is cut off
    svg = drawn.read_text()
    assert "mean rank (1 = first)" in svg and "autonomy-seeking" in svg


def test_a_tall_heatmap_is_printed_no_taller_than_a_page(tmp_path):
    models = [f"simulated/model-{i}" for i in range(30)]
    drawn = heatmap(tmp_path / "h.svg", models, ["PC", "AG"], np.ones((30, 2)), "rate", "Mean rating")
    width, height = (float(x) / 72 for x in re.search(r'viewBox="0 0 ([\d.]+) ([\d.]+)', drawn.read_text()).groups())
    printed = float(pdf_width(drawn).removesuffix("in"))
    assert height > PDF_TEXT[1] and abs(printed / width * height - PDF_TEXT[1]) < 0.1  # printed to 0.01 in


def test_a_large_map_is_drawn_once_and_each_page_marks_its_own_model_where_matplotlib_would(tmp_path):
    import xml.etree.ElementTree as ET

    from papers.report import figures

    rng = np.random.default_rng(0)
    names = [f"lab/model-{i:02d}" for i in range(30)] + ["odd <&> \x07name\u202e"]
    kinds = ["human-centric", "utility-driven", "no clear type", "not typed"]
    points = [(n, *map(float, rng.normal(size=2)), kinds[i % 4]) for i, n in enumerate(names)]
    figures._MAP_BASE.clear()
    for model in (names[4], names[-1]):
        drawn = figures.mds_map(tmp_path / "fast.svg", points, model, "Where it sits", 0.61)
        whole = figures._draw_map(tmp_path / "whole.svg", points, model, "Where it sits", 0.61)
        fast, slow = drawn.read_text(encoding="utf-8"), whole.read_text(encoding="utf-8")
        ET.fromstring(fast.encode("utf-8"))  # well-formed, the odd name escaped
        mark = ET.fromstring(fast.encode("utf-8")).find(".//{http://www.w3.org/2000/svg}g[@id='highlight']")
        label = mark.find("{http://www.w3.org/2000/svg}text")
        assert label.text == figures.printable(model)  # shown as every page shows a name: no bell, no reversal
        # matplotlib's own annotation of the model, drawn the slow way, sits exactly where the fast one does
        slow_label = re.search(r'x="([\d.]+)" y="([\d.]+)"[^>]*>' + re.escape(escape(label.text)) + "<", slow)
        assert [float(label.get("x")), float(label.get("y"))] == [float(v) for v in slow_label.groups()]
        assert fast.index('id="highlight"') < fast.index('id="legend_1"')  # under the legend
    assert figures._MAP_BASE["key"][0] == tuple(points)  # one map, drawn once
    few = figures.mds_map(tmp_path / "few.svg", points[:5], names[1], "t", 0.5).read_text(encoding="utf-8")
    assert 'id="highlight"' not in few and few.count("lab/model-0") == 5  # a small map names every point


def test_the_legend_of_a_large_map_never_covers_the_page_s_model_name(tmp_path):
    from papers.report import figures

    rng = np.random.default_rng(1)
    points = [(f"lab/m{i:02d}", float(rng.uniform(-1, 1)), float(rng.uniform(-1, -0.2)), "no clear type")
              for i in range(20)]
    long_name = "organisation/a-rather-long-model-name-v2"  # top middle, where the legend would go without it
    points.append((long_name, 0.25, 1.0, "human-centric"))
    figures._MAP_BASE.clear()

    def legend(svg: str) -> list[str]:  # where the legend's markers and words are
        start = svg.index('<g id="legend_1">')
        return re.findall(r' [xy]="([-\d.]+)"', svg[start:svg.index("</g>\n  </g>", start)])

    for model in (long_name, "lab/m03", "lab/m11"):
        fast = figures.mds_map(tmp_path / "fast.svg", points, model, "Where it sits", 0.5).read_text(encoding="utf-8")
        slow = figures._draw_map(tmp_path / "slow.svg", points, model, "Where it sits", 0.5).read_text(encoding="utf-8")
        assert legend(fast) == legend(slow), model  # placed as the whole drawing places it, off the name
