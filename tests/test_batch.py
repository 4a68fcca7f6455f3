"""`papers collect --batch`: provider batch jobs against the loopback fake (tests/openai_server.py),
with partial failures, an expired job, a slow job, and a client killed at each step."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from papers.collect.batches import split
from tests.conftest import query
from tests.openai_server import FakeOpenAI, _jsonl

KEY = "sk-test-NEVER-STORE-THIS-4242"


@pytest.fixture
def server(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    fake = FakeOpenAI().start()
    yield fake
    fake.stop()


def batch_args(server, trials=20, *extra):
    return ["collect", "--model", "openai/gpt-4o-mini", "--api-base", server.url, "--trials", str(trials), "--batch",
            "--poll-interval", "0.05", *extra]


def stored(db) -> dict[str, str]:
    return dict(query(db, "select response_id, status from llm_responses"))


@pytest.mark.slow
def test_submit_returns_then_the_same_command_stores_every_trial_once(db, run, server):
    server.batch_polls = 1
    server.batch_failures = 0.2
    first = run(*batch_args(server), "--batch-size", "15")
    assert "40 requests submitted in 3 new jobs" in first.output
    assert "Run the same command again to store their results" in first.output
    assert query(db, "select count(*) from llm_responses") == [(0,)]
    assert query(db, "select count(*), count(provider_batch_id), max(requests) from batches") == [(3, 3, 15)]
    assert len(server.batch_lines) == 40 and set(server.batch_lines.values()) == {1}

    second = json.loads(run(*batch_args(server), "--batch-size", "15", "--json").output)
    assert second["stored"] == 40 and second["submitted"] == 0 and second["jobs_running"] == 0
    rows = stored(db)
    assert len(rows) == 40 == query(db, "select count(distinct response_id) from llm_responses")[0][0]
    failed = {rid for rid in server.batch_lines if server._fails(rid)}
    assert 0 < len(failed) < 40
    assert {rid for rid, status in rows.items() if status == "error"} == failed
    assert {status for rid, status in rows.items() if rid not in failed} == {"valid"}
    errors = dict(query(db, "select response_id, error from llm_responses where status = 'error'"))
    assert all(e.startswith("InternalServerError: status 500") for e in errors.values())
    assert query(db, "select count(*) from llm_errors")[0][0] == len(failed)
    assert query(db, "select count(*) from batches where stored_at is null") == [(0,)]
    # costs at the price map's batch rates, tokens as the server reported them
    assert query(db, "select count(*) from llm_responses where status = 'valid' and cost_usd > 0 "
                     "and input_tokens > 0")[0][0] == 40 - len(failed)

    third = json.loads(run(*batch_args(server), "--json").output)
    assert third == {**third, "stored": 0, "submitted": 0, "reused": 40}
    assert set(server.batch_lines.values()) == {1}

    server.batch_failures = 0.0
    retried = json.loads(run(*batch_args(server), "--retry-errors", "--wait", "--json").output)
    assert retried["submitted"] == len(failed) and retried["stored"] == len(failed)
    assert {rid for rid, n in server.batch_lines.items() if n == 2} == failed
    assert set(stored(db).values()) == {"valid"}
    assert b"NEVER-STORE-THIS" not in db.read_bytes()


def test_batch_answers_are_parsed_and_stored_as_live_answers_are(db, run, server, tmp_path):
    run(*batch_args(server, 5), "--task", "rank", "--task", "rate", "--task", "open", "--wait")
    live_db = tmp_path / "live.duckdb"
    run("collect", "--model", "openai/gpt-4o-mini", "--api-base", server.url, "--trials", "5", "--task", "rank",
        "--task", "rate", "--task", "open", "--db", live_db, with_db=False)
    columns = ("response_id, model, task, condition, trial, item_order, temperature, prompt, raw_text, status, "
               "model_reported, input_tokens, output_tokens")
    batch_rows = query(db, f"select {columns} from llm_responses order by 1")
    assert len(batch_rows) == 30 and batch_rows == query(live_db, f"select {columns} from llm_responses order by 1")
    answers = "select response_id, dimension, rank, rating from llm_answers order by 1, 2"
    assert query(db, answers) == query(live_db, answers) and len(query(db, answers)) > 0


def test_an_expired_job_stores_its_answers_and_the_rest_as_errors(db, run, server):
    server.batch_expire = True
    report = json.loads(run(*batch_args(server, 10), "--wait", "--json").output)
    assert report["stored"] == 20
    rows = stored(db)
    assert sorted(rows.values()).count("error") == 10 and sorted(rows.values()).count("valid") == 10
    errors = [e for (e,) in query(db, "select error from llm_responses where status = 'error'")]
    assert all("batch_expired" in e for e in errors)
    server.batch_expire = False
    again = json.loads(run(*batch_args(server, 10), "--wait", "--retry-errors", "--json").output)
    assert again["submitted"] == 10 and set(stored(db).values()) == {"valid"}
    assert sorted(server.batch_lines.values()).count(2) == 10


def test_a_slow_job_is_waited_for_with_wait(db, run, server):
    server.batch_polls = 6
    report = json.loads(run(*batch_args(server, 3), "--wait", "--json").output)
    assert report["stored"] == 6 and report["jobs_running"] == 0
    assert server.seen["retrieve"] >= 7
    assert len(stored(db)) == 6


def test_files_are_split_by_requests_and_by_bytes():
    lines = [b"x" * 10 + b"\n"] * 25
    assert [len(f) for f in split(lines, 10)] == [10, 10, 5]
    assert [len(f) for f in split(lines, 100, max_bytes=55)] == [5, 5, 5, 5, 5]
    assert sum(split(lines, 7, max_bytes=40), []) == list(range(25))


def test_dry_run_shows_the_batch_price_and_writes_nothing(db, run, server):
    live = json.loads(run("collect", "--model", "openai/gpt-4o-mini", "--trials", "5", "--dry-run", "--json").output)
    batch = json.loads(run("collect", "--model", "openai/gpt-4o-mini", "--trials", "5", "--dry-run", "--batch",
                           "--json").output)
    entry, live_entry = batch["per_model"]["openai/gpt-4o-mini"], live["per_model"]["openai/gpt-4o-mini"]
    assert entry["batch_rates"] is True and 0 < entry["cost_usd"] < live_entry["cost_usd"]
    text = run("collect", "--model", "openai/gpt-4o-mini", "--trials", "5", "--dry-run", "--batch").output
    assert "at the price map's batch rates" in text and "An estimate" in text
    assert not db.exists() and server.seen == {}


def test_models_without_a_batch_api_are_refused_before_anything_is_sent(db, run, server):
    result = run("collect", "--model", "simulated/uniform", "--trials", "2", "--batch", expect=1)
    assert "papers submits batch jobs to openai" in result.output and "without --batch" in result.output
    assert server.seen == {} and not db.exists()


def test_the_dry_run_refuses_the_models_the_real_run_refuses_and_neither_writes_a_store(db, run):
    models = ["--model", "anthropic/claude-3-5-haiku-20241022", "--model", "ollama/llama3", "--trials", "10", "--batch"]
    for extra in (["--dry-run"], []):
        result = run("collect", *models, *extra, expect=1)
        assert "papers submits batch jobs to openai" in result.output and "$0.0000" not in result.output
        assert not db.exists()
    result = run("code", "--coder", "ollama/llama3", "--batch", expect=1)
    assert "papers submits batch jobs to openai" in result.output and not db.exists()


def test_batch_options_out_of_place_are_refused(db, run, server):
    assert "--wait goes with --batch" in run("collect", "--model", "simulated/uniform", "--wait", expect=1).output
    assert "--wait goes with --batch" in run("code", "--coder", "openai/gpt-4o-mini", "--wait", expect=1).output
    result = run(*batch_args(server), "--max-cost", "1", expect=1)
    assert "--max-cost cannot stop a batch job" in result.output and "--dry-run" in result.output
    assert not db.exists() and server.seen == {}


def test_code_batch_codes_every_open_answer_once(db, run, server):
    run(*batch_args(server, 6), "--task", "open", "--wait")
    answers = query(db, "select count(*) from llm_responses where status = 'valid' and task = 'open'")[0][0]
    assert answers == 12
    collected = dict(server.batch_lines)  # custom_id is the answer's key in both kinds of job
    server.batch_polls = 1
    server.batch_failures = 0.3
    code = ["code", "--coder", "openai/gpt-4o-mini", "--api-base", server.url, "--batch", "--poll-interval", "0.05"]
    first = run(*code)
    assert "12 submitted in 1 new jobs" in first.output and "Run the same command again" in first.output
    assert query(db, "select count(*) from codes") == [(0,)]
    assert "0 submitted in 0 new jobs" in run(*code).output  # the job is alive: not submitted again
    run(*code, "--wait")
    coded = query(db, "select response_id, count(*) = count(distinct dimension), bool_or(status = 'error') "
                      "from codes group by 1")
    assert len(coded) == 12 and {once for _, once, _ in coded} == {True}
    failed = {rid for rid, _, _ in coded if server._fails(rid)}
    assert 0 < len(failed) < 12
    assert {rid for rid, _, error in coded if error} == failed
    assert query(db, "select count(*) from codes where status = 'valid'")[0][0] > 0
    server.batch_failures = 0.0
    report = json.loads(run(*code, "--retry-errors", "--wait", "--json").output)
    assert report["submitted"] == len(failed)
    assert query(db, "select count(*) from codes where status = 'error'") == [(0,)]
    coding_lines = {rid: server.batch_lines[rid] - collected[rid] for rid, _, _ in coded}
    assert coding_lines == {rid: 2 if rid in failed else 1 for rid, _, _ in coded}


def test_unreadable_result_lines_are_stored_as_errors_and_retried(db, run, server, capfd):
    def tamper(kind, rows):
        rows[0]["response"] = "oops"
        rows[1]["response"]["body"]["choices"][0]["message"] = "a string"
        return _jsonl(rows[:2]) + b"this is not json\n" + _jsonl(rows[3:]) + b"[1, 2]\n"

    server.batch_tamper = tamper
    result = run(*batch_args(server, 3), "--wait")
    assert "2 lines are not a JSON result object (line 3, 7)" in result.output and "Warning: batch job" in result.output
    rows = stored(db)
    assert len(rows) == 6 and sorted(rows.values()).count("error") == 3
    errors = [e for (e,) in query(db, "select error from llm_responses where status = 'error' order by 1")]
    assert any("response is not an object" in e for e in errors)
    assert any("message that is not an object" in e for e in errors)
    assert any("no result for this request" in e and "not a JSON result object" in e for e in errors)
    assert query(db, "select count(*) from batches where stored_at is null") == [(0,)]
    server.batch_tamper = None
    again = json.loads(run(*batch_args(server, 3), "--retry-errors", "--wait", "--json").output)
    assert again["submitted"] == 3 and again["warnings"] == [] and set(stored(db).values()) == {"valid"}
    assert "Traceback" not in capfd.readouterr().err


def test_a_result_file_gone_stores_its_requests_as_errors_without_a_traceback(db, run, server, capfd):
    server.batch_failures = 0.3
    server.batch_tamper = lambda kind, rows: None if kind == "output" else _jsonl(rows)
    result = run(*batch_args(server, 5), "--wait")
    assert "could not be downloaded" in result.output and "404" in result.output
    rows = stored(db)
    assert len(rows) == 10 and set(rows.values()) == {"error"}
    server.batch_tamper = None
    server.batch_failures = 0.0
    other = run("collect", "--model", "openai/gpt-4o", "--api-base", server.url, "--trials", "2", "--batch",
                "--poll-interval", "0.05", "--wait")  # a later run, of any model, is not blocked
    assert "Warning: batch job" not in other.output and "Warning: --trials 2 is fewer" in other.output
    run(*batch_args(server, 5), "--retry-errors", "--wait")
    assert set(stored(db).values()) == {"valid"} and len(stored(db)) == 14
    assert "Traceback" not in capfd.readouterr().err


def test_repeated_and_unknown_result_lines_are_stored_by_one_rule_with_a_warning(db, run, server):
    seen = {}

    def tamper(kind, rows):
        if kind == "output":
            seen["output"] = rows
            changed = json.loads(json.dumps(rows[1]))
            changed["response"]["body"]["choices"][0]["message"]["content"] = "DUPLICATE ANSWER"
            unknown = {**rows[0], "custom_id": "not-a-trial"}
            return _jsonl([*rows, rows[0], changed, unknown])
        overriding = {"custom_id": seen["output"][2]["custom_id"], "response": None,
                      "error": {"code": "server_error", "message": "late error"}}
        return _jsonl([overriding, *rows, seen["output"][0]])

    server.batch_failures = 0.3
    server.batch_tamper = tamper
    report = json.loads(run(*batch_args(server, 10), "--wait", "--json").output)
    (warning,) = report["warnings"]
    assert "batch_1" in warning and "3 requests have more than one result line" in warning
    assert "1 result line names requests the job never had" in warning and "not-a-trial" in warning
    rows = stored(db)
    assert len(rows) == 20 and "not-a-trial" not in rows
    first, changed, overridden = (r["custom_id"] for r in seen["output"][:3])
    assert rows[first] == "valid" and rows[overridden] == "valid" and rows[changed] == "error"
    (error,) = query(db, "select error from llm_responses where response_id = ?", changed)[0]
    assert "conflicting_results" in error
    assert query(db, "select count(*) from llm_responses where raw_text like '%DUPLICATE%'") == [(0,)]
    failed = {rid for rid in server.batch_lines if server._fails(rid)}
    assert {rid for rid, status in rows.items() if status == "error"} == failed | {changed}


def test_a_live_collect_skips_the_trials_in_a_running_batch_job(db, run, server):
    server.batch_polls = 3
    run(*batch_args(server, 5))
    live = ["collect", "--model", "openai/gpt-4o-mini", "--api-base", server.url, "--trials", "6"]
    estimate = json.loads(run(*live, "--dry-run", "--json").output)
    assert estimate["per_model"]["openai/gpt-4o-mini"]["calls"] == 2
    result = run(*live)
    assert "10 trials not called: they are in batch jobs" in result.output
    assert sum(server.requests.values()) == 2  # only the two trials no job holds were called live
    report = json.loads(run(*batch_args(server, 5), "--wait", "--json").output)
    assert report["stored"] == 10 and len(stored(db)) == 12 and set(stored(db).values()) == {"valid"}
    assert json.loads(run(*live, "--json").output)["in_batch"] == 0


def test_a_result_file_over_the_size_limit_is_not_downloaded_and_its_requests_are_errors(db, run, server,
                                                                                       monkeypatch):
    from papers.collect import batches

    monkeypatch.setattr(batches, "MAX_RESULT_BYTES", 2000)
    report = json.loads(run(*batch_args(server, 10), "--wait", "--json").output)
    assert "more than papers reads (2,000); submit smaller jobs with --batch-size" in report["warnings"][0]
    assert server.seen["content"] == 0 and set(stored(db).values()) == {"error"}
    monkeypatch.setattr(batches, "MAX_RESULT_BYTES", 2**30)
    again = json.loads(run(*batch_args(server, 10), "--retry-errors", "--batch-size", "5", "--wait", "--json").output)
    assert again["jobs_submitted"] == 4 and set(stored(db).values()) == {"valid"}


def test_a_job_the_provider_no_longer_knows_blocks_no_other_run(db, run, server, capfd):
    server.batch_polls = 5
    run(*batch_args(server, 2))
    server.batches["forgotten"] = server.batches.pop("batch_1")  # a 404 for the job from now on
    other = run("collect", "--model", "openai/gpt-4o", "--api-base", server.url, "--trials", "2", "--batch",
                "--poll-interval", "0.05", "--wait")
    assert "Warning: checking batch job batch_1: the provider refused or failed" in other.output
    assert query(db, "select model, status from llm_responses group by all") == [("openai/gpt-4o", "valid")]
    again = run(*batch_args(server, 2), "--wait")  # its trials are not submitted twice meanwhile
    assert "0 requests submitted in 0 new jobs" in again.output and "batch_1" in again.output
    assert "Traceback" not in capfd.readouterr().err


# ------------------------------------------------------------------------------------ killed runs


def killed_then_resumed(db, tmp_path, server, hold: str, waits_for: str):
    """Start `collect --batch` as a process, SIGKILL it while the server holds `hold`, run it
    again with --wait, and check every trial is stored once and none was submitted twice."""
    env = {**os.environ, "OPENAI_API_KEY": KEY, "PAPERS_DB": str(db)}
    args = [sys.executable, "-m", "papers.cli", *batch_args(server, 30), "--batch-size", "25", "--json"]
    server.hold[hold] = 60
    proc = subprocess.Popen(args, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while server.seen[waits_for] < 1 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    server.hold.clear()
    done = subprocess.run([*args, "--wait"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert query(db, "select count(*), count(distinct response_id) from llm_responses") == [(60, 60)]
    assert set(stored(db).values()) == {"valid"}
    assert len(server.batch_lines) == 60 and set(server.batch_lines.values()) == {1}
    assert query(db, "select count(*) from batches where stored_at is null") == [(0,)]
    return json.loads(done.stdout)


@pytest.mark.slow
def test_killed_during_upload(db, tmp_path, server):
    killed_then_resumed(db, tmp_path, server, "upload", "upload")
    assert query(db, "select count(*) from batches")[0][0] == 3


@pytest.mark.slow
def test_killed_after_submission_before_the_job_id_is_written(db, tmp_path, server):
    report = killed_then_resumed(db, tmp_path, server, "create", "create")
    assert report["jobs_submitted"] == 2 and len(server.batches) == 3  # the job killed in creation is adopted


@pytest.mark.slow
def test_killed_mid_download(db, tmp_path, server):
    report = killed_then_resumed(db, tmp_path, server, "content", "content")
    assert report["submitted"] == 0 and report["stored"] > 0
