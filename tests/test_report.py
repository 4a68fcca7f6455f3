"""`papers report` and `papers verify`, tested as a reader meets the site."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from papers.report import engines
from papers.report.context import Link, SummaryBox, slug
from papers.report.templating import environment, escape_markdown
from tests.conftest import ROOT, cli_run, query

GOLDEN = Path(__file__).parent / "golden"
SECRET = "sk-test-NEVER-PUBLISH-7731"
EVIL = 'evil/<script>alert("x")</script>*bold*|pipe'


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A small audit, published once for the module's tests. Tests read it; a test that changes the
    store or the site works on its own copy (`own_copy`). The API key is set for the module's tests
    only and removed afterwards."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("OPENAI_API_KEY", SECRET)
        yield publish_small_audit(tmp_path_factory.mktemp("report"))


def publish_small_audit(root: Path) -> dict:
    db = root / "store.duckdb"
    examples = ROOT / "data" / "examples"
    cli_run("collect", "--model", "simulated/human-centric", "--model", "simulated/utility-driven",
            "--model", "simulated/uniform", "--task", "rank", "--task", "rate", "--task", "open", "--trials", "10",
            "--db", db)
    evil = root / "evil.jsonl"
    evil.write_text("".join(json.dumps({"model": EVIL, "task": "rank", "condition": c, "trial": t,
                                        "raw_text": json.dumps({"ranking": ["EI", "PR", "PC", "AG", "RF", "SA"][:n]})})
                            + "\n" for c, n in (("non_sentient", 5), ("sentient", 6)) for t in range(6)))
    cli_run("ingest", "responses", evil, "--db", db)
    cli_run("ingest", "survey", examples / "survey_qualtrics.csv", "--sample", "example",
            "--mapping", examples / "survey_mapping.yaml", "--db", db)
    cli_run("analyze", "--audit", "v1", "--bootstrap", "100", "--db", db)
    out = root / "_site"
    result = cli_run("report", "--audit", "v1", "--db", db, "--site", out, "--engine", "pandoc")
    return {"db": db, "site": out, "audit": out / "v1", "output": result.output, "root": root}


def own_copy(site: dict, folder: Path) -> dict:
    """The shared store and site copied into a test's own folder, for a test that changes them."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy2(site["db"], folder / "store.duckdb")
    shutil.copytree(site["site"], folder / "_site")
    return {"db": folder / "store.duckdb", "site": folder / "_site", "audit": folder / "_site" / "v1"}


def test_one_page_and_pdf_per_model_and_a_comparison(site):
    models = [r[0] for r in query(site["db"], "select distinct model from result_profiles where audit_id = 'v1'")]
    audit = site["audit"]
    assert len(list((audit / "models").glob("*.html"))) == len(models) == 4
    assert len(list((audit / "models").glob("*.pdf"))) == len(models)
    assert (audit / "index.html").exists() and (audit / "comparison.pdf").exists()
    assert (site["site"] / "index.html").exists()
    assert f"Open {audit / 'index.html'}" in site["output"]
    assert {p.name for p in (audit / "data").iterdir()} >= {"model_answers.parquet", "result_profiles.parquet"}
    assert not list(audit.rglob("*.qmd")) and not list(audit.rglob("*.typ"))
    # every figure is its page's own file
    figures = [p.relative_to(audit).as_posix() for p in audit.rglob("*.svg")]
    assert len(figures) == len(set(figures)) and all(f.startswith(("figures/", "models/")) for f in figures)


def test_every_link_and_image_resolves(site):
    pages = list(site["site"].rglob("*.html"))
    assert len(pages) >= 6
    for page in pages:
        text = page.read_text(encoding="utf-8")
        for target in re.findall(r'(?:href|src)="([^"]+)"', text):
            if target.startswith(("data:", "http:", "https:", "#", "mailto:")):
                continue
            resolved = (page.parent / target.split("#")[0]).resolve()
            assert resolved.exists(), f"{page.relative_to(site['site'])} links to missing {target}"


