"""The DspyService gRPC servicer (grpc.aio)."""

from __future__ import annotations

import logging
import math
from collections.abc import AsyncIterator
from typing import Any

import grpc
from google.protobuf import json_format, struct_pb2

from dspy_service.cancellation import CancelToken
from dspy_service.errors import UNSUPPORTED_KIND, ServiceError, classify, to_rpc_status
from dspy_service.logs import task_context
from dspy_service.programs import AdHocProgramSpec, NamedProgramSpec, ProgramSpec
from dspy_service.runner import TaskOutcome, TaskRunner
from dspysuite.dspy.v1 import dspy_service_pb2 as pb
from dspysuite.dspy.v1 import dspy_service_pb2_grpc as pb_grpc

logger = logging.getLogger(__name__)

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["DspyService"].full_name


def _normalise_numbers(value: Any) -> Any:
    """Struct numbers are doubles; give integral ones back their int form (``3`` not ``3.0``)."""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, dict):
        return {k: _normalise_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalise_numbers(v) for v in value]
    return value


def struct_to_dict(message: struct_pb2.Struct) -> dict[str, Any]:
    return _normalise_numbers(json_format.MessageToDict(message))


def dict_to_struct(values: dict[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(values)
    return struct


def program_spec(request: pb.ExecuteRequest) -> ProgramSpec | None:
    source = request.program.WhichOneof("source") if request.HasField("program") else None
    if source == "ad_hoc":
        ad_hoc = request.program.ad_hoc
        return AdHocProgramSpec(signature=ad_hoc.signature, module=ad_hoc.module, instructions=ad_hoc.instructions)
    if source == "named":
        named = request.program.named
        return NamedProgramSpec(name=named.name, version=named.version or "latest")
    return None


def task_result(outcome: TaskOutcome) -> pb.TaskResult:
    return pb.TaskResult(
        outputs=dict_to_struct(outcome.outputs),
        usage=pb.Usage(
            input_tokens=outcome.usage.input_tokens,
            output_tokens=outcome.usage.output_tokens,
            lm_calls=outcome.usage.lm_calls,
        ),
        model=outcome.model,
    )


class DspyServicer(pb_grpc.DspyServiceServicer):
    def __init__(self, runner: TaskRunner) -> None:
        self.runner = runner

    async def _predict(self, request: pb.ExecuteRequest) -> pb.TaskResult:
        kind = pb.TaskKind.Name(request.kind) if request.kind in pb.TaskKind.values() else str(request.kind)
        logger.info("task started", extra={"kind": kind, "attempt": request.attempt})
        if request.kind not in (pb.TASK_KIND_PREDICT, pb.TASK_KIND_UNSPECIFIED):
            raise ServiceError(UNSUPPORTED_KIND, f"task kind {kind} is not offered by this service yet")
        cancel = CancelToken()
        outcome = await self.runner.run_predict(
            program_spec(request),
            struct_to_dict(request.inputs),
            struct_to_dict(request.options),
            cancel,
        )
        logger.info(
            "task finished",
            extra={
                "model": outcome.model,
                "seconds": round(outcome.seconds, 3),
                "input_tokens": outcome.usage.input_tokens,
                "output_tokens": outcome.usage.output_tokens,
                "lm_calls": outcome.usage.lm_calls,
            },
        )
        return task_result(outcome)

    async def _abort(self, context: grpc.aio.ServicerContext, exc: BaseException) -> None:
        error = classify(exc)
        log = logger.warning if error.kind.code == grpc.StatusCode.INTERNAL else logger.info
        log("task failed", extra={"reason": error.reason, "retryable": error.retryable})
        await context.abort_with_status(to_rpc_status(error))

    async def Execute(
        self, request: pb.ExecuteRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb.ExecuteUpdate]:
        with task_context(request.task_id):
            try:
                if request.kind in (pb.TASK_KIND_PREDICT, pb.TASK_KIND_UNSPECIFIED):
                    yield pb.ExecuteUpdate(status=pb.StatusUpdate(phase="running", message="running the program"))
                result = await self._predict(request)
            except Exception as exc:
                await self._abort(context, exc)
                return
            yield pb.ExecuteUpdate(result=result)

    async def Predict(self, request: pb.ExecuteRequest, context: grpc.aio.ServicerContext) -> pb.TaskResult:
        with task_context(request.task_id):
            try:
                return await self._predict(request)
            except Exception as exc:
                await self._abort(context, exc)
                raise AssertionError("unreachable: abort_with_status raises") from None
