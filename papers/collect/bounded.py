"""Every HTTP response a model call reads is bounded: at most MAX_BODY_BYTES once decompressed, and
read before the call's deadline (README, Guarantees).

httpx and httpx2 (the clients litellm makes, itself and through the openai SDK) read a whole
body into memory and decompress it with no limit: a 400 KB gzip body that unpacks to 400 MB is read
whole, and a fast endless stream until memory runs out, whatever the deadline. While `reading` is
active in a task (a context variable: only the calls of calls.complete are bounded, never a batch
file's download), each response's body is decompressed here, a piece at a time with zlib's
`max_length`, counted, and cut at the cap or the deadline; the client then sees a plain body. Both
libraries' `AsyncClient.send` is wrapped once per process (`install`), since neither lets a caller
hook the body of clients it does not make, and litellm makes its own. The fast path (fast.py)
reads its aiohttp bodies through `read_body`, with the same pieces and counts.
"""

from __future__ import annotations

import contextlib
import contextvars
import importlib
import time
import zlib
from dataclasses import dataclass

from papers.limits import MAX_BODY_BYTES

PIECE = 2**16  # bytes decompressed at a time: a bomb never unpacks more than this past the cap
ENCODINGS = ("gzip", "x-gzip", "deflate")  # asked for, and read; any other is refused
LIBRARIES = ("httpx", "httpx2")


class AnswerTooLarge(Exception):
    """An answer, or the HTTP response it came in, beyond papers' caps (papers.limits)."""


class PastDeadline(Exception):
    """The response was still arriving when the call's deadline passed."""


class UnreadableBody(Exception):
    """A body in an encoding papers does not read, or whose compressed data is damaged."""


@dataclass
class Budget:
    """What one call may read: bytes up to `limit`, until `deadline` (time.monotonic()). The first
    limit passed is kept as `error`, however the client library wraps what it raised."""

    deadline: float
    limit: int = MAX_BODY_BYTES
    read: int = 0
    error: Exception | None = None

    def take(self, size: int) -> None:
        self.read += size
        if self.read > self.limit:
            self.fail(AnswerTooLarge(f"the server's response passed {self.limit / 2**20:g} MiB once decompressed, "
                                     "papers' cap for one response; none of it is kept"))
        if time.monotonic() > self.deadline:
            self.fail(PastDeadline("the response was still arriving at the deadline"))

    def fail(self, error: Exception):
        self.error = error
        raise error


_BUDGET: contextvars.ContextVar[Budget | None] = contextvars.ContextVar("papers_response_budget", default=None)


@contextlib.contextmanager
def reading(budget: Budget):
    """Bound every response read by this task (and the tasks it starts) to `budget`."""
    install()
    token = _BUDGET.set(budget)
    try:
        yield budget
    finally:
        _BUDGET.reset(token)


def install() -> None:
    """Wrap httpx's and httpx2's AsyncClient.send, once per process (a no-op without a budget)."""
    for name in LIBRARIES:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        if not getattr(module.AsyncClient.send, "papers_bounded", False):
            module.AsyncClient.send = _bounded_send(module.AsyncClient.send, module)


def _bounded_send(send, module):
    stream_class = type("BoundedStream", (_Bounded, module.AsyncByteStream), {})

    async def bounded_send(self, request, *, stream: bool = False, **kwargs):
        budget = _BUDGET.get()
        if budget is None:
            return await send(self, request, stream=stream, **kwargs)
        request.headers["Accept-Encoding"] = "gzip, deflate"
        response = await send(self, request, stream=True, **kwargs)
        encoding = response.headers.get("content-encoding", "").strip().lower()
        response.stream = stream_class(response.stream, encoding, budget)
        response.headers.pop("content-encoding", None)  # decoded here: the client reads plain bytes
        if not stream:
            try:
                await response.aread()
            except BaseException:
                await response.aclose()
                raise
        return response

    bounded_send.papers_bounded = True
    return bounded_send


class _Bounded:
    """A response body decompressed and counted a piece at a time (mixed into each library's
    AsyncByteStream, which the client checks for)."""

    def __init__(self, raw, encoding: str, budget: Budget):
        self.raw, self.encoding, self.budget = raw, encoding if encoding != "identity" else "", budget
        # MAX_WBITS | 32: a gzip or a zlib header, read from the data itself
        self.inflater = zlib.decompressobj(zlib.MAX_WBITS | 32) if self.encoding else None

    async def __aiter__(self):
        self.check_encoding()
        async for chunk in self.raw:
            for piece in self._pieces(chunk):
                self.budget.take(len(piece))
                yield piece
        self.budget.take(0)

    def check_encoding(self) -> None:
        if self.encoding and self.encoding not in ENCODINGS:
            self.budget.fail(UnreadableBody(f"the server's response is encoded as '{self.encoding[:40]}', which "
                                            "papers does not read"))

    def _pieces(self, chunk: bytes):
        if self.inflater is None:
            yield chunk
            return
        data = chunk
        while not self.inflater.eof:
            try:
                piece = self.inflater.decompress(data, PIECE)
            except zlib.error:
                self.budget.fail(UnreadableBody(f"the server's {self.encoding} data is damaged"))
            if piece:
                yield piece
            data = self.inflater.unconsumed_tail
            if not data and len(piece) < PIECE:  # a full piece may leave output pending: ask again
                break

    async def aclose(self) -> None:
        await self.raw.aclose()


async def read_body(chunks, encoding: str, budget: Budget) -> bytes:
    """A whole body from an async iterator of its raw chunks (the fast path's aiohttp response),
    decompressed and counted a piece at a time as the libraries' bodies are above."""
    body = _Bounded(None, encoding.strip().lower(), budget)
    body.check_encoding()
    pieces = []
    async for chunk in chunks:
        for piece in body._pieces(chunk):
            budget.take(len(piece))
            pieces.append(piece)
    budget.take(0)
    return b"".join(pieces)
