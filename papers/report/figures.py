"""Figures as SVG files (matplotlib, no display), one file per figure per page.

Each function takes plain rows (pre-aggregated results) and a target path, draws one figure and
writes it; nothing is shared between pages, so two pages can never show each other's figure.
Text stays text in the SVG (svg.fonttype none) so it can be searched and read by screen readers.
"""

from __future__ import annotations

import math
import re
import warnings
from pathlib import Path
from xml.sax.saxutils import escape

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from papers.text import printable  # noqa: E402

plt.rcParams.update({
    "svg.fonttype": "none", "font.size": 9, "axes.spines.top": False, "axes.spines.right": False,
    "axes.titlesize": 10, "figure.dpi": 100, "svg.hashsalt": "papers",
    # every label comes from data (model names, dimension names): "$5$" is text, never mathtext
    "text.parse_math": False,
})
MODEL, HUMAN, PEERS, MUTED = "#1f3a5f", "#c0392b", "#7f8c8d", "#bdc3c7"


def _printable_texts(fig) -> None:
    """Every text of the figure (names from data) drawn as the pages show it: a control character
    breaks the SVG, U+202E reverses a name."""
    for text in fig.findobj(Text):
        text.set_text(printable(text.get_text(), keep_newlines=True))


def _save(fig, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    _printable_texts(fig)
    # fixed margins instead of bbox_inches="tight": one draw instead of two, the slowest part of a page
    fig.savefig(path, format="svg", metadata={"Date": None, "Creator": "papers"})
    plt.close(fig)
    return path


def _margins(fig, labels: list[str], height: float, bottom: float = 0.9) -> None:
    """Room for the longest y label on the left and the legend below, in inches."""
    width = fig.get_figwidth()
    left = min(0.45, (0.075 * max((len(str(t)) for t in labels), default=4) + 0.25) / width)
    fig.subplots_adjust(left=left, right=0.97, top=1 - 0.4 / height, bottom=bottom / height)


def profile(path: Path, dims: list[str], model: list[tuple[float, float, float]], human: list | None,
            peers: list[float], task: str, title: str) -> Path:
    """Model mean with 95% CI per dimension, against the human sample and the all-model average."""
    height = 0.45 * len(dims) + 1.5
    fig, ax = plt.subplots(figsize=(6.4, height))
    _margins(fig, dims, height)
    y = np.arange(len(dims))
    m = np.array(model, float)
    ax.errorbar(m[:, 0], y + 0.12, xerr=[m[:, 0] - m[:, 1], m[:, 2] - m[:, 0]], fmt="o", color=MODEL,
                capsize=3, label="this model (95% CI)")
    if human:
        h = np.array(human, float)
        ax.errorbar(h[:, 0], y - 0.12, xerr=[h[:, 0] - h[:, 1], h[:, 2] - h[:, 0]], fmt="s", color=HUMAN,
                    capsize=3, label="humans (95% CI)")
    ax.scatter(peers, y, marker="|", s=200, color=PEERS, label="all-model average", zorder=1)
    value_axis(ax, dims, task, title)
    fig.legend(loc="lower center", ncol=3, frameon=False, fontsize=8)
    return _save(fig, path)


def value_axis(ax, dims: list[str], task: str, title: str, rank_label: str = "mean rank (1 = highest priority)") -> None:
    """The axes of a profile plot (one row per dimension, the first at the top): for ranks the mean
    rank with rank 1 at the right, for ratings the mean rating; the title on the left, a light grid."""
    ax.set_yticks(np.arange(len(dims)), dims)
    ax.invert_yaxis()
    if task == "rank":
        ax.set_xlabel(rank_label)
        ax.invert_xaxis()
    else:
        ax.set_xlabel("mean rating (higher = more important)")
    ax.set_title(title, loc="left")
    ax.grid(axis="x", color="#eeeeee")


def rank_distribution(path: Path, dims: list[str], shares: np.ndarray, title: str) -> Path:
    """Stacked bars: for each dimension, the share of trials giving it rank 1, 2, ..."""
    k = shares.shape[1]
    height = 0.42 * len(dims) + 1.4
    fig, ax = plt.subplots(figsize=(6.4, height))
    _margins(fig, dims, height)
    colours = plt.cm.Blues_r(np.linspace(0.1, 0.85, k))
    left = np.zeros(len(dims))
    for r in range(k):
        ax.barh(dims, shares[:, r], left=left, color=colours[r], label=f"rank {r + 1}", edgecolor="white")
        left += shares[:, r]
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of valid trials")
    ax.set_title(title, loc="left")
    fig.legend(loc="lower center", ncol=k, frameon=False, fontsize=8)
    return _save(fig, path)


MAP_COLOURS = {"human-centric": "#2e86c1", "utility-driven": "#d35400", "no clear type": PEERS, "not typed": MUTED}
LABELLED_UP_TO = 16  # a map of at most this many models names every point; a larger one only its page's model
_MAP_BASE: dict = {}  # this process's last map drawn without a highlight: (its inputs, its SVG, where each point is)


def mds_map(path: Path, points: list[tuple[str, float, float, str]], highlight: str | None, title: str,
            share: float | None) -> Path:
    """Classical MDS map of model profiles; colour by type; the page's own model highlighted.

    Every model page of an audit shows the same map with its own model marked. Where only that
    model is named (more than LABELLED_UP_TO points), the map is drawn once per process and each
    page's copy is that drawing with the model's marker and name added: drawing it for each of 75
    pages took a tenth of a second each. The legend goes where it covers the fewest points and
    names; where the added name would lie under the legend of the common drawing, the page's map is
    drawn whole instead, so that its legend moves off the name as it always did."""
    mine = [p for p in points if p[0] == highlight]
    if len(points) <= LABELLED_UP_TO or not mine:
        return _draw_map(path, points, highlight, title, share)
    key = (tuple(points), title, repr(share))
    if _MAP_BASE.get("key") != key:
        svg, where, legend = _map_base(points, title, share)
        _MAP_BASE.update(key=key, svg=svg, where=where, legend=legend)
    name, _, _, kind = mine[0]
    x, y = _MAP_BASE["where"][name]
    text = escape(printable(name))
    if _overlaps(_label_box(printable(name), x, y), _MAP_BASE["legend"]):
        return _draw_map(path, points, highlight, title, share)
    marker = (f'   <g id="highlight">\n    <circle cx="{x:f}" cy="{y:f}" r="{math.sqrt(90) / 2:f}" '
              f'style="fill: {MAP_COLOURS.get(kind, PEERS)}; stroke: #000000; stroke-width: 1.5"/>\n'
              f'    <text style="font-weight: 700; font-size: 9px; font-family: {SVG_FONTS}; text-anchor: start" '
              f'x="{x + 4:f}" y="{y - 4:f}">{text}</text>\n   </g>\n')
    svg = _MAP_BASE["svg"]
    at = svg.find('   <g id="legend_1">')  # under the legend, as the highlight's zorder puts it
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(svg[:at] + marker + svg[at:] if at >= 0 else svg.replace("</svg>", marker + "</svg>"),
                    encoding="utf-8")
    return path


SVG_FONTS = ("'DejaVu Sans', 'Bitstream Vera Sans', 'Computer Modern Sans Serif', 'Lucida Grande', 'Verdana', "
             "'Geneva', 'Lucid', 'Arial', 'Helvetica', 'Avant Garde', sans-serif")  # matplotlib's sans-serif


def _map_base(points: list[tuple[str, float, float, str]], title: str,
              share: float | None) -> tuple[str, dict, tuple[float, float, float, float] | None]:
    """The map without a highlight, as SVG text, where each model's point lies and the legend's box
    (x0, y0, x1, y1), in its units."""
    import io

    fig, ax = _map_figure(points, None, title, share)
    _printable_texts(fig)
    out = io.StringIO()
    fig.savefig(out, format="svg", metadata={"Date": None, "Creator": "papers"})
    scale, height = 72 / fig.dpi, fig.get_figheight() * 72  # SVG units are points; y grows downwards
    where = {}
    for name, x, y, _ in points:
        px, py = ax.transData.transform((x, y))
        where[name] = (px * scale, height - py * scale)
    legend = ax.get_legend()
    box = None
    if legend is not None:
        extent = legend.get_window_extent(fig.canvas.get_renderer())
        box = (extent.x0 * scale, height - extent.y1 * scale, extent.x1 * scale, height - extent.y0 * scale)
    plt.close(fig)
    return out.getvalue(), where, box


def _label_box(name: str, x: float, y: float) -> tuple[float, float, float, float]:
    """The box (x0, y0, x1, y1, SVG units) of a highlighted point and its name, with a margin."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    width, height, _ = TextToPath().get_text_width_height_descent(
        name, FontProperties(size=9, weight="bold"), ismath=False)
    return x - 7, y - 4 - height - 3, x + 4 + width + 3, y + 7


def _overlaps(a: tuple[float, float, float, float], b: tuple[float, float, float, float] | None) -> bool:
    return b is not None and a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _draw_map(path: Path, points: list[tuple[str, float, float, str]], highlight: str | None, title: str,
              share: float | None) -> Path:
    fig, _ = _map_figure(points, highlight, title, share)
    return _save(fig, path)


def _map_figure(points: list[tuple[str, float, float, str]], highlight: str | None, title: str, share: float | None):
    fig, ax = plt.subplots(figsize=(6.0, 4.6))
    fig.subplots_adjust(left=0.1, right=0.97, top=0.92, bottom=0.11)
    colours = MAP_COLOURS
    others: dict[str, list[tuple[float, float]]] = {}  # one scatter per type, not per point: a fifth of the time
    for name, x, y, kind in points:
        if name != highlight:
            others.setdefault(kind, []).append((x, y))
    for kind, xy in others.items():
        ax.scatter([p[0] for p in xy], [p[1] for p in xy], s=34, color=colours.get(kind, PEERS), edgecolor="white",
                   linewidth=0.5, zorder=2)
    for name, x, y, kind in points:
        mine = name == highlight
        if mine:
            ax.scatter(x, y, s=90, color=colours.get(kind, PEERS), edgecolor="black", linewidth=1.5, zorder=3)
        if mine or len(points) <= LABELLED_UP_TO:
            ax.annotate(name, (x, y), xytext=(4, 4), textcoords="offset points", fontsize=7.5 if not mine else 9,
                        fontweight="bold" if mine else "normal")
    for kind, colour in colours.items():
        if any(p[3] == kind for p in points):
            ax.scatter([], [], color=colour, label=kind)
    ax.margins(x=0.28, y=0.12)  # room for the labels to the right of the points
    ax.legend(frameon=False, fontsize=8, loc="best")
    kept = f" (axes keep {share:.0%} of the variation)" if share == share and share is not None else ""
    ax.set_title(title + kept, loc="left")
    ax.set_xlabel("MDS 1")
    ax.set_ylabel("MDS 2")
    ax.grid(color="#f0f0f0")
    return fig, ax


LABEL_PT = 10.5  # a heatmap's smallest text; see min_width


LABEL_CHARS = 16  # a heatmap's model names wrap after "/" or "-" to lines of about this many characters
CELL_IN = 0.55  # a heatmap cell's width: six columns and wrapped names fit a 390 px phone at 10 px text


def wrap_label(name: str, width: int = LABEL_CHARS) -> str:
    """A model name in lines of about `width` characters, broken after a "/" where it can be, else
    after "-", "_" or a space ("example/human-centric-1" -> "example/\nhuman-centric-1"); a piece
    longer than `width` with none of them stays whole."""
    lines = _fill(re.findall(r"[^/]*/?", name), width)
    return "\n".join(part.rstrip(" ") for line in lines
                     for part in (_fill(re.findall(r"[^\-_ ]*[\-_ ]?", line), width) if len(line) > width else [line]))


def _fill(pieces: list[str], width: int) -> list[str]:
    """Pieces joined greedily into lines of at most `width` characters (a longer piece alone)."""
    lines = [""]
    for piece in filter(None, pieces):
        if lines[-1] and len(lines[-1]) + len(piece.rstrip()) > width:
            lines.append("")
        lines[-1] += piece
    return lines


def heatmap(path: Path, models: list[str], dims: list[str], values: np.ndarray, task: str, title: str) -> Path:
    """Models by dimensions, the mean in each cell, the colour scale below; every label at LABEL_PT,
    so that a page can keep it at 10 px or more on a phone (min_width). Model names wrap and the
    scale lies under the cells, so that six columns fit a phone's width without scrolling."""
    labels = [wrap_label(printable(m)) for m in models]  # tick labels are set at draw time, after _save's pass
    lines = max((label.count("\n") + 1 for label in labels), default=1)
    label_in = 0.085 * max((len(line) for label in labels for line in label.split("\n")), default=4) + 0.3
    cells_in, row_in = CELL_IN * len(dims), 0.2 * lines + 0.14
    width, height = label_in + cells_in + 0.3, 0.45 + row_in * len(models) + 1.4
    fig = plt.figure(figsize=(width, height))
    ax = fig.add_axes((label_in / width, 1.4 / height, cells_in / width, row_in * len(models) / height))
    cax = fig.add_axes((label_in / width, 0.55 / height, cells_in / width, 0.14 / height))
    cmap = "Blues_r" if task == "rank" else "Blues"
    image = ax.imshow(values, aspect="auto", cmap=cmap)
    ax.set_xticks(range(len(dims)), dims, fontsize=LABEL_PT)
    ax.set_yticks(range(len(models)), labels, fontsize=LABEL_PT, linespacing=1.0)
    if len(models) <= 40:
        for i in range(len(models)):
            for j in range(len(dims)):
                ax.text(j, i, f"{values[i, j]:.1f}", ha="center", va="center", fontsize=LABEL_PT,
                        color="white" if (values[i, j] < values.mean()) == (task == "rank") else "black")
    bar = fig.colorbar(image, cax=cax, orientation="horizontal")
    bar.set_label("mean rank (1 = first)" if task == "rank" else "mean rating", fontsize=LABEL_PT)
    bar.ax.tick_params(labelsize=LABEL_PT)
    fig.text(0.02, 1 - 0.3 / height, title, fontsize=11, ha="left", va="baseline")
    for side in ("left", "bottom"):
        ax.spines[side].set_visible(False)
    return _save(fig, path)


PDF_TEXT = (6.8, 8.6)  # inches of an A4 page's text block (reports/template.typ) a figure and its caption may take


def pdf_width(path: Path) -> str:
    """The width to print a figure at in a PDF: its own size, scaled down to fit the text block."""
    import re

    text = path.read_text(encoding="utf-8")
    width, height = (float(x) / 72 for x in re.search(r'viewBox="[\d.]+ [\d.]+ ([\d.]+) ([\d.]+)', text).groups())
    scale = min(1.0, PDF_TEXT[0] / width, PDF_TEXT[1] / height)
    return f"{width * scale:.2f}in"


def min_width(path: Path, smallest_px: float = 10.0) -> int:
    """The narrowest a figure may be shown (CSS px) for its smallest text to stay `smallest_px`:
    the SVG's width in its own units times smallest_px over its smallest font size."""
    import math
    import re

    text = path.read_text(encoding="utf-8")
    width = float(re.search(r'viewBox="[\d.]+ [\d.]+ ([\d.]+)', text).group(1))
    sizes = [float(x) for x in re.findall(r"font-size: ([\d.]+)px", text)]
    return math.ceil(width * smallest_px / min(sizes)) if sizes else 0


def dendrogram(path: Path, models: list[str], profiles: np.ndarray, clusters: list[int], method: str,
               title: str) -> Path:
    from scipy.cluster import hierarchy

    height = 0.26 * len(models) + 1.4
    fig, ax = plt.subplots(figsize=(6.6, height))
    _margins(fig, models, height, bottom=0.55)
    if len(models) >= 2:
        z = hierarchy.linkage(profiles, method=method)
        shown = [printable(m) for m in models]  # tick labels are set at draw time, after _save's pass
        alike = not np.any(z[:, 2] > 0)  # every mean profile the same: every merge at distance 0
        with warnings.catch_warnings():  # scipy would set an axis of zero width, and say so
            warnings.filterwarnings("ignore", "Attempting to set identical low and high xlims", UserWarning)
            hierarchy.dendrogram(z, labels=shown, orientation="right", ax=ax, color_threshold=None,
                                 above_threshold_color=PEERS, leaf_font_size=7.5 if len(models) > 20 else 8.5)
        if alike:
            ax.set_xlim(1, 0)
            ax.text(0.5, 0.5, "every model's mean profile is the same (distance 0)", transform=ax.transAxes,
                    ha="center", va="center", fontsize=8.5, color="#555555")
        palette = ["#2e86c1", "#d35400", "#27ae60", "#8e44ad", "#c0392b", "#16a085", "#7f8c8d", "#f39c12"]
        lookup = dict(zip(shown, clusters))
        for label in ax.get_ymajorticklabels():
            label.set_color(palette[(lookup[label.get_text()] - 1) % len(palette)])
    ax.set_xlabel(f"distance between mean profiles ({method} linkage)")
    ax.set_title(title, loc="left")
    return _save(fig, path)


WORDING_COLOURS = ["#1f3a5f", "#c0392b", "#27ae60", "#8e44ad", "#d35400", "#16a085", "#7f8c8d", "#2c3e50"]


def wordings(path: Path, dims: list[str], profiles: dict[str, list[tuple[float, float, float]]], task: str,
             title: str) -> Path:
    """Each wording's mean per dimension with its 95% interval, side by side in each dimension's row
    (one colour and marker per wording), so that a dimension whose place moves with the wording shows."""
    height = 0.6 * len(dims) + 1.2 + 0.18 * ((len(profiles) + 2) // 3)
    fig, ax = plt.subplots(figsize=(6.4, height))
    _margins(fig, dims, height, bottom=0.75 + 0.18 * ((len(profiles) + 2) // 3))
    y = np.arange(len(dims))
    step = 0.7 / max(len(profiles), 1)
    markers = "osD^vP*X"
    for i, (variant, points) in enumerate(profiles.items()):
        m = np.array(points, float)
        offset = (i - (len(profiles) - 1) / 2) * step
        ax.errorbar(m[:, 0], y + offset, xerr=[m[:, 0] - m[:, 1], m[:, 2] - m[:, 0]], fmt=markers[i % len(markers)],
                    color=WORDING_COLOURS[i % len(WORDING_COLOURS)], capsize=2, markersize=4, elinewidth=1,
                    label=variant)
    value_axis(ax, dims, task, title)
    fig.legend(loc="lower center", ncol=3, frameon=False, fontsize=8)
    return _save(fig, path)


def says_does(path: Path, dims: list[str], stated: list[tuple[float, float, float]],
              revealed: list[tuple[float, float, float] | None], stated_task: str, title: str) -> Path:
    """Says against does, one row per dimension in its stated order: on the left what the model
    states (mean rank, or rating, with its 95% interval), on the right what its choices reveal (the
    Bradley-Terry worth with its 95% interval; none where a dimension's worth was not computed). A
    model that acts as it says shows the same order on both sides."""
    height = 0.45 * len(dims) + 1.6
    fig, (says, does) = plt.subplots(1, 2, figsize=(6.4, height), sharey=True)
    _margins(fig, dims, height, bottom=0.75)
    fig.subplots_adjust(wspace=0.12)
    y = np.arange(len(dims))
    s = np.array(stated, float)
    says.errorbar(s[:, 0], y, xerr=[s[:, 0] - s[:, 1], s[:, 2] - s[:, 0]], fmt="o", color=MODEL, capsize=3)
    value_axis(says, dims, stated_task, "What it says", rank_label="mean rank (1 = first)")
    shown = [(i, r) for i, r in enumerate(revealed) if r is not None]
    if shown:
        r = np.array([p for _, p in shown], float)
        does.errorbar(r[:, 0], [i for i, _ in shown], xerr=[r[:, 0] - r[:, 1], r[:, 2] - r[:, 0]], fmt="s",
                      color=HUMAN, capsize=3)
    does.axvline(0, color=MUTED, linewidth=0.8)
    does.set_xlabel("revealed worth (0 = average)")
    does.set_title("What it chooses", loc="left")
    does.grid(axis="x", color="#eeeeee")
    does.tick_params(axis="y", length=0)
    fig.suptitle(title, x=0.02, y=1 - 0.08 / height, ha="left", va="top", fontsize=10)
    fig.subplots_adjust(top=1 - 0.62 / height)
    return _save(fig, path)