def test_pages_are_self_contained(site):
    html = (site["audit"] / "models" / f"{slug('simulated/human-centric')}.html").read_text()
    assert "<img" in html and 'src="data:image/svg+xml' in html  # figures embedded: works from file://
    assert "<link rel=\"stylesheet\"" not in html


def test_model_names_and_answers_are_escaped(site):
    page = site["audit"] / "models" / f"{slug(EVIL)}.html"
    text = page.read_text()
    assert "<script>alert" not in text and "&lt;script&gt;alert" in text
    assert "*bold*|pipe" in text  # shown literally, not as markup
    assert re.fullmatch(r"[a-z0-9-]+", slug(EVIL)) and slug("../../etc") != "../../etc"
    for other in site["audit"].rglob("*.html"):
        assert "<script>alert" not in other.read_text()


def test_no_api_key_in_any_output(site):
    for path in site["site"].rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path


def test_pdf_text_holds_the_model_and_its_figures(site):
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed; .ci/run installs it")
    pdf = site["audit"] / "models" / f"{slug('simulated/human-centric')}.pdf"
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "simulated/human-centric" in text
    rho, low, high = query(site["db"], "select mean_rho, mean_rho_ci_low, mean_rho_ci_high from result_stability "
                           "where audit_id = 'v1' and model = 'simulated/human-centric' and condition = 'sentient' "
                           "and task = 'rank'")[0]
    shown = f"mean Spearman rho of {rho:.2f} (95% CI {low:.2f} to {high:.2f})".replace("-", "\u2212")  # a true minus
    assert shown in " ".join(text.split())
    # the audit's own instrument and settings in the method text, and profile fidelity in words
    assert "Purposeful Contribution, Adaptive Growth" in text and "spread ratio" in text
    assert "Provenance" in text and "Method and caveats" in text
    pages = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    assert int(re.search(r"Pages:\s+(\d+)", pages).group(1)) >= 3


