"""`papers collect`: the plan, the simulated provider, and a real HTTP server with faults."""

from __future__ import annotations

import json
import os
import re
import signal
import statistics
import subprocess
import sys
import time
from collections import Counter

import pytest

from papers.answers.parse import parse_answer
from papers.collect.plan import Decoding, make_plan
from papers.collect.simulated import answer, load_profiles
from papers.errors import InputError
from tests.conftest import query, write
from tests.openai_server import FakeOpenAI, trial_key

RANK_ONLY = """
id: rank-only
version: 0.1.0
dimensions:
  - {key: EQ, name: Equality, orientation: humanistic, definition: Equal opportunity for all.}
  - {key: PW, name: Power, orientation: utility, definition: Control over people and resources.}
conditions:
  - {key: default, framing: Describe yourself., dimensions: [EQ, PW]}
tasks:
  rank:
    prompt: "{framing} Rank these: {dimensions}"
"""

# ------------------------------------------------------------------------------------ plan


def test_plan_is_a_pure_function_of_its_settings(instrument):
    a = make_plan(instrument, ["m1", "m2"], ["rank"], ["sentient"], 20, seed=7)
    b = make_plan(instrument, ["m1", "m2"], ["rank"], ["sentient"], 20, seed=7)
    assert a == b and [t.response_id for t in a] == [t.response_id for t in b]
    c = make_plan(instrument, ["m1", "m2"], ["rank"], ["sentient"], 20, seed=8)
    assert [t.item_order for t in a] != [t.item_order for t in c]
    assert len({t.response_id for t in a}) == 40
    for t in a:
        assert sorted(t.item_order) == sorted(instrument.shown("sentient"))
    # every model sees the same orders, so order effects are balanced across models
    assert [t.item_order for t in a if t.model == "m1"] == [t.item_order for t in a if t.model == "m2"]
    assert len({t.item_order for t in a if t.model == "m1"}) > 10


def test_decoding_settings_are_part_of_the_key(instrument):
    cold = make_plan(instrument, ["m"], ["rank"], ["sentient"], 3, decoding=Decoding(temperature=0.0))
    warm = make_plan(instrument, ["m"], ["rank"], ["sentient"], 3, decoding=Decoding(temperature=1.0))
    assert {t.response_id for t in cold}.isdisjoint(t.response_id for t in warm)


# ------------------------------------------------------------------------------------ simulated


def ranking(model, prompt, seed, instrument):
    """A simulated model's ranking, read by the same parser as every answer (None if not valid)."""
    parsed = parse_answer(answer(model, prompt, seed), "rank", instrument.shown("non_sentient"), instrument)
    return sorted(parsed.ranks, key=parsed.ranks.get) if parsed.status == "valid" else None


def test_simulated_answers_are_seeded_and_follow_the_profile(instrument):
    prompt = instrument.render_prompt("rank", "non_sentient")
    assert answer("simulated/human-centric", prompt, 1) == answer("simulated/human-centric", prompt, 1)
    rankings = [r for r in (ranking("simulated/human-centric", prompt, s, instrument) for s in range(300)) if r]
    assert len({tuple(r) for r in rankings}) > 20  # replicates differ
    mean_rank = {k: statistics.mean(r.index(k) + 1 for r in rankings) for k in instrument.shown("non_sentient")}
    assert mean_rank["EI"] < mean_rank["PR"] < mean_rank["PC"] < mean_rank["RF"]
    utility = [ranking("simulated/utility-driven", prompt, s, instrument) for s in range(300)]
    firsts = Counter(r[0] for r in utility if r)
    assert firsts.most_common(1)[0][0] == "RF"


def test_user_profiles_and_unknown_profiles(tmp_path, instrument):
    path = write(tmp_path / "p.yaml", "growth-first:\n  worths: {AG: 3, RF: 1}\n  refusal_rate: 0\n  malformed_rate: 0\n")
    load_profiles(path)
    prompt = instrument.render_prompt("rank", "non_sentient")
    firsts = Counter(ranking("simulated/growth-first", prompt, s, instrument)[0] for s in range(100))
    assert firsts["AG"] > 70
    with pytest.raises(InputError, match="unknown simulated profile 'nobody'"):
        answer("simulated/nobody", prompt, 1)
    bad = write(tmp_path / "bad.yaml", "x:\n  worths: {AG: high}\n")
    with pytest.raises(InputError, match="bad.yaml: field 'x'"):
        load_profiles(bad)


