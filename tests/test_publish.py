"""Publishing and archiving an audit (issue 13), tested as a publisher and an archivist would:
web-ready folders, byte-identical rebuilds, signed manifests and verify, the site's hash chain,
PDF/A-3b with attachments, the publisher's settings, and export's refusals."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from papers.report.context import slug
from papers.report.site import add_to_manifest
from tests.conftest import cli_run

SITE_SETTINGS = """
[tool.papers.site]
title = "Acme value audits"
publisher = "Acme Research Ltd"
description = "Quarterly audits of the models we buy."
base-url = "https://audits.example.org/values/"
license = "CC-BY-4.0"
"""
MODELS = ("simulated/human-centric", "simulated/utility-driven")
# every test here but the last reads a site built by the module's fixture (a report, about 20 s) or
# builds another one, and several start poppler, minisign or Chromium
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """One store with two models, audit v1 published signed into a site whose project names its
    publisher (pyproject.toml [tool.papers.site]). Tests that change anything work on copies."""
    root = tmp_path_factory.mktemp("publish")
    (root / "pyproject.toml").write_text(SITE_SETTINGS)
    db = root / "store.duckdb"
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(root)
        mp.delenv("SOURCE_DATE_EPOCH", raising=False)
        cli_run("collect", *(a for m in MODELS for a in ("--model", m)), "--task", "rank", "--task", "rate",
                "--trials", "6", "--db", db)
        cli_run("analyze", "--audit", "v1", "--bootstrap", "100", "--db", db)
        cli_run("keygen", "--no-password", "--secret-key", root / "papers.key", "--public-key", root / "papers.pub")
        out = cli_run("report", "--audit", "v1", "--db", db, "--site", root / "_site", "--engine", "pandoc",
                      "--sign", root / "papers.key").output
    return {"root": root, "db": db, "site": root / "_site", "audit": root / "_site" / "v1", "output": out,
            "key": root / "papers.key", "pub": root / "papers.pub"}


def copy_site(published: dict, to: Path) -> Path:
    shutil.copytree(published["site"], to)
    return to


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# ----------------------------------------------------------------------------- web-ready, rebuilds


def test_the_folder_is_web_ready_and_holds_no_leftovers(published):
    assert "manifest signed" in published["output"]
    site, mask = published["site"], umask()
    for path in [site, *site.rglob("*")]:
        if path.name == ".papers-lock":
            continue
        want = (0o777 if path.is_dir() else 0o666) & ~mask
        assert path.stat().st_mode & 0o777 == want, path
    names = [p.relative_to(site).as_posix() for p in site.rglob("*")]
    assert not [n for n in names if n.startswith(".build-") or n.endswith((".qmd", ".typ", ".partial"))
                or ".evidence" in n or n.endswith(("_quarto.yml", "style.css"))]
    audit = published["audit"]
    assert {"CITATION.cff", "ro-crate-metadata.json", "manifest.json", "manifest.json.minisig"} <= set(
        p.name for p in audit.iterdir())


def test_a_rebuild_elsewhere_after_more_data_is_byte_identical(published, tmp_path, monkeypatch):
    db = tmp_path / "store.duckdb"
    shutil.copy2(published["db"], db)
    cli_run("collect", "--model", "simulated/uniform", "--task", "rank", "--task", "rate", "--trials", "6",
            "--db", db)  # more data in the store, which audit v1 did not pin
    monkeypatch.chdir(published["root"])  # the same publisher's settings
    cli_run("report", "--audit", "v1", "--db", db, "--site", tmp_path / "elsewhere", "--engine", "pandoc",
            "--workers", "1", "--sign", published["key"])
    original, rebuilt = files_of(published["audit"]), files_of(tmp_path / "elsewhere" / "v1")
    assert sorted(rebuilt) == sorted(original)
    assert [name for name in original if original[name] != rebuilt[name]] == []
    # the data files hold exactly the pinned rows: the new model is in the store, not in the audit
    answers = pq.read_table(tmp_path / "elsewhere" / "v1" / "data" / "model_answers.parquet")
    assert set(answers.column("model").to_pylist()) == set(MODELS)


def test_source_date_epoch_is_the_date_stamped_inside_pages_and_pdfs(published, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # 1 January 2026, 00:00 UTC
    cli_run("report", "--audit", "v1", "--db", published["db"], "--site", tmp_path / "s", "--engine", "pandoc",
            "--workers", "1")
    audit = tmp_path / "s" / "v1"
    manifest = json.loads((audit / "manifest.json").read_text())
    assert manifest["published_at"] == "2026-01-01T00:00:00Z"
    assert "1 January 2026, 00:00 UTC" in (audit / "index.html").read_text()
    assert "1 January 2026" in (tmp_path / "s" / "index.html").read_text()
    if shutil.which("pdfinfo"):
        info = subprocess.run(["pdfinfo", "-isodates", audit / "comparison.pdf"], capture_output=True, text=True).stdout
        assert re.search(r"CreationDate:\s+2026-01-01T00:00:00", info), info
        assert re.search(r"Author:\s+papers\n", info), info  # no publisher named in this folder: papers made it
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    bad = cli_run("report", "--audit", "v1", "--db", published["db"], "--site", tmp_path / "t", expect=1).output
    assert "SOURCE_DATE_EPOCH='yesterday' is not a number of seconds" in bad


# ----------------------------------------------------------------------------- manifest, signature, verify


def test_the_manifest_records_settings_versions_and_the_chain(published):
    m = json.loads((published["audit"] / "manifest.json").read_text())
    assert m["format"] == "papers-manifest/2" and m["audit_id"] == "v1" and sorted(m["models"]) == sorted(MODELS)
    assert m["settings"]["bootstrap_b"] == 100 and m["settings"]["linkage"] and "seed" in m["settings"]
    assert {"papers", "pandoc", "typst", "numpy", "scipy", "duckdb", "polars", "litellm", "matplotlib"} <= set(
        m["versions"])
    assert m["sequence"] == 1 and m["previous"] is None
    assert m["site"]["publisher"] == "Acme Research Ltd"
    assert m["rows"]["data/model_answers.parquet"] == pq.read_metadata(
        published["audit"] / "data" / "model_answers.parquet").num_rows
    assert "index.html" in m["files"] and "manifest.json" not in m["files"]


def test_a_signed_audit_verifies_and_catches_a_page_edited_with_its_manifest_entry(published, tmp_path):
    ok = cli_run("verify", published["audit"], "--key", published["pub"]).output
    assert "signature: verified" in ok and "verified." in ok
    if shutil.which("minisign"):  # the standard tool accepts the signature too
        done = subprocess.run(["minisign", "-Vm", published["audit"] / "manifest.json", "-p", published["pub"]],
                              capture_output=True, text=True)
        assert done.returncode == 0 and "audit:v1" in done.stdout, done.stderr
    audit = copy_site(published, tmp_path / "site") / "v1"
    page = audit / "index.html"
    page.write_text(page.read_text().replace("Priorities by model", "Priorities as we like them"))
    manifest = json.loads((audit / "manifest.json").read_text())
    import hashlib

    manifest["files"]["index.html"] = hashlib.sha256(page.read_bytes()).hexdigest()
    (audit / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    caught = cli_run("verify", audit, "--key", published["pub"], expect=1).output
    assert "every file matches its manifest" in caught and "signature: " in caught and "NOT verified" in caught
    # without the signature file, a key still demands one
    (audit / "manifest.json.minisig").unlink()
    assert "missing: the audit is not signed" in cli_run("verify", audit, "--key", published["pub"], expect=1).output


def test_verify_checks_the_fields_symlinks_and_the_shape(published, tmp_path):
    audit = copy_site(published, tmp_path / "site") / "v1"
    manifest = json.loads((audit / "manifest.json").read_text())
    (audit / "manifest.json").write_text(json.dumps({**manifest, "models": ["simulated/human-centric"]}))
    out = cli_run("verify", audit, expect=1).output
    assert "manifest: models lists 1 models, but the folder has pages for 2" in out
    # a hash the page prints, but in another row: compared whole, per row, not as a substring of the page
    (audit / "manifest.json").write_text(json.dumps({**manifest, "data_sha256": manifest["instrument"]["sha256"]}))
    out = cli_run("verify", audit, expect=1).output
    assert "manifest: data_sha256 " in out and "is not the SHA-256 index.html states for 'Audit data'" in out
    (audit / "manifest.json").write_text(json.dumps(manifest))
    assert "verified." in cli_run("verify", audit).output
    (audit / "data" / "link.parquet").symlink_to(audit / "data" / "model_answers.parquet")
    assert "symbolic link: data/link.parquet" in cli_run("verify", audit, expect=1).output
    (audit / "data" / "link.parquet").unlink()
    (audit / "data" / "manifest.json").write_text("{}")  # a manifest.json below the top is a file like any other
    assert "added: data/manifest.json" in cli_run("verify", audit, expect=1).output
    (audit / "data" / "manifest.json").unlink()
    for wrong, said in (("[1, 2", "is not valid JSON"), ("[1, 2]", "it is list, not an object"),
                        (json.dumps({**manifest, "files": []}), "field 'files' should be an object"),
                        (json.dumps({"audit_id": "v1", "files": {}}), "has no 'format'"),
                        (json.dumps({**manifest, "published_at": "2026-13-45"}), "'published_at' should be an ISO date"),
                        (json.dumps({**manifest, "created_at": "garbage"}), "'created_at' should be an ISO date"),
                        (json.dumps({**manifest, "data_sha256": ""}), "'data_sha256' should be a SHA-256"),
                        (json.dumps({**manifest, "rows": {"/etc/hostname": 1}}), "names '/etc/hostname', a path that leaves"),
                        (json.dumps({**manifest, "rows": {"../../x.parquet": 1}}), "a path that leaves the audit")):
        (audit / "manifest.json").write_text(wrong)
        out = cli_run("verify", audit, expect=1).output
        assert "does not have the shape of a papers manifest" in out or "is not valid JSON" in out
        assert said in out


def test_report_refuses_a_site_with_a_damaged_manifest_before_moving_anything(published, tmp_path, monkeypatch):
    site = copy_site(published, tmp_path / "site")
    (site / "v1").rename(site / "old")
    manifest = json.loads((site / "old" / "manifest.json").read_text())
    (site / "old" / "manifest.json").write_text(json.dumps({**manifest, "audit_id": "old", "published_at": "2026-13-45"}))
    before = files_of(site)
    monkeypatch.chdir(published["root"])
    out = cli_run("report", "--audit", "v1", "--db", published["db"], "--site", site, "--engine", "pandoc", "--force",
                  expect=1).output
    assert "old/manifest.json does not have the shape" in out and "'published_at' should be an ISO date" in out
    assert files_of(site) == before and not (site / "v1").exists()


def test_verify_refuses_a_linked_audit_and_follows_a_link_given_to_it(published, tmp_path):
    site = copy_site(published, tmp_path / "site")
    (site / "mirror").symlink_to(site / "v1", target_is_directory=True)
    out = cli_run("verify", site, expect=1).output
    assert "mirror: NOT verified" in out and "symbolic link: mirror" in out and "NOT verified." in out
    (site / "mirror").unlink()
    (tmp_path / "link").symlink_to(site, target_is_directory=True)
    out = cli_run("verify", tmp_path / "link", "--key", published["pub"]).output
    assert "a site of 1 audit" in out and "v1: verified" in out and out.rstrip().endswith("verified.")


def test_a_wrong_key_is_refused(published, tmp_path):
    cli_run("keygen", "--no-password", "--secret-key", tmp_path / "other.key", "--public-key", tmp_path / "other.pub")
    out = cli_run("verify", published["audit"], "--key", tmp_path / "other.pub", expect=1).output
    assert "signature: " in out and "NOT verified" in out
    assert "is a secret key" in cli_run("verify", published["audit"], "--key", published["key"], expect=1).output
    assert "no such public key file" in cli_run("verify", published["audit"], "--key", tmp_path / "nope.pub",
                                                expect=1).output
    line = published["pub"].read_text().splitlines()[1]  # the key itself, as minisign -P takes it
    assert "signature: verified" in cli_run("verify", published["audit"], "--key", line).output
    assert "already exists" in cli_run("keygen", "--no-password", "--secret-key", tmp_path / "other.key",
                                       "--public-key", tmp_path / "x.pub", expect=1).output
    assert (tmp_path / "other.key").stat().st_mode & 0o777 == 0o600


def test_the_site_chain_catches_a_removed_or_rewritten_audit(published, tmp_path, monkeypatch):
    db = tmp_path / "store.duckdb"
    shutil.copy2(published["db"], db)
    site = copy_site(published, tmp_path / "site")
    cli_run("collect", "--model", "simulated/uniform", "--task", "rank", "--task", "rate", "--trials", "6", "--db", db)
    cli_run("analyze", "--audit", "v2", "--bootstrap", "100", "--db", db)
    monkeypatch.chdir(published["root"])
    cli_run("report", "--audit", "v2", "--db", db, "--site", site, "--engine", "pandoc", "--workers", "1",
            "--sign", published["key"])  # the site's head is signed: a report without the key is refused
    m2 = json.loads((site / "v2" / "manifest.json").read_text())
    assert m2["sequence"] == 2 and m2["previous"]["audit_id"] == "v1"
    whole = cli_run("verify", site, "--key", published["pub"]).output
    assert "v1: verified" in whole and "v2: verified" in whole and "chain: intact" in whole
    assert "chain: intact" in cli_run("verify", site).output
    root_index = (site / "index.html").read_text()
    assert "Latest audit: v2" in root_index and root_index.index('href="v2/index.html"') < root_index.index(
        'href="v1/index.html"')
    # v2 removed, stripped of its manifest or hidden: the root index still lists it
    for n, spoil in enumerate((shutil.rmtree, lambda a: (a / "manifest.json").unlink(), lambda a: a.rename(a.parent / ".v2"))):
        spoiled = shutil.copytree(site, tmp_path / f"spoiled{n}", symlinks=True)
        spoil(spoiled / "v2")
        out = cli_run("verify", spoiled, "--key", published["pub"], expect=1).output
        assert "chain: the site's index.html lists v2, but the site has no audit v2" in out and "NOT verified." in out
        assert ("v2: NOT verified" in out and "no readable manifest.json" in out) == (n == 1)
    # v1's manifest rewritten as if it came second: the link v2 holds no longer matches
    m1 = json.loads((site / "v1" / "manifest.json").read_text())
    (site / "v1" / "manifest.json").write_text(json.dumps({**m1, "sequence": 3}, indent=2))
    out = cli_run("verify", site, expect=1).output
    assert "chain: " in out and "NOT verified" in out and "v1" in out
    # v1 removed
    shutil.rmtree(site / "v1")
    out = cli_run("verify", site, expect=1).output
    assert "v2 follows v1, which is not in the site" in out


def test_files_added_after_publication_are_listed_and_checked(published, tmp_path):
    audit = copy_site(published, tmp_path / "site") / "v1"
    (audit / "briefs").mkdir()
    (audit / "briefs" / "a-b.html").write_text("<p>brief</p>")
    added = add_to_manifest(audit, ["briefs/a-b.html"])
    assert json.loads(added.read_text())["files"].keys() == {"briefs/a-b.html"}
    out = cli_run("verify", audit).output  # without a key, the hashes hold
    assert "added after publication" in out and "additions signature: not signed" in out and "verified." in out
    # with a key, additions anyone could list (their hashes are anyone's to compute) are not accepted ...
    out = cli_run("verify", audit, "--key", published["pub"], expect=1).output
    assert "additions signature: missing: additions.json is not signed" in out and "signature: verified" in out
    assert out.rstrip().endswith("NOT verified.")
    # ... unless the reader says so, and is told what that means
    out = cli_run("verify", audit, "--key", published["pub"], "--allow-unsigned-additions").output
    assert "not signed, accepted by --allow-unsigned-additions" in out and out.rstrip().endswith(": verified.")
    (audit / "briefs" / "a-b.html").write_text("<p>changed</p>")
    assert "altered: briefs/a-b.html" in cli_run("verify", audit, expect=1).output
    (audit / "briefs" / "a-b.html").write_text("<p>brief</p>")
    # a page added beside the signed ones: listed in additions.json, it passes only without a key
    (audit / "statement.html").write_text("<p>we retract nothing</p>")
    add_to_manifest(audit, ["statement.html"])
    assert "verified." in cli_run("verify", audit).output
    out = cli_run("verify", audit, "--key", published["pub"], "--allow-unsigned-additions", expect=1).output
    assert "additions.json lists statement.html, outside briefs/" in out and "NOT verified." in out
    assert "additions.json lists briefs/" not in out
    with pytest.raises(Exception, match="part of the published audit"):
        add_to_manifest(audit, ["index.html"])
    with pytest.raises(Exception, match="not inside the published audit"):
        add_to_manifest(audit, [tmp_path / "elsewhere.html"])


def test_signed_additions_verify_and_a_forged_page_does_not(published, tmp_path):
    from papers.errors import PapersError
    from papers.report.signing import load_secret_key

    key = load_secret_key(published["key"], lambda: "")
    audit = copy_site(published, tmp_path / "site") / "v1"
    (audit / "briefs").mkdir()
    (audit / "briefs" / "a-b.html").write_text("<p>brief</p>")
    add_to_manifest(audit, ["briefs/a-b.html"], key)
    assert (audit / "additions.json.minisig").is_file()
    out = cli_run("verify", audit, "--key", published["pub"]).output
    assert "additions signature: verified, key " in out and out.rstrip().endswith(": verified.")
    # the forgery of the finding: a page, listed in additions.json with the hash anyone can compute
    (audit / "briefs" / "x.html").write_text("<p>this model is the safest</p>")
    before = (audit / "additions.json").read_bytes()
    with pytest.raises(PapersError, match="additions.json is signed .key .*publishing without --sign"):
        add_to_manifest(audit, ["briefs/x.html"])  # papers itself will not unsign the additions
    assert (audit / "additions.json").read_bytes() == before
    listed = json.loads(before)
    import hashlib

    listed["files"]["briefs/x.html"] = hashlib.sha256((audit / "briefs" / "x.html").read_bytes()).hexdigest()
    (audit / "additions.json").write_text(json.dumps(listed, indent=2, sort_keys=True) + "\n")
    out = cli_run("verify", audit, "--key", published["pub"], expect=1).output
    assert "additions signature: additions.json.minisig does not match the file it signs" in out
    out = cli_run("verify", audit, "--key", published["pub"], "--allow-unsigned-additions", expect=1).output
    assert "does not match the file it signs" in out  # a signature that fails is never "unsigned"


# ----------------------------------------------------------------------------- PDFs, archives


def test_pdfs_are_pdf_a_3b_with_metadata_and_attachments(published):
    if not (shutil.which("pdfinfo") and shutil.which("pdfdetach")):
        pytest.skip("pdfinfo/pdfdetach (poppler-utils) are not installed; .ci/run installs them")
    pdf = published["audit"] / "models" / f"{slug(MODELS[0])}.pdf"
    meta = subprocess.run(["pdfinfo", "-meta", pdf], capture_output=True, text=True)
    assert "<pdfaid:part>3</pdfaid:part>" in meta.stdout and "<pdfaid:conformance>B</pdfaid:conformance>" in meta.stdout
    assert meta.stderr == ""  # no poppler warnings
    info = subprocess.run(["pdfinfo", pdf], capture_output=True, text=True)
    assert f"Title:           Value audit v1: {MODELS[0]}" in info.stdout
    assert "Author:          Acme Research Ltd" in info.stdout and "Subject:" in info.stdout
    assert info.stderr == ""
    listed = subprocess.run(["pdfdetach", "-list", pdf], capture_output=True, text=True)
    attached = set(re.findall(r"\d+: (\S+)", listed.stdout))
    # the manifest attached is a draft made before the PDFs (the published one lists them): named so
    assert {"manifest-draft.json", "answers.csv", "profile.csv"} <= attached and "manifest.json" not in attached
    comparison = subprocess.run(["pdfdetach", "-list", published["audit"] / "comparison.pdf"], capture_output=True,
                                text=True).stdout
    assert "manifest-draft.json" in comparison and "profiles.csv" in comparison


def test_the_folder_carries_an_ro_crate_and_a_citation(published):
    import yaml

    audit = published["audit"]
    crate = json.loads((audit / "ro-crate-metadata.json").read_text())
    graph = {e["@id"]: e for e in crate["@graph"]}
    assert graph["ro-crate-metadata.json"]["conformsTo"]["@id"] == "https://w3id.org/ro/crate/1.1"
    parts = {p["@id"] for p in graph["./"]["hasPart"]}
    on_disk = {p.relative_to(audit).as_posix() for p in audit.rglob("*") if p.is_file()} - {"ro-crate-metadata.json"}
    assert parts == on_disk
    assert graph["#publisher"]["name"] == "Acme Research Ltd"
    assert graph["./"]["license"]["@id"] == "https://spdx.org/licenses/CC-BY-4.0"
    cff = yaml.safe_load((audit / "CITATION.cff").read_text())
    assert cff["cff-version"] == "1.2.0" and cff["authors"] == [{"name": "Acme Research Ltd"}]
    assert cff["url"] == "https://audits.example.org/values/v1/" and cff["license"] == "CC-BY-4.0"


# ----------------------------------------------------------------------------- the site a publisher signs


def test_the_root_index_names_the_publisher_and_reads_as_words(published):
    index = (published["site"] / "index.html").read_text()
    assert "<title>Acme value audits</title>" in index and "Acme Research Ltd" in index
    assert "Quarterly audits of the models we buy." in index
    assert "Latest audit: v1" in index and '<link rel="canonical" href="https://audits.example.org/values/">' in index
    visible = re.sub(r"<[^>]+>", " ", index)
    assert not re.search(r"\d{4}-\d\d-\d\dT", visible)  # dates in words, ISO only in datetime=""
    assert re.search(r"\d{1,2} [A-Z][a-z]+ 20\d\d", visible)
    page = (published["audit"] / "models" / f"{slug(MODELS[0])}.html").read_text()
    assert "Acme Research Ltd" in page
    flat = " ".join(re.sub(r"<[^>]+>", " ", page).split())
    assert "Without a sentience framing, ranking:" in flat and "non_sentient (rank)" not in flat


def test_the_same_data_under_a_new_name_needs_force(published, tmp_path, monkeypatch):
    db = tmp_path / "store.duckdb"
    shutil.copy2(published["db"], db)
    site = copy_site(published, tmp_path / "site")
    cli_run("analyze", "--audit", "v1-again", "--bootstrap", "100", "--db", db)
    monkeypatch.chdir(published["root"])
    refused = cli_run("report", "--audit", "v1-again", "--db", db, "--site", site, "--engine", "pandoc",
                      "--sign", published["key"], expect=1)
    assert "holds the same data as the published audit 'v1'" in refused.output and "--force" in refused.output
    assert not (site / "v1-again").exists()
    # --force publishes it; the build reports each stage's progress as it goes (a terminal shows it)
    from papers.report.signing import load_secret_key
    from papers.report.site import build_report
    from papers.report.siteconfig import load_site_config
    from papers.store import open_store

    seen: list[tuple[str, int, int]] = []
    with open_store(db, read_only=True) as store:
        build_report(store, "v1-again", site=site, engine="pandoc", workers=1, force=True,
                     key=load_secret_key(published["key"], lambda: ""),  # the site's head is signed
                     config=load_site_config(published["root"]), progress=lambda *step: seen.append(step))
    assert (site / "v1-again" / "manifest.json").exists()
    assert [s for s in seen if s[0] == "pages"] == [("pages", n, 3) for n in (1, 2, 3)]
    assert [s for s in seen if s[0] == "PDFs"][-1] == ("PDFs", 3, 3)
    from papers.report.site import SITE_WRITERS  # then the site files, the history pages among them

    writers = len(SITE_WRITERS)
    assert seen[-writers:] == [("site files", n, writers) for n in range(writers)]


def test_site_settings_come_from_quarto_too(tmp_path):
    from papers.report.siteconfig import DEFAULT_TITLE, load_site_config

    assert load_site_config(tmp_path).title == DEFAULT_TITLE and load_site_config(tmp_path).publisher == ""
    (tmp_path / "_quarto.yml").write_text("website:\n  title: Lab audits\n  site-url: https://lab.example.org/\n"
                                          "papers:\n  publisher: The Lab\n")
    config = load_site_config(tmp_path)
    assert (config.title, config.publisher, config.base_url) == ("Lab audits", "The Lab", "https://lab.example.org/")
    assert config.audit_url("v1") == "https://lab.example.org/v1/"


def test_bad_site_settings_are_named(published, tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text('[tool.papers.site]\ntitle = "x"\nbase-url = "ftp://nope"\n')
    out = cli_run("report", "--audit", "v1", "--db", published["db"], "--site", tmp_path / "s", expect=1).output
    assert "pyproject.toml: base-url must be an http(s) address" in out
    (tmp_path / "pyproject.toml").write_text('[tool.papers.site]\npublsher = "typo"\n')
    out = cli_run("report", "--audit", "v1", "--db", published["db"], "--site", tmp_path / "s", expect=1).output
    assert "unknown site setting 'publsher'" in out
    assert not (tmp_path / "s" / "v1").exists()


def test_pdf_links_are_absolute_from_the_base_url_and_lead_to_the_sites_files(published):
    """Issue 25, item 14: a PDF leaves the site, where its relative links would lead nowhere; with the
    site's base-url every link is that address plus a file the site holds."""
    base = "https://audits.example.org/values/"
    for pdf in published["audit"].rglob("*.pdf"):
        links = {u.decode() for u in re.findall(rb"/URI\s*\(([^)]*)\)", pdf.read_bytes())}
        assert links and all(u.startswith(base) for u in links), (pdf.name, links)
        for url in links:
            assert (published["site"] / url.removeprefix(base)).is_file(), url
        assert f"{base}v1/manifest.json" in links and f"{base}v1/data/index.html" in links
    comparison = {u.decode() for u in re.findall(rb"/URI\s*\(([^)]*)\)", (published["audit"] / "comparison.pdf").read_bytes())}
    assert {f"{base}v1/models/{slug(m)}.html" for m in MODELS} <= comparison


