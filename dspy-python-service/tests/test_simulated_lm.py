"""The simulated LM (load tests and benchmarks), through the real server: selectable only when enabled."""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

import grpc
import pytest
from google.protobuf import json_format

from dspy_service.config import ConfigError, LMSettings, Settings, SimulatedLMSettings
from dspy_service.errors import ServiceError
from dspy_service.lm.grammar import ValueSpec
from dspy_service.lm.provider import ConfiguredLMProvider
from dspy_service.lm.simulated import SimulatedLM, simulated_answer, simulated_value
from dspy_service.server import start_server
from dspysuite.dspy.v1 import dspy_service_pb2 as pb
from dspysuite.dspy.v1 import dspy_service_pb2_grpc as pb_grpc
from tests.conftest import serve_stub
from tests.helpers import collect, error_info, named_request, request


def simulated_provider(**simulated: Any) -> ConfiguredLMProvider:
    # Default model "simulated": the server's warm-up then loads no real model.
    return ConfiguredLMProvider(
        LMSettings(default_model="simulated", simulated=SimulatedLMSettings(enabled=True, **simulated))
    )


def option_request(signature: str, inputs: dict[str, Any], module: str = "predict", **kw: Any) -> pb.ExecuteRequest:
    return request(signature, inputs, module=module, options={"model": "simulated"}, **kw)


@pytest.mark.parametrize("module", ["predict", "chain_of_thought"])
async def test_any_signature_parses(module: str) -> None:
    signature = (
        "question: str, context: list[str] -> answer: str, count: int, score: float, ok: bool, "
        "tags: list[str], numbers: list[int], weights: list[float], flags: list[bool], "
        "label: Literal['positive', 'negative', 'neutral']"
    )
    inputs = {"question": "How many?", "context": ["a", "b"]}
    async with serve_stub(simulated_provider()) as stub:
        result = await stub.Predict(option_request(signature, inputs, module))
        again = await stub.Predict(option_request(signature, inputs, module))
        other = await stub.Predict(option_request(signature, {"question": "Something else", "context": []}, module))
    outputs = json_format.MessageToDict(result.outputs)
    assert result.model == "simulated"
    assert isinstance(outputs["answer"], str)
    assert outputs["answer"]
    assert float(outputs["count"]).is_integer()
    assert isinstance(outputs["score"], float)
    assert isinstance(outputs["ok"], bool)
    assert all(isinstance(t, str) for t in outputs["tags"])
    assert outputs["tags"]
    assert all(float(n).is_integer() for n in outputs["numbers"])
    assert all(isinstance(w, float) for w in outputs["weights"])
    assert all(isinstance(f, bool) for f in outputs["flags"])
    assert outputs["label"] in {"positive", "negative", "neutral"}
    if module == "chain_of_thought":
        assert isinstance(outputs["reasoning"], str)
    # Deterministic: derived from the inputs.
    assert json_format.MessageToDict(again.outputs) == outputs
    assert json_format.MessageToDict(other.outputs)["answer"] != outputs["answer"]
    assert result.usage.lm_calls == 1
    assert result.usage.input_tokens > 0
    assert result.usage.output_tokens > 0


async def test_structured_signature_with_enum_and_streaming() -> None:
    req = option_request("question -> answer", {"text": "I love it"})
    req.program.ad_hoc.signature = ""
    req.program.ad_hoc.structured_signature.CopyFrom(
        pb.StructuredSignature(
            inputs=[pb.FieldSpec(name="text", type="str")],
            outputs=[
                pb.FieldSpec(name="sentiment", type="enum", enum_values=["good", "bad"]),
                pb.FieldSpec(name="stars", type="int", description="1 to 5"),
            ],
        )
    )
    async with serve_stub(simulated_provider()) as stub:
        updates = await collect(stub.Execute(req))
    result = updates[-1].result
    assert result.outputs["sentiment"] in {"good", "bad"}
    assert float(result.outputs["stars"]).is_integer()