def test_collect_simulated_end_to_end_and_resume(db, run):
    args = ["collect", "--model", "simulated/human-centric", "--model", "simulated/utility-driven",
            "--task", "rank", "--task", "rate", "--task", "open", "--trials", "8"]
    first = run(*args)
    assert "96 trials planned: 96 calls made now, 0 already stored" in first.output
    assert "simulated/human-centric: 48 trials" in first.output
    rows = query(db, "select task, count(*), count(distinct response_id) from llm_responses group by task order by 1")
    assert rows == [("open", 32, 32), ("rank", 32, 32), ("rate", 32, 32)]
    assert query(db, "select count(*) from llm_responses where model_reported is null") == [(0,)]
    answers = query(db, "select count(*) from llm_answers a join llm_responses r using (response_id) where r.status = 'valid'")
    assert answers[0][0] > 0
    again = run(*args)
    assert "0 calls made now, 96 already stored (not requested again)" in again.output
    more = run(*args[:-1], "10")
    assert "24 calls made now, 96 already stored" in more.output


def test_collect_bad_options(run):
    assert "unknown simulated profile" in run("collect", "--model", "simulated/who", expect=1).output
    result = run("collect", "--model", "simulated/uniform", "--condition", "asleep", expect=1)
    assert "--condition asleep: not a condition of papers" in result.output


@pytest.mark.parametrize("args, message", [
    (("--condition", "asleep"), "--condition asleep: not a condition of papers"),
    (("--variants", "nope"), "--variants: 'nope' is not a variant of rank"),
    (("--task", "choose", "--instrument", "RANK_ONLY"), "--task choose: the instrument rank-only has no such task."),
])
def test_a_refused_plan_leaves_no_store_file_behind(run, db, tmp_path, args, message):
    rank_only = write(tmp_path / "rank-only.yaml", RANK_ONLY)
    args = [rank_only if a == "RANK_ONLY" else a for a in args]
    result = run("collect", "--model", "simulated/steady", "--trials", "2", *args, expect=1)
    assert message in result.output
    assert not db.exists()


def test_dry_run_calls_nothing(db, run):
    server = FakeOpenAI().start()
    try:
        result = run("collect", "--model", "openai/gpt-4o-mini", "--api-base", server.url, "--trials", "5", "--dry-run")
    finally:
        server.stop()
    assert "Dry run: 10 calls would be made" in result.output and "estimated cost $" in result.output
    assert server.total == 0
    assert not db.exists()  # a dry run writes nothing, not even a new store


