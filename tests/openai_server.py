"""A local stand-in for an OpenAI-compatible chat-completions server, with injectable faults.

    server = FakeOpenAI(latency=0.1, faults={"429": 0.1, "500": 0.05}).start()
    ... litellm.acompletion(model="openai/fake", api_base=server.url, api_key="x", ...)
    server.stop()

It listens on 127.0.0.1 only. Each request is answered like a compliant model: the dimensions
listed in the prompt (`- KEY: Name.` lines) ranked in a fixed order, or rated, as JSON. Faults
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
Run it as a process (`python tests/openai_server.py PORT LATENCY`) for benchmarks.
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


def trial_key(body: dict) -> str:
    messages = json.dumps(body.get("messages"), sort_keys=True)
    return hashlib.sha256(f"{body.get('model')}|{body.get('seed')}|{messages}".encode()).hexdigest()[:16]


class FakeOpenAI:
    def __init__(self, latency: float = 0.0, faults: dict[str, float] | None = None, seed: int = 1,
                 max_faults_per_trial: int = 2, retry_after: float = 0.2, slow_seconds: float = 5.0,
                 port: int = 0, answer: str | None = None, status: int | None = None,
                 echo_auth: str | None = None, retry_after_header: str | None = None, drip: float | None = None,
                 empty_choices: bool = False, usage: dict | None = None):
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
        self.times: dict[str, list[float]] = {}
        self.requests: Counter = Counter()
        self.faults_served: Counter = Counter()
        self.fault_log: list[tuple[str, str]] = []
        self.total = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self.handle)
        app.router.add_post("/chat/completions", self.handle)
        return app

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


if __name__ == "__main__":
    port, latency = int(sys.argv[1]), float(sys.argv[2])
    server = FakeOpenAI(latency=latency, port=port)
    web.run_app(server.app(), host="127.0.0.1", port=port, access_log=None, print=None)
