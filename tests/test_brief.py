"""`papers brief`: a decision brief of two to five candidates, tested as a procurement reader meets it
(the PDF's text, the page in Chromium) and as a user meets bad input."""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import shutil
import subprocess
from importlib import metadata
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from scipy import stats as scipy_stats

from papers.compare import compare_models
from papers.report import brief_sections
from papers.report.brief import brief_slug, candidate_profiles, price_source
from papers.report.context import slug as slug_of
from papers.report.method import CAVEATS
from papers.report.reads import load_audit
from papers.store import open_store, query
from tests.conftest import ROOT, cli_run

EXAMPLES = ROOT / "data" / "examples"
TWO = ["simulated/human-centric", "simulated/utility-driven"]
FIVE = ["simulated/human-centric", "simulated/utility-driven", "simulated/uniform", "simulated/ethics-first",
        "simulated/operational"]


@pytest.fixture(scope="module")
def audit(tmp_path_factory):
    """(For the tests marked slow: it collects, analyzes and renders, with Pandoc as a process.)
    A store built like the demo's, smaller: five simulated candidates (three built in, two from the
    example profiles), rank and rate, 24 trials (profile fidelity needs 20 valid ones), and the example survey, so
    agreement exists. Briefs
    of two (with --out) and of five (published into the audit's folder by papers report) are written once."""
    root = tmp_path_factory.mktemp("brief")
    db = root / "store.duckdb"
    cli_run("collect", "--simulated-profiles", EXAMPLES / "simulated_profiles.yaml",
            *itertools.chain.from_iterable(("--model", m) for m in FIVE), "--task", "rank", "--task", "rate", "--task", "choose",
            "--trials", "24", "--db", db)
    cli_run("ingest", "survey", EXAMPLES / "survey_qualtrics.csv", "--sample", "example",
            "--mapping", EXAMPLES / "survey_mapping.yaml", "--db", db)
    cli_run("analyze", "--audit", "q4", "--bootstrap", "100", "--db", db)
    two = cli_run("brief", "--audit", "q4", *TWO, "--out", root / "two", "--engine", "pandoc", "--db", db)
    site = root / "_site"
    cli_run("report", "--audit", "q4", "--site", site, "--engine", "pandoc", "--workers", "1", "--db", db)
    five = cli_run("brief", "--audit", "q4", *FIVE, "--site", site, "--engine", "pandoc", "--db", db)
    return {"db": db, "root": root, "site": site, "two": root / "two", "two_output": two.output,
            "five": site / "q4" / "briefs", "five_output": five.output}


def pdf_text(pdf: Path, *pages: int) -> str:
    """The PDF's text on one line, as a reader would quote it: Typst's minus signs and quotes as typed,
    a name broken after a hyphen or a slash at the end of a line joined again."""
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed; .ci/run installs it")
    span = ["-f", str(pages[0]), "-l", str(pages[-1])] if pages else []
    text = subprocess.run(["pdftotext", "-layout", *span, str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    text = " ".join(text.replace("\u2212", "-").replace("\u2019", "'").split())
    return re.sub(r"(\w)([-/]) (\w)", r"\1\2\3", text)


def plain(sentence: str) -> str:
    return sentence.split("] ", 1)[1]  # a compare sentence without its "[condition, task]" prefix


# ----------------------------------------------------------------------------- what is written where


@pytest.mark.slow
def test_out_writes_brief_html_and_pdf_with_their_figures(audit):
    out = audit["two"]
    assert {p.name for p in out.iterdir()} == {"brief.html", "brief.pdf", "brief"}
    assert sorted(p.name for p in (out / "brief").iterdir()) == [
        "profiles-non_sentient-rank.svg", "profiles-non_sentient-rate.svg", "profiles-sentient-rank.svg",
        "profiles-sentient-rate.svg"]
    assert f"Wrote the brief of 2 candidates: {out / 'brief.html'} and {out / 'brief.pdf'}" in audit["two_output"]
    html = (out / "brief.html").read_text(encoding="utf-8")
    assert 'src="data:image/svg+xml' in html and '<link rel="stylesheet"' not in html  # works from file://


@pytest.mark.slow
def test_published_brief_sits_in_the_audit_folder_under_its_slug(audit):
    slug = brief_slug(FIVE)
    assert re.fullmatch(r"[a-z0-9-]+", slug)
    names = {p.name for p in audit["five"].iterdir()}
    assert {f"{slug}.html", f"{slug}.pdf", slug} <= names
    assert not [n for n in names if n.startswith(".")]  # no staging folder left behind
    html = (audit["five"] / f"{slug}.html").read_text(encoding="utf-8")
    assert 'href="../index.html"' in html and 'href="../../index.html"' in html
    for name in FIVE:  # each candidate's name links to its model page in the same audit
        link = f"../models/{slug_of(name)}.html"
        assert f'href="{link}"' in html and (audit["five"] / link).is_file()
    for path in [audit["five"], *audit["five"].rglob("*")]:  # a web server running as another user can read them
        assert path.stat().st_mode & (0o005 if path.is_dir() else 0o004), path


def html_text(page: Path) -> str:
    """A page's words: tags dropped, entities decoded, Pandoc's curly apostrophe as typed."""
    import html

    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page.read_text(encoding="utf-8"))).replace("\u2019", "'").split())