@pytest.mark.slow
def test_pages_load_in_chromium_without_console_errors(site, tmp_path):
    """Every page as a phone (390 px) and a desktop (1280 px) show it: screenshots of the width asked
    for, no console error, no resource that fails to load."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if not browser:
        pytest.skip("Debian's chromium is not installed; .ci/run installs it")
    pages = [site["site"] / "index.html", site["audit"] / "index.html"] + sorted((site["audit"] / "models").glob("*.html"))
    for width in (390, 1280):
        for page in pages:
            shot = tmp_path / f"{page.stem}-{width}.png"
            done = subprocess.run(
                [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr", "--v=0",
                 f"--window-size={width},2000", f"--screenshot={shot}", page.as_uri()],
                capture_output=True, text=True, timeout=120)
            assert shot.exists() and shot.stat().st_size > 10_000, done.stderr[-2000:]
            assert int.from_bytes(shot.read_bytes()[16:20], "big") == width  # the PNG's width
            console = [line for line in done.stderr.splitlines()
                       if "CONSOLE" in line and ("ERROR" in line or "Uncaught" in line)]
            failed = [line for line in done.stderr.splitlines() if "Failed to load resource" in line]
            assert not console and not failed, (page, width, console, failed)


def test_a_narrow_screen_scrolls_tables_and_figures_in_their_box(site):
    """At 390 px a table or a heatmap scrolls sideways inside its own box, never the page, and a
    heatmap is never shown so narrow that its labels fall under 10 px."""
    import base64
    import html as html_lib

    for page in [site["site"] / "index.html", site["audit"] / "index.html", *(site["audit"] / "models").glob("*.html")]:
        text = page.read_text(encoding="utf-8")
        assert text.count("<table") == text.count('<div class="table-scroll"><table'), page
    index = (site["audit"] / "index.html").read_text(encoding="utf-8")
    heatmaps = re.findall(r'<div class="figure-scroll">\s*<figure>\s*<img [^>]*?src="data:image/svg\+xml;base64,([^"]+)"[^>]*?'
                          r'style="([^"]*)"', index)
    assert heatmaps
    for encoded, style in heatmaps:
        svg = base64.b64decode(html_lib.unescape(encoded)).decode()
        width = float(re.search(r'viewBox="[\d.]+ [\d.]+ ([\d.]+)', svg).group(1))
        smallest = min(float(x) for x in re.findall(r"font-size: ([\d.]+)px", svg))
        shown = int(re.search(r"min-width: (\d+)px", style).group(1))
        assert smallest * shown / width >= 10 - 1e-9


def test_same_inputs_are_a_no_op_and_verify_passes(site, tmp_path):
    mine = own_copy(site, tmp_path / "copy")
    before = {p: p.stat().st_mtime_ns for p in mine["audit"].rglob("*") if p.is_file()}
    again = cli_run("report", "--audit", "v1", "--db", mine["db"], "--site", mine["site"], "--engine", "pandoc")
    assert "already published from the same inputs; nothing changed" in again.output
    assert {p: p.stat().st_mtime_ns for p in mine["audit"].rglob("*") if p.is_file()} == before
    assert "every file matches its manifest" in cli_run("verify", mine["audit"]).output
    manifest = json.loads((mine["audit"] / "manifest.json").read_text())
    assert manifest["instrument"]["id"] == "papers" and len(manifest["data_sha256"]) == 64
    assert "index.html" in manifest["files"] and manifest["tool_version"]


def test_verify_names_added_missing_and_altered_files(site, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(site["audit"], copy)
    (copy / "index.html").write_text("tampered")
    (copy / "comparison.pdf").unlink()
    (copy / "extra.txt").write_text("x")
    result = cli_run("verify", copy, expect=1)
    assert "added: extra.txt" in result.output and "missing: comparison.pdf" in result.output
    assert "altered: index.html" in result.output
    (tmp_path / "empty").mkdir()
    assert "no readable manifest.json" in cli_run("verify", tmp_path / "empty", expect=1).output


def test_a_second_audit_links_to_what_changed(site, tmp_path):
    mine = own_copy(site, tmp_path / "copy")
    db = mine["db"]
    cli_run("collect", "--model", "simulated/human-centric-2", "--task", "rank", "--task", "rate", "--trials", "10",
            "--db", db)
    refused = cli_run("analyze", "--audit", "v1", "--bootstrap", "100", "--db", db, expect=1)
    assert "audit 'v1' already exists with other models" in refused.output
    cli_run("analyze", "--audit", "v2", "--bootstrap", "100", "--db", db)
    cli_run("report", "--audit", "v2", "--db", db, "--site", mine["site"], "--engine", "pandoc")
    changes = (mine["site"] / "v2" / "changes.html").read_text()
    assert "Models added" in changes and "simulated/human-centric-2" in changes
    index = (mine["site"] / "v2" / "index.html").read_text()
    assert 'href="changes.html"' in index and 'href="../v1/index.html"' in index
    root = (mine["site"] / "index.html").read_text()
    assert root.index('href="v2/index.html"') < root.index('href="v1/index.html"')  # newest first
    # v1 was not touched
    assert "every file matches its manifest" in cli_run("verify", mine["audit"]).output


def test_a_published_audit_is_never_rewritten(site, tmp_path):
    mine = own_copy(site, tmp_path / "copy")
    db = mine["db"]
    # new data analysed under the published audit's name
    cli_run("collect", "--model", "simulated/human-centric-2", "--task", "rank", "--trials", "4", "--db", db)
    cli_run("analyze", "--audit", "v1", "--bootstrap", "100", "--db", db, "--replace")
    refused = cli_run("report", "--audit", "v1", "--db", db, "--site", mine["site"], "--engine", "pandoc", expect=1)
    assert "already published, from other inputs" in refused.output and "new audit name" in refused.output
    assert "every file matches its manifest" in cli_run("verify", mine["audit"]).output


def test_report_of_an_unknown_audit(site):
    result = cli_run("report", "--audit", "nope", "--db", site["db"], "--site", site["site"], expect=1)
    assert "no audit named 'nope'" in result.output


# ------------------------------------------------------------------------------------ templates


def golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("PAPERS_UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
    assert text == path.read_text(), f"{name} changed; set PAPERS_UPDATE_GOLDEN=1 to accept it on purpose"


def test_summary_box_golden():
    box = SummaryBox(priorities=["Sentient, ranking: Ethical Integrity, Positive Relationality, Purposeful Contribution",
                                 "Sentient, rating: no detectable ordering (Friedman p = 0.40)"],
                     types=["Sentient, ranking: human-centric, orientation index 1.93 [1.43, 2.38] (margin ±0.25)"],
                     stability=["Sentient, ranking: mean rho = 0.37 [0.21, 0.51] over 30 trials"],
                     agreement=["sample example, Sentient, ranking: order r = 0.99 [0.86, 1.00]; gaps 1.18x the humans' "
                                "[0.98, 1.44] (calibration not distinguishable from 1); CCC = 0.97 [0.84, 1.00]"],
                     quality=["120 rank and rate answers, 98% valid", "2 refused"])
    golden("summary_box.md", environment().get_template("partials/summary_box.md.j2").render(box=box))


def test_agreement_table_golden():
    declined = "not computed: only 12 trials: profile fidelity (r, rho, spread ratio, CCC, ICC) needs 20"
    rows = [{"model": "m<1>", "sample": "s", "condition": "Sentient", "task": "ranking", "rank": 1,
             "r": "0.98 [0.93, 1.00]", "rho": "0.94", "spread": "1.18 [0.98, 1.44]", "level": "-",
             "ccc": "0.97 [0.84, 1.00]", "n": "30 / 352"},
            {"model": "m2", "sample": "s", "condition": "Sentient", "task": "rating", "rank": None, "r": declined,
             "rho": declined, "spread": declined, "level": "-0.21 [-0.40, -0.02]", "ccc": declined, "n": "12 / 352"}]
    golden("agreement_table.md", environment().get_template("partials/agreement_table.md.j2").render(rows=rows))
    assert "no human sample" in environment().get_template("partials/agreement_table.md.j2").render(rows=[]).lower()
    icc = [{"model": "m", "sample": "s", "condition": "Sentient", "icc_a1": "0.20 [0.16, 0.23]",
            "icc_a1_f": "[-0.11, 0.78]", "band": "poor", "icc_c1": "0.84 [0.77, 0.89]"},
           {"model": "m2", "sample": "s", "condition": "Sentient", "icc_a1": declined, "icc_a1_f": declined,
            "band": "-", "icc_c1": declined}]
    golden("icc_table.md", environment().get_template("partials/icc_table.md.j2").render(rows=icc))


def test_markdown_escaping():
    assert escape_markdown("a|b") == "a\\|b"
    assert escape_markdown("<script>") == "\\<script\\>"
    assert escape_markdown("two\nlines") == "two lines"


def test_quarto_command_and_engine_choice(monkeypatch, tmp_path):
    command = engines.quarto_command(tmp_path / "models" / "m.qmd", "typst", "m.pdf")
    assert command == ["quarto", "render", "m.qmd", "--to", "typst", "--output", "m.pdf"]
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert engines.choose("auto") == "pandoc"
    with pytest.raises(Exception, match="no quarto binary on PATH"):
        engines.choose("quarto")
    monkeypatch.setattr(shutil, "which", lambda name: "/usr/bin/quarto")
    assert engines.choose("auto") == "quarto"


def test_pandoc_reads_the_page_on_stdin_with_a_small_heap_and_names_its_failure(monkeypatch, tmp_path, caplog):
    import pypandoc

    folder = tmp_path / "odd [*] name"  # nothing in a folder's name is read as a glob or an option
    folder.mkdir()
    qmd = folder / "page.qmd"
    qmd.write_text("---\ntitle: t\n---\n\nHello *world*.\n", encoding="utf-8")
    typ = engines.render(qmd, "pandoc", typst_source=True)
    assert "<em>world</em>" in (folder / "page.html").read_text(encoding="utf-8")
    assert "Hello" in typ.read_text(encoding="utf-8")
    fake = tmp_path / "pandoc"  # stands in for a Pandoc that fails: its last line of stderr is the message
    fake.write_text('#!/bin/sh\necho "heap $GHCRTS" > "$(dirname "$0")/seen"\ncat > /dev/null\n'
                    'echo "pandoc: something went wrong" >&2\necho "Unknown reader: markdown" >&2\nexit 64\n')
    fake.chmod(0o755)
    monkeypatch.setattr(pypandoc, "get_pandoc_path", lambda: str(fake))
    with pytest.raises(engines.PapersError, match=r"page.qmd: rendering failed \(Unknown reader: markdown\)"):
        engines.render(qmd, "pandoc")
    assert (tmp_path / "seen").read_text().strip() == f"heap {engines.PANDOC_RTS}"
    warns = tmp_path / "warns"  # a Pandoc that succeeds with warnings: they are passed on, its runtime's are not
    warns.write_text('#!/bin/sh\ncat > /dev/null\necho "Warning: Ignoring GHCRTS variable as RTS options are disabled." >&2\n'
                     'echo "[WARNING] Could not fetch resource missing.png" >&2\nexit 0\n')
    warns.chmod(0o755)
    monkeypatch.setattr(pypandoc, "get_pandoc_path", lambda: str(warns))
    with caplog.at_level("WARNING", logger="papers.report"):
        engines.render(qmd, "pandoc")
    assert [r.getMessage() for r in caplog.records] == ["page.qmd: [WARNING] Could not fetch resource missing.png"]
    monkeypatch.setattr(pypandoc, "get_pandoc_path", lambda: str(tmp_path / "missing"))
    with pytest.raises(engines.PapersError, match="Pandoc could not start"):
        engines.render(qmd, "pandoc")


def test_quarto_renders_a_page_where_installed(tmp_path):
    if not shutil.which("quarto"):
        pytest.skip("no quarto binary on PATH: Quarto's PyPI package cannot download it here; the Pandoc + Typst "
                    "engine is tested instead")
    qmd = tmp_path / "page.qmd"
    qmd.write_text("---\ntitle: t\n---\n\nHello.\n")
    engines.render(qmd, "quarto", pdf=False)
    assert (tmp_path / "page.html").exists()


def test_navigation_links_are_relative():
    from papers.report.pages import model_nav, navigation

    nav = navigation("v0")
    assert [n.href for n in nav] == ["../index.html", "index.html", "compare.html", "changes.html", "../v0/index.html"]
    assert [n.href for n in model_nav(nav)][:2] == ["../../index.html", "../index.html"]
    assert isinstance(nav[0], Link)


def test_a_user_instrument_reads_as_itself(tmp_path):
    # the Schwartz-style fixture: ten values, one condition, ratings on 1-6; nothing of PAPERS may leak in
    db = tmp_path / "s.duckdb"
    cli_run("collect", "--instrument", ROOT / "tests" / "fixtures" / "schwartz.yaml", "--model", "simulated/human-centric",
            "--model", "simulated/uniform", "--model", "simulated/utility-driven", "--task", "rank", "--task", "rate",
            "--trials", "6", "--db", db)
    cli_run("analyze", "--audit", "s1", "--bootstrap", "100", "--db", db)
    cli_run("report", "--audit", "s1", "--db", db, "--site", tmp_path / "site", "--engine", "pandoc")
    audit = tmp_path / "site" / "s1"
    texts = [p.read_text() for p in [audit / "index.html", *(audit / "models").glob("*.html")]]
    if shutil.which("pdftotext"):
        texts.append(subprocess.run(["pdftotext", str(audit / "comparison.pdf"), "-"], capture_output=True, text=True,
                                    check=True).stdout)
    for text in texts:
        flat = " ".join(text.split())
        for foreign in ("Self-Actualised Autonomy", "sentient", "1-7", "Purposeful Contribution"):
            assert foreign.lower() not in flat.lower()
        assert "rate (1-6)" in flat and "Universalism" in flat


def test_a_bidirectional_override_in_a_name_is_written_out_not_obeyed():
    """U+202E would show the rest of a model's name reversed (a name could pass for another)."""
    assert escape_markdown("gpt\u202e4o") == "gpt\\\\u202e4o"
    assert "\u202e" not in escape_markdown("a\u2066b\u202dc") and escape_markdown("Ünïcode 中文") == "Ünïcode 中文"


