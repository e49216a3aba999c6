"""The gRPC service end to end (real grpc.aio server and channel) with DSPy's DummyLM as the LM."""

from __future__ import annotations

import asyncio

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from dspy_service.servicer import SERVICE_NAME
from dspysuite.dspy.v1 import dspy_service_pb2 as pb
from tests.helpers import error_info, request


async def test_execute_streams_status_then_result(stub) -> None:
    updates = [u async for u in stub.Execute(request())]
    assert [u.WhichOneof("update") for u in updates] == ["status", "result"]
    assert updates[0].status.phase == "running"
    result = updates[1].result
    assert dict(result.outputs) == {"answer": "Paris"}
    assert result.model == "dummy"
    assert result.usage.lm_calls == 1


async def test_predict_unary(stub) -> None:
    result = await stub.Predict(request())
    assert result.outputs["answer"] == "Paris"
    assert result.usage.lm_calls == 1


async def test_chain_of_thought_adds_reasoning(stub) -> None:
    result = await stub.Predict(request(module="chain_of_thought"))
    assert set(result.outputs.keys()) == {"reasoning", "answer"}
    assert result.outputs["reasoning"] == "France's capital city is Paris."
    assert result.outputs["answer"] == "Paris"


async def test_typed_outputs_are_json_values(stub) -> None:
    result = await stub.Predict(
        request(
            "text -> sentiment: Literal['positive', 'negative'], confidence: float",
            {"text": "I love this product"},
        )
    )
    assert result.outputs["sentiment"] == "positive"
    assert result.outputs["confidence"] == pytest.approx(0.93)


async def test_list_output(stub) -> None:
    result = await stub.Predict(request("topic -> colours: list[str]", {"topic": "list the primary colours"}))
    assert list(result.outputs["colours"]) == ["red", "yellow", "blue"]


async def test_allowed_model_option(stub) -> None:
    result = await stub.Predict(request(options={"model": "dummy-2", "temperature": 0.2, "max_tokens": 64}))
    assert result.model == "dummy-2"


@pytest.mark.parametrize(
    ("req", "code", "reason"),
    [
        (request("question answer"), grpc.StatusCode.INVALID_ARGUMENT, "INVALID_SIGNATURE"),
        (request(" -> answer"), grpc.StatusCode.INVALID_ARGUMENT, "INVALID_SIGNATURE"),
        (request("question ->"), grpc.StatusCode.INVALID_ARGUMENT, "INVALID_SIGNATURE"),
        (request("question: os.system -> answer"), grpc.StatusCode.INVALID_ARGUMENT, "INVALID_SIGNATURE"),
        (request("question: MyType -> answer"), grpc.StatusCode.INVALID_ARGUMENT, "INVALID_SIGNATURE"),
        (request("question -> answer: dict[str, int]"), grpc.StatusCode.INVALID_ARGUMENT, "INVALID_SIGNATURE"),
        (request("question -> question"), grpc.StatusCode.INVALID_ARGUMENT, "INVALID_SIGNATURE"),
        (
            request("q -> " + ", ".join(f"a{i}" for i in range(64))),
            grpc.StatusCode.INVALID_ARGUMENT,
            "INVALID_SIGNATURE",
        ),
        (request("question -> " + "a" * 5000), grpc.StatusCode.INVALID_ARGUMENT, "INVALID_SIGNATURE"),
        (request(instructions="x" * (16 * 1024 + 1)), grpc.StatusCode.INVALID_ARGUMENT, "INVALID_SIGNATURE"),
        (request(module="teleport"), grpc.StatusCode.INVALID_ARGUMENT, "INVALID_PROGRAM"),
        (request(options={"model": "gpt-unknown"}), grpc.StatusCode.INVALID_ARGUMENT, "INVALID_PROGRAM"),
        (request(inputs={}), grpc.StatusCode.INVALID_ARGUMENT, "INVALID_INPUTS"),
        (request(inputs={"question": "q", "extra": 1}), grpc.StatusCode.INVALID_ARGUMENT, "INVALID_INPUTS"),
        (request("n: int -> answer", {"n": "seven"}), grpc.StatusCode.INVALID_ARGUMENT, "INVALID_INPUTS"),
        (request(inputs={"question": "x" * (256 * 1024 + 1)}), grpc.StatusCode.INVALID_ARGUMENT, "INVALID_INPUTS"),
        (request(options={"temperature": 9}), grpc.StatusCode.INVALID_ARGUMENT, "INVALID_INPUTS"),
        (request(options={"top_k": 3}), grpc.StatusCode.INVALID_ARGUMENT, "INVALID_INPUTS"),
        (request(kind=99), grpc.StatusCode.UNIMPLEMENTED, "UNSUPPORTED_KIND"),
        (request(kind=pb.TASK_KIND_EVALUATE), grpc.StatusCode.UNIMPLEMENTED, "UNSUPPORTED_KIND"),
    ],
)
async def test_errors_carry_status_and_error_info(stub, req: pb.ExecuteRequest, code, reason: str) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await stub.Predict(req)
    assert raised.value.code() == code
    info = error_info(raised.value)
    assert info.reason == reason
    assert info.domain == "dspy.dspysuite.io"
    assert info.metadata["retryable"] == "false"


async def test_execute_reports_errors_as_status(stub) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        _ = [u async for u in stub.Execute(request("question answer"))]
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_info(raised.value).reason == "INVALID_SIGNATURE"


async def test_unsupported_kind_streams_no_status(stub) -> None:
    received: list[pb.ExecuteUpdate] = []

    async def consume() -> None:
        async for update in stub.Execute(request(kind=pb.TASK_KIND_OPTIMIZE)):
            received.append(update)

    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await consume()
    assert received == []
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_info(raised.value).reason == "INVALID_INPUTS"


async def test_named_program_is_unknown(stub) -> None:
    req = pb.ExecuteRequest(
        task_id="t", kind=pb.TASK_KIND_PREDICT, program=pb.ProgramSpec(named=pb.NamedProgramRef(name="nope"))
    )
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await stub.Predict(req)
    info = error_info(raised.value)
    assert info.reason == "INVALID_PROGRAM"
    assert "unknown program" in raised.value.details()


async def test_unparseable_answer_is_retryable_parse_failure(stub) -> None:
    # DummyLM answers "No more responses" when no key matches: the ChatAdapter cannot parse that.
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await stub.Predict(request(inputs={"question": "something nobody scripted"}))
    assert raised.value.code() == grpc.StatusCode.ABORTED
    info = error_info(raised.value)
    assert info.reason == "OUTPUT_PARSE_FAILED"
    assert info.metadata["retryable"] == "true"
    assert "something nobody scripted" not in raised.value.details()


async def test_concurrent_calls(stub) -> None:
    results = await asyncio.gather(*(stub.Predict(request(task_id=f"t{i}")) for i in range(8)))
    assert {r.outputs["answer"] for r in results} == {"Paris"}


async def test_health_serving(channel, dummy_provider) -> None:
    health = health_pb2_grpc.HealthStub(channel)
    for service in ("", SERVICE_NAME):
        response = await health.Check(health_pb2.HealthCheckRequest(service=service))
        assert response.status == health_pb2.HealthCheckResponse.SERVING
    assert dummy_provider.warmed_up
    assert SERVICE_NAME == "dspysuite.dspy.v1.DspyService"


async def test_cancelled_call_ends(stub) -> None:
    call = stub.Execute(request())
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        _ = [u async for u in call]
    # The server keeps serving after a cancelled call.
    assert (await stub.Predict(request())).outputs["answer"] == "Paris"