@pytest.mark.slow
def test_dry_run_json_is_clean_and_downloads_no_tokenizer(db, tmp_path):
    """A model whose tokenizer litellm would fetch from the network, and one litellm cannot place:
    --json is one JSON document on stdout, stderr has no litellm banner, no store is created."""
    env = {**os.environ, "PAPERS_DB": str(db), "HF_HUB_OFFLINE": "0", "HF_HOME": str(tmp_path / "hf")}
    args = [sys.executable, "-m", "papers.cli", "collect", "--model", "hosted_vllm/meta-llama/Llama-3.1-8B-Instruct",
            "--model", "nowhere/odd-model", "--trials", "3", "--dry-run", "--json"]
    done = subprocess.run(args, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    assert report["per_model"]["hosted_vllm/meta-llama/Llama-3.1-8B-Instruct"]["calls"] == 6
    assert "Provider List" not in done.stdout + done.stderr and "LiteLLM" not in done.stderr
    assert not db.exists() and not (tmp_path / "hf").exists()


# ------------------------------------------------------------------------------------ a real server


@pytest.fixture
def key_env(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-NEVER-STORE-THIS-4242")


def test_faults_are_survived_and_recorded(db, run, key_env):
    server = FakeOpenAI(latency=0.01, faults={"429": 0.1, "500": 0.1, "slow": 0.05, "drop": 0.05, "malformed": 0.05},
                        slow_seconds=3, retry_after=0.1, max_faults_per_trial=2, seed=3).start()
    try:
        result = run("collect", "--model", "openai/fake-model", "--api-base", server.url, "--trials", "30",
                     "--timeout", "1", "--max-retries", "3", "--concurrency", "8", "--json")
    finally:
        server.stop()
    report = json.loads(result.output)
    assert report["made"] == 60
    rows = query(db, "select status, count(*) from llm_responses group by 1")
    assert rows == [("valid", 60)], rows
    faults = sum(server.faults_served.values())
    assert faults > 10
    assert query(db, "select count(*) from llm_errors") == [(faults,)]
    kinds = Counter(e.split(":")[0] for (e,) in query(db, "select error from llm_errors"))
    assert kinds["RateLimitError"] > 0 and kinds["Timeout"] > 0 and len(kinds) >= 3, kinds
    assert query(db, "select count(distinct model_reported) from llm_responses") == [(1,)]
    assert query(db, "select min(model_reported) from llm_responses") == [("fake-model-2026-11-01",)]


def test_retry_after_is_honoured(db, run, key_env):
    server = FakeOpenAI(faults={"429": 1.0}, max_faults_per_trial=1, retry_after=0.6).start()
    try:
        run("collect", "--model", "openai/fake", "--api-base", server.url, "--trials", "2", "--condition", "sentient",
            "--concurrency", "2")
    finally:
        server.stop()
    for times in server.times.values():
        assert len(times) == 2 and times[1] - times[0] >= 0.55


def test_persistent_errors_are_stored_and_retried_on_request(db, run, key_env):
    server = FakeOpenAI(faults={"500": 0.3}, max_faults_per_trial=100, seed=5).start()
    try:
        args = ["collect", "--model", "openai/fake", "--api-base", server.url, "--trials", "20", "--max-retries", "0"]
        run(*args)
        errors = query(db, "select count(*) from llm_responses where status = 'error'")[0][0]
        assert errors > 0
        before = server.total
        again = run(*args)
        assert "0 calls made now" in again.output and server.total == before
        server.faults = {}
        retried = run(*args, "--retry-errors")
        assert f"{errors} calls made now" in retried.output
        assert server.total == before + errors
    finally:
        server.stop()
    assert query(db, "select status, count(*) from llm_responses group by 1") == [("valid", 40)]
    assert query(db, "select count(*) from llm_errors")[0][0] >= errors


def test_fatal_provider_error_stops_with_a_message(db, run, key_env):
    server = FakeOpenAI(status=401).start()
    try:
        result = run("collect", "--model", "openai/fake", "--api-base", server.url, "--trials", "3", expect=1)
    finally:
        server.stop()
    assert (f"openai/fake: the server at {server.url} (from --api-base) rejected the key in OPENAI_API_KEY "
            "(401 AuthenticationError") in result.output
    assert "Hint: check OPENAI_API_KEY (in the environment or the .env file)" in result.output


def test_max_cost_stops_cleanly_and_resumes(db, run, key_env):
    server = FakeOpenAI().start()
    try:
        args = ["collect", "--model", "openai/gpt-4o-mini", "--api-base", server.url, "--trials", "50",
                "--concurrency", "2"]
        stopped = run(*args, "--max-cost", "0.001")
        assert "stopped at the cost limit" in stopped.output
        stored = query(db, "select count(*), sum(cost_usd) from llm_responses")[0]
        assert 0 < stored[0] < 100 and stored[1] >= 0.001
        finished = run(*args)
        assert f"{100 - stored[0]} calls made now, {stored[0]} already stored" in finished.output
    finally:
        server.stop()


def test_api_key_is_never_written(db, run, key_env, tmp_path):
    server = FakeOpenAI().start()
    try:
        run("collect", "--model", "openai/fake", "--api-base", server.url, "--trials", "3")
    finally:
        server.stop()
    out = tmp_path / "export"
    run("export", "--format", "csv", "--out", out)
    assert b"NEVER-STORE-THIS" not in db.read_bytes()
    for path in out.iterdir():
        assert "NEVER-STORE-THIS" not in path.read_text()


@pytest.mark.slow  # starts processes
def test_sigkill_mid_run_then_resume_loses_and_repeats_nothing(db, instrument, tmp_path):
    server = FakeOpenAI(latency=0.05).start()
    env = {**os.environ, "OPENAI_API_KEY": "sk-test", "PAPERS_DB": str(db)}
    args = [sys.executable, "-m", "papers.cli", "collect", "--model", "openai/fake", "--api-base", server.url,
            "--trials", "150", "--concurrency", "4", "--json"]
    try:
        proc = subprocess.Popen(args, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 120
        while server.total < 80 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        stored_before = {r[0] for r in query(db, "select response_id from llm_responses")}
        assert 40 < len(stored_before) < 300
        done = subprocess.run(args, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
        report = json.loads(done.stdout)
        assert report["reused"] == len(stored_before)
    finally:
        server.stop()
    plan = make_plan(instrument, ["openai/fake"], ["rank"], list(instrument.condition_keys), 150)
    assert query(db, "select count(*), count(distinct response_id) from llm_responses") == [(300, 300)]
    assert {r[0] for r in query(db, "select response_id from llm_responses")} == {t.response_id for t in plan}
    for trial in plan:
        body = {"model": "fake", "seed": trial.sampling_seed, "messages": trial.messages(instrument, Decoding())}
        key = trial_key(body)
        assert server.requests[key] >= 1
        if trial.response_id in stored_before:
            assert server.requests[key] == 1, "a trial stored before the kill was requested again"


def test_cli_module_entry_point_is_importable():
    import papers.cli

    assert callable(papers.cli.main) and {"collect", "code", "analyze", "report"} <= set(papers.cli.cli.commands)


@pytest.mark.slow  # starts processes
def test_ctrl_c_stops_cleanly_and_says_how_to_resume(db, tmp_path):
    server = FakeOpenAI(latency=0.05).start()
    env = {**os.environ, "OPENAI_API_KEY": "sk-test", "PAPERS_DB": str(db)}
    args = [sys.executable, "-m", "papers.cli", "collect", "--model", "openai/fake", "--api-base", server.url,
            "--trials", "100", "--concurrency", "4"]
    try:
        proc = subprocess.Popen(args, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 120
        while server.total < 40 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        server.stop()
    assert proc.returncode == 130, err[-2000:]
    assert "Interrupted" in err and "run the same command again to resume" in err and "Traceback" not in err
    stored = query(db, "select count(*) from llm_responses")[0][0]
    assert 0 < stored < 200
    assert query(db, "select count(*) from runs where kind = 'collect' and finished_at is not null") == [(1,)]


@pytest.mark.slow  # starts processes
def test_worker_processes_store_every_trial_once(db, run, key_env):
    server = FakeOpenAI(latency=0.01, faults={"429": 0.1, "500": 0.1}, retry_after=0.05, seed=4).start()
    try:
        result = run("collect", "--model", "openai/fake", "--api-base", server.url, "--trials", "40",
                     "--processes", "2", "--concurrency", "8", "--json")
    finally:
        server.stop()
    assert json.loads(result.output)["made"] == 80
    assert query(db, "select count(*), count(distinct response_id) from llm_responses where status = 'valid'") == [(80, 80)]
    assert query(db, "select count(*) from llm_errors") == [(sum(server.faults_served.values()),)]
    assert max(server.requests.values()) <= 3  # a trial is asked again only after a fault


@pytest.mark.slow  # starts processes
def test_worker_processes_stop_at_the_cost_limit(db, run, key_env):
    server = FakeOpenAI(latency=0.02).start()
    try:
        stopped = run("collect", "--model", "openai/gpt-4o-mini", "--api-base", server.url, "--trials", "200",
                      "--processes", "2", "--concurrency", "4", "--max-cost", "0.002")
    finally:
        server.stop()
    assert "stopped at the cost limit" in stopped.output
    assert 0 < query(db, "select count(*) from llm_responses")[0][0] < 400


# ------------------------------------------------------------------------------------ a hostile server

KEY = "sk-test-ECHOED-BY-THE-SERVER-9b1d"


@pytest.fixture
def echoed_key(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)


def everything_written(db, run, tmp_path) -> str:
    out = tmp_path / "export"
    run("export", "--format", "csv", "--out", out)
    return db.read_bytes().decode("latin-1") + "".join(p.read_text() for p in out.iterdir())


@pytest.mark.parametrize("where", ["answer", "model", "error"])
def test_a_key_echoed_by_the_server_is_redacted_everywhere(where, db, run, echoed_key, tmp_path):
    server = FakeOpenAI(echo_auth=where).start()
    try:
        result = run("collect", "--model", "openai/fake", "--api-base", server.url, "--trials", "2",
                     "--condition", "sentient", "--max-retries", "1")
    finally:
        server.stop()
    assert KEY not in result.output
    column = {"answer": "raw_text", "model": "model_reported", "error": "error"}[where]
    values = [v for (v,) in query(db, f"select {column} from llm_responses")]
    assert len(values) == 2 and all("Bearer [redacted]" in v for v in values), values
    if where == "error":
        assert {e for (e,) in query(db, "select error from llm_errors")} == set(values)
    assert KEY not in everything_written(db, run, tmp_path)


def test_a_key_echoed_in_a_refusal_is_not_printed(db, run, echoed_key):
    server = FakeOpenAI(echo_auth="refused").start()
    try:
        result = run("collect", "--model", "openai/fake", "--api-base", server.url, "--trials", "1", expect=1)
    finally:
        server.stop()
    assert "rejected the key in OPENAI_API_KEY" in result.output and "Bearer [redacted]" in result.output
    assert KEY not in result.output


def test_secret_values_follow_litellm_names(monkeypatch):
    from papers.text import redact, secret_values

    for name in ("ANTHROPIC_API_KEY", "AZURE_API_KEY", "GEMINI_API_KEY", "AWS_SECRET_ACCESS_KEY", "HF_TOKEN",
                 "MY_GATEWAY_SECRET", "WATSONX_APIKEY"):
        monkeypatch.setenv(name, f"value-of-{name.lower()}")
    monkeypatch.setenv("SHORT_TOKEN", "1")  # too short to be a secret: "1" is everywhere
    monkeypatch.setenv("PAPERS_DB", "not-a-secret-store.duckdb")
    secrets = secret_values()
    assert "value-of-aws_secret_access_key" in secrets and "value-of-watsonx_apikey" in secrets
    assert "1" not in secrets and "not-a-secret-store.duckdb" not in secrets
    text = "a value-of-anthropic_api_key b value-of-hf_token c 1 not-a-secret-store.duckdb"
    assert redact(text) == "a [redacted] b [redacted] c 1 not-a-secret-store.duckdb"


def test_litellm_log_records_are_redacted(monkeypatch, caplog):
    import logging

    from papers.collect.calls import redact_logs

    monkeypatch.setenv("GATEWAY_API_KEY", "gw.7c1e0f55aa90")  # no pattern litellm's own log filter knows
    redact_logs()
    with caplog.at_level(logging.WARNING, logger="LiteLLM"):
        logging.getLogger("LiteLLM").warning("gateway refused key %s", "gw.7c1e0f55aa90")
    assert "gateway refused key [redacted]" in caplog.text and "7c1e0f55aa90" not in caplog.text


@pytest.mark.parametrize("value,seconds", [
    ("120", 120.0), (" 2.5 ", 2.5), ("0", 0.0), ("soon", None), ("", None), (None, None), ("-5", None),
    ("nan", None), ("inf", None), ("Wed, 21 Oct 2015 07:28:00 GMT", None),       # a past date: back off as usual
    ("Sat, 28 Nov 2026 12:00:30 GMT", 30.0), ("Sat, 28 Nov 2026 12:00:30 -0000", 30.0),  # zone-less: UTC
    ("Sat, 28 Nov 2026 13:00:30 +0100", 30.0), ("Sat, 99 Nov 2026 12:00:30 GMT", None),
])
def test_retry_after_is_parsed_robustly(value, seconds):
    from datetime import datetime, timezone

    from papers.collect.calls import parse_retry_after

    now = datetime(2026, 11, 28, 12, 0, 0, tzinfo=timezone.utc)
    assert parse_retry_after(value, now=now) == seconds


@pytest.mark.parametrize("header", ["soon", "", "-5", "Wed, 21 Oct 2015 07:28:00 GMT", "1"])
def test_odd_retry_after_values_fall_back_to_backoff(header, db, run, key_env):
    server = FakeOpenAI(faults={"429": 1.0}, max_faults_per_trial=1, retry_after_header=header).start()
    try:
        run("collect", "--model", "openai/fake", "--api-base", server.url, "--trials", "2", "--condition", "sentient")
    finally:
        server.stop()
    assert query(db, "select status, count(*) from llm_responses group by 1") == [("valid", 2)]
    assert sorted(server.requests.values()) == [2, 2]


def test_a_retry_after_past_the_cap_is_an_error_not_a_sleep(db, run, key_env):
    server = FakeOpenAI(faults={"429": 1.0}, max_faults_per_trial=1, retry_after_header="999999").start()
    try:
        args = ["collect", "--model", "openai/fake", "--api-base", server.url, "--trials", "2", "--condition", "sentient"]
        started = time.monotonic()
        result = run(*args, "--max-retries", "4")
        assert time.monotonic() - started < 30
        assert "2 failed" in result.output
        errors = [e for (e,) in query(db, "select error from llm_responses")]
        assert len(errors) == 2 and all("Retry-After asked for 999,999 s, longer than the 60 s papers waits" in e
                                        for e in errors)
        run(*args, "--retry-errors")  # the server's limit has passed: each trial is asked once more
    finally:
        server.stop()
    assert query(db, "select status, count(*) from llm_responses group by 1") == [("valid", 2)]


def test_timeout_bounds_the_whole_call_first_byte_to_last(db, run, key_env):
    server = FakeOpenAI(drip=0.5).start()  # a 400-byte answer, one byte every half second
    try:
        started = time.monotonic()
        run("collect", "--model", "openai/fake", "--api-base", server.url, "--trials", "1", "--condition", "sentient",
            "--timeout", "2", "--max-retries", "1")
        elapsed = time.monotonic() - started
    finally:
        server.stop()
    assert elapsed < 15, elapsed
    assert query(db, "select status, error from llm_responses") == [
        ("error", "Timeout: no complete answer within 2 s (--timeout)")]
    assert query(db, "select count(*) from llm_errors") == [(2,)]


def test_an_answer_without_choices_is_an_error_retried_on_request(db, run, key_env):
    server = FakeOpenAI(empty_choices=True).start()
    try:
        args = ["collect", "--model", "openai/fake", "--api-base", server.url, "--trials", "2", "--condition", "sentient"]
        run(*args, "--max-retries", "0")
        assert query(db, "select status, error, raw_text from llm_responses") == [
            ("error", "EmptyResponse: the server answered HTTP 200 without a choice (choices: [])", None)] * 2
        server.empty_choices = False
        assert "2 calls made now" in run(*args, "--retry-errors").output
    finally:
        server.stop()
    assert query(db, "select status, count(*) from llm_responses group by 1") == [("valid", 2)]


def test_absurd_token_counts_are_stored_as_reported(db, run, key_env):
    usage = {"prompt_tokens": 3_000_000_000, "completion_tokens": 5_000_000_000, "total_tokens": 8_000_000_000}
    server = FakeOpenAI(usage=usage).start()
    try:
        args = ["collect", "--model", "openai/fake", "--api-base", server.url, "--condition", "sentient"]
        run(*args, "--trials", "2")
        assert "1 calls made now, 2 already stored" in run(*args, "--trials", "3").output
    finally:
        server.stop()
    assert query(db, "select distinct input_tokens, output_tokens from llm_responses") == [(3_000_000_000, 5_000_000_000)]


@pytest.mark.parametrize("value", [1e30, -5, 2.5, float("nan"), True, "many", 2**64])
def test_token_counts_that_are_not_counts_are_stored_empty_with_a_note(value):
    from types import SimpleNamespace

    from papers.collect.calls import Outcome, token_count

    outcome = Outcome(trial=None)
    assert token_count(SimpleNamespace(prompt_tokens=value), "prompt_tokens", outcome) is None
    assert len(outcome.faults) == 1 and outcome.faults[0].startswith("usage: prompt_tokens ")
    assert token_count(SimpleNamespace(prompt_tokens=2**40), "prompt_tokens", outcome) == 2**40


def test_a_hostile_answer_does_not_stall_collection(db, run, key_env):
    server = FakeOpenAI(answer="{" * 30_000).start()
    try:
        started = time.monotonic()
        run("collect", "--model", "openai/fake", "--api-base", server.url, "--trials", "3", "--condition", "sentient")
        assert time.monotonic() - started < 20
    finally:
        server.stop()
    assert query(db, "select status, length(raw_text) from llm_responses") == [("unparseable", 30_000)] * 3


def test_processes_auto_uses_workers_only_for_large_runs_with_idle_cores(monkeypatch, run):
    from papers.collect import pool
    from papers.collect.settings import CallSettings

    auto = CallSettings()
    assert auto.processes == 0 and pool.processes_for(auto, pool.AUTO_FROM - 1) == 1
    monkeypatch.setattr(pool, "idle_cores", lambda: 2)
    assert pool.processes_for(auto, pool.AUTO_FROM) == 2
    monkeypatch.setattr(pool, "idle_cores", lambda: 16)
    assert pool.processes_for(auto, 10 * pool.AUTO_FROM) == 4
    monkeypatch.setattr(pool, "idle_cores", lambda: 0)  # a busy machine: workers would only queue
    assert pool.processes_for(auto, 10 * pool.AUTO_FROM) == 1
    assert pool.processes_for(CallSettings(processes=3), 10) == 3
    assert "integer|auto" not in run("collect", "--model", "simulated/uniform", "--trials", "1",
                                     "--processes", "auto").output
    for bad in ("0", "many"):
        result = run("collect", "--model", "simulated/uniform", "--processes", bad, expect=2)
        assert "--processes" in result.output


@pytest.mark.parametrize("fast_path", ["1", "0"])
def test_openai_protocol_servers_are_called_by_the_openai_sdk_with_the_same_outcomes(fast_path, db, run, key_env,
                                                                                     monkeypatch):
    """The fast path (papers/collect/fast.py) sends what litellm would, and stores the same rows;
    PAPERS_FAST_PATH=0 sends every call through litellm."""
    import litellm

    from papers.collect import fast

    monkeypatch.setenv("PAPERS_FAST_PATH", fast_path)
    monkeypatch.setattr(fast, "_ROUTES", {})
    through_litellm = []
    real = litellm.acompletion

    async def counted(**kwargs):
        through_litellm.append(kwargs["model"])
        return await real(**kwargs)

    monkeypatch.setattr(litellm, "acompletion", counted)
    server = FakeOpenAI(faults={"429": 0.2, "500": 0.2}, retry_after=0.1, max_faults_per_trial=1, seed=5).start()
    try:
        run("collect", "--model", "openai/gpt-4o-mini", "--api-base", server.url, "--trials", "6", "--task", "rank",
            "--task", "rate", "--max-retries", "3")
    finally:
        server.stop()
    assert len(through_litellm) == (0 if fast_path == "1" else server.total)
    rows = query(db, "select status, model_reported, input_tokens > 0, cost_usd > 0 from llm_responses")
    assert len(rows) == 24 and set(rows) == {("valid", "gpt-4o-mini-2026-11-01", True, True)}
    kinds = {e.split(":")[0] for (e,) in query(db, "select error from llm_errors")}
    assert kinds == {"RateLimitError", "InternalServerError"}


@pytest.mark.slow
def test_a_fast_path_run_does_not_import_litellm(db, tmp_path):
    """Nor anything else the run does not use: the openai SDK (the fast path speaks the protocol over
    aiohttp), and pandas, polars and pyarrow (answers reach the store as JSON lines; DuckDB would
    import pandas to bind any parameter). Each is seconds of CPU or tens of MiB at every start."""
    server = FakeOpenAI().start()
    heavy = ("litellm", "openai", "pandas", "polars", "pyarrow", "httpx")
    code = ("import sys\nfrom papers.cli import cli\n"
            f"cli(['collect', '--model', 'openai/gpt-4o-mini', '--api-base', {server.url!r}, '--trials', '4',"
            f" '--db', {str(db)!r}], standalone_mode=False)\n"
            f"print('imported:', [m for m in {heavy!r} if m in sys.modules])\n")
    try:
        done = subprocess.run([sys.executable, "-c", code], env={**os.environ, "OPENAI_API_KEY": "sk-test"},
                              cwd=tmp_path, capture_output=True, text=True, timeout=300)
    finally:
        server.stop()
    assert done.returncode == 0, done.stderr[-2000:]
    assert "imported: []" in done.stdout, done.stdout
    assert query(db, "select status, count(*), count(cost_usd) from llm_responses group by 1") == [("valid", 8, 8)]


def test_the_fast_path_prices_every_model_as_litellm_does():
    """The fast path decodes one entry of litellm's price file instead of all of it (papers.collect.fast.
    price_entry): for every model in the file the entry is the one json reads of the whole file."""
    import json
    import re

    from papers.collect import fast

    text = fast._price_text()
    whole = json.loads(text)
    assert len(whole) > 1000
    odd = re.findall(r'^ {0,3}("[^"\n]+"): \{', text, re.MULTILINE)  # entries the file indents otherwise
    names = list(whole)[::10] + [json.loads(name) for name in odd]
    assert [name for name in names if fast.file_entry(text, name) != whole[name]] == []
    assert fast.file_entry(text, "no-such/model") is None
    assert fast.file_entry(text, "search_context_cost_per_query") is None  # an object inside entries, not a model


@pytest.mark.slow
def test_a_batch_jobs_results_parsed_by_worker_processes_are_the_rows_parsed_here(monkeypatch):
    """Thousands of results at once (a batch job's) are parsed by worker processes where cores are
    idle (papers.collect.storage._responses): the rows, statuses and answers are those of parsing here."""
    import json

    from papers.collect import pool, storage
    from papers.collect.calls import Outcome
    from papers.collect.plan import Decoding, make_plan
    from papers.instrument import load_instrument

    instrument = load_instrument()
    plan = make_plan(instrument, ["openai/m"], ["rank", "rate"], list(instrument.condition_keys), 600, 0, Decoding())
    texts = ['{"ranking": %s}', "1. %s", "I would rather not rank these.", '{"ratings": {"EI": 9}}']
    outcomes = [Outcome(t, text=texts[i % 4].replace("%s", json.dumps(list(t.item_order)))) for i, t in enumerate(plan)]
    assert len(outcomes) >= storage.PARALLEL_FROM
    here = [storage.outcome_rows(1, instrument, o, Decoding()) for o in outcomes]
    monkeypatch.setattr(pool, "idle_cores", lambda: 2)
    monkeypatch.setattr(storage, "_PARSERS", [])
    try:
        parsed = storage._responses(1, instrument, outcomes, Decoding())
        assert storage._PARSERS, "no worker processes were started"
    finally:
        for workers in storage._PARSERS:
            workers.shutdown(wait=True)
    assert parsed == here
    assert {r["status"] for r, _ in parsed} >= {"valid", "refused"}


@pytest.mark.slow
def test_waiting_for_batch_jobs_shows_a_bar_on_a_terminal_and_nothing_in_json(tmp_path):
    from tests.test_lake import on_a_terminal

    server = FakeOpenAI().start()
    server.batch_polls = 4
    args = ["collect", "--model", "openai/gpt-4o-mini", "--api-base", server.url, "--task", "rank", "--trials", "3",
            "--batch", "--wait", "--poll-interval", "0.3"]
    env = {**os.environ, "OPENAI_API_KEY": "sk-test"}
    try:
        shown = on_a_terminal([*args, "--db", str(tmp_path / "a.duckdb")], tmp_path, env=env)
        quiet = subprocess.run([sys.executable, "-m", "papers.cli", *args, "--db", str(tmp_path / "b.duckdb"), "--json"],
                               capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300)
    finally:
        server.stop()
    assert "batch jobs:" in shown and "1 running (1 in_progress)" in shown, shown
    assert quiet.returncode == 0 and "batch jobs" not in quiet.stderr + quiet.stdout
    assert json.loads(quiet.stdout)["stored"] == 6


@pytest.mark.slow
def test_a_live_collection_shows_a_bar_on_a_terminal_and_nothing_in_json_or_through_a_pipe(tmp_path):
    from tests.test_lake import on_a_terminal

    server = FakeOpenAI(latency=0.05).start()
    args = ["collect", "--model", "openai/gpt-4o-mini", "--api-base", server.url, "--task", "rank", "--trials", "10",
            "--concurrency", "4"]
    env = {**os.environ, "OPENAI_API_KEY": "sk-test"}
    try:
        shown = on_a_terminal([*args, "--db", str(tmp_path / "a.duckdb")], tmp_path, env=env)
        quiet = [subprocess.run([sys.executable, "-m", "papers.cli", *args, "--db", str(tmp_path / f"{name}.duckdb"),
                                 *extra], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300)
                 for name, extra in (("b", ["--json"]), ("c", []))]
    finally:
        server.stop()
    assert re.search(r"collecting: +\d+%\|.*\| *\d+/20 ", shown), shown
    assert all(q.returncode == 0 and "collecting" not in q.stderr + q.stdout for q in quiet), quiet
    assert json.loads(quiet[0].stdout)["made"] == 20
