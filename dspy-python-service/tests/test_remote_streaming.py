"""Output fields of ``dspy.LM`` models stream as chunks (dspy.streamify + stream listeners), through LiteLLM and DSPy's
native engine, against a local OpenAI-compatible server that streams Server-Sent Events on a loopback port."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import dspy
import grpc
import pytest

from dspy_service.config import LMSettings, Settings
from dspy_service.lm.provider import ConfiguredLMProvider, ResolvedLM
from dspy_service.streaming import ChunkAssembler
from dspysuite.dspy.v1 import dspy_service_pb2 as pb
from tests.conftest import serve_stub
from tests.helpers import collect, error_info, request

MODEL = "openai/stand-in"
REASONING = "France's capital city is Paris, on the Seine."
ANSWER = "Paris"
ANSWER_TEXT = f"[[ ## reasoning ## ]]\n{REASONING}\n\n[[ ## answer ## ]]\n{ANSWER}\n\n[[ ## completed ## ]]"


@dataclass
class Reply:
    """What the stand-in does with one request.

    ``kind``: ``stream`` (SSE deltas of ``text``, ``size`` characters each), ``status`` (an HTTP error ``code`` before
    any stream), ``event`` (streams ``cut`` characters, then an OpenAI error event with ``code``), ``drop`` (streams
    ``cut`` characters, then closes the connection). ``hold`` pauses the stream after that many characters until
    ``release`` is set; ``delay`` sleeps between deltas.
    """

    kind: str = "stream"
    text: str = ANSWER_TEXT
    size: int = 3
    code: int = 200
    cut: int = 0
    hold: int | None = None
    delay: float = 0.0
    release: threading.Event = field(default_factory=threading.Event)
    sent: int = 0
    finished: bool = False
    aborted: bool = False
    ended: threading.Event = field(default_factory=threading.Event)


class StandIn(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("content-length") or 0)) or b"{}")
        self.server.requests.append(body)
        reply: Reply = self.server.replies.pop(0) if self.server.replies else Reply()
        self.server.served.append(reply)
        if reply.kind == "status":
            self._json(reply.code, {"error": {"message": "try later", "type": "server_error", "code": str(reply.code)}})
            return
        if not body.get("stream"):
            self._json(200, _completion(reply.text))
            return
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("connection", "close")
        self.end_headers()
        end = reply.cut if reply.kind in ("event", "drop") else len(reply.text)
        try:
            for start in range(0, end, reply.size):
                if reply.hold is not None and start >= reply.hold and not reply.release.is_set():
                    reply.release.wait(10)
                self._event(_delta({"content": reply.text[start : min(start + reply.size, end)]}))
                reply.sent = min(start + reply.size, end)
                time.sleep(reply.delay)
            if reply.kind == "drop":
                return
            if reply.kind == "event":
                kind = "rate_limit_error" if reply.code == 429 else "server_error"
                self._event({"error": {"message": "failed mid-answer", "type": kind, "code": str(reply.code)}})
                return
            usage = {"prompt_tokens": 21, "completion_tokens": 13, "total_tokens": 34}
            self._event({**_delta({}, finish_reason="stop"), "usage": usage})
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()
            reply.finished = True
        except (BrokenPipeError, ConnectionResetError):
            reply.aborted = True
        finally:
            reply.ended.set()

    def _event(self, payload: dict[str, Any]) -> None:
        self.wfile.write(f"data: {json.dumps(payload)}\n\n".encode())
        self.wfile.flush()

    def _json(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


def _delta(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
    choice = {"index": 0, "delta": delta, "finish_reason": finish_reason}
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "stand-in",
        "choices": [choice],
    }


def _completion(content: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 0,
        "model": "stand-in",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 21, "completion_tokens": 13, "total_tokens": 34},
    }


@pytest.fixture
def stand_in() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
    server.daemon_threads = True
    server.requests, server.replies, server.served = [], [], []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    for reply in server.served:
        reply.release.set()
    server.shutdown()
    server.server_close()


def _lm_settings(server: ThreadingHTTPServer, engine: str) -> LMSettings:
    return LMSettings(
        default_model=MODEL,
        api_base=f"http://127.0.0.1:{server.server_address[1]}/v1",
        api_key="sk-test-key",
        timeout_seconds=10,
        engine=engine,
    )


# "litellm": LiteLLM's streaming client; "auto": DSPy's native engine, which it picks for an OpenAI-compatible endpoint.
@pytest.fixture(params=["litellm", "auto"])
def engine(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
async def stub(stand_in: ThreadingHTTPServer, engine: str) -> AsyncIterator[Any]:
    async with serve_stub(ConfiguredLMProvider(_lm_settings(stand_in, engine)), Settings(port=0, workers=4)) as s:
        yield s


def _joined(chunks: list[pb.ChunkUpdate]) -> dict[str, str]:
    joined: dict[str, str] = {}
    for chunk in chunks:
        joined[chunk.field] = joined.get(chunk.field, "") + chunk.text
    return joined


async def _collect_into(call: Any, updates: list[pb.ExecuteUpdate]) -> None:
    async for update in call:
        updates.append(update)


def _assert_field_order(chunks: list[pb.ChunkUpdate], fields: list[str]) -> None:
    """Fields in generation order, never interleaved, each closed by exactly one ``last`` chunk."""
    runs = [chunks[0].field] + [b.field for a, b in itertools.pairwise(chunks) if a.field != b.field]
    assert runs == fields
    assert [c.field for c in chunks if c.last] == fields
    for field_name in fields:
        assert [c.last for c in chunks if c.field == field_name][-1] is True


async def test_output_fields_stream_while_the_lm_generates(stub, stand_in) -> None:
    # The stand-in holds the rest of the answer back until the first chunk reached the client.
    reply = Reply(hold=30)
    stand_in.replies.append(reply)
    updates: list[pb.ExecuteUpdate] = []
    async for update in stub.Execute(request(module="chain_of_thought")):
        if update.WhichOneof("update") == "chunk" and not reply.release.is_set():
            assert not reply.finished
            assert reply.sent <= 30
            reply.release.set()
        updates.append(update)
    kinds = [u.WhichOneof("update") for u in updates]
    assert kinds[0] == "status"
    assert kinds[-1] == "result"
    assert set(kinds[1:-1]) == {"chunk"}
    chunks = [u.chunk for u in updates[1:-1]]
    assert len(chunks) > 10
    _assert_field_order(chunks, ["reasoning", "answer"])
    assert _joined(chunks) == {"reasoning": REASONING, "answer": ANSWER}
    assert all("[[" not in c.text and "##" not in c.text for c in chunks)
    result = updates[-1].result
    assert dict(result.outputs) == {"reasoning": REASONING, "answer": ANSWER}
    assert (result.usage.input_tokens, result.usage.output_tokens, result.usage.lm_calls) == (21, 13, 1)
    assert stand_in.requests[-1]["stream"] is True


async def test_the_unary_call_does_not_stream(stub, stand_in) -> None:
    result = await stub.Predict(request(module="chain_of_thought"))
    assert dict(result.outputs) == {"reasoning": REASONING, "answer": ANSWER}
    assert not stand_in.requests[-1].get("stream")


async def test_a_whole_answer_in_one_delta_still_arrives_as_chunks(stub, stand_in) -> None:
    # One delta holding whole fields: DSPy's listener takes it for a cache hit and yields nothing for them.
    stand_in.replies.append(Reply(size=len(ANSWER_TEXT)))
    updates = await collect(stub.Execute(request(module="chain_of_thought")))
    chunks = [u.chunk for u in updates if u.WhichOneof("update") == "chunk"]
    _assert_field_order(chunks, ["reasoning", "answer"])
    assert _joined(chunks) == {"reasoning": REASONING, "answer": ANSWER}
    assert updates[-1].WhichOneof("update") == "result"


@pytest.mark.parametrize(
    ("status", "code", "reason"),
    [(429, "RESOURCE_EXHAUSTED", "LM_RATE_LIMITED"), (500, "UNAVAILABLE", "LM_UNAVAILABLE")],
)
async def test_a_provider_error_on_a_later_streamed_call_keeps_its_reason(
    stub, stand_in, status: int, code: str, reason: str
) -> None:
    # The first streamed answer succeeds; the provider then answers the next one with an HTTP error.
    stand_in.replies += [Reply(), Reply(kind="status", code=status)]
    first = await collect(stub.Execute(request(module="chain_of_thought")))
    assert first[-1].WhichOneof("update") == "result"
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await collect(stub.Execute(request(module="chain_of_thought", task_id="task-2")))
    assert raised.value.code() == getattr(grpc.StatusCode, code)
    info = error_info(raised.value)
    assert (info.reason, info.metadata["retryable"]) == (reason, "true")
    assert "sk-test-key" not in (raised.value.details() or "")


@pytest.mark.parametrize("status", [429, 500])
async def test_an_error_event_mid_stream_fails_the_task_after_its_chunks(stub, stand_in, engine, status: int) -> None:
    stand_in.replies.append(Reply(kind="event", code=status, cut=len("[[ ## reasoning ## ]]\nFrance's capital")))
    updates: list[pb.ExecuteUpdate] = []
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await _collect_into(stub.Execute(request(module="chain_of_thought")), updates)
    kinds = [u.WhichOneof("update") for u in updates]
    assert kinds[0] == "status"
    assert "chunk" in kinds  # chunks arrived before the failure
    assert set(kinds[1:]) == {"chunk"}
    # DSPy's native engine keeps the provider's code; LiteLLM turns every mid-stream error into a 500-like
    # MidStreamFallbackError, so a rate limit inside a stream is only "unavailable" there (retryable either way).
    expected = "LM_RATE_LIMITED" if status == 429 and engine == "auto" else "LM_UNAVAILABLE"
    info = error_info(raised.value)
    assert (info.reason, info.metadata["retryable"]) == (expected, "true")


async def test_a_stream_cut_off_mid_answer_is_retryable(stub, stand_in, engine) -> None:
    stand_in.replies.append(Reply(kind="drop", cut=len("[[ ## reasoning ## ]]\nFrance's capital")))
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await collect(stub.Execute(request(module="chain_of_thought")))
    # DSPy's native engine sees the missing end of the stream; LiteLLM hands the truncated text to the adapter.
    expected = "LM_UNAVAILABLE" if engine == "auto" else "OUTPUT_PARSE_FAILED"
    info = error_info(raised.value)
    assert (info.reason, info.metadata["retryable"]) == (expected, "true")


async def test_cancelling_the_call_closes_the_lm_stream(stub, stand_in) -> None:
    reply = Reply(text=ANSWER_TEXT + " " * 4000, size=2, delay=0.02)  # about 40 s if read to its end
    stand_in.replies.append(reply)
    call = stub.Execute(request(module="chain_of_thought"))
    async for update in call:
        if update.WhichOneof("update") == "chunk":
            break
    call.cancel()
    assert await asyncio.to_thread(reply.ended.wait, 10)
    assert reply.aborted
    assert not reply.finished
    assert reply.sent < len(reply.text) // 4
    # The service goes on serving.
    stand_in.replies.append(Reply())
    assert (await stub.Predict(request(module="chain_of_thought"))).outputs["answer"] == ANSWER


class JSONAdapterProvider(ConfiguredLMProvider):
    """The configured LM with DSPy's JSONAdapter, whose fields DSPy's listeners cannot cut into values."""

    def resolve(self, model: str | None) -> ResolvedLM:
        return dataclasses.replace(super().resolve(model), adapter=dspy.JSONAdapter())


async def test_an_adapter_that_cannot_stream_answers_whole(stand_in) -> None:
    answer = json.dumps({"reasoning": REASONING, "answer": ANSWER})
    stand_in.replies.append(Reply(text=answer))
    async with serve_stub(JSONAdapterProvider(_lm_settings(stand_in, "litellm")), Settings(port=0, workers=2)) as s:
        updates = await collect(s.Execute(request(module="chain_of_thought")))
    assert [u.WhichOneof("update") for u in updates] == ["status", "result"]
    assert dict(updates[-1].result.outputs) == {"reasoning": REASONING, "answer": ANSWER}
    assert not stand_in.requests[-1].get("stream")


def test_chunk_assembler_closes_fields_in_order_and_completes_them() -> None:
    sent: list[tuple[str, str, bool]] = []
    assembler = ChunkAssembler(["reasoning", "answer", "confidence"], lambda f, t, last: sent.append((f, t, last)))
    assembler.add("reasoning", "Because", False)
    assembler.add("answer", "Pa", False)  # the listener never closed "reasoning"
    assembler.add("reasoning", " late", False)  # closed fields take no more text
    assembler.finish({"reasoning": "Because", "answer": "Paris", "confidence": 0.5})
    assert sent == [
        ("reasoning", "Because", False),
        ("reasoning", "", True),
        ("answer", "Pa", False),
        ("answer", "ris", True),
        ("confidence", "", True),
    ]


async def test_concurrent_streamed_tasks_each_get_their_own_chunks(stub, stand_in) -> None:
    # Each task streams on an event loop of its own worker thread; the LM clients must not be shared across loops.
    stand_in.replies += [Reply(delay=0.01) for _ in range(4)]
    calls = [collect(stub.Execute(request(module="chain_of_thought", task_id=f"task-{i}"))) for i in range(4)]
    for updates in await asyncio.gather(*calls):
        chunks = [u.chunk for u in updates if u.WhichOneof("update") == "chunk"]
        _assert_field_order(chunks, ["reasoning", "answer"])
        assert _joined(chunks) == {"reasoning": REASONING, "answer": ANSWER}
        assert dict(updates[-1].result.outputs) == {"reasoning": REASONING, "answer": ANSWER}
