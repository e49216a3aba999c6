"""The LiteLLM/lm15 path (any provider by configuration) against a local OpenAI-compatible stand-in server."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import grpc
import pytest

from dspy_service.config import LMSettings, Settings
from dspy_service.lm.provider import ConfiguredLMProvider
from dspy_service.server import start_server
from dspysuite.dspy.v1 import dspy_service_pb2_grpc as pb_grpc
from tests.helpers import error_info, request

MODEL = "openai/stand-in"


class FakeOpenAI(BaseHTTPRequestHandler):
    """Answers /chat/completions with the status and body the test scripted (``server.script``)."""

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        self.server.requests.append({"path": self.path, "auth": self.headers.get("authorization"), "body": body})
        status, payload = self.server.script
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


def completion(content: str) -> dict:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 0,
        "model": "stand-in",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18},
    }


@pytest.fixture
def fake_openai() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeOpenAI)
    server.requests = []
    server.script = (200, completion("[[ ## answer ## ]]\nParis\n\n[[ ## completed ## ]]"))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


async def _stub_for(lm_settings: LMSettings) -> AsyncIterator[pb_grpc.DspyServiceStub]:
    running = await start_server(Settings(port=0, workers=2), ConfiguredLMProvider(lm_settings))
    async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
        yield pb_grpc.DspyServiceStub(channel)
    await running.stop(0.5)


@pytest.fixture
async def remote_stub(fake_openai: ThreadingHTTPServer) -> AsyncIterator[pb_grpc.DspyServiceStub]:
    settings = LMSettings(
        default_model=MODEL,
        api_base=f"http://127.0.0.1:{fake_openai.server_address[1]}/v1",
        api_key="sk-test-key",
        timeout_seconds=5,
    )
    async for stub in _stub_for(settings):
        yield stub


async def test_remote_predict(remote_stub, fake_openai) -> None:
    result = await remote_stub.Predict(request(options={"temperature": 0.1}))
    assert result.outputs["answer"] == "Paris"
    assert result.model == MODEL
    assert (result.usage.input_tokens, result.usage.output_tokens, result.usage.lm_calls) == (11, 7, 1)
    sent = fake_openai.requests[-1]
    assert sent["path"].endswith("/chat/completions")
    assert sent["auth"] == "Bearer sk-test-key"
    assert sent["body"]["temperature"] == 0.1


@pytest.mark.parametrize(
    ("status", "code", "reason"),
    [
        (429, grpc.StatusCode.RESOURCE_EXHAUSTED, "LM_RATE_LIMITED"),
        (503, grpc.StatusCode.UNAVAILABLE, "LM_UNAVAILABLE"),
    ],
)
async def test_remote_failures_are_retryable(remote_stub, fake_openai, status: int, code, reason: str) -> None:
    fake_openai.script = (status, {"error": {"message": "try later", "type": "server_error", "code": str(status)}})
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await remote_stub.Predict(request())
    assert raised.value.code() == code
    info = error_info(raised.value)
    assert (info.reason, info.metadata["retryable"]) == (reason, "true")
    assert "sk-test-key" not in raised.value.details()


async def test_unreachable_lm_is_unavailable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = LMSettings(default_model=MODEL, api_base=f"http://127.0.0.1:{port}/v1", api_key="k", timeout_seconds=5)
    async for stub in _stub_for(settings):
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await stub.Predict(request())
        assert raised.value.code() == grpc.StatusCode.UNAVAILABLE
        assert error_info(raised.value).reason == "LM_UNAVAILABLE"