def test_an_audit_of_simulated_models_says_so_on_every_page(published):
    """Item 16: both models are simulated: every page says nothing in it comes from a real model."""
    said = "Nothing in this audit comes from a real model or real people: 2 of the 2 models are simulated by papers"
    for page in [published["audit"] / "index.html", published["audit"] / "data" / "index.html",
                 *(published["audit"] / "models").glob("*.html")]:
        assert said in " ".join(page.read_text(encoding="utf-8").split()), page


@pytest.mark.parametrize("value", ["javascript:alert(document.domain)", "http://example.org/license",
                                   "CC BY 4.0", "<script>", "GPL-3.0-or-later WITH x"])
def test_a_license_is_an_spdx_id_or_an_https_address(tmp_path, value):
    from papers.errors import InputError
    from papers.report.siteconfig import load_site_config

    (tmp_path / "pyproject.toml").write_text(f'[tool.papers.site]\nlicense = "{value}"\n')  # issue 25, item 11
    with pytest.raises(InputError, match=r"pyproject.toml: site setting 'license'") as caught:
        load_site_config(tmp_path)
    assert "SPDX" in caught.value.message and "https://" in caught.value.message
    (tmp_path / "pyproject.toml").unlink()
    (tmp_path / "_quarto.yml").write_text(f"papers:\n  license: '{value}'\n")
    with pytest.raises(InputError, match=r"_quarto.yml: site setting 'license'"):
        load_site_config(tmp_path)


