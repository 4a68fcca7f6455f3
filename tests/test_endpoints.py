"""Where a run's calls go, with which key, and what is kept of it (papers/collect/endpoints.py):
a `.env` supplies keys, not endpoints; the endpoint every call went to is stored with the run, printed
and shown in the report; credentials in a URL are used but never kept; a missing or rejected key
stops the run at once. Every call is made to a real HTTP server on 127.0.0.1 (tests/openai_server.py)."""

from __future__ import annotations

import base64
import json
import os
import time
from urllib.parse import unquote

import pytest

from papers.collect import endpoints
from tests.conftest import query, write
from tests.openai_server import FakeOpenAI

KEY = "sk-test-the-REAL-key-5f2a9c"
MODEL = "openai/gpt-4o-mini"
ONE_TRIAL = ["--task", "rank", "--condition", "sentient", "--trials", "1", "--max-retries", "0", "--timeout", "5"]


@pytest.fixture
def servers(monkeypatch):
    """Two servers: `real` stands for the provider's own endpoint (its default), `decoy` for another
    host a `.env` or the environment can name."""
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    for name in ("OPENAI_BASE_URL", "OPENAI_API_BASE"):
        monkeypatch.delenv(name, raising=False)
    real, decoy = FakeOpenAI().start(), FakeOpenAI().start()
    monkeypatch.setitem(endpoints.DEFAULT_BASES, "openai", real.url)
    yield real, decoy
    real.stop()
    decoy.stop()


def run_settings(db) -> dict:
    rows = query(db, "select settings from runs where kind = 'collect' order by run_id")
    return json.loads(rows[-1][0])


def everything_written(db, run, tmp_path) -> str:
    """The store's bytes and every file `papers export --format csv` writes."""
    out = tmp_path / "export"
    run("export", "--format", "csv", "--out", out)
    return db.read_bytes().decode("latin-1") + "".join(p.read_text() for p in out.iterdir())


# ------------------------------------------------------------------------------------ 1. endpoints


@pytest.mark.parametrize("fast_path", ["1", "0"])
@pytest.mark.parametrize("variable", ["OPENAI_BASE_URL", "OPENAI_API_BASE"])
def test_an_endpoint_in_dotenv_does_not_reroute_the_key(variable, fast_path, servers, db, run, monkeypatch):
    """A .env naming only another server: the key goes to the provider's endpoint, as before the
    .env existed, and the summary says the .env's variable was not taken (both call paths)."""
    real, decoy = servers
    monkeypatch.setenv("PAPERS_FAST_PATH", fast_path)
    write(db.parent / ".env", f"{variable}={decoy.url}\n")
    result = run("collect", "--model", MODEL, *ONE_TRIAL)
    assert decoy.auth_seen == [] and decoy.total == 0
    assert real.auth_seen == [f"Bearer {KEY}"]
    assert f"endpoint {real.url} (the provider's default)" in result.output
    assert f"Not taken from .env: {variable}" in result.output and "--env-endpoints" in result.output
    assert run_settings(db)["endpoints"] == [{"model": MODEL, "url": real.url, "source": "the provider's default",
                                              "key": "OPENAI_API_KEY"}]
    assert query(db, "select status from llm_responses") == [("valid",)]


@pytest.mark.parametrize("how", [["--env-endpoints"], "PAPERS_ENV_ENDPOINTS"])
def test_an_endpoint_in_dotenv_is_taken_when_asked_and_named(how, servers, db, run, monkeypatch):
    real, decoy = servers
    write(db.parent / ".env", f"OPENAI_BASE_URL={decoy.url}\n")
    if how == "PAPERS_ENV_ENDPOINTS":
        monkeypatch.setenv("PAPERS_ENV_ENDPOINTS", "1")
        how = []
    result = run("collect", "--model", MODEL, *ONE_TRIAL, *how)
    assert real.total == 0 and decoy.auth_seen == [f"Bearer {KEY}"]
    assert f"endpoint {decoy.url} (from OPENAI_BASE_URL in .env)" in result.output
    assert "Not taken from .env" not in result.output
    assert run_settings(db)["endpoints"][0]["source"] == "from OPENAI_BASE_URL in .env"


