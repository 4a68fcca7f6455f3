"""The signed site head and what papers writes into a site (issue 25, items 8, 9 and 11), tested as a
reader meets `papers verify` and as a publisher meets `papers report`: removal of the newest audit,
rollback to an older signed copy, an edited root index, files papers did not write, special files,
symbolic links where papers writes, and audit names that differ only by case."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from papers.report import site as site_module
from papers.report.manifest import write_root_index
from tests.conftest import cli_run

MODELS = ("simulated/human-centric", "simulated/utility-driven")
# what papers writes at a site's root besides its audits (papers.report.site.SITE_WRITERS): the index, the
# schema of results.json, the feed, the sitemap and a history page per model
SITE_FILES = ("index.html", "schema/results-v1.json", "feed.xml", "sitemap.xml")


def site_files(*models: str) -> set[str]:
    from papers.report.context import slug

    return {*SITE_FILES, *(f"history/{slug(m)}.html" for m in models)}
HEAD, HEAD_SIGNATURE = "papers-head.json", "papers-head.json.minisig"
# every test here reads the sites the module's fixture publishes (two reports) or publishes more
pytestmark = pytest.mark.slow


def papers_process(*args, timeout=120) -> subprocess.CompletedProcess:
    """papers in its own process, with a deadline: a hang is a failure, not a stuck test run."""
    code = "import sys; from papers.cli import main; sys.argv[0] = 'papers'; main()"
    return subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture(scope="module")
def sites(tmp_path_factory):
    """A store with audits a1 and a2 (a2 after more data); a site with a1 signed, kept as `older`,
    then a2 published signed into a copy of it (`site`); and `unsigned`, a1 published without a key."""
    root = tmp_path_factory.mktemp("head")
    db = root / "store.duckdb"
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(root)
        mp.delenv("SOURCE_DATE_EPOCH", raising=False)
        cli_run("collect", *(a for m in MODELS for a in ("--model", m)), "--task", "rank", "--trials", "6", "--db", db)
        cli_run("analyze", "--audit", "a1", "--bootstrap", "100", "--db", db)
        cli_run("keygen", "--no-password", "--secret-key", root / "papers.key", "--public-key", root / "papers.pub")
        publish = ("--db", db, "--engine", "pandoc", "--workers", "1")
        cli_run("report", "--audit", "a1", "--site", root / "older", "--sign", root / "papers.key", *publish)
        cli_run("report", "--audit", "a1", "--site", root / "unsigned", *publish)
        shutil.copytree(root / "older", root / "site")
        cli_run("collect", "--model", "simulated/uniform", "--task", "rank", "--trials", "6", "--db", db)
        cli_run("analyze", "--audit", "a2", "--bootstrap", "100", "--db", db)
        out = cli_run("report", "--audit", "a2", "--site", root / "site", "--sign", root / "papers.key",
                      *publish).output
    return {"root": root, "db": db, "site": root / "site", "older": root / "older", "unsigned": root / "unsigned",
            "key": root / "papers.key", "pub": root / "papers.pub", "output": out, "publish": publish}


def copy(sites: dict, name: str, to: Path) -> Path:
    return Path(shutil.copytree(sites[name], to, symlinks=True))


# ----------------------------------------------------------------------------- item 8: the signed head


def test_the_head_names_the_newest_audit_every_manifest_and_the_site_files(sites):
    site = sites["site"]
    head = json.loads((site / HEAD).read_text())
    assert head["format"] == "papers-site-head/1"
    assert head["latest"]["audit_id"] == "a2" and head["latest"]["sequence"] == 2
    assert {a["audit_id"] for a in head["audits"]} == {"a1", "a2"}
    from papers.report.manifest import sha256_file

    for entry in head["audits"]:
        assert entry["manifest_sha256"] == sha256_file(site / entry["audit_id"] / "manifest.json")
    files = site_files(*MODELS, "simulated/uniform")
    assert head["files"] == {name: sha256_file(site / name) for name in files}
    assert head["signed_at"].endswith("Z") and (site / HEAD_SIGNATURE).is_file()
    assert f"Site head signed (papers-head.json): latest audit a2, 2 audits, {len(files)} site files." in sites["output"]
    out = cli_run("verify", site, "--key", sites["pub"]).output
    assert f"head: latest audit a2 (sequence 2), 2 audits and {len(files)} site files, written " in out
    assert "head signature: verified, key " in out and out.rstrip().endswith("verified.")


def test_removing_the_newest_audit_and_its_link_fails_verify(sites, tmp_path):
    site = copy(sites, "site", tmp_path / "site")
    shutil.rmtree(site / "a2")
    write_root_index(site)  # the root index rewritten as papers would, without a2
    out = cli_run("verify", site, "--key", sites["pub"], expect=1).output
    assert "head: the head names audit a2 (sequence 2), which the site does not hold: it was removed" in out
    assert "site file altered: index.html" in out and out.rstrip().endswith("NOT verified.")
    # without a key too: the head is checked by its hashes
    assert "which the site does not hold" in cli_run("verify", site, expect=1).output


def test_a_head_removed_or_rewritten_fails_verify(sites, tmp_path):
    site = copy(sites, "site", tmp_path / "site")
    (site / HEAD).unlink()
    out = cli_run("verify", site, expect=1).output
    assert f"head: the site has no {HEAD}" in out and "papers report" in out
    site = copy(sites, "site", tmp_path / "site2")
    head = json.loads((site / HEAD).read_text())
    head["audits"] = [a for a in head["audits"] if a["audit_id"] == "a1"]
    head["latest"] = head["audits"][0]
    (site / HEAD).write_text(json.dumps(head))
    shutil.rmtree(site / "a2")
    out = cli_run("verify", site, "--key", sites["pub"], expect=1).output
    assert "head signature: " in out and "does not match the file it signs" in out
    (site / HEAD).write_text("[" * 100000)
    out = cli_run("verify", site, expect=1).output
    assert f"head: {HEAD} is not a papers site head (not readable JSON: nested more than 100 levels deep)" in out


def test_a_rollback_to_an_older_signed_copy_is_caught_by_what_the_reader_expects(sites):
    older = sites["older"]
    out = cli_run("verify", older, "--key", sites["pub"]).output  # an honest copy of the site as it was
    assert f"head: latest audit a1 (sequence 1), 1 audit and {len(site_files(*MODELS))} site files, written " in out
    out = cli_run("verify", older, "--key", sites["pub"], "--expect-latest", "a2", expect=1).output
    assert ("head: the head's latest audit is a1, and a2 is not among its audits: the site is older than you "
            "expected (rolled back, or a2 not yet published)") in out
    # the newest site: a2 is the latest; a reader who expects a1 sees a site that moved on, which passes
    assert "verified." in cli_run("verify", sites["site"], "--key", sites["pub"], "--expect-latest", "a2").output
    assert "verified." in cli_run("verify", sites["site"], "--key", sites["pub"], "--expect-latest", "a1").output
    out = cli_run("verify", sites["site"], "--key", sites["pub"], "--not-before", "2999-01-01", expect=1).output
    assert "before --not-before 2999-01-01" in out
    assert "verified." in cli_run("verify", sites["site"], "--not-before", "2001-01-01T00:00:00Z").output
    out = cli_run("verify", sites["site"], "--not-before", "last week", expect=2).output
    assert "--not-before" in out
    out = cli_run("verify", sites["site"] / "a1", "--expect-latest", "a1", expect=2).output
    assert "a site root" in out


def test_an_unsigned_site_gets_an_unsigned_head_that_fails_only_with_a_key(sites):
    site = sites["unsigned"]
    assert (site / HEAD).is_file() and not (site / HEAD_SIGNATURE).exists()
    out = cli_run("verify", site).output
    assert "head signature: not signed" in out and out.rstrip().endswith("verified.")
    out = cli_run("verify", site, "--key", sites["pub"], expect=1).output
    assert "head signature: missing: the site head is not signed (published without --sign)" in out


def test_an_unsigned_report_onto_a_signed_site_is_refused_before_building(sites, tmp_path, monkeypatch):
    site = copy(sites, "older", tmp_path / "site")
    before = {p.relative_to(site).as_posix(): p.read_bytes() for p in site.rglob("*") if p.is_file()}
    out = cli_run("report", "--audit", "a2", "--site", site, *sites["publish"], expect=1).output
    assert f"{HEAD} is signed (key " in out and "pass --sign" in out and f"delete {HEAD_SIGNATURE}" in out
    assert not (site / "a2").exists()
    assert {p.relative_to(site).as_posix(): p.read_bytes() for p in site.rglob("*") if p.is_file()} == before
    # the same audit again, without a key, changes nothing and is no refusal
    assert "nothing changed" in cli_run("report", "--audit", "a1", "--site", site, *sites["publish"]).output
    assert (site / HEAD).read_bytes() == before[HEAD]
    # to stop signing on purpose, the publisher removes the head's signature
    (site / HEAD_SIGNATURE).unlink()
    cli_run("report", "--audit", "a2", "--site", site, *sites["publish"])
    assert json.loads((site / HEAD).read_text())["latest"]["audit_id"] == "a2" and not (site / HEAD_SIGNATURE).exists()


def test_a_report_with_another_key_is_refused(sites, tmp_path):
    site = copy(sites, "older", tmp_path / "site")
    cli_run("keygen", "--no-password", "--secret-key", tmp_path / "other.key", "--public-key", tmp_path / "other.pub")
    out = cli_run("report", "--audit", "a2", "--site", site, "--sign", tmp_path / "other.key", *sites["publish"],
                  expect=1).output
    assert "is signed by key" in out and "not by the key --sign gives" in out and not (site / "a2").exists()


def test_a_rerun_leaves_the_head_as_it_is(sites, tmp_path):
    site = copy(sites, "site", tmp_path / "site")
    head, signature = (site / HEAD).read_bytes(), (site / HEAD_SIGNATURE).read_bytes()
    out = cli_run("report", "--audit", "a2", "--site", site, "--sign", sites["key"], *sites["publish"]).output
    assert "nothing changed" in out
    assert (site / HEAD).read_bytes() == head and (site / HEAD_SIGNATURE).read_bytes() == signature


# ----------------------------------------------------------------------------- item 9: the site's own files


@pytest.mark.parametrize("edit", [
    lambda page: page.replace("<body>", '<body><script>location="https://evil.example/"</script>'),
    lambda page: page.replace('href="a2/index.html">Latest audit: a2', 'href="a1/index.html">Latest audit: a2'),
])
def test_an_edited_root_index_fails_verify(sites, tmp_path, edit):
    site = copy(sites, "site", tmp_path / "site")
    page = (site / "index.html").read_text()
    assert edit(page) != page
    (site / "index.html").write_text(edit(page))
    out = cli_run("verify", site, expect=1).output
    assert "site file altered: index.html" in out and out.rstrip().endswith("NOT verified.")


@pytest.mark.parametrize("make, shown", [
    (lambda s: (s / "evil.html").write_text("<script>alert(1)</script>"), "evil.html"),
    (lambda s: ((s / ".well-known").mkdir(), (s / ".well-known" / "security.txt").write_text("x")), ".well-known/"),
    (lambda s: ((s / "assets").mkdir(), (s / "assets" / "logo.svg").write_text("<svg/>")), "assets/"),
    (lambda s: (s / ".build-a3-killed").mkdir(), ".build-a3-killed/"),
    (lambda s: (s / ".papers-lock").write_text("not a lock"), ".papers-lock"),
])
def test_files_papers_did_not_write_are_named_and_fail_with_a_key(sites, tmp_path, make, shown):
    site = copy(sites, "site", tmp_path / "site")
    make(site)
    out = cli_run("verify", site).output  # reported, and accepted without a key
    assert f"not written by papers: {shown}" in out and out.rstrip().endswith("verified.")
    out = cli_run("verify", site, "--key", sites["pub"], expect=1).output
    assert f"not written by papers: {shown}" in out and out.rstrip().endswith("NOT verified.")


def test_papers_own_lock_file_is_not_reported(sites):
    assert (sites["site"] / ".papers-lock").is_file()
    out = cli_run("verify", sites["site"], "--key", sites["pub"]).output
    assert "not written by papers" not in out and ".papers-lock" not in out


def test_the_site_files_are_whatever_the_writers_wrote(sites, tmp_path, monkeypatch):
    """A new site-level file (a feed, say) needs one writer in SITE_WRITERS: the head records it and
    verify checks it, with no change to either."""
    site = copy(sites, "site", tmp_path / "site")

    def feed(site_root, config, out):
        (out / "feeds").mkdir(exist_ok=True)
        (out / "feeds" / "atom.xml").write_text("<feed/>")
        return [out / "feeds" / "atom.xml"]

    monkeypatch.setattr(site_module, "SITE_WRITERS", (*site_module.SITE_WRITERS, feed))
    monkeypatch.chdir(sites["root"])
    cli_run("report", "--audit", "a2", "--site", site, "--sign", sites["key"], *sites["publish"])
    files = site_files(*MODELS, "simulated/uniform") | {"feeds/atom.xml"}
    assert set(json.loads((site / HEAD).read_text())["files"]) == files
    out = cli_run("verify", site, "--key", sites["pub"]).output
    assert f"2 audits and {len(files)} site files" in out and "not written by papers" not in out
    (site / "feeds" / "atom.xml").write_text("<feed>forged</feed>")
    assert "site file altered: feeds/atom.xml" in cli_run("verify", site, expect=1).output
    (site / "feeds" / "atom.xml").unlink()
    assert "site file missing: feeds/atom.xml" in cli_run("verify", site, expect=1).output


def test_a_site_file_that_cannot_be_written_leaves_the_site_as_it_was(sites, tmp_path, monkeypatch):
    """A site-level writer that fails once the new audit's folder is built (a model name a feed could
    not hold, say) used to leave the audit in the site with no head naming it, so verify failed: the
    new audit's folder is removed again and the site stays as its head describes it."""
    site = copy(sites, "older", tmp_path / "site")
    before = {p.relative_to(site).as_posix(): p.read_bytes() for p in site.rglob("*") if p.is_file()}

    def broken(site_root, config, out):
        raise site_module.PapersError("the feed cannot hold this audit's summary.")

    monkeypatch.setattr(site_module, "SITE_WRITERS", (*site_module.SITE_WRITERS, broken))
    out = cli_run("report", "--audit", "a2", "--site", site, "--sign", sites["key"], *sites["publish"], expect=1).output
    assert "the feed cannot hold this audit's summary" in out
    assert not (site / "a2").exists() and not [p for p in site.iterdir() if p.name.startswith(".build")]
    after = {p.relative_to(site).as_posix(): p.read_bytes() for p in site.rglob("*") if p.is_file()}
    assert {k: v for k, v in after.items() if not k.endswith(".lock")} == \
        {k: v for k, v in before.items() if not k.endswith(".lock")}
    monkeypatch.undo()
    assert cli_run("verify", site, "--key", sites["pub"]).output.rstrip().endswith("verified.")