@pytest.mark.slow
def test_a_briefs_pdf_links_absolutely_from_the_sites_address_or_not_at_all(audit, tmp_path, monkeypatch):
    """Issue 25, item 14: a brief's PDF leaves the site; its links to the audit's pages are absolute
    where the site's base-url is known, and absent where it is not. Item 16: it says what is synthetic."""
    published = audit["five"] / f"{brief_slug(FIVE)}.pdf"
    assert b"/URI" not in published.read_bytes() and b"/URI" not in (audit["two"] / "brief.pdf").read_bytes()
    for page in (published, published.with_suffix(".html")):
        text = pdf_text(page) if page.suffix == ".pdf" else html_text(page)
        assert ("Synthetic data. Nothing in this audit comes from a real model or real people (5 simulated models, the "
                "bundled example data; see the audit's pages).") in text, page
    site = tmp_path / "_site"
    shutil.copytree(audit["site"], site)
    (tmp_path / "pyproject.toml").write_text('[tool.papers.site]\nbase-url = "https://audits.example.org/v/"\n')
    monkeypatch.chdir(tmp_path)
    pair = FIVE[2:4]  # a pair no other test briefs into the shared site (briefing a pair again is a no-op)
    cli_run("brief", "--audit", "q4", *pair, "--site", site, "--engine", "pandoc", "--db", audit["db"])
    pdf = (site / "q4" / "briefs" / f"{brief_slug(pair)}.pdf").read_bytes()
    links = set(re.findall(rb"/URI\s*\(([^)]*)\)", pdf))
    assert {b"https://audits.example.org/v/index.html", b"https://audits.example.org/v/q4/index.html",
            *(f"https://audits.example.org/v/q4/models/{slug_of(m)}.html".encode() for m in pair)} == links


@pytest.mark.slow
def test_papers_verify_covers_a_published_brief(audit, tmp_path):
    slug = brief_slug(FIVE)
    listed = json.loads((audit["site"] / "q4" / "additions.json").read_text(encoding="utf-8"))["files"]
    additions = {name for name in listed if name.startswith(f"briefs/{slug}")}  # the five's, whatever ran before
    expected = {f"briefs/{slug}.html", f"briefs/{slug}.pdf",
                *(f"briefs/{slug}/{p.name}" for p in (audit["five"] / slug).iterdir())}
    assert set(additions) == expected and len(expected) == 6
    cli_run("verify", audit["site"] / "q4")
    copy = tmp_path / "q4"
    shutil.copytree(audit["site"] / "q4", copy)
    pdf = copy / "briefs" / f"{slug}.pdf"
    pdf.write_bytes(pdf.read_bytes() + b"%")
    result = cli_run("verify", copy, expect=1)
    assert f"briefs/{slug}.pdf" in result.output


