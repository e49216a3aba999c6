"""Shared fixtures: an in-process grpc.aio server on a free port, driven through a real grpc.aio channel."""

from __future__ import annotations

import os

# Offline tests: LiteLLM would otherwise try to download its model cost map (8 s of retries without network).
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any

import dspy
import grpc
import pytest
from dspy.utils import DummyLM

from dspy_service.config import LMSettings, Settings
from dspy_service.errors import INVALID_PROGRAM, ServiceError
from dspy_service.lm.adapter import SignatureConstrainedChatAdapter
from dspy_service.lm.provider import ConfiguredLMProvider, ResolvedLM
from dspy_service.server import RunningServer, start_server
from dspysuite.dspy.v1 import dspy_service_pb2_grpc as pb_grpc


class DummyLMProvider:
    """An LMProvider around DSPy's DummyLM in dict mode (answers keyed by text found in the last message)."""

    default_model = "dummy"

    def __init__(self, answers: dict[str, dict[str, Any]], extra_models: tuple[str, ...] = ()) -> None:
        self.answers = answers
        self.models = ("dummy", *extra_models)
        self.warmed_up = False

    def resolve(self, model: str | None) -> ResolvedLM:
        name = model or self.default_model
        if name not in self.models:
            raise ServiceError(INVALID_PROGRAM, f"model {name!r} is not in the service's allow-list")
        return ResolvedLM(name, DummyLM(self.answers), SignatureConstrainedChatAdapter())

    def warm_up(self) -> None:
        self.warmed_up = True


class FactoryLMProvider:
    """An LMProvider whose LM comes from a factory (called on every resolve: each task gets its own LM)."""

    default_model = "dummy"
    models = ("dummy",)

    def __init__(self, factory: Callable[[], dspy.BaseLM]) -> None:
        self.factory = factory

    def resolve(self, model: str | None) -> ResolvedLM:
        if (model or self.default_model) not in self.models:
            raise ServiceError(INVALID_PROGRAM, f"model {model!r} is not in the service's allow-list")
        return ResolvedLM(self.default_model, self.factory(), SignatureConstrainedChatAdapter())

    def warm_up(self) -> None:
        pass


@asynccontextmanager
async def serve_stub(provider: Any, settings: Settings | None = None) -> AsyncIterator[pb_grpc.DspyServiceStub]:
    """A server with ``provider`` and a stub connected to it, for tests that bring their own LM."""
    running = await start_server(settings or Settings(host="127.0.0.1", port=0, workers=4), provider)
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as ch:
            yield pb_grpc.DspyServiceStub(ch)
    finally:
        await running.stop(0.5)


DUMMY_ANSWERS: dict[str, dict[str, Any]] = {
    "What is the capital of France?": {"reasoning": "France's capital city is Paris.", "answer": "Paris"},
    "I love this product": {"sentiment": "positive", "confidence": 0.93},
    "list the primary colours": {"colours": ["red", "yellow", "blue"]},
}


@pytest.fixture
def settings() -> Settings:
    return Settings(host="127.0.0.1", port=0, workers=2, grace_seconds=0.5)


@pytest.fixture
def dummy_provider() -> DummyLMProvider:
    return DummyLMProvider(DUMMY_ANSWERS, extra_models=("dummy-2",))


@pytest.fixture
async def dummy_server(settings: Settings, dummy_provider: DummyLMProvider) -> AsyncIterator[RunningServer]:
    running = await start_server(settings, dummy_provider)
    yield running
    await running.stop(0.5)


@pytest.fixture
async def channel(dummy_server: RunningServer) -> AsyncIterator[grpc.aio.Channel]:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{dummy_server.port}") as ch:
        yield ch


@pytest.fixture
def stub(channel: grpc.aio.Channel) -> pb_grpc.DspyServiceStub:
    return pb_grpc.DspyServiceStub(channel)


@pytest.fixture(scope="session")
def local_provider() -> ConfiguredLMProvider:
    """The real default LM (SmolLM2-135M-Instruct on llama.cpp), loaded once per test session."""
    return ConfiguredLMProvider(LMSettings())


@pytest.fixture
async def local_stub(
    settings: Settings, local_provider: ConfiguredLMProvider
) -> AsyncIterator[pb_grpc.DspyServiceStub]:
    running = await start_server(settings, local_provider)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as ch:
        yield pb_grpc.DspyServiceStub(ch)
    await running.stop(0.5)


@pytest.fixture(autouse=True)
def _no_global_lm() -> Iterator[None]:
    """The service must never depend on dspy.configure(lm=...): fail loudly if something falls back to it."""
    assert dspy.settings.lm is None
    yield
    assert dspy.settings.lm is None