# ----------------------------------------------------------------------------- item 11: what papers walks and writes


def test_a_fifo_in_an_audit_is_refused_by_verify_without_hanging(sites, tmp_path):
    site = copy(sites, "site", tmp_path / "site")
    os.mkfifo(site / "a1" / "data" / "extra.parquet")
    done = papers_process("verify", site)
    assert done.returncode == 1, done.stderr
    assert "special file (a FIFO): data/extra.parquet" in done.stdout and "Traceback" not in done.stderr
    os.unlink(site / "a1" / "data" / "extra.parquet")
    os.mkfifo(site / "a1" / "index.html.fifo")
    (site / "a1" / "data" / "model_answers.parquet").unlink()
    os.mkfifo(site / "a1" / "data" / "model_answers.parquet")  # a file the manifest lists and verify reads
    done = papers_process("verify", site / "a1")
    assert done.returncode == 1 and "special file (a FIFO): data/model_answers.parquet" in done.stdout
    os.mkfifo(site / "fifo")
    done = papers_process("verify", site)
    assert done.returncode == 1 and "special file (a FIFO): fifo" in done.stdout


def test_a_fifo_for_a_manifest_or_a_root_file_is_refused_by_report_without_hanging(sites, tmp_path):
    site = copy(sites, "older", tmp_path / "site")
    (site / "a1" / "manifest.json").unlink()
    os.mkfifo(site / "a1" / "manifest.json")
    done = papers_process("report", "--audit", "a2", "--site", site, "--sign", sites["key"], *sites["publish"])
    assert done.returncode == 1 and "a1/manifest.json is a FIFO (a special file)" in done.stderr, done.stderr
    assert not (site / "a2").exists()
    done = papers_process("verify", site / "a1")
    assert done.returncode == 1 and "manifest.json is a FIFO" in done.stdout + done.stderr
    site = copy(sites, "older", tmp_path / "site2")
    (site / "index.html").unlink()
    os.mkfifo(site / "index.html")
    done = papers_process("report", "--audit", "a2", "--site", site, "--sign", sites["key"], *sites["publish"])
    assert done.returncode == 1 and "index.html is a FIFO (a special file)" in done.stderr, done.stderr