async def test_react_and_named_programs_run_on_the_simulated_lm() -> None:
    react = option_request("question -> answer", {"question": "What is 6 * 7?"}, module="react")
    react.program.ad_hoc.module_options.CopyFrom(pb.ModuleOptions(tools=["calculator"], max_iters=3))
    extract = named_request("extract", {"text": "Ada, 36, lives in London and speaks English."})
    extract.options.update({"model": "simulated"})
    async with serve_stub(simulated_provider()) as stub:
        answered = await stub.Predict(react)
        extracted = await stub.Predict(extract)
    assert isinstance(answered.outputs["answer"], str)
    assert set(extracted.outputs.keys()) == {"name", "age", "city", "languages"}


def test_the_simulated_agent_calls_each_offered_tool_once_then_finishes() -> None:
    spec = ValueSpec("literal", labels=("unit_convert", "date_calc", "finish"))
    assert [simulated_value("next_tool_name", spec, "d", step) for step in range(4)] == [
        "unit_convert",
        "date_calc",
        "finish",
        "finish",
    ]
    # Other enumerations (classify labels) stay a deterministic pick.
    labels = ValueSpec("literal", labels=("positive", "negative"))
    assert simulated_value("label", labels, "d") in {"positive", "negative"}


def test_the_trajectory_in_the_prompt_sets_the_agent_step() -> None:
    spec = (("next_tool_name", ValueSpec("literal", labels=("calculator", "finish"))),)
    first = simulated_answer(spec, "[[ ## trajectory ## ]]\n")
    after_one = simulated_answer(spec, "[[ ## observation_0 ## ]]\nerror: ...")
    assert "\ncalculator" in first
    assert "\nfinish" in after_one


async def test_errors_at_rate_one_are_retryable_lm_unavailable() -> None:
    async with serve_stub(simulated_provider(error_rate=1.0)) as stub:
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await stub.Predict(option_request("question -> answer", {"question": "q"}))
        with pytest.raises(grpc.aio.AioRpcError) as streamed:
            await collect(stub.Execute(option_request("question -> answer", {"question": "q"})))
    for error in (raised.value, streamed.value):
        assert error.code() == grpc.StatusCode.UNAVAILABLE
        info = error_info(error)
        assert info.reason == "LM_UNAVAILABLE"
        assert info.metadata["retryable"] == "true"


async def test_latency_applies_and_twenty_calls_overlap() -> None:
    # Each call waits 2.5 s on its worker thread; 20 calls in flight at once prove that nothing serialises them.
    provider = simulated_provider(latency_ms=2500)
    lm = provider.resolve("simulated").lm
    assert isinstance(lm, SimulatedLM)
    settings = Settings(host="127.0.0.1", port=0, workers=32)
    async with serve_stub(provider, settings) as stub:
        started = time.monotonic()
        results = await asyncio.gather(
            *(
                stub.Predict(option_request("question -> answer", {"question": f"q{i}"}, task_id=f"t{i}"))
                for i in range(20)
            )
        )
        elapsed = time.monotonic() - started
    assert len({r.outputs["answer"] for r in results}) == 20
    assert lm.in_flight.total == 20
    assert lm.in_flight.peak == 20
    assert lm.in_flight.current == 0
    assert elapsed >= 2.5  # a lower bound only: the latency was applied


def test_latency_is_drawn_between_latency_and_latency_plus_jitter() -> None:
    lm = SimulatedLM(SimulatedLMSettings(enabled=True, latency_ms=100, jitter_ms=50), rng=random.Random(7))
    delays = [lm._delay_seconds() for _ in range(200)]
    assert all(0.1 <= d <= 0.15 for d in delays)
    assert max(delays) - min(delays) > 0.02


