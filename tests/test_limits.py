"""Issue 25, items 4-7: what comes from outside has a size, a depth and (YAML) no aliases; what passes
a limit is an error row or one message naming the file, never a traceback, a lost answer or the
machine's memory (papers/limits.py, README: Guarantees)."""

from __future__ import annotations

import asyncio
import csv
import functools
import io
import json
import os
import re
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest
from aiohttp import web

from papers.errors import InputError
from papers.limits import MAX_ANSWER_CHARS, MAX_DEPTH, MAX_DOCUMENT_CHARS, DocumentError, load_json, load_yaml
from tests.conftest import query, write
from tests.openai_server import FakeOpenAI, _jsonl, trial_key
from tests.test_ingest_survey import good, survey_csv

# ----------------------------------------------------------------------------------- YAML


def alias_bomb(levels: int, top: str = "") -> str:
    """Billion laughs: each level an anchored list of nine aliases of the level below (9**(levels + 1)
    strings). Eight levels fit in 512 bytes; a bomb that size took 13.8 s and 2.2 GB to read before
    aliases were refused."""
    lines = [f'{top}a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"{top}a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


HOSTILE_YAML = {
    "alias bomb": (alias_bomb(5), "YAML aliases (*a0) are not accepted"),
    "deep": ("x: " + "[" * 5000 + "]" * 5000 + "\n", f"nested more than {MAX_DEPTH} levels deep"),
    "huge": ("x: " + "y" * (MAX_DOCUMENT_CHARS + 10) + "\n", f"more than the {MAX_DOCUMENT_CHARS:,} papers reads"),
    "long number": ("PC: " + "1" * 5000 + "\n", "a value that cannot be read"),
}


def test_the_shared_loader_refuses_aliases_depth_and_size_and_keeps_ordinary_yaml():
    assert load_yaml("a: &x 1\nb: [1, 2]\n") == {"a": 1, "b": [1, 2]}  # an anchor never used is harmless
    for text, said in HOSTILE_YAML.values():
        with pytest.raises(DocumentError, match=re.escape(said)):
            load_yaml(text)
    with pytest.raises(DocumentError, match=r"line 3: YAML aliases \(\*base\)"):
        load_yaml("base: &base {a: 1}\nother:\n  <<: *base\n")  # a merge key is an alias too
    import yaml

    with pytest.raises(yaml.YAMLError):  # ordinary syntax errors stay YAML's, for each caller's wording
        load_yaml("a: [1, 2\n")


@pytest.mark.parametrize("kind", list(HOSTILE_YAML))
def test_a_hostile_survey_mapping_is_one_message(kind, tmp_path, db, run):
    f = survey_csv(tmp_path / "s.csv", [good("p1")])
    text, said = HOSTILE_YAML[kind]
    mapping = write(tmp_path / "m.yaml", "values:\n  Q1:\n" + "".join(f"    {line}\n" for line in text.splitlines())
                    if kind == "alias bomb" else text)
    started = time.monotonic()
    out = run("ingest", "survey", f, "--sample", "s", "--mapping", mapping, expect=1).output
    assert time.monotonic() - started < 10
    assert f"{mapping}: cannot read the mapping file" in out and said in out
    assert not db.exists() or query(db, "select count(*) from participants") == [(0,)]


def test_the_512_byte_alias_bomb_of_the_finding_is_refused_at_once(tmp_path, db, run):
    f = survey_csv(tmp_path / "s.csv", [good("p1")])
    bomb = alias_bomb(8, top="")
    assert len(bomb) <= 512
    mapping = write(tmp_path / "m.yaml", bomb)
    started = time.monotonic()
    out = run("ingest", "survey", f, "--sample", "s", "--mapping", mapping, expect=1).output
    assert time.monotonic() - started < 5
    assert "m.yaml: cannot read the mapping file (line 2: YAML aliases (*a0) are not accepted" in out


@pytest.mark.parametrize("kind", list(HOSTILE_YAML))
def test_a_hostile_instrument_is_one_message(kind, tmp_path, run):
    text, said = HOSTILE_YAML[kind]
    bad = write(tmp_path / "inst.yaml", text)
    out = run("instrument", "validate", bad, expect=1, with_db=False).output
    assert f"{bad}" in out and said in out


def test_ordinary_bad_instrument_yaml_keeps_its_message(tmp_path, run):
    bad = write(tmp_path / "broken.yaml", "id: x\nversion: 1.0.0\ndimensions: [a, b\n")
    out = run("instrument", "validate", bad, expect=1, with_db=False).output
    assert "broken.yaml, line 4: not valid YAML" in out


@pytest.mark.parametrize("kind", list(HOSTILE_YAML))
def test_hostile_simulated_profiles_are_one_message(kind, tmp_path, db, run):
    text, said = HOSTILE_YAML[kind]
    bad = write(tmp_path / "profiles.yaml", text)
    out = run("collect", "--model", "simulated/uniform", "--trials", "1", "--simulated-profiles", bad, expect=1).output
    assert f"{bad}: cannot read the simulated profiles" in out and said in out
    assert not db.exists() or query(db, "select count(*) from llm_responses") == [(0,)]


@pytest.mark.parametrize("kind", list(HOSTILE_YAML))
def test_a_hostile_power_profile_is_one_message(kind, tmp_path, run):
    text, said = HOSTILE_YAML[kind]
    bad = write(tmp_path / "people.yaml", text)
    out = run("power", "icc", "--profile", bad, "--target", "0.8", expect=1, with_db=False).output
    assert f"Error: {bad}" in out and said in out


@pytest.mark.parametrize("kind", list(HOSTILE_YAML))
def test_hostile_site_settings_are_one_message(kind, tmp_path):
    from papers.report.siteconfig import load_site_config

    text, said = HOSTILE_YAML[kind]
    write(tmp_path / "_quarto.yml", text)
    with pytest.raises(InputError, match="_quarto.yml: cannot read it as YAML") as caught:
        load_site_config(tmp_path)
    assert said in caught.value.message


def test_deeply_nested_toml_site_settings_are_one_message(tmp_path):
    from papers.report.siteconfig import load_site_config

    write(tmp_path / "pyproject.toml", "[tool.papers.site]\ntitle = " + "[" * 5000 + "]" * 5000 + "\n")
    with pytest.raises(InputError, match="pyproject.toml: cannot read it as TOML"):
        load_site_config(tmp_path)


def test_a_front_matter_with_aliases_gives_no_title_rather_than_expanding_them():
    from papers.report.engines import front_matter_title

    assert front_matter_title('---\npagetitle: "Audit v1"\n---\nbody') == "Audit v1"
    assert front_matter_title("---\n" + alias_bomb(5) + "pagetitle: *a5\n---\nbody") == ""


# ----------------------------------------------------------------------------------- JSON


DEEP_JSON = "[" * 100_000 + "]" * 100_000


def test_the_shared_json_loader_refuses_deep_nesting_as_a_value_error():
    assert load_json('{"a": [1, {"b": 2}]}') == {"a": [1, {"b": 2}]}
    nested_ok = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert load_json(nested_ok) is not None
    for text in (DEEP_JSON, "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), '{"a": ' * 500 + "1" + "}" * 500):
        for given in (text, text.encode(), bytearray(text.encode())):  # a batch job's result lines arrive as bytes
            with pytest.raises(ValueError, match=f"nested more than {MAX_DEPTH} levels deep"):
                load_json(given)
    # brackets inside strings count towards the quick check but not the depth: still read
    shallow = '{"text": "' + "[{" * MAX_DEPTH + '"}'
    assert load_json(shallow) == load_json(shallow.encode()) == {"text": "[{" * MAX_DEPTH}


def audit_folder(root: Path, manifest: str, additions: str | None = None) -> Path:
    folder = root / "a1"
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text(manifest)
    if additions is not None:
        (folder / "additions.json").write_text(additions)
    return folder


def test_verify_names_a_deeply_nested_manifest(tmp_path, run):
    folder = audit_folder(tmp_path / "site", DEEP_JSON)
    for target in (folder, folder.parent):
        out = run("verify", target, expect=1, with_db=False).output
        assert "manifest.json" in out and f"nested more than {MAX_DEPTH} levels deep" in out
        assert "RecursionError" not in out


def shaped_manifest(**fields) -> str:
    """A manifest with the shape papers checks first (papers.report.manifest.SHAPE), for a folder
    that is not a real audit: verify reads on to additions.json and reports the rest as problems."""
    sha = "0" * 64
    manifest = {"format": "papers-manifest/2", "audit_id": "a1", "created_at": "2026-01-01T00:00:00+00:00",
                "published_at": "2026-01-01T00:00:00+00:00", "instrument": {"id": "papers", "version": "1.0.0",
                                                                            "sha256": sha},
                "data_sha256": sha, "inputs_sha256": sha, "settings": {}, "models": [], "tool_version": "0",
                "versions": {}, "site": {}, "sequence": 1, "previous": None, "rows": {}, "files": {}}
    return json.dumps({**manifest, **fields})


def test_verify_names_a_deeply_nested_additions_file(tmp_path, run):
    folder = audit_folder(tmp_path / "site", shaped_manifest(), additions=DEEP_JSON)
    out = run("verify", folder, expect=1, with_db=False).output
    assert f"additions.json is not readable JSON (nested more than {MAX_DEPTH} levels deep)" in out


def test_verify_names_a_manifest_that_is_deep_inside(tmp_path, run):
    """Nested just below the parser's limit: read, then refused before anything walks it."""
    folder = audit_folder(tmp_path / "site", shaped_manifest(settings=json.loads("[" * 900 + "]" * 900)))
    out = run("verify", folder, expect=1, with_db=False).output
    assert f"is not valid JSON (nested more than {MAX_DEPTH} levels deep)" in out


@pytest.fixture(scope="module")
def audited(tmp_path_factory) -> Path:
    """A store with one small analyzed audit, v1."""
    from click.testing import CliRunner

    from papers.cli import cli

    db = tmp_path_factory.mktemp("audited") / "store.duckdb"
    for args in (["collect", "--model", "simulated/human-centric", "--model", "simulated/utility-driven", "--task",
                  "rank", "--trials", "6"], ["analyze", "--audit", "v1", "--bootstrap", "50"]):
        result = CliRunner().invoke(cli, [*args, "--db", str(db)])
        assert result.exit_code == 0, result.output
    return db


def test_report_names_a_deeply_nested_manifest_in_its_site(audited, tmp_path, run):
    site = tmp_path / "site"
    audit_folder(site, DEEP_JSON)
    out = run("report", "--audit", "v1", "--db", audited, "--site", site, expect=1, with_db=False).output
    assert "a1/manifest.json is not a readable manifest" in out and f"nested more than {MAX_DEPTH} levels deep" in out
    assert sorted(p.name for p in site.iterdir() if not p.name.startswith(".")) == ["a1"]  # .papers-lock aside


def test_export_next_to_a_deeply_nested_manifest_is_not_a_traceback(audited, tmp_path, run):
    out_dir = tmp_path / "exports"
    out_dir.mkdir()
    (out_dir / "manifest.json").write_text(DEEP_JSON)  # not a papers manifest: export writes beside it
    run("export", "--format", "csv", "--out", out_dir, "--db", audited, with_db=False)
    assert (out_dir / "runs.csv").is_file()


# ----------------------------------------------------------------------------------- answers from servers

HEAD = (b'{"id": "chatcmpl-x", "object": "chat.completion", "created": 0, "model": "fake-2026-11-01", "choices": '
        b'[{"index": 0, "message": {"role": "assistant", "content": "')
TAIL = b'"}, "finish_reason": "stop"}], "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20}}'


@functools.lru_cache(maxsize=None)
def gzip_bomb(answer_bytes: int) -> bytes:
    """A chat completion whose answer is `answer_bytes` of "a", gzipped a MiB at a time (400 MB
    unpack from about 400 KB), without ever holding the answer whole."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = b"a" * 2**20
    parts = [packer.compress(HEAD), *(packer.compress(block) for _ in range(answer_bytes // 2**20))]
    return b"".join([*parts, packer.compress(TAIL), packer.flush()])


class HostileOpenAI(FakeOpenAI):
    """FakeOpenAI (tests/openai_server.py) whose requests numbered in `nth` (counted from 1 as they
    arrive; None: every request) get a hostile reply, the others a compliant one:

    - "gzip": a gzip bomb, `size` bytes of answer once unpacked (Content-Encoding: gzip)
    - "endless": an answer streamed without end, 64 KiB at a time, `pause` seconds apart (at most 2 GiB)
    - "long": an answer of `size` characters, sent plainly
    - "deep": a compliant answer beside a field nested 100,000 levels deep
    - "model": a compliant answer whose reported model name is `size` characters long
    """

    def __init__(self, reply: str, nth: set[int] | None = None, size: int = 64 * 2**20, pause: float = 0.0, **kw):
        super().__init__(**kw)
        self.reply, self.nth, self.size, self.pause = reply, nth, size, pause
        self.arrived = 0
        self.hostile_sent = 0

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.arrived += 1
        if self.nth is not None and self.arrived not in self.nth:
            return await super().handle(request)
        body = await request.json()
        self.requests[trial_key(body)] += 1
        self.hostile_sent += 1
        if self.reply == "gzip":
            return web.Response(body=gzip_bomb(self.size), headers={"Content-Encoding": "gzip",
                                                                     "Content-Type": "application/json"})
        if self.reply == "endless":
            return await self._endless(request)
        completion = self._completion(body)
        if self.reply == "long":
            completion["choices"][0]["message"]["content"] = "a" * self.size
        elif self.reply == "model":
            completion["model"] = "m" * self.size
        if self.reply == "deep":
            text = json.dumps(completion)[:-1] + ', "extra": ' + "[" * 100_000 + "]" * 100_000 + "}"
            return web.Response(text=text, content_type="application/json")
        return web.json_response(completion)

    async def _endless(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        await response.prepare(request)
        block = b"a" * 2**16
        try:
            await response.write(HEAD)
            for _ in range(2**15):  # 2 GiB at most: the loop ends even if the client never hangs up
                await response.write(block)
                if self.pause:
                    await asyncio.sleep(self.pause)
        except ConnectionError:
            pass  # the client hung up, as it should
        return response


@pytest.fixture
def key_env(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-NEVER-STORE-THIS-4242")


@pytest.fixture(params=["fast", "litellm"])
def path(request, monkeypatch):
    """Each server test runs on both collection paths: the openai SDK (papers/collect/fast.py) and litellm."""
    from papers.collect import fast

    monkeypatch.setenv("PAPERS_FAST_PATH", "1" if request.param == "fast" else "0")
    monkeypatch.setattr(fast, "_ROUTES", {})
    return request.param


def collect_args(server, trials: int, *extra) -> list[str]:
    return ["collect", "--model", "openai/fake", "--api-base", server.url, "--task", "rank", "--condition", "sentient",
            "--trials", str(trials), *extra]


def statuses(db) -> list[tuple]:
    return query(db, "select status, count(*) from llm_responses group by 1 order by 1")


def test_a_gzip_bomb_is_one_error_row_and_every_other_answer_is_stored(path, db, run, key_env):
    server = HostileOpenAI("gzip", nth={3}).start()
    try:
        result = run(*collect_args(server, 12, "--concurrency", "4"))
        assert "12 calls made now" in result.output
        assert statuses(db) == [("error", 1), ("valid", 11)]
        (error,) = query(db, "select error from llm_responses where status = 'error'")[0]
        assert error.startswith("AnswerTooLarge: the server's response passed 8 MiB once decompressed, papers' cap "
                                "for one response") and "not asked again in this run" in error
        assert server.hostile_sent == 1  # not retried within the run
        asked = server.total + server.hostile_sent
        assert "0 calls made now, 12 already stored" in run(*collect_args(server, 12)).output
        assert server.total + server.hostile_sent == asked  # a rerun asks nothing again
        server.nth = set()
        assert "1 calls made now" in run(*collect_args(server, 12), "--retry-errors").output
    finally:
        server.stop()
    assert statuses(db) == [("valid", 12)]


def test_an_endless_fast_stream_is_cut_at_the_cap(path, db, run, key_env):
    server = HostileOpenAI("endless", nth={1}).start()
    try:
        started = time.monotonic()
        run(*collect_args(server, 3, "--concurrency", "1", "--timeout", "8"))
        elapsed = time.monotonic() - started
    finally:
        server.stop()
    assert elapsed < 8, elapsed  # the cap ends the call long before its deadline
    assert statuses(db) == [("error", 1), ("valid", 2)]
    (error,) = query(db, "select error from llm_responses where status = 'error'")[0]
    assert error.startswith("AnswerTooLarge: the server's response passed 8 MiB")


def test_a_stream_under_the_cap_ends_at_the_deadline(path, db, run, key_env):
    server = HostileOpenAI("endless", pause=0.1).start()  # 640 KiB a second: under the cap until the deadline
    try:
        started = time.monotonic()
        run(*collect_args(server, 1, "--timeout", "2", "--max-retries", "0"))
        elapsed = time.monotonic() - started
    finally:
        server.stop()
    assert elapsed < 6, elapsed
    assert query(db, "select status, error from llm_responses") == [
        ("error", "Timeout: no complete answer within 2 s (--timeout)")]


def test_an_answer_over_the_text_cap_is_an_error_row(path, db, run, key_env):
    server = HostileOpenAI("long", nth={2}, size=MAX_ANSWER_CHARS + 1).start()
    try:
        run(*collect_args(server, 3))
    finally:
        server.stop()
    assert statuses(db) == [("error", 1), ("valid", 2)]
    (error, raw) = query(db, "select error, raw_text from llm_responses where status = 'error'")[0]
    assert raw is None and error.startswith(f"AnswerTooLarge: the answer is {MAX_ANSWER_CHARS + 1:,} characters long, "
                                            f"more than papers' cap of {MAX_ANSWER_CHARS:,} characters (1 MiB)")


def test_a_deeply_nested_reply_is_an_error_row(path, db, run, key_env):
    server = HostileOpenAI("deep", nth={1}).start()
    try:
        run(*collect_args(server, 2, "--max-retries", "0", "--concurrency", "1"))
    finally:
        server.stop()
    assert statuses(db) == [("error", 1), ("valid", 1)]


def test_a_deeply_nested_json_answer_is_an_unparseable_row(path, db, run, key_env):
    server = FakeOpenAI(answer='{"ranking": ' + "[" * 900 + "]" * 900 + "}").start()
    try:
        run(*collect_args(server, 2))
    finally:
        server.stop()
    assert statuses(db) == [("unparseable", 2)]


def test_a_reported_model_name_is_cut_with_a_note(path, db, run, key_env):
    server = HostileOpenAI("model", size=100_000).start()
    try:
        run(*collect_args(server, 1))
    finally:
        server.stop()
    assert query(db, "select status, length(model_reported) from llm_responses") == [("valid", 256)]
    assert query(db, "select error from llm_errors") == [
        ("model: the reported model name is 100,000 characters long; stored cut to 256",)]


def test_an_open_answer_over_the_cap_is_an_error_code_for_the_llm_coder(db, run, key_env):
    """papers code: a coder's answer over the cap is an error code, the other answers are coded."""
    run("collect", "--model", "simulated/human-centric", "--task", "open", "--trials", "2")
    server = HostileOpenAI("long", nth={1}, size=MAX_ANSWER_CHARS + 1).start()
    try:
        result = run("code", "--coder", "openai/fake-coder", "--api-base", server.url, "--concurrency", "1")
    finally:
        server.stop()
    assert "Traceback" not in result.output
    rows = query(db, "select status, count(distinct response_id) from codes group by 1 order by 1")
    assert rows[0] == ("error", 1) and sum(n for _, n in rows) == 4
    (error,) = query(db, "select distinct error from llm_errors where error like 'coding by openai/fake-coder: AnswerTooLarge%'")[0]
    assert f"more than papers' cap of {MAX_ANSWER_CHARS:,} characters" in error


def test_a_batch_result_over_the_cap_is_an_error_row(db, run, key_env):
    server = FakeOpenAI().start()

    def tamper(kind, rows):
        rows[1]["response"]["body"]["choices"][0]["message"]["content"] = "a" * (MAX_ANSWER_CHARS + 1)
        return _jsonl(rows)

    server.batch_tamper = tamper
    try:
        run("collect", "--model", "openai/gpt-4o-mini", "--api-base", server.url, "--trials", "2", "--batch",
            "--poll-interval", "0.05", "--wait")
    finally:
        server.stop()
    assert statuses(db) == [("error", 1), ("valid", 3)]
    (error, tokens) = query(db, "select error, input_tokens from llm_responses where status = 'error'")[0]
    assert error.startswith("AnswerTooLarge: the answer is 1,048,577 characters long") and tokens > 0


def test_the_write_path_refuses_an_answer_over_the_cap(db):
    from papers.answers.write import write_responses
    from papers.errors import StoreError
    from papers.store import open_store

    with open_store(db) as store, pytest.raises(StoreError, match="the raw_text of r1 is 1,048,577 characters"):
        write_responses(store, [{"response_id": "r1", "raw_text": "a" * (MAX_ANSWER_CHARS + 1)}], [])


CHILD = """
import re, sys
from papers.cli import main
sys.argv[0] = "papers"
try:
    main()
finally:
    with open("/proc/self/status") as status:
        print("peak_rss_kib", re.search(r"VmHWM:\\s+(\\d+) kB", status.read()).group(1))
"""  # papers as a user runs it, printing its peak memory as it exits (VmHWM: ru_maxrss keeps the parent's across exec)


@pytest.mark.slow
@pytest.mark.parametrize("fast_path", ["1", "0"])
def test_the_400_mb_gzip_bomb_of_the_finding_takes_no_memory(fast_path, db, tmp_path):
    """The finding's reproduction: 12 trials at concurrency 4, one answered by 400 KB of gzip that
    unpack to 400 MB. The collecting process's peak memory stays near that of a run without it."""
    bomb = 400 * 2**20
    assert len(gzip_bomb(bomb)) < 600_000
    peaks = {}
    for name, nth in (("plain", set()), ("bomb", {3})):
        server = HostileOpenAI("gzip", nth=nth, size=bomb).start()
        store = tmp_path / f"{name}.duckdb"
        try:
            done = subprocess.run([sys.executable, "-c", CHILD, *collect_args(server, 12, "--concurrency", "4"),
                                   "--db", str(store)], capture_output=True, text=True, timeout=300, cwd=tmp_path,
                                  env={**os.environ, "OPENAI_API_KEY": "sk-test", "PAPERS_FAST_PATH": fast_path})
        finally:
            server.stop()
        assert done.returncode == 0, done.stderr[-2000:]
        peaks[name] = int(done.stdout.split("peak_rss_kib")[-1]) * 1024
    assert statuses(tmp_path / "bomb.duckdb") == [("error", 1), ("valid", 11)]
    assert peaks["bomb"] < peaks["plain"] + 64 * 2**20, peaks  # the cap is 8 MiB; the bomb 400 MB


# ----------------------------------------------------------------------------------- values in files

def responses_file(path: Path, raw_texts: list[str]) -> Path:
    """A responses file (by its suffix: .jsonl, .csv or .parquet) of one rank answer per raw text."""
    rows = [{"model": "m1", "task": "rank", "condition": "non_sentient", "trial": i, "raw_text": text}
            for i, text in enumerate(raw_texts)]
    if path.suffix == ".jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    else:
        import polars as pl

        frame = pl.DataFrame(rows)
        frame.write_csv(path) if path.suffix == ".csv" else frame.write_parquet(path)
    return path


ANSWER = '{"ranking": ["EI", "PR", "PC", "AG", "RF"]}'
FIRST_ROW = {".jsonl": 1, ".csv": 2, ".parquet": 1}  # the first data row: a CSV's header is row 1


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_an_answer_over_the_cap_in_a_file_is_named_by_file_row_and_field(suffix, tmp_path, db, run):
    path = responses_file(tmp_path / f"r{suffix}", [ANSWER, "a" * (MAX_ANSWER_CHARS + 1), ANSWER])
    row = FIRST_ROW[suffix] + 1
    out = run("ingest", "responses", path, expect=1).output
    assert (f"{path}, row {row}, field 'raw_text': the answer is 1,048,577 characters long, more than papers' cap of "
            f"1,048,576 characters (1 MiB) for one answer.") in out
    assert not db.exists() or query(db, "select count(*) from llm_responses") == [(0,)]
    run("ingest", "responses", path, "--skip-bad-rows")
    assert statuses(db) == [("valid", 2)]
    (raw, reason) = query(db, "select raw, reason from rejects where row_number = ?", row)[0]
    assert raw == "a" * 200 + "..." and reason.startswith("field 'raw_text': the answer is 1,048,577 characters long")


def test_any_text_field_over_the_cap_is_named(tmp_path, db, run):
    path = tmp_path / "r.jsonl"
    path.write_text(json.dumps({"model": "m1", "task": "rank", "condition": "non_sentient", "trial": 0,
                                "raw_text": ANSWER, "model_reported": "m" * (MAX_ANSWER_CHARS + 1)}) + "\n")
    out = run("ingest", "responses", path, expect=1).output
    assert f"{path}, row 1, field 'model_reported': the value is 1,048,577 characters long, more than papers' cap" in out


def test_a_jsonl_line_past_what_papers_reads_of_a_row_is_not_read_whole(tmp_path, db, run):
    from papers.ingest.files import MAX_LINE_BYTES

    path = responses_file(tmp_path / "r.jsonl", [ANSWER, "a" * (MAX_LINE_BYTES + 10), ANSWER])
    out = run("ingest", "responses", path, expect=1).output
    assert (f"{path}, row 2, field 'raw_text': its value is longer than papers reads of one row (8,388,608 bytes; an "
            "answer holds at most 1,048,576 characters).") in out
    run("ingest", "responses", path, "--skip-bad-rows")
    assert statuses(db) == [("valid", 2)]
    (raw, reason) = query(db, "select raw, reason from rejects")[0]
    assert raw.startswith('{"model": "m1"') and raw.endswith("aaa...") and len(raw) == 203
    assert reason.startswith("field 'raw_text': its value is longer than papers reads of one row")
    write(tmp_path / "s.jsonl", "[" + "1, " * (MAX_LINE_BYTES // 3) + "1]\n")  # no text value runs past the cut
    out = run("ingest", "responses", tmp_path / "s.jsonl", expect=1).output
    assert f"{tmp_path / 's.jsonl'}, row 1: the line is longer than papers reads of one row" in out


@pytest.mark.parametrize("quoted", [False, True])
def test_a_csv_value_past_what_papers_reads_of_a_row_is_not_read_whole(quoted, tmp_path, db, run):
    from papers.ingest.files import MAX_LINE_BYTES

    long = "a" * (MAX_LINE_BYTES + 10)
    path = write(tmp_path / "r.csv", "model,task,condition,trial,raw_text\n" + "".join(
        f'm1,rank,non_sentient,{i},{chr(34) + text + chr(34) if quoted else text}\n'
        for i, text in enumerate(["x", long, "y"])))
    out = run("ingest", "responses", path, expect=1).output
    if quoted:  # the csv module's path: the row is named
        assert f"{path}, row 3: not readable as CSV (a value longer than the 8,388,608 characters papers reads" in out
    else:
        assert f"{path}, row 3, field 'raw_text': its value is longer than papers reads of one row" in out
    run("ingest", "responses", path, "--skip-bad-rows")
    assert statuses(db) == [("unparseable", 2)]
    assert query(db, "select row_number from rejects") == [(3,)]


def test_a_jsonl_raw_text_nested_just_below_the_parser_limit_is_named(tmp_path, db, run):
    path = write(tmp_path / "r.jsonl", '{"model": "m1", "task": "rank", "condition": "non_sentient", "trial": 0, '
                 '"raw_text": ' + "[" * 900 + "]" * 900 + "}\n")
    out = run("ingest", "responses", path, expect=1).output
    assert f"{path}, row 1: JSON nested too deeply to read (nested more than {MAX_DEPTH} levels deep)" in out


def test_a_survey_id_over_the_cap_is_named_and_rejected_cut_short(tmp_path, db, run):
    f = survey_csv(tmp_path / "s.csv", [good("p1"), good("x" * (MAX_ANSWER_CHARS + 1)), good("p3")])
    out = run("ingest", "survey", f, "--sample", "s", expect=1).output
    assert (f"{f}, row 3, field 'participant_id': '{'x' * 80}...' is longer than papers' cap of 1,048,576 "
            "characters for one value.") in out
    assert not db.exists() or query(db, "select count(*) from participants") == [(0,)]
    run("ingest", "survey", f, "--sample", "s", "--skip-bad-rows")
    assert query(db, "select participant_id from participants order by 1") == [("p1",), ("p3",)]
    (raw,) = query(db, "select raw from rejects")[0]
    assert len(raw) == 2000


def test_a_demographics_cell_over_the_cap_is_named(tmp_path, db, run):
    f = survey_csv(tmp_path / "s.csv", [good("p1"), good("p2")])
    demo = write(tmp_path / "d.csv", f"Participant id,Age,Note\np1,30,fine\np2,31,{'n' * (MAX_ANSWER_CHARS + 1)}\n")
    out = run("ingest", "survey", f, "--sample", "s", "--demographics", demo, expect=1).output
    assert f"{demo}, row 3, field 'Note': the value is longer than papers' cap of 1,048,576 characters" in out


def test_a_code_sheet_cell_over_the_cap_is_one_message(tmp_path, db, run):
    """Coder sheets store only 0/1 codes: a huge cell is named as not a code, never stored."""
    run("collect", "--model", "simulated/human-centric", "--task", "open", "--trials", "2")
    sheet = tmp_path / "sheet.csv"
    run("export", "codesheet", "--out", sheet)
    header, cells = list(csv.reader(io.StringIO(sheet.read_text())))[:2]
    cells = [c or "0" for c in cells]  # every shown theme coded 0 ...
    cells[header.index("EI")] = "1" * (MAX_ANSWER_CHARS + 1)  # ... but one
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([header, cells])
    sheet.write_text(buffer.getvalue())
    out = run("ingest", "codes", sheet, "--coder", "alice", expect=1).output
    assert f"{sheet}, row 2, field 'EI': {'1' * 80}... is not 0 or 1." in out
    assert query(db, "select count(*) from codes where coder = 'alice'") == [(0,)]


@pytest.mark.slow
def test_the_300_mb_raw_text_of_the_finding_is_one_message_in_bounded_memory(tmp_path, db):
    """The finding: a 300 MB raw_text ended in DuckDB's out-of-memory error (and an unquoted CSV row
    that long took 5.6 GB to scan). A row is read no further than papers reads of one row."""
    size = 300 * 2**20
    jsonl, csv_path = tmp_path / "big.jsonl", tmp_path / "big.csv"
    with jsonl.open("w") as f:
        f.write('{"model": "m1", "task": "rank", "condition": "non_sentient", "trial": 0, "raw_text": "')
        for _ in range(size // 2**20):
            f.write("a" * 2**20)
        f.write('"}\n')
    with csv_path.open("w") as f:
        f.write("model,task,condition,trial,raw_text\nm1,rank,non_sentient,0,")
        for _ in range(size // 2**20):
            f.write("a" * 2**20)
        f.write("\n")
    peaks = {}
    for path, said in ((jsonl, "row 1, field 'raw_text': its value is longer than papers reads of one row"),
                       (csv_path, "row 2, field 'raw_text': its value is longer than papers reads of one row")):
        done = subprocess.run([sys.executable, "-c", CHILD, "ingest", "responses", str(path), "--db", str(db)],
                              capture_output=True, text=True, timeout=600, cwd=tmp_path)
        assert done.returncode == 1 and said in done.stderr and "Traceback" not in done.stderr, done.stderr[-2000:]
        peaks[path.suffix] = int(done.stdout.split("peak_rss_kib")[-1]) * 1024
    assert max(peaks.values()) < 800 * 2**20, peaks  # the row is never held whole (before: 2.0 and 5.6 GB)
    assert not db.exists() or query(db, "select count(*) from llm_responses") == [(0,)]
