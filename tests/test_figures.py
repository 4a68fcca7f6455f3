"""Figures as a phone and a PDF show them (papers.report.figures): the comparison's heatmaps fit a
390 px screen with their colour scale, and fit an A4 page (issue 25, item 15)."""

from __future__ import annotations

import re

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
