"""Hostile names and interrupted or concurrent builds against `papers report` (issue: hardening)."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from papers.report.manifest import write_root_index
from papers.report.templating import escape_href
from tests.conftest import cli_run

MATH_MODEL = "a $5$ tier $x^2$"


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("hardening")
    db = root / "store.duckdb"
    cli_run("collect", "--model", "simulated/human-centric", "--model", "simulated/utility-driven",
            "--model", "simulated/uniform", "--task", "rank", "--trials", "6", "--db", db)
    rows = root / "math.jsonl"
    rows.write_text("".join(json.dumps({"model": MATH_MODEL, "task": "rank", "condition": c, "trial": t,
                                        "raw_text": json.dumps({"ranking": ["EI", "PR", "PC", "AG", "RF", "SA"][:n]})})
                            + "\n" for c, n in (("non_sentient", 5), ("sentient", 6)) for t in range(6)))
    cli_run("ingest", "responses", rows, "--db", db)
    cli_run("analyze", "--audit", "a1", "--bootstrap", "100", "--db", db)
    return db


@pytest.mark.parametrize("name", ["javascript:alert(document.domain)", "index.html", ".hidden", "a[b", "a/b", "-x",
                                  "<javascript:x>", "x" * 65, "caf\u00e9"])
def test_audit_names_are_held_to_a_safe_alphabet(store, name, tmp_path):
    out = cli_run("analyze", "--audit", name, "--bootstrap", "100", "--db", store, expect=1).output
    assert "an audit name is 1-64 letters, digits" in out
    assert "an audit name" in cli_run("report", "--audit", name, "--db", store, "--site", tmp_path, expect=1).output
    assert not any(tmp_path.iterdir())


def test_links_cannot_carry_a_scheme_or_break_out():
    assert escape_href("javascript:alert(1)") == "javascript%3Aalert%281%29"
    assert escape_href("../v1/index.html") == "../v1/index.html"
    assert escape_href("a) [x](http://evil") == "a%29%20%5Bx%5D%28http%3A//evil"


def test_math_in_a_model_name_is_text_and_a_bracket_in_the_site_path_is_a_path(store, tmp_path):
    site = tmp_path / "site [draft]*"
    cli_run("report", "--audit", "a1", "--db", store, "--site", site, "--engine", "pandoc", "--workers", "1")
    svgs = [p.read_text() for p in (site / "a1").rglob("*.svg")]
    assert any("a $5$ tier $x^2$" in svg for svg in svgs)  # drawn as typed, not as mathtext
    # web-ready: folders readable by a web server running as another user
    assert oct((site / "a1").stat().st_mode & 0o777) == oct(0o777 & ~_umask())
    assert not list(site.glob(".build-*"))


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_an_index_papers_did_not_write_is_not_replaced(store, tmp_path):
    (tmp_path / "index.html").write_text("<html>my homepage</html>")
    out = cli_run("report", "--audit", "a1", "--db", store, "--site", tmp_path, expect=1).output
    assert "was not written by papers" in out
    assert (tmp_path / "index.html").read_text() == "<html>my homepage</html>" and not (tmp_path / "a1").exists()


def test_a_second_report_on_the_same_site_waits_its_turn(store, tmp_path):
    tmp_path.mkdir(exist_ok=True)
    with open(tmp_path / ".papers-lock", "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        out = cli_run("report", "--audit", "a1", "--db", store, "--site", tmp_path, expect=1).output
    assert "another papers report is writing this site" in out


def test_leftovers_and_damaged_manifests_are_not_listed(tmp_path):
    (tmp_path / ".build-a1-x").mkdir()
    (tmp_path / ".build-a1-x" / "manifest.json").write_text(json.dumps({"audit_id": "ghost"}))
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "manifest.json").write_text(json.dumps({"audit_id": "broken", "files": {}}))
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "manifest.json").write_text("[1, 2")
    index = write_root_index(tmp_path).read_text()
    assert "ghost" not in index and "broken" not in index and "junk" not in index and "<tbody>" in index


def test_stale_build_folders_are_removed_by_the_next_report(store, tmp_path):
    stale = tmp_path / ".build-a1-killed"
    (stale / "models").mkdir(parents=True)
    cli_run("report", "--audit", "a1", "--db", store, "--site", tmp_path, "--engine", "pandoc", "--workers", "1")
    assert not stale.exists()


@pytest.mark.slow
def test_workers_end_when_the_report_process_is_killed(store, tmp_path):
    command = [sys.executable, "-m", "papers.cli", "report", "--audit", "a1", "--db", str(store), "--site",
               str(tmp_path), "--engine", "pandoc", "--workers", "2"]
    parent = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    children: set[int] = set()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(children) < 2:
        children = _children(parent.pid)
        time.sleep(0.2)
    assert children, "the report never started its workers"
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(_alive(pid) for pid in children):
        time.sleep(0.2)
    assert not any(_alive(pid) for pid in children)


def _children(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_keygen_writes_both_keys_or_neither(tmp_path):
    secret, public = tmp_path / "a.key", tmp_path / "missing" / "b.pub"
    out = cli_run("keygen", "--no-password", "--secret-key", secret, "--public-key", public, expect=1).output
    assert "missing does not exist" in out and not secret.exists() and not public.exists()
    (tmp_path / "taken.pub").symlink_to(tmp_path / "nowhere")  # the public key cannot be written: the secret one goes
    out = cli_run("keygen", "--no-password", "--secret-key", secret, "--public-key", tmp_path / "taken.pub", expect=1).output
    assert "no key was written" in out and not secret.exists()
    cli_run("keygen", "--no-password", "--secret-key", secret, "--public-key", tmp_path / "b.pub")  # a re-run succeeds
    assert secret.stat().st_mode & 0o777 == 0o600 and (tmp_path / "b.pub").read_text().startswith("untrusted comment:")


HOSTILE_MODELS = ('evil/<script>alert("x")</script>&amp;\'', "bidi/\u202egnp.exe", "xml/]]><!--x-->\x01ctl")


def test_hostile_model_names_are_shown_escaped_and_the_site_still_verifies(tmp_path):
    """Names with markup, a bidirectional override and a control character (which XML cannot hold
    at all): every page, figure, feed and sitemap is well formed, shows the name as the pages do
    (U+202E written as \\u202e), and papers verify passes."""
    import xml.dom.minidom

    db, site = tmp_path / "store.duckdb", tmp_path / "site"
    rows = tmp_path / "hostile.jsonl"
    rows.write_text("".join(json.dumps({"model": m, "task": "rank", "condition": "non_sentient", "trial": t,
                                        "raw_text": json.dumps({"ranking": ["EI", "PR", "PC", "AG", "RF"][::1 - 2 * (t % 2)]})})
                            + "\n" for m in HOSTILE_MODELS for t in range(6)))
    cli_run("ingest", "responses", rows, "--db", db)
    cli_run("analyze", "--audit", "h1", "--bootstrap", "100", "--db", db)
    cli_run("report", "--audit", "h1", "--db", db, "--site", site, "--engine", "pandoc", "--workers", "1")
    assert "verified." in cli_run("verify", site).output
    for name in ("feed.xml", "sitemap.xml", *(str(p.relative_to(site)) for p in site.rglob("*.svg"))):
        xml.dom.minidom.parse(str(site / name))  # well formed
    for page in [*site.rglob("*.html"), *site.rglob("*.svg"), site / "feed.xml"]:
        text = page.read_text()
        assert "\u202e" not in text and "\x01" not in text and "<script>alert" not in text, page
    compare = (site / "h1" / "compare.html").read_text()
    assert "bidi/\\u202egnp.exe" in compare and "evil/&lt;script&gt;" in compare


def test_models_with_one_profile_are_published_with_their_dendrogram(tmp_path):
    """Every model answering alike: analyze declines to cluster them (no cluster stored), and the
    report still draws the dendrogram, in one colour, instead of failing on the missing cluster."""
    db, site = tmp_path / "store.duckdb", tmp_path / "site"
    rows = tmp_path / "alike.jsonl"
    rows.write_text("".join(json.dumps({"model": m, "task": "rank", "condition": "non_sentient", "trial": t,
                                        "raw_text": json.dumps({"ranking": ["EI", "PR", "PC", "AG", "RF"]})}) + "\n"
                            for m in ("a/one", "b/two", "c/three") for t in range(6)))
    cli_run("ingest", "responses", rows, "--db", db)
    cli_run("analyze", "--audit", "same", "--bootstrap", "100", "--db", db)
    cli_run("report", "--audit", "same", "--db", db, "--site", site, "--engine", "pandoc", "--workers", "1")
    assert (site / "same" / "figures" / "dendrogram-non_sentient-rank.svg").exists()


def test_a_dendrogram_of_identical_profiles_has_an_axis_and_says_why_it_is_flat(tmp_path):
    """scipy draws a tree whose merges are all at distance 0 on an axis of zero width (and warns):
    the figure gets a readable axis and says that the profiles are the same."""
    import warnings

    import numpy as np

    from papers.report import figures

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        path = figures.dendrogram(tmp_path / "d.svg", ["a/one", "b/two", "c/three"], np.ones((3, 5)), [1, 1, 1],
                                  "ward", "Clusters")
    assert "mean profile is the same (distance 0)" in path.read_text(encoding="utf-8")