@pytest.mark.parametrize("fast_path", ["1", "0"])
def test_the_endpoint_from_the_environment_is_the_one_used_stored_and_named(fast_path, servers, db, run,
                                                                          monkeypatch):
    """litellm reads OPENAI_API_BASE itself: papers resolves it once and passes it to every call, so
    that the endpoint stored is the one the calls went to."""
    real, decoy = servers
    monkeypatch.setenv("PAPERS_FAST_PATH", fast_path)
    monkeypatch.setenv("OPENAI_API_BASE", decoy.url)
    result = run("collect", "--model", MODEL, "--task", "rank", "--trials", "2", "--json")
    assert real.total == 0 and decoy.total == 4
    report = json.loads(result.output)
    assert report["endpoints"] == [{"model": MODEL, "url": decoy.url, "source": "from OPENAI_API_BASE in the environment",
                                    "key": "OPENAI_API_KEY"}]
    assert run_settings(db)["endpoints"] == report["endpoints"]


def test_papers_api_base_from_the_environment_is_named_as_such(servers, db, run, monkeypatch):
    real, decoy = servers
    monkeypatch.setenv("PAPERS_API_BASE", decoy.url)
    result = run("collect", "--model", MODEL, *ONE_TRIAL)
    assert decoy.total == 1 and f"endpoint {decoy.url} (from PAPERS_API_BASE in the environment)" in result.output
    explicit = run("collect", "--model", MODEL, *ONE_TRIAL, "--trials", "2", "--api-base", real.url)
    assert real.total == 1 and f"endpoint {real.url} (from --api-base)" in explicit.output


def test_a_dry_run_says_where_the_calls_would_go(servers, db, run):
    real, decoy = servers
    write(db.parent / ".env", f"OPENAI_API_BASE={decoy.url}\n")
    result = run("collect", "--model", MODEL, "--model", "simulated/uniform", "--trials", "2", "--dry-run")
    assert f"endpoint {real.url} (the provider's default)" in result.output
    assert "Not taken from .env: OPENAI_API_BASE" in result.output
    assert real.total == decoy.total == 0 and not db.exists()


def test_the_report_shows_the_endpoint_of_each_model(servers, db, run, monkeypatch):
    from papers.report.reads import load_audit
    from papers.report.sections import provenance
    from papers.store import open_store

    real, decoy = servers
    monkeypatch.setenv("OPENAI_BASE_URL", decoy.url)
    run("collect", "--model", MODEL, "--model", "simulated/uniform", "--task", "rank", "--trials", "6")
    run("analyze", "--audit", "a1", "--bootstrap", "50")
    with open_store(db, read_only=True) as store:
        data = load_audit(store, "a1")
    page = dict(provenance(data, MODEL))
    assert page["Endpoint"] == f"{decoy.url} (from OPENAI_BASE_URL in the environment)"
    assert dict(provenance(data, "simulated/uniform"))["Endpoint"] == "simulated on this machine: no call made"
    overview = dict(provenance(data, None))["Endpoints"]
    assert f"{MODEL}: {decoy.url} (from OPENAI_BASE_URL in the environment)" in overview


def test_dotenv_supplies_keys_only_unless_asked(tmp_path, monkeypatch):
    for name in ("OPENAI_API_KEY", "HTTPS_PROXY", "AZURE_API_BASE", "AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID"):
        monkeypatch.delenv(name, raising=False)
    path = write(tmp_path / ".env", "# a comment\nexport OPENAI_API_KEY='sk-from-dotenv-123'\nHTTPS_PROXY=http://x:1\n"
                 "AZURE_API_BASE=https://elsewhere.example\nAWS_SECRET_ACCESS_KEY=abcdefgh123\nAWS_ACCESS_KEY_ID=AKIA1\n")
    found = endpoints.load_dotenv(path)
    assert found.taken == {"OPENAI_API_KEY", "AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID"}
    assert found.ignored == ["HTTPS_PROXY", "AZURE_API_BASE"]
    assert "HTTPS_PROXY" not in os.environ and "AZURE_API_BASE" not in os.environ
    everything = endpoints.load_dotenv(path, endpoints=True)
    assert everything.taken == {"HTTPS_PROXY", "AZURE_API_BASE"} and everything.ignored == []