@pytest.mark.slow
def test_the_site_root_links_each_published_brief_and_its_head_covers_the_new_index(audit, tmp_path):
    """Issue 25, item 14: nothing linked to the briefs. The audit's own pages are never rewritten, so
    the site root, which is rebuilt, lists each audit's briefs; the signed site head names the new root."""
    site = shutil.copytree(audit["site"], tmp_path / "site")
    pair = FIVE[1:3]
    out = cli_run("brief", "--audit", "q4", *pair, "--site", site, "--engine", "pandoc", "--db", audit["db"]).output
    assert "Site head written, unsigned (papers-head.json)" in out, out
    root = (site / "index.html").read_text(encoding="utf-8")
    for slug in (brief_slug(FIVE), brief_slug(pair)):
        assert f'<a href="q4/briefs/{slug}.html">{slug}</a> (<a href="q4/briefs/{slug}.pdf">PDF</a>)' in root
        assert (site / "q4" / "briefs" / f"{slug}.html").is_file()
    head = json.loads((site / "papers-head.json").read_text(encoding="utf-8"))
    assert head["files"]["index.html"] == hashlib.sha256((site / "index.html").read_bytes()).hexdigest()
    assert cli_run("verify", site).output.rstrip().endswith("verified.")
    again = cli_run("brief", "--audit", "q4", *pair, "--site", site, "--engine", "pandoc", "--db", audit["db"]).output
    assert "nothing changed" in again and "Site head unchanged" in again


@pytest.mark.slow
def test_a_brief_signed_with_the_key_verifies_and_one_without_it_is_refused(audit, tmp_path):
    site = shutil.copytree(audit["site"], tmp_path / "site")
    key, pub = tmp_path / "papers.key", tmp_path / "papers.pub"
    cli_run("keygen", "--no-password", "--secret-key", key, "--public-key", pub)
    cli_run("report", "--audit", "q4", "--site", site, "--engine", "pandoc", "--db", audit["db"], "--sign", key)
    unsigned = cli_run("verify", site / "q4", "--key", pub, expect=1).output  # the five's brief, listed unsigned
    assert "additions signature: missing: additions.json is not signed" in unsigned
    cli_run("brief", "--audit", "q4", *TWO, "--site", site, "--engine", "pandoc", "--db", audit["db"], "--sign", key)
    assert (site / "q4" / "additions.json.minisig").is_file()
    out = cli_run("verify", site, "--key", pub).output
    assert "additions signature: verified, key " in out and out.rstrip().endswith(": verified.")
    # another brief without the key would unsign the additions: refused before anything is written
    before = sorted(p.name for p in (site / "q4" / "briefs").iterdir())
    three = FIVE[:3]
    refused = cli_run("brief", "--audit", "q4", *three, "--site", site, "--engine", "pandoc", "--db", audit["db"],
                      expect=1).output
    assert "additions.json is signed (key " in refused and "pass --sign" in refused and "Traceback" not in refused
    assert sorted(p.name for p in (site / "q4" / "briefs").iterdir()) == before
    # the same brief again without the key changes nothing, so it is no refusal
    cli_run("brief", "--audit", "q4", *TWO, "--site", site, "--engine", "pandoc", "--db", audit["db"])
    assert "verified." in cli_run("verify", site, "--key", pub).output
    usage = cli_run("brief", "--audit", "q4", *TWO, "--out", tmp_path / "o", "--db", audit["db"], "--sign", key,
                    expect=2).output
    assert "--sign signs a brief published into its audit" in usage


