"""ExecuteInteractive: ReAct calling a tool that lives on the caller's side, over the bidirectional stream."""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from google.protobuf import json_format

from dspysuite.dspy.v1 import dspy_service_pb2 as pb
from tests.conftest import FactoryLMProvider, serve_stub
from tests.helpers import error_info, request, struct
from tests.test_catalog_programs import RecordingLM

QUESTION = "Where is order A1?"


def react_answers(tool: str = "order_status") -> list[dict[str, Any]]:
    return [
        {"next_thought": "Look it up.", "next_tool_name": tool, "next_tool_args": {"order_id": "A1"}},
        {"next_thought": "Done.", "next_tool_name": "finish", "next_tool_args": {}},
        {"reasoning": "The tool said so.", "answer": "shipped"},
    ]


def start_message(timeout_ms: int = 5000, tools: tuple[str, ...] = ("order_status",)) -> pb.ExecuteClientMessage:
    req = request(inputs={"question": QUESTION}, module="react", task_id="interactive-1")
    req.program.ad_hoc.module_options.tools.extend(tools)
    req.caller_tools.append(
        pb.ToolSpec(
            name="order_status",
            description="Looks up the shipping status of an order.",
            args_schema=struct({"type": "object", "properties": {"order_id": {"type": "string"}}}),
            timeout_ms=timeout_ms,
        )
    )
    return pb.ExecuteClientMessage(start=req)


async def test_react_calls_a_caller_side_tool() -> None:
    lm = RecordingLM(react_answers())
    async with serve_stub(FactoryLMProvider(lambda: lm)) as stub:
        call = stub.ExecuteInteractive()
        await call.write(start_message())
        updates = []
        async for update in call:
            updates.append(update)
            if update.WhichOneof("update") == "tool_call":
                tool_call = update.tool_call
                assert tool_call.tool == "order_status"
                assert json_format.MessageToDict(tool_call.arguments) == {"order_id": "A1"}
                assert tool_call.timeout_ms == 5000
                result = pb.ToolResult(call_id=tool_call.call_id, output="Order A1 was shipped on Monday.")
                await call.write(pb.ExecuteClientMessage(tool_result=result))
            if update.WhichOneof("update") == "result":
                await call.done_writing()
    kinds = [u.WhichOneof("update") for u in updates]
    assert kinds == ["status", "tool_call", "result"]
    assert updates[-1].result.outputs["answer"] == "shipped"
    assert "Order A1 was shipped on Monday." in lm.prompts[1]


async def test_tool_errors_and_timeouts_are_observations() -> None:
    lm = RecordingLM(react_answers())
    async with serve_stub(FactoryLMProvider(lambda: lm)) as stub:
        call = stub.ExecuteInteractive()
        await call.write(start_message(timeout_ms=200))
        updates = [u async for u in call]  # never answers the tool call
    assert [u.WhichOneof("update") for u in updates] == ["status", "tool_call", "result"]
    assert "TIMEOUT" in lm.prompts[1]

    lm = RecordingLM(react_answers())
    async with serve_stub(FactoryLMProvider(lambda: lm)) as stub:
        call = stub.ExecuteInteractive()
        await call.write(start_message())
        async for update in call:
            if update.WhichOneof("update") == "tool_call":
                error = pb.ToolError(code="NOT_FOUND", message="no such order")
                await call.write(
                    pb.ExecuteClientMessage(tool_result=pb.ToolResult(call_id=update.tool_call.call_id, error=error))
                )
    assert "NOT_FOUND: no such order" in lm.prompts[1]


async def test_closing_the_channel_during_a_tool_call_fails_the_task() -> None:
    lm = RecordingLM(react_answers())
    async with serve_stub(FactoryLMProvider(lambda: lm)) as stub:
        call = stub.ExecuteInteractive()
        await call.write(start_message())

        async def close_on_tool_call() -> None:
            async for update in call:
                if update.WhichOneof("update") == "tool_call":
                    await call.done_writing()

        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await close_on_tool_call()
    info = error_info(raised.value)
    assert (info.reason, info.metadata["retryable"]) == ("TOOL_FAILED", "true")


@pytest.mark.parametrize(
    "message",
    [
        pb.ExecuteClientMessage(tool_result=pb.ToolResult(call_id="x", output="y")),
        start_message(tools=("unknown_tool",)),
        start_message(timeout_ms=10**9),
    ],
)
async def test_interactive_request_errors(stub, message) -> None:
    call = stub.ExecuteInteractive()
    await call.write(message)
    await call.done_writing()
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        _ = [u async for u in call]
    assert error_info(raised.value).reason in {"INVALID_INPUTS", "INVALID_PROGRAM"}


async def test_caller_tools_need_the_interactive_call(stub) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await stub.Predict(start_message().start)
    assert error_info(raised.value).reason == "INVALID_INPUTS"