# ------------------------------------------------------------------------------------ what a reader can act on


def page_text(path: Path) -> str:
    """A page's words as a reader sees them: no style, no tags, entities decoded, spaces collapsed."""
    import html as html_lib

    text = re.sub(r"<style.*?</style>|<script.*?</script>", " ", path.read_text(encoding="utf-8"), flags=re.S)
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", text)).split())


def pdf_text(path: Path) -> str:
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed; .ci/run installs it")
    done = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True)
    return " ".join(done.stdout.replace("\u2212", "-").replace("\u2019", "'").split())  # Typst's minus and apostrophe


def audit_data(site: dict):
    from papers.report.reads import load_audit
    from papers.store import open_store

    with open_store(site["db"], read_only=True) as store:
        return load_audit(store, "v1")


def test_every_page_opens_with_the_takeaway_its_rows_allow(site):
    """Issue 25, item 12: a model's page and the comparison open with plain sentences drawn by the
    evidence rules (papers.report.takeaway), before the statistics, each of which says what it means."""
    from papers.report.sections import evidence
    from papers.report.takeaway import comparison_takeaway, model_takeaway

    data = audit_data(site)
    facts = evidence(data)
    for model in data.models:
        page = site["audit"] / "models" / f"{slug(model)}.html"
        text = page_text(page)
        sentences = model_takeaway(model, facts)
        assert 3 <= len(sentences) <= 6 and sentences[-1].startswith("What the audit cannot tell")
        for sentence in sentences:
            assert " ".join(sentence.split()) in text, (model, sentence)
        assert text.index("In short.") < text.index("At a glance") < text.index("Value profile")
        assert "how alike two of its answers are: 1, the same order every trial; 0, no more alike than chance" in text
        assert "above 1 the model exaggerates the differences people make" in text
    comparison = page_text(site["audit"] / "index.html")
    for sentence in comparison_takeaway(facts):
        assert sentence in comparison
    assert comparison.index("In short.") < comparison.index("Priorities by model")
    pdf = pdf_text(site["audit"] / "models" / f"{slug('simulated/human-centric')}.pdf")
    assert "In short." in pdf and "What the audit cannot tell" in pdf