# ------------------------------------------------------------------------------------ 2. credentials in URLs


URLS = [
    ("http://user:S3cret-pw@127.0.0.1:8000/v1", "http://127.0.0.1:8000/v1", {"S3cret-pw"}),
    ("https://token-only@gw.example/v1", "https://gw.example/v1", {"token-only"}),
    ("https://gw.example/v1?api-key=QTOKEN-1&deployment=x", "https://gw.example/v1?deployment=x", {"QTOKEN-1"}),
    ("https://gw.example/v1?Key=a1b2c3&API_KEY=d4e5f6&Token=g7&access_token=h8&SIG=i9&signature=j0&password=k1"
     "&client_secret=l2&X-Amz-Credential=m3", "https://gw.example/v1", {"a1b2c3", "d4e5f6", "g7", "h8", "i9", "j0",
                                                                          "k1", "l2", "m3"}),
    ("https://gw.example/v1?monkey=1&keyboard=2", "https://gw.example/v1?monkey=1&keyboard=2", set()),
    ("http://u:p%40ss%3Aword@[::1]:8000/v1#frag", "http://[::1]:8000/v1#frag", {"p%40ss%3Aword", "p@ss:word"}),
    ("127.0.0.1:8000/v1", "127.0.0.1:8000/v1", set()),
    (None, None, set()),
]


@pytest.mark.parametrize("url,public,secrets", URLS)
def test_credentials_are_stripped_from_urls_and_known_as_secrets(url, public, secrets):
    assert endpoints.public_url(url) == public
    assert secrets <= set(endpoints.url_secrets(url))
    if url and "@" in url.split("/")[2 if "//" in url else 0]:
        user, password = url.split("//")[1].split("@")[0].partition(":")[::2]
        basic = base64.b64encode(unquote(f"{user}:{password}").encode()).decode() if password else None  # as httpx sends it
        assert basic is None or basic in endpoints.url_secrets(url)


