"""A local stand-in for an OpenAI-compatible chat-completions server, with injectable faults.

    server = FakeOpenAI(latency=0.1, faults={"429": 0.1, "500": 0.05}).start()
    ... litellm.acompletion(model="openai/fake", api_base=server.url, api_key="x", ...)
    server.stop()

It listens on 127.0.0.1 only. Each request is answered like a compliant model: the dimensions
listed in the prompt (`- KEY: Name.` lines) ranked in a fixed order, or rated, as JSON; a prompt
of another variant is answered in the format it asks for (`variant_answer`). Faults
are drawn per request from a seeded generator, at most `max_faults_per_trial` times for the same
trial (model + seed + prompt), so that retries end in an answer unless that limit is raised:

- "429": status 429 with a Retry-After header (`retry_after` seconds)
- "500": status 500 with an error body
- "slow": an answer delayed by `slow_seconds` (past the client's timeout)
- "drop": the connection closed without an answer
- "malformed": status 200 with a body that is not JSON

Hostile behaviours, each for every request (the server is an input too):

- `echo_auth="answer" | "model" | "error" | "refused"`: the Authorization header echoed into the
  answer, the reported model name, a 500 error body, or a 401 error body
- `retry_after_header="soon"`: a 429 whose Retry-After is this exact text (with the "429" fault)
- `drip=0.5`: the answer's bytes sent one at a time, this many seconds apart
- `empty_choices=True`: status 200 with `choices: []`
- `usage={...}`: this usage object in every answer (e.g. 3e9 prompt tokens)

`requests` counts every request per trial key, so tests can prove no stored trial was asked twice.
`auth_seen` lists the Authorization header of every request (chat and batch API alike), and
`require_key="sk-..."` makes the server answer 401 to any request without `Bearer <that key>`.
Run it as a process (`python tests/openai_server.py PORT LATENCY`) for benchmarks.

It is also a provider's batch API (`/v1/files`, `/v1/batches`, a batch's retrieval, a file's
content), answering each request of a batch like a chat call, with its own faults, set as attributes
after construction:

- `batch_polls`: retrievals a batch stays `in_progress` before it ends (a slow batch)
- `batch_failures`: the share of a batch's requests answered with status 500 in its error file
  (drawn by custom_id, so the same request fails again when resubmitted unless the share changes)
- `batch_expire`: a batch ends `expired` with only the first half of its requests answered
- `hold`: {"upload" | "create" | "content": seconds} a pause before answering that request (ended
  early when the entry is removed), and `seen` the requests of each kind that arrived (kill tests
  stop the client while it waits)

`batch_lines` counts every custom_id per batch created, so tests can prove no trial was submitted twice.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import re
import sys
import threading
import time
from collections import Counter

from aiohttp import web

LINE_RE = re.compile(r"^(?:-|\d+\.) ([A-Za-z][A-Za-z0-9]*): ", re.MULTILINE)
ITEM_RE = re.compile(r"^\d+\. (.+)$", re.MULTILINE)


def variant_answer(prompt: str) -> str | None:
    """The answer to a prompt that asks for another format than JSON by key (an instrument variant,
    in papers.formats' words): the items in the order listed, each rated 7, 6, 5 ... 1, 7 ...; for a
    dilemma, action A; None for any other prompt."""
    items = [text.split(":", 1)[0] if ":" in text else text for text in ITEM_RE.findall(prompt)]
    ratings = [7 - i % 7 for i in range(len(items))]
    if "the numbers of the items only" in prompt:
        return ", ".join(str(i) for i in range(1, len(items) + 1))
    if "your ratings only, as numbers" in prompt:
        return ", ".join(map(str, ratings))
    if "the names of the items only, one per line" in prompt:
        return "\n".join(items)
    if "its name, a colon, and your rating" in prompt:
        return "\n".join(f"{name}: {r}" for name, r in zip(items, ratings))
    if '{"ranking": ["name"' in prompt:
        return json.dumps({"ranking": items})
    if '{"ratings": {"name"' in prompt:
        return json.dumps({"ratings": dict(zip(items, ratings))})
    if "the letter of the action you take (A or B) on the first line" in prompt:  # a dilemma: always the first
        return "A\nIt is the first of the two actions."
    if '{"choice": "A", "reason": "..."}' in prompt:
        return json.dumps({"choice": "A", "reason": "It is the first of the two actions."})
    return None


def trial_key(body: dict) -> str:
    messages = json.dumps(body.get("messages"), sort_keys=True)
    return hashlib.sha256(f"{body.get('model')}|{body.get('seed')}|{messages}".encode()).hexdigest()[:16]


class FakeOpenAI:
    def __init__(self, latency: float = 0.0, faults: dict[str, float] | None = None, seed: int = 1,
                 max_faults_per_trial: int = 2, retry_after: float = 0.2, slow_seconds: float = 5.0,
                 port: int = 0, answer: str | None = None, status: int | None = None,
                 echo_auth: str | None = None, retry_after_header: str | None = None, drip: float | None = None,
                 empty_choices: bool = False, usage: dict | None = None, require_key: str | None = None):
        self.latency = latency
        self.faults = faults or {}
        self.rng = random.Random(seed)
        self.max_faults = max_faults_per_trial
        self.retry_after = retry_after
        self.slow_seconds = slow_seconds
        self.port = port
        self.fixed_answer = answer
        self.status = status
        self.echo_auth = echo_auth
        self.retry_after_header = retry_after_header
        self.drip = drip
        self.empty_choices = empty_choices
        self.usage = usage
        self.require_key = require_key
        self.auth_seen: list[str] = []
        self.times: dict[str, list[float]] = {}
        self.requests: Counter = Counter()
        self.faults_served: Counter = Counter()
        self.fault_log: list[tuple[str, str]] = []
        self.total = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self.files: dict[str, bytes] = {}
        self.batches: dict[str, dict] = {}
        self.batch_lines: Counter = Counter()
        self.batch_polls = 0
        self.batch_failures = 0.0
        self.batch_expire = False
        # batch_tamper(kind, rows) -> bytes | None: a job's "output" or "errors" file as served
        # (None: the job names the file, but it is gone)
        self.batch_tamper = None
        self.hold: dict[str, float] = {}
        self.seen: Counter = Counter()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def app(self) -> web.Application:
        app = web.Application(client_max_size=256 * 2**20, middlewares=[self._auth])  # batch files are large
        app.router.add_post("/v1/chat/completions", self.handle)
        app.router.add_post("/chat/completions", self.handle)
        app.router.add_post("/v1/files", self.upload)
        app.router.add_get("/v1/files/{file_id}", self.file_object)
        app.router.add_get("/v1/files/{file_id}/content", self.file_content)
        app.router.add_post("/v1/batches", self.create_batch)
        app.router.add_get("/v1/batches", self.list_batches)
        app.router.add_get("/v1/batches/{batch_id}", self.retrieve_batch)
        return app

    @web.middleware
    async def _auth(self, request: web.Request, handler):
        """Every request's Authorization header kept; with require_key, a wrong or missing key is a 401."""
        auth = request.headers.get("Authorization", "")
        self.auth_seen.append(auth)
        if self.require_key is not None and auth != f"Bearer {self.require_key}":
            return web.json_response({"error": {"message": "Incorrect API key provided.", "type": "invalid_request_error",
                                                 "code": "invalid_api_key"}}, status=401)
        return await handler(request)

    # ------------------------------------------------------------------ the batch API

    async def _held(self, kind: str) -> None:
        """Count the request; pause while `hold[kind]` is set, up to that many seconds."""
        self.seen[kind] += 1
        end = time.monotonic() + self.hold.get(kind, 0)
        while self.hold.get(kind) and time.monotonic() < end:
            await asyncio.sleep(0.02)

    def _file(self, file_id: str, data: bytes, purpose: str) -> dict:
        self.files[file_id] = data
        return {"id": file_id, "object": "file", "bytes": len(data), "created_at": int(time.time()),
                "filename": f"{file_id}.jsonl", "purpose": purpose, "status": "processed"}

    async def upload(self, request: web.Request) -> web.Response:
        form = await request.post()
        await self._held("upload")
        data = form["file"].file.read()
        return web.json_response(self._file(f"file-{len(self.files) + 1}", data, str(form.get("purpose", "batch"))))

    async def file_object(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        if file_id not in self.files:
            return web.json_response({"error": {"message": "no such file", "type": "invalid_request_error"}}, status=404)
        return web.json_response({"id": file_id, "object": "file", "bytes": len(self.files[file_id]),
                                  "created_at": 0, "filename": f"{file_id}.jsonl", "purpose": "batch"})

    async def file_content(self, request: web.Request) -> web.StreamResponse:
        file_id = request.match_info["file_id"]
        if file_id not in self.files:
            return web.json_response({"error": {"message": "no such file", "type": "invalid_request_error"}}, status=404)
        data = self.files[file_id]
        if not self.hold.get("content"):
            self.seen["content"] += 1
            return web.Response(body=data, content_type="application/octet-stream")
        response = web.StreamResponse(headers={"Content-Type": "application/octet-stream"})
        response.content_length = len(data)
        await response.prepare(request)
        await response.write(data[:len(data) // 2])  # half the file, then the pause
        await self._held("content")
        await response.write(data[len(data) // 2:])
        await response.write_eof()
        return response

    async def create_batch(self, request: web.Request) -> web.Response:
        body = await request.json()
        file_id = body.get("input_file_id")
        if file_id not in self.files:
            return web.json_response({"error": {"message": "no such file", "type": "invalid_request_error"}}, status=400)
        batch_id = f"batch_{len(self.batches) + 1}"
        lines = [json.loads(line) for line in self.files[file_id].decode().splitlines() if line.strip()]
        for line in lines:
            self.batch_lines[line["custom_id"]] += 1
        self.batches[batch_id] = {
            "id": batch_id, "object": "batch", "endpoint": body.get("endpoint"), "errors": None,
            "input_file_id": file_id, "completion_window": body.get("completion_window", "24h"),
            "status": "validating", "output_file_id": None, "error_file_id": None, "created_at": int(time.time()),
            "metadata": body.get("metadata"), "polls": 0, "lines": lines,
            "request_counts": {"total": len(lines), "completed": 0, "failed": 0}}
        await self._held("create")
        return web.json_response(self._batch_object(batch_id))

    def _batch_object(self, batch_id: str) -> dict:
        return {k: v for k, v in self.batches[batch_id].items() if k not in ("polls", "lines")}

    async def list_batches(self, request: web.Request) -> web.Response:
        data = [self._batch_object(b) for b in reversed(list(self.batches))]
        return web.json_response({"object": "list", "data": data, "has_more": False,
                                  "first_id": data[0]["id"] if data else None, "last_id": data[-1]["id"] if data else None})

    async def retrieve_batch(self, request: web.Request) -> web.Response:
        batch_id = request.match_info["batch_id"]
        batch = self.batches.get(batch_id)
        if batch is None:
            return web.json_response({"error": {"message": "no such batch", "type": "invalid_request_error"}}, status=404)
        self.seen["retrieve"] += 1
        if batch["status"] in ("validating", "in_progress"):
            batch["polls"] += 1
            batch["status"] = "in_progress"
            if batch["polls"] > self.batch_polls:
                self._finish(batch)
        return web.json_response(self._batch_object(batch_id))

    def _finish(self, batch: dict) -> None:
        """Answer every request of the batch (or, expired, the first half), into its two files."""
        lines = batch["lines"]
        answered = lines[:len(lines) // 2] if self.batch_expire else lines
        output, errors = [], []
        for i, line in enumerate(lines):
            custom_id = line["custom_id"]
            if i >= len(answered):
                errors.append({"id": f"batch_req_{i}", "custom_id": custom_id, "response": None,
                               "error": {"code": "batch_expired", "message": "This request could not be executed "
                                                                              "before the completion window expired."}})
            elif self._fails(custom_id):
                errors.append({"id": f"batch_req_{i}", "custom_id": custom_id, "error": None, "response": {
                    "status_code": 500, "request_id": f"req_{i}",
                    "body": {"error": {"message": "internal error", "type": "server_error"}}}})
            else:
                self.total += 1
                output.append({"id": f"batch_req_{i}", "custom_id": custom_id, "error": None, "response": {
                    "status_code": 200, "request_id": f"req_{i}", "body": self._completion(line["body"])}})
        number = len(self.files)
        for kind, rows, file_id in (("output", output, f"file-{number + 1}"), ("errors", errors, f"file-{number + 2}")):
            if rows:
                data = _jsonl(rows) if self.batch_tamper is None else self.batch_tamper(kind, rows)
                if data is None:
                    file_id = f"gone-{file_id}"
                else:
                    self._file(file_id, data, "batch_output")
                batch["output_file_id" if kind == "output" else "error_file_id"] = file_id
        batch["status"] = "expired" if self.batch_expire else "completed"
        batch["request_counts"] = {"total": len(lines), "completed": len(output), "failed": len(errors)}
        del batch["lines"]

    def _fails(self, custom_id: str) -> bool:
        roll = int(hashlib.sha256(custom_id.encode()).hexdigest()[:8], 16) / 2**32
        return roll < self.batch_failures

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        key = trial_key(body)
        self.requests[key] += 1
        self.times.setdefault(key, []).append(time.monotonic())
        self.total += 1
        auth = request.headers.get("Authorization", "")
        if self.status is not None:
            return web.json_response({"error": {"message": "refused", "type": "invalid_request_error"}}, status=self.status)
        if self.echo_auth in ("error", "refused"):
            return web.json_response({"error": {"message": f"bad credentials: {auth}", "type": "server_error"}},
                                     status=500 if self.echo_auth == "error" else 401)
        fault = self._draw_fault(key)
        if fault:
            self.faults_served[key] += 1
            self.fault_log.append((key, fault))
        if fault == "429":
            header = f"{self.retry_after:g}" if self.retry_after_header is None else self.retry_after_header
            return web.json_response({"error": {"message": "rate limited", "type": "rate_limit_error"}}, status=429,
                                     headers={"Retry-After": header})
        if fault == "500":
            return web.json_response({"error": {"message": "internal error", "type": "server_error"}}, status=500)
        if fault == "drop":
            request.transport.close()
            raise asyncio.CancelledError()
        await asyncio.sleep(self.slow_seconds if fault == "slow" else self.latency)
        if fault == "malformed":
            return web.Response(text='{"id": "x", "choices": [', content_type="application/json")
        completion = self._completion(body, auth)
        if self.drip is not None:
            return await self._dripped(request, json.dumps(completion).encode())
        return web.json_response(completion)

    async def _dripped(self, request: web.Request, data: bytes) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.content_length = len(data)
        await response.prepare(request)
        for i in range(len(data)):
            await response.write(data[i:i + 1])
            await asyncio.sleep(self.drip)
        await response.write_eof()
        return response

    def _draw_fault(self, key: str) -> str | None:
        if not self.faults or self.faults_served[key] >= self.max_faults:
            return None
        roll = self.rng.random()
        for name, share in self.faults.items():
            if roll < share:
                return name
            roll -= share
        return None

    def _completion(self, body: dict, auth: str = "") -> dict:
        prompt = "\n".join(str(m.get("content", "")) for m in body.get("messages", []))
        keys = LINE_RE.findall(prompt)
        if self.echo_auth == "answer":
            text = f"Your header was {auth}. " + json.dumps({"ranking": sorted(keys), "ratings": {
                k: 4 for k in keys}})
        elif self.fixed_answer is not None:
            text = self.fixed_answer
        elif '"codes"' in prompt and "<answer>" in prompt:
            themes = LINE_RE.findall(prompt.split("<answer>", 1)[0])
            text = json.dumps({"codes": {k: {"present": False, "evidence": ""} for k in themes}})
        elif (answer := variant_answer(prompt)) is not None:
            text = answer
        elif '"ratings"' in prompt:
            text = json.dumps({"ratings": {k: 7 - i % 7 for i, k in enumerate(sorted(keys))}})
        elif '"ranking"' in prompt:
            text = json.dumps({"ranking": sorted(keys)})
        else:
            text = "Flourishing means being honest and helpful."
        model = f"{body.get('model')}-2026-11-01" + (f" ({auth})" if self.echo_auth == "model" else "")
        choices = [] if self.empty_choices else [
            {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}]
        return {
            "id": f"chatcmpl-{self.total}", "object": "chat.completion", "created": int(time.time()),
            "model": model, "choices": choices,
            "usage": self.usage or {"prompt_tokens": len(prompt) // 4, "completion_tokens": len(text) // 4,
                                    "total_tokens": (len(prompt) + len(text)) // 4},
        }

    def start(self) -> FakeOpenAI:
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the fake server did not start")
        return self

    def _serve(self) -> None:
        self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self._loop)
        self._runner = web.AppRunner(self.app(), access_log=None)
        self._loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", self.port, backlog=1024)
        self._loop.run_until_complete(site.start())
        self.port = site._server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    def stop(self) -> None:
        if self._loop is None:
            return
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


def _jsonl(rows: list[dict]) -> bytes:
    return "".join(json.dumps(row) + "\n" for row in rows).encode()


if __name__ == "__main__":
    port, latency = int(sys.argv[1]), float(sys.argv[2])
    server = FakeOpenAI(latency=latency, port=port)
    web.run_app(server.app(), host="127.0.0.1", port=port, access_log=None, print=None)