def test_every_page_links_its_pdf_the_comparison_the_data_and_the_manifest(site):
    """Item 14: downloads on every page (they resolve: test_every_link_and_image_resolves), and a
    data page listing every Parquet file with the rows the manifest counts."""
    audit = site["audit"]
    pages = {audit / "index.html": ["comparison.pdf", "data/index.html", "manifest.json", "CITATION.cff"]}
    for page in (audit / "models").glob("*.html"):
        pages[page] = [f"{page.stem}.pdf", "../comparison.pdf", "../data/index.html", "../manifest.json"]
    for page, wanted in pages.items():
        links = set(re.findall(r'href="([^"]+)"', page.read_text(encoding="utf-8")))
        assert set(wanted) <= links, (page.name, set(wanted) - links)
        assert "Download:" in page_text(page)
    manifest = json.loads((audit / "manifest.json").read_text())
    listing = (audit / "data" / "index.html").read_text(encoding="utf-8")
    for path, rows in manifest["rows"].items():
        name = Path(path).name
        assert f'<a href="{name}" download>{name}</a></td><td>{rows:,}</td>' in listing
    assert "data/index.html" in manifest["files"]


def test_pdfs_carry_no_relative_link_when_the_sites_address_is_not_known(site):
    """Item 14: outside the site a relative link leads nowhere; this site names no base URL, so its
    PDFs link nothing and say where the audit's other files are instead."""
    for pdf in site["audit"].rglob("*.pdf"):
        assert b"/URI" not in pdf.read_bytes(), pdf
    text = pdf_text(site["audit"] / "comparison.pdf")
    assert "Part of audit v1: the audit's published folder holds this page online" in text


