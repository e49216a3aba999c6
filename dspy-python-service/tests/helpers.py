"""Test helpers: building requests and reading google.rpc.ErrorInfo out of a failed call."""

from __future__ import annotations

from typing import Any

import grpc
from google.protobuf import struct_pb2
from google.rpc import error_details_pb2, status_pb2

from dspysuite.dspy.v1 import dspy_service_pb2 as pb


def request(
    signature: str = "question -> answer",
    inputs: dict[str, Any] | None = None,
    *,
    module: str = "predict",
    instructions: str = "",
    kind: int = pb.TASK_KIND_PREDICT,
    options: dict[str, Any] | None = None,
    task_id: str = "task-1",
) -> pb.ExecuteRequest:
    inputs_struct = struct_pb2.Struct()
    inputs_struct.update(inputs if inputs is not None else {"question": "What is the capital of France?"})
    options_struct = struct_pb2.Struct()
    options_struct.update(options or {})
    return pb.ExecuteRequest(
        task_id=task_id,
        kind=kind,
        program=pb.ProgramSpec(
            ad_hoc=pb.AdHocProgram(signature=signature, module=module, instructions=instructions),
        ),
        inputs=inputs_struct,
        options=options_struct,
        attempt=1,
    )


def error_info(error: grpc.aio.AioRpcError) -> error_details_pb2.ErrorInfo:
    """The ErrorInfo detail carried in grpc-status-details-bin."""
    raw = dict(error.trailing_metadata() or ()).get("grpc-status-details-bin")
    assert raw is not None, "the error carries no google.rpc.Status details"
    status = status_pb2.Status.FromString(raw)
    assert status.code == error.code().value[0]
    for detail in status.details:
        info = error_details_pb2.ErrorInfo()
        if detail.Unpack(info):
            return info
    raise AssertionError("no ErrorInfo among the status details")


def struct(values: dict[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(values)
    return message


def named_request(
    name: str,
    inputs: dict[str, Any] | None = None,
    *,
    kind: int = pb.TASK_KIND_PREDICT,
    state_json: str = "",
    task_id: str = "task-1",
    **extra: Any,
) -> pb.ExecuteRequest:
    return pb.ExecuteRequest(
        task_id=task_id,
        kind=kind,
        program=pb.ProgramSpec(named=pb.NamedProgramRef(name=name, version="latest"), program_state_json=state_json),
        inputs=struct(inputs or {}),
        attempt=1,
        **extra,
    )


async def collect(call: Any) -> list[pb.ExecuteUpdate]:
    return [update async for update in call]