def test_error_rate_is_a_probability() -> None:
    lm = SimulatedLM(SimulatedLMSettings(enabled=True, error_rate=0.25), rng=random.Random(11))
    failures = sum(lm._fails() for _ in range(2000))
    assert 350 < failures < 650
    assert not any(SimulatedLM(SimulatedLMSettings(enabled=True))._fails() for _ in range(100))


async def test_not_selectable_when_disabled() -> None:
    # The default settings: the simulated LM is off, even when listed in the allow-list.
    for settings in (LMSettings(), LMSettings(allowed_models=("simulated",))):
        provider = ConfiguredLMProvider(settings)
        assert "simulated" not in provider.models
        with pytest.raises(ServiceError) as refused:
            provider.resolve("simulated")
        assert refused.value.reason == "INVALID_PROGRAM"
        assert "DSPY_SERVICE_SIMULATED_LM" in refused.value.message
    running = await start_server(
        Settings(host="127.0.0.1", port=0, workers=2), ConfiguredLMProvider(LMSettings()), warm_up=False
    )
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
            stub = pb_grpc.DspyServiceStub(channel)
            with pytest.raises(grpc.aio.AioRpcError) as raised:
                await stub.Predict(option_request("question -> answer", {"question": "q"}))
            catalog = await stub.GetCatalog(pb.GetCatalogRequest())
    finally:
        await running.stop(0.5)
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_info(raised.value).reason == "INVALID_PROGRAM"
    assert "not enabled" in raised.value.details()
    assert "simulated" not in [m.name for m in catalog.models]


async def test_catalog_lists_the_simulated_model_when_enabled() -> None:
    provider = ConfiguredLMProvider(LMSettings(simulated=SimulatedLMSettings(enabled=True)))
    running = await start_server(Settings(host="127.0.0.1", port=0, workers=2), provider, warm_up=False)
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
            catalog = await pb_grpc.DspyServiceStub(channel).GetCatalog(pb.GetCatalogRequest())
    finally:
        await running.stop(0.5)
    models = {m.name: m for m in catalog.models}
    assert models["local/smollm2-135m-instruct"].is_default
    assert "simulated" in models
    assert not models["simulated"].is_default
    assert not models["simulated"].local  # many calls at once, unlike the llama.cpp model


def test_configuration_from_environment() -> None:
    settings = Settings.from_env(
        {
            "DSPY_SERVICE_SIMULATED_LM": "true",
            "DSPY_SERVICE_SIMULATED_LM_LATENCY_MS": "40",
            "DSPY_SERVICE_SIMULATED_LM_JITTER_MS": "10",
            "DSPY_SERVICE_SIMULATED_LM_ERROR_RATE": "0.1",
            "DSPY_SERVICE_METRICS_PORT": "0",
            "DSPY_SERVICE_OTEL_CAPTURE_CONTENT": "true",
        }
    )
    assert settings.lm.simulated == SimulatedLMSettings(enabled=True, latency_ms=40, jitter_ms=10, error_rate=0.1)
    assert settings.lm.permitted_models == ("local/smollm2-135m-instruct", "simulated")
    assert settings.telemetry.metrics_port == 0
    assert settings.telemetry.capture_content
    defaults = Settings.from_env({})
    assert not defaults.lm.simulated.enabled
    assert defaults.telemetry.metrics_port == 9464
    assert not defaults.telemetry.capture_content
    for bad in (
        {"DSPY_SERVICE_SIMULATED_LM": "maybe"},
        {"DSPY_SERVICE_SIMULATED_LM_ERROR_RATE": "1.5"},
        {"DSPY_SERVICE_SIMULATED_LM_LATENCY_MS": "-1"},
        {"DSPY_LM_MODEL": "simulated"},  # the default model may be the simulated one only when it is enabled
    ):
        with pytest.raises(ConfigError):
            Settings.from_env(bad)
    assert Settings.from_env({"DSPY_LM_MODEL": "simulated", "DSPY_SERVICE_SIMULATED_LM": "1"}).lm.default_model == (
        "simulated"
    )