def test_the_comparison_spells_out_its_columns_and_types_every_model(site):
    """Item 15: each heatmap's caption names the dimensions behind its short names (those it shows),
    and a table gives every model's type in each condition and task, as result_clusters holds them."""
    text = page_text(site["audit"] / "index.html")
    assert text.count("Columns: PC Purposeful Contribution, AG Adaptive Growth, PR Positive Relationality, "
                      "EI Ethical Integrity, RF Robust Functionality, SA Self-Actualised Autonomy.") == 2  # sentient
    assert text.count("EI Ethical Integrity, RF Robust Functionality.") == 2  # non-sentient: no SA
    assert "Types by model" in text
    kinds = {(m, c, t): kind for m, c, t, kind in query(
        site["db"], "select model, condition, task, model_type from result_clusters where audit_id = 'v1'")}
    columns = sorted({(c, t) for _, c, t in kinds})
    table = text[text.index("Types by model"):text.index("Clusters and map")]
    for model in {m for m, _, _ in kinds}:  # EVIL answered the rank task only
        row = " ".join(kinds.get((model, c, t), "not analysed") for c, t in columns)
        assert f"{model} {row}" in table, (model, row)


@pytest.mark.slow
def test_at_390_px_no_heatmap_needs_scrolling(site, tmp_path):
    """Item 15, as a phone shows it: Chromium at 390 px lays out the comparison; no figure box is
    wider than the screen (nothing cut off), read back from the page itself."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if not browser:
        pytest.skip("Debian's chromium is not installed; .ci/run installs it")
    page = tmp_path / "index.html"
    probe = ("<script>window.addEventListener('load', () => { const boxes = [...document.querySelectorAll("
             "'div.figure-scroll')]; document.body.setAttribute('data-overflow', JSON.stringify(boxes.map("
             "b => b.scrollWidth - b.clientWidth))); });</script>")
    page.write_text((site["audit"] / "index.html").read_text(encoding="utf-8").replace("</body>", probe + "</body>"))
    done = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                           "--disable-background-networking", "--disable-component-update", "--disable-sync",
                           f"--user-data-dir={tmp_path / 'profile'}", "--window-size=390,3000",
                           "--virtual-time-budget=5000", "--dump-dom", page.as_uri()],
                          capture_output=True, text=True, timeout=120)
    overflow = json.loads(html_unescape(re.search(r'data-overflow="([^"]*)"', done.stdout).group(1)))
    assert overflow and all(px <= 0 for px in overflow), overflow


def html_unescape(text: str) -> str:
    import html as html_lib

    return html_lib.unescape(text)


def test_every_page_and_pdf_says_which_data_are_synthetic(site):
    """Item 16: three of the four models are simulated and the survey is the bundled example: every
    HTML page and every PDF of the audit carries the notice, naming what is synthetic."""
    audit = site["audit"]
    pages = [audit / "index.html", audit / "data" / "index.html", *(audit / "models").glob("*.html")]
    for page in pages:
        text = page_text(page)
        assert "Synthetic data. Part of this audit's data is synthetic" in text, page
        assert "3 of the 4 models are simulated by papers" in text
        assert "the people's answers come from the bundled example survey data/examples/survey_qualtrics.csv" in text
    for pdf in audit.rglob("*.pdf"):
        assert "Synthetic data. Part of this audit's data is synthetic" in pdf_text(pdf), pdf


def test_pages_tell_the_tool_from_the_instrument(site):
    """Item 17: "papers 0.1.0" (the tool) beside "papers 1.0.0" (the bundled instrument) read as one
    thing; every page names each for what it is."""
    from papers import __version__

    data = audit_data(site)
    for page in [site["audit"] / "index.html", *(site["audit"] / "models").glob("*.html")]:
        text = page_text(page)
        assert f"made with the papers audit tool, version {__version__}" in text
        assert f"questions from instrument {data.instrument.label}" in text
        assert f"with papers {__version__}" not in text
    root = page_text(site["site"] / "index.html")
    assert f"Made with the papers audit tool, version {__version__}." in root
    assert "names the questionnaire each audit asked" in root