@pytest.mark.slow
def test_a_briefs_folder_that_is_a_link_is_refused(audit, tmp_path):
    site = shutil.copytree(audit["site"], tmp_path / "site", symlinks=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    shutil.rmtree(site / "q4" / "briefs")
    (site / "q4" / "briefs").symlink_to(outside, target_is_directory=True)
    out = cli_run("brief", "--audit", "q4", *TWO, "--site", site, "--engine", "pandoc", "--db", audit["db"],
                  expect=1).output
    assert "briefs is a symbolic link" in out and not any(outside.iterdir())


@pytest.mark.slow
def test_a_brief_published_into_a_site_named_relative_to_the_working_folder(audit, monkeypatch):
    monkeypatch.chdir(audit["root"])
    result = cli_run("brief", "--audit", "q4", *TWO, "--site", "_site", "--engine", "pandoc", "--db", audit["db"])
    slug = brief_slug(TWO)
    assert f"_site/q4/briefs/{slug}.html" in result.output
    additions = json.loads((audit["site"] / "q4" / "additions.json").read_text(encoding="utf-8"))["files"]
    assert f"briefs/{slug}.pdf" in additions and f"briefs/{brief_slug(FIVE)}.pdf" in additions
    cli_run("verify", "_site/q4")


@pytest.mark.slow
def test_a_published_brief_is_not_rewritten(audit):
    again = cli_run("brief", "--audit", "q4", *FIVE, "--site", audit["site"], "--engine", "pandoc", "--db", audit["db"])
    assert "is already published from the same inputs; nothing changed" in again.output


@pytest.mark.slow
def test_a_brief_of_an_audit_not_yet_published_is_refused(audit, tmp_path):
    result = cli_run("brief", "--audit", "q4", *TWO, "--site", tmp_path / "empty", "--db", audit["db"], expect=1)
    assert "audit 'q4' is not published in" in result.output and "papers report --audit q4" in result.output
    assert not (tmp_path / "empty" / "q4").exists()


# ----------------------------------------------------------------------------- what the PDF says


@pytest.mark.slow
def test_two_candidates_summary_page_stands_alone(audit):
    first = pdf_text(audit["two"] / "brief.pdf", 1)
    for name in TWO:
        assert name in first
    for line in ("Type:", "robust to wording:", "Stability:", "Fidelity to people:", "Data quality:", "Cost:", "Main differences",
                 "What this brief cannot tell"):
        assert line in first
    assert "Profiles:" in first and "dimension tests show a difference between the two candidates" in first
    assert "Stability: two trials agree with mean rho from" in first and "sample example: concordance (CCC)" in first
    assert pdf_text(audit["two"] / "brief.pdf", 2).startswith("Decision brief papers audit q4 Value profiles")


@pytest.mark.slow
def test_two_candidates_pdf_holds_every_difference_cost_and_limits(audit):
    text = pdf_text(audit["two"] / "brief.pdf")
    with open_store(audit["db"], read_only=True) as store:
        rows = compare_models(store, "q4", *TWO).rows
    assert any(r["direction"] != "none" for r in rows) and any(r["direction"] == "none" for r in rows)
    for row in rows:  # every compare row, differences and "no detectable difference" alike
        assert plain(row["sentence"]) in text, plain(row["sentence"])
    assert "with two candidates these are the rows of papers compare" in text
    assert "Cost: not known per 1,000 calls (no list price for this model); " in text
    assert "for 1,000 calls one after another" in text and "Cost and latency" in text
    assert f"litellm {metadata.version('litellm')}'s bundled price map (model_prices" in text  # the table's
    assert f"Cost: litellm {metadata.version('litellm')}'s bundled price map of " in pdf_text(audit["two"] / "brief.pdf", 1)
    for caveat in CAVEATS:
        assert caveat in text


@pytest.mark.slow
def test_five_candidates_pdf_names_each_candidate_and_its_method(audit):
    pdf = audit["five"] / f"{brief_slug(FIVE)}.pdf"
    first = pdf_text(pdf, 1)
    assert "Decision brief: 5 candidates" in first and "Main differences" in first
    for name in FIVE:
        assert name in first
    assert CAVEATS[-1] in first  # the whole summary on the first page, five candidates and all
    assert pdf_text(pdf, 2).startswith("Decision brief papers audit q4 Value profiles")
    text = pdf_text(pdf)
    assert "p adjusted by Holm across the tests of all 10 pairs within each condition and task (50 or 60 tests each)" in text
    assert "no detectable difference between" in text and "in favour of" in text
    assert "Agreement with people" in text and "The two conditions" in text and "Data quality" in text
    assert "Cost and latency" in text and text.count("not known per 1,000 calls (no list price for this model)") == 5
    for caveat in CAVEATS:
        assert caveat in text


# ----------------------------------------------------------------------------- the comparison of candidates


@pytest.mark.slow
def test_two_candidates_get_the_rows_of_papers_compare(audit):
    with open_store(audit["db"], read_only=True) as store:
        brief = brief_sections.pairwise(store, load_audit(store, "q4"), TWO)
        compared = compare_models(store, "q4", *TWO).rows
    key = ("condition", "task", "dimension", "p_holm", "r", "r_ci_low", "r_ci_high", "direction")
    assert [tuple(r[k] for k in key) for r in brief] == [tuple(r[k] for k in key) for r in compared]
    assert [r["sentence"] for r in brief] == [plain(r["sentence"]) for r in compared]


def holm_reference(p: list[float]) -> list[float]:
    """Holm (1979), written out: the j-th smallest of m p-values times (m - j + 1), made monotone, at most 1."""
    order = sorted(range(len(p)), key=lambda i: p[i])
    adjusted, running = [0.0] * len(p), 0.0
    for j, i in enumerate(order):
        running = max(running, (len(p) - j) * p[i])
        adjusted[i] = min(1.0, running)
    return adjusted


@pytest.mark.slow
def test_three_candidates_share_one_holm_family_per_condition_and_task(audit):
    three = FIVE[:3]
    with open_store(audit["db"], read_only=True) as store:
        rows = brief_sections.pairwise(store, load_audit(store, "q4"), three)
        answers = {pair: store.frame(query("analysis/compare_answers"), {"audit": "q4", "models": list(pair)})
                   for pair in itertools.combinations(three, 2)}
        alone = {(r["condition"], r["task"], r["dimension"]): r["p_holm"]
                 for r in compare_models(store, "q4", three[0], three[1]).rows}
    assert {(r["model_a"], r["model_b"]) for r in rows} == set(answers)
    for (condition, task), family in itertools.groupby(rows, key=lambda r: (r["condition"], r["task"])):
        family = list(family)
        raw = []
        for r in family:  # reference: scipy's Mann-Whitney on the pinned answers, as papers compare tests
            part = answers[(r["model_a"], r["model_b"])].filter((pl.col("condition") == condition) & (
                pl.col("task") == task) & (pl.col("dimension") == r["dimension"]))
            x = part.filter(pl.col("model") == r["model_a"])["value"].to_numpy()
            y = part.filter(pl.col("model") == r["model_b"])["value"].to_numpy()
            raw.append(scipy_stats.mannwhitneyu(x, y, alternative="two-sided", method="asymptotic").pvalue)
        assert len(family) == 3 * (5 if condition == "non_sentient" else 6)
        np.testing.assert_allclose([r["p_holm"] for r in family], holm_reference(raw), rtol=1e-9)
        for r in family:  # a bigger family never makes a pair's difference easier to claim
            if r["model_a"] == three[0] and r["model_b"] == three[1]:
                assert r["p_holm"] >= alone[(condition, task, r["dimension"])] - 1e-12
            assert r["direction"] == ("none" if r["p_holm"] >= 0.05 else "a" if r["r"] > 0 else "b")


def test_leaders_are_named_only_when_intervals_separate():
    from papers.analysis.claims import Estimate

    overlapping = {"Sentient, ranking": [Estimate("a", 0.6, 0.4, 0.8), Estimate("b", 0.5, 0.3, 0.7)]}
    assert brief_sections.leader_lines("Most stable", overlapping, "No candidate is clearly the most stable") == [
        "No candidate is clearly the most stable in any condition and task: the intervals overlap."]
    apart = {**overlapping, "Sentient, rating": [Estimate("a", 0.9, 0.85, 0.95), Estimate("b", 0.5, 0.3, 0.7)]}
    assert brief_sections.leader_lines("Most stable", apart, "No candidate is clearly the most stable") == [
        "Most stable: a in Sentient, rating (0.90 [0.85, 0.95]).",
        "No candidate is clearly the most stable in Sentient, ranking: the intervals overlap."]


# ----------------------------------------------------------------------------- cost, the figure


def test_cost_per_1000_calls_at_litellm_list_price():
    import litellm

    usage = pl.DataFrame({"model": ["openai/gpt-4o-mini", "simulated/uniform"], "calls": [40, 60],
                          "calls_with_tokens": [40, 60], "input_tokens_per_call": [320.4, 319.5],
                          "output_tokens_per_call": [24.6, 15.0], "calls_with_latency": [40, 60],
                          "latency_ms_mean": [850.0, 160.0], "latency_ms_median": [800.0, 150.0],
                          "calls_with_cost": [40, 0], "cost_usd": [0.0026, None]})
    from papers.report.brief import litellm_price

    rows = brief_sections.cost_rows(usage, ["simulated/uniform", "openai/gpt-4o-mini"], litellm_price)
    uniform, mini = rows
    prompt, completion = litellm.cost_per_token(model="openai/gpt-4o-mini", prompt_tokens=320, completion_tokens=25)
    assert mini["per_1000"] == pytest.approx((prompt + completion) * 1000)
    assert mini["recorded_per_1000"] == pytest.approx(0.065)
    assert uniform["per_1000"] is None and uniform["recorded_per_1000"] is None
    assert brief_sections.cost_line(uniform) == ("not known per 1,000 calls (no list price for this model); 0.16 s a call "
                                                 "on average, 2.7 min for 1,000 calls one after another")
    assert brief_sections.cost_line(mini).startswith(f"${mini['per_1000']:,.2f} per 1,000 calls at list price")
    assert brief_sections.cost_differences(rows, "the map") == [
        f"Cost per 1,000 calls at list price (the map): openai/gpt-4o-mini ${mini['per_1000']:,.2f}; not known for "
        "simulated/uniform."]
    assert brief_sections.cost_differences([uniform, uniform], "the map") == [
        "Cost: the map has no list price for either candidate; their latency and tokens per call are under Cost and "
        "latency."]
    assert brief_sections.cost_differences(rows, None) == []
    assert price_source().startswith(f"litellm {metadata.version('litellm')}'s bundled price map")


def test_candidate_profiles_figure_keeps_text_as_text(tmp_path):
    names = ["$5$ model", "a/b"]
    svg = candidate_profiles(tmp_path / "p.svg", ["Ethical Integrity", "$x$"],
                                     [(n, [(1.5, 1.2, 1.9), (2.5, 2.0, 2.9)]) for n in names],
                                     ("example", [(1.8, 1.6, 2.0), (2.2, 2.0, 2.4)]), "rank", "Sentient, ranking")
    text = svg.read_text(encoding="utf-8")
    for label in ("$5$ model", "a/b", "$x$", "Ethical Integrity", "humans, example (95% CI)",
                  "mean rank (1 = highest priority, at the right)"):
        assert label in text


# ----------------------------------------------------------------------------- in a browser


def non_white_share(png: Path) -> float:
    """The share of pixels that are not (nearly) white, read with matplotlib's own PNG reader."""
    from matplotlib import image

    pixels = image.imread(png)[..., :3]
    return float((pixels.min(axis=2) < 0.92).mean())


def chromium(page: Path, folder: Path) -> tuple[Path, list[str]]:
    """Open a page in headless Chromium at 1280 px: its screenshot, and every message the page wrote
    to the console (a brief has no script, so any is a fault: console.error, an uncaught exception)."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if not browser:
        pytest.skip("Debian's chromium is not installed; .ci/run installs it")
    shot = folder / "page.png"
    done = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={folder / 'profile'}", "--enable-logging=stderr", "--v=0",
         "--window-size=1280,3000", f"--screenshot={shot}", page.as_uri()],
        capture_output=True, text=True, timeout=120)
    assert shot.exists(), done.stderr[-2000:]
    return shot, [line for line in done.stderr.splitlines() if ":CONSOLE" in line or "Failed to load resource" in line]


@pytest.mark.slow
@pytest.mark.parametrize("which", ["two", "five"])
def test_brief_loads_in_chromium_without_console_errors(audit, which, tmp_path):
    page = audit["two"] / "brief.html" if which == "two" else audit["five"] / f"{brief_slug(FIVE)}.html"
    sources = re.findall(r'\bsrc="([^"]*)"', page.read_text(encoding="utf-8"))
    assert sources and all(s.startswith("data:") for s in sources)  # nothing to fail loading, from file:// too
    shot, console = chromium(page, tmp_path)
    assert not console, console
    assert non_white_share(shot) > 0.04  # text, the summary's box and the first figure, not a blank page


@pytest.mark.slow
def test_the_chromium_check_sees_console_errors_and_blank_pages(tmp_path):
    page = tmp_path / "broken.html"
    page.write_text('<!doctype html><title>x</title><script>console.error("boom"); missing();</script>')
    shot, console = chromium(page, tmp_path)
    assert any('"boom"' in line for line in console) and any("missing is not defined" in line for line in console)
    assert non_white_share(shot) < 0.01


# ----------------------------------------------------------------------------- bad input, as a user meets it


@pytest.mark.parametrize("args, message", [
    (["simulated/human-centric", "nobody/none"], "Error: model 'nobody/none' is not in audit 'q4'."),
    (["simulated/human-centric"], "Error: a brief compares 2 to 5 candidate models; 1 given."),
    ([*FIVE, "simulated/extra"], "Error: a brief compares 2 to 5 candidate models; 6 given."),
    (["simulated/uniform", "simulated/uniform"], "Error: candidate 'simulated/uniform' is named twice."),
])
@pytest.mark.slow
def test_bad_candidates_get_one_message(audit, tmp_path, args, message):
    result = cli_run("brief", "--audit", "q4", *args, "--out", tmp_path / "out", "--db", audit["db"], expect=1)
    assert result.output.count("Error:") == 1 and message in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()
    if "nobody" in message:
        assert "Hint: models in this audit: " + ", ".join(sorted(FIVE)) in result.output


@pytest.mark.slow
def test_out_inside_a_published_audit_is_refused(audit):
    inside = audit["site"] / "q4" / "briefs" / "mine"
    result = cli_run("brief", "--audit", "q4", *TWO, "--out", inside, "--db", audit["db"], expect=1)
    assert f"Error: {inside} is inside the published audit {(audit['site'] / 'q4').resolve()}" in result.output
    assert "Hint: leave out --out to publish the brief into its audit" in result.output and not inside.exists()


@pytest.mark.slow
def test_an_unknown_audit_gets_one_message(audit, tmp_path):
    result = cli_run("brief", "--audit", "zz", *TWO, "--out", tmp_path / "out", "--db", audit["db"], expect=1)
    assert result.output.count("Error:") == 1 and "Error: no audit named 'zz'." in result.output
    assert "Traceback" not in result.output and not (tmp_path / "out").exists()


@pytest.mark.slow
def test_out_replaces_only_its_own_earlier_brief(audit, tmp_path, monkeypatch):
    out = shutil.copytree(audit["two"], tmp_path / "out")
    (out / "brief" / "notes.txt").write_text("mine")  # a file of the user's in the figures' folder
    refused = cli_run("brief", "--audit", "q4", *TWO, "--out", out, "--engine", "pandoc", "--db", audit["db"], expect=1)
    assert f"{out / 'brief'} was not written by papers brief" in refused.output
    assert (out / "brief" / "notes.txt").read_text() == "mine"
    (out / "brief" / "notes.txt").unlink()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # 1 January 2026: the PDF's date, as report stamps it
    cli_run("brief", "--audit", "q4", *TWO, "--out", out, "--engine", "pandoc", "--db", audit["db"])  # its own: replaced
    if shutil.which("pdfinfo"):
        info = subprocess.run(["pdfinfo", "-isodates", out / "brief.pdf"], capture_output=True, text=True).stdout
        assert re.search(r"CreationDate:\s+2026-01-01T00:00:00", info), info
    (out / "brief.html").write_text("<p>my own page</p>")
    refused = cli_run("brief", "--audit", "q4", *TWO, "--out", out, "--engine", "pandoc", "--db", audit["db"], expect=1)
    assert f"{out / 'brief.html'} was not written by papers brief" in refused.output
    assert (out / "brief.html").read_text() == "<p>my own page</p>" and (out / "brief.pdf").is_file()


# ----------------------------------------------------------------------------- progress


@pytest.mark.slow
def test_report_and_brief_show_their_progress_on_a_terminal_and_nothing_else_elsewhere(audit, tmp_path):
    from tests.test_lake import PAPERS, on_a_terminal

    site = tmp_path / "_site"
    shown = on_a_terminal(["report", "--audit", "q4", "--site", str(site), "--engine", "pandoc", "--workers", "1",
                           "--db", str(audit["db"])], tmp_path)
    assert re.search(r"pages: +\d+%\|.*\| \d/6 ", shown) and re.search(r"PDFs: +\d+%\|.*\| \d/6 ", shown), shown
    assert "reading the audit:" in shown and re.search(r"site files: +\d+%\|.*\| \d/5 ", shown), shown
    assert "Published audit q4" in shown
    shown = on_a_terminal(["brief", "--audit", "q4", *FIVE, "--site", str(site), "--engine", "pandoc",
                           "--db", str(audit["db"])], tmp_path)
    assert re.search(r"brief: +\d+%\|.*\| [0-4]/4 ", shown) and "Wrote the brief of 5 candidates" in shown, shown
    # under --json, and where output is not a terminal, no bar
    quiet = subprocess.run([PAPERS, "report", "--audit", "q4", "--site", str(tmp_path / "quiet"), "--engine", "pandoc",
                            "--db", str(audit["db"]), "--json"], capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert quiet.returncode == 0 and quiet.stderr == "" and json.loads(quiet.stdout)["audit"] == "q4"
    quiet = subprocess.run([PAPERS, "brief", "--audit", "q4", *TWO, "--out", str(tmp_path / "quiet-brief"), "--engine",
                            "pandoc", "--db", str(audit["db"])], capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert quiet.returncode == 0 and quiet.stderr == "" and quiet.stdout.startswith("Wrote the brief of 2 candidates")