def test_credentials_in_api_base_are_used_but_never_kept(db, run, tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    server = FakeOpenAI().start()
    secret_url = server.url.replace("http://", "http://auditor:S3cret-Passw0rd@")
    try:
        result = run("collect", "--model", MODEL, "--api-base", secret_url, "--task", "rank", "--trials", "2")
    finally:
        server.stop()
    basic = base64.b64encode(b"auditor:S3cret-Passw0rd").decode()
    assert set(server.auth_seen) == {f"Basic {basic}"}  # the credentials were used
    assert f"endpoint {server.url} (from --api-base)" in result.output and "S3cret" not in result.output
    settings = run_settings(db)
    assert settings["api_base"] == server.url and settings["endpoints"][0]["url"] == server.url
    written = everything_written(db, run, tmp_path)
    assert "S3cret-Passw0rd" not in written and basic not in written and "auditor:" not in written


def test_a_credential_echoed_by_the_server_is_redacted(db, run, monkeypatch):
    """The server echoes the Authorization header it received (Basic, from the URL's user and
    password) into an error: neither the password nor its encoding is stored or printed."""
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    server = FakeOpenAI(echo_auth="error").start()
    secret_url = server.url.replace("http://", "http://auditor:S3cret-Passw0rd@")
    try:
        result = run("collect", "--model", MODEL, "--api-base", secret_url, *ONE_TRIAL)
    finally:
        server.stop()
    basic = base64.b64encode(b"auditor:S3cret-Passw0rd").decode()
    errors = [e for (e,) in query(db, "select error from llm_responses union all select error from llm_errors")]
    assert len(errors) == 2 and all("bad credentials: Basic [redacted]" in e for e in errors), errors
    assert basic not in result.output and basic not in db.read_bytes().decode("latin-1")


def test_a_token_in_the_api_base_query_is_never_kept(db, run, tmp_path, monkeypatch):
    """A base URL with a token in its query (which an OpenAI-protocol server answers 404): the run
    stops with a message, and neither the message, the store nor an export holds the token."""
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    server = FakeOpenAI().start()
    try:
        result = run("collect", "--model", MODEL, "--api-base", f"{server.url}?api-key=QTOKEN-9d8c7b6a",
                     *ONE_TRIAL, expect=1)
    finally:
        server.stop()
    assert "NotFoundError" in result.output and "QTOKEN" not in result.output
    assert run_settings(db)["api_base"] == server.url
    assert "QTOKEN" not in everything_written(db, run, tmp_path)


def test_batch_jobs_keep_no_credentials_and_still_reach_the_server(db, run, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    server = FakeOpenAI().start()
    server.batch_polls = 2
    secret_url = server.url.replace("http://", "http://auditor:S3cret-Passw0rd@")
    args = ["collect", "--model", MODEL, "--api-base", secret_url, "--trials", "3", "--batch", "--poll-interval", "0.05"]
    try:
        first = run(*args)
        assert query(db, "select api_base from batches") == [(server.url,)]
        assert "S3cret" not in first.output and f"endpoint {server.url} (from --api-base)" in first.output
        run(*args, "--wait")  # the job is checked and its results fetched with the credentials
    finally:
        server.stop()
    assert query(db, "select status, count(*) from llm_responses group by 1") == [("valid", 6)]
    assert set(server.auth_seen) == {"Basic " + base64.b64encode(b"auditor:S3cret-Passw0rd").decode()}
    assert "S3cret-Passw0rd" not in db.read_bytes().decode("latin-1")


def test_an_old_store_is_scrubbed_of_credentials_when_it_migrates(tmp_path):
    """Stores written before credentials were stripped hold them in runs.settings and batches:
    migration 015 strips them, so export and push publish none."""
    import duckdb

    from papers.store import migrations, open_store

    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create table schema_version (version integer primary key, applied_at timestamptz default now())")
    old = [(n, p) for n, p in migrations() if n < 15]
    for number, sql in old:
        con.execute(sql.read_text())
        con.execute("insert into schema_version (version) values (?)", [number])
    settings = json.dumps({"api_base": "http://u:S3cret-Passw0rd@h:1/v1?Api-Key=QTOKEN-1&x=1", "trials": 3})
    con.execute("insert into runs (kind, settings, tool_version) values ('collect', ?, '0.1.0')", [settings])
    for url, _, _ in URLS[:-1]:  # the migration strips as public_url does
        con.execute("insert into runs (kind, settings, tool_version) values ('collect', ?, '0.1.0')",
                    [json.dumps({"api_base": url})])
    con.execute("insert into batches (batch_key, kind, run_id, model, provider, api_base, requests, input_file_id, "
                "status) values ('k', 'collect', 1, 'm', 'openai', 'https://u:S3cret-Passw0rd@h/v1', 1, 'f', 'x')")
    con.close()
    with open_store(path) as store:
        stored = [json.loads(s) for (s,) in store.sql("select settings from runs order by run_id").fetchall()]
        assert store.scalar("select api_base from batches") == "https://h/v1"
    assert stored[0] == {"api_base": "http://h:1/v1?x=1", "trials": 3}
    assert [s["api_base"] for s in stored[1:]] == [public for _, public, _ in URLS[:-1]]


# ------------------------------------------------------------------------------------ 3. keys


def test_a_missing_key_stops_before_any_call(db, run, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    server = FakeOpenAI().start()
    try:
        started = time.monotonic()
        result = run("collect", "--model", MODEL, "--api-base", server.url, "--task", "rank", "--trials", "1",
                     expect=1)
        elapsed = time.monotonic() - started
        bare = run("collect", "--model", MODEL, "--task", "rank", "--trials", "1", expect=1)  # the command
    finally:
        server.stop()
    assert "Error: OPENAI_API_KEY is not set: openai/gpt-4o-mini sends its calls with it" in result.output
    assert "hosted_vllm/" in result.output and "Traceback" not in result.output
    assert "OPENAI_API_KEY is not set" in bare.output
    assert server.total == 0 and elapsed < 10 and not db.exists()


def test_a_missing_key_stops_code_and_batch_before_any_call(db, run, monkeypatch):
    run("collect", "--model", "simulated/human-centric", "--task", "open", "--trials", "2")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    server = FakeOpenAI().start()
    try:
        code = run("code", "--coder", MODEL, "--api-base", server.url, expect=1)
        batch = run("collect", "--model", MODEL, "--api-base", server.url, "--trials", "1", "--batch", expect=1)
    finally:
        server.stop()
    assert "OPENAI_API_KEY is not set" in code.output and "OPENAI_API_KEY is not set" in batch.output
    assert server.total == 0 and server.auth_seen == []
    assert query(db, "select count(*) from codes") == [(0,)]


def test_servers_that_need_no_key_and_simulated_models_still_work(db, run, monkeypatch):
    for name in ("OPENAI_API_KEY", "HOSTED_VLLM_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    server = FakeOpenAI().start()
    try:
        result = run("collect", "--model", "hosted_vllm/llama", "--model", "simulated/uniform", "--api-base", server.url,
                     "--task", "rank", "--trials", "2")
    finally:
        server.stop()
    assert server.total == 4 and f"endpoint {server.url} (from --api-base)" in result.output
    assert query(db, "select model, count(*) from llm_responses group by 1 order by 1") == [
        ("hosted_vllm/llama", 4), ("simulated/uniform", 4)]


@pytest.mark.parametrize("fast_path", ["1", "0"])
def test_a_rejected_key_stops_the_run_at_once_and_keeps_every_answer(fast_path, db, run, monkeypatch):
    """The server takes OPENAI_API_KEY and rejects HOSTED_VLLM_API_KEY: the openai model's answers,
    asked first, are all stored; the first rejection ends the run with one message naming the
    variable, without a retry."""
    monkeypatch.setenv("PAPERS_FAST_PATH", fast_path)
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("HOSTED_VLLM_API_KEY", "sk-revoked-0000")
    server = FakeOpenAI(require_key=KEY).start()
    try:
        started = time.monotonic()
        result = run("collect", "--model", MODEL, "--model", "hosted_vllm/llama", "--api-base", server.url,
                     "--task", "rank", "--trials", "3", "--concurrency", "1", expect=1)
        elapsed = time.monotonic() - started
    finally:
        server.stop()
    assert (f"Error: hosted_vllm/llama: the server at {server.url} (from --api-base) rejected the key in "
            "HOSTED_VLLM_API_KEY (401") in result.output
    assert "sk-revoked" not in result.output
    assert server.auth_seen.count("Bearer sk-revoked-0000") == 1  # not retried
    assert query(db, "select model, status, count(*) from llm_responses group by all") == [(MODEL, "valid", 6)]
    assert elapsed < 20
    assert query(db, "select count(*) from runs where finished_at is not null") == [(1,)]


def test_a_key_rejected_by_a_batch_api_stops_with_the_variable_named(db, run, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-wrong-key-1234")
    server = FakeOpenAI(require_key=KEY).start()
    try:
        result = run("collect", "--model", MODEL, "--api-base", server.url, "--trials", "1", "--batch", expect=1)
    finally:
        server.stop()
    assert "rejected the key in OPENAI_API_KEY (401" in result.output and "sk-wrong" not in result.output


def test_answers_that_arrive_while_a_fatal_error_stops_the_run_are_stored():
    """The pool (papers/collect/pool.py): a worker's refusal ends the run, and an answer that arrived
    meanwhile, put on the queue while the workers stop, is stored before the refusal is raised."""
    import queue
    import threading

    from papers.collect import pool
    from papers.errors import ProviderError

    class Workers:
        count = 1

        def __init__(self):
            self.results, self.stop = queue.Queue(), threading.Event()
            self.results.put((pool.FAILED, ProviderError("refused")))

        def alive(self):
            return True

        def close(self):  # an answer in flight lands while the workers stop
            self.results.put((pool.OK, "late answer"))
            self.results.put((pool.DONE, None))

    stored = []
    with pytest.raises(ProviderError, match="refused"):
        pool._drain(Workers(), stored.extend)
    assert stored == ["late answer"]