def test_manifest_hashing_refuses_a_special_file(tmp_path):
    from papers.errors import InputError
    from papers.report.manifest import file_hashes

    (tmp_path / "a.html").write_text("x")
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(InputError, match=r"pipe is a FIFO \(a special file\)"):
        file_hashes(tmp_path)


@pytest.mark.parametrize("name", ["index.html", HEAD, HEAD_SIGNATURE, ".papers-lock", "a2"])
def test_report_refuses_a_symbolic_link_where_it_writes(sites, tmp_path, name):
    site = copy(sites, "older", tmp_path / "site")
    outside = tmp_path / "outside"
    outside.mkdir()
    victim = outside / "victim"
    victim.write_text("keep me")
    (site / name).unlink(missing_ok=True)
    (site / name).symlink_to(victim if name != "a2" else outside)
    out = cli_run("report", "--audit", "a2", "--site", site, "--sign", sites["key"], *sites["publish"],
                  expect=1).output
    assert f"{name} is a symbolic link" in out
    assert victim.read_text() == "keep me" and sorted(p.name for p in outside.iterdir()) == ["victim"]


def test_audit_names_that_differ_only_by_case_are_refused(sites, tmp_path):
    site = copy(sites, "site", tmp_path / "site")
    db = tmp_path / "store.duckdb"
    shutil.copy2(sites["db"], db)
    cli_run("analyze", "--audit", "A2", "--bootstrap", "100", "--db", db)
    out = cli_run("report", "--audit", "A2", "--site", site, "--sign", sites["key"], "--force", "--db", db,
                  "--engine", "pandoc", "--workers", "1", expect=1).output
    assert "audit 'A2' differs from 'a2', already in the site, only by case" in out and not (site / "A2").exists()
    shutil.copytree(site / "a2", site / "A2")  # put there by hand: verify names the pair
    out = cli_run("verify", site, expect=1).output
    assert "names that differ only by case: A2, a2 (one entry on a case-insensitive host)" in out
    out = cli_run("analyze", "--audit", "papers-head.json", "--db", db, expect=1).output
    assert "not the name of a file of the site root (index.html, papers-head.json)" in out