@pytest.mark.parametrize("value", ["CC-BY-4.0", "MIT", "GPL-3.0+", "LicenseRef-acme-1", "https://example.org/terms"])
def test_spdx_ids_and_https_addresses_are_accepted(tmp_path, value):
    from papers.report.siteconfig import load_site_config

    (tmp_path / "pyproject.toml").write_text(f'[tool.papers.site]\nlicense = "{value}"\n')
    assert load_site_config(tmp_path).license == value


def test_a_license_setting_refused_by_report_names_the_file(published, tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text('[tool.papers.site]\nlicense = "javascript:alert(1)"\n')
    monkeypatch.chdir(tmp_path)
    out = cli_run("report", "--audit", "v1", "--site", tmp_path / "s", "--db", published["db"], expect=1).output
    assert "pyproject.toml: site setting 'license'" in out and not (tmp_path / "s" / "v1").exists()


# ----------------------------------------------------------------------------- export


def test_export_refuses_a_published_audit_and_exports_one_audit(published, tmp_path):
    before = files_of(published["audit"])
    for target in (published["audit"] / "data", published["audit"], published["audit"] / "data" / "new"):
        out = cli_run("export", "--out", target, "--db", published["db"], expect=1).output
        assert "inside the published audit" in out
    assert files_of(published["audit"]) == before
    out = cli_run("export", "--audit", "v1", "--out", tmp_path / "x", "--db", published["db"]).output
    manifest = json.loads((published["audit"] / "manifest.json").read_text())
    for name, rows in manifest["rows"].items():
        exported = tmp_path / "x" / Path(name).name
        assert pq.read_metadata(exported).num_rows == rows, name
        assert exported.read_bytes() == (published["audit"] / name).read_bytes(), name
    assert "model_answers.parquet" in out
    cli_run("export", "--audit", "v1", "--format", "csv", "--out", tmp_path / "z", "--db", published["db"])
    with open(tmp_path / "z" / "model_answers.csv", encoding="utf-8") as f:
        assert sum(1 for _ in f) - 1 == manifest["rows"]["data/model_answers.parquet"]
    assert "no audit named 'nope'" in cli_run("export", "--audit", "nope", "--out", tmp_path / "y", "--db",
                                              published["db"], expect=1).output
