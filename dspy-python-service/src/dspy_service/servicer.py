"""The DspyService gRPC servicer (grpc.aio)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import math
from collections.abc import AsyncIterator
from typing import Any

import grpc
from google.protobuf import json_format, struct_pb2

from dspy_service.cancellation import CancelToken
from dspy_service.catalog import build_catalog
from dspy_service.errors import INVALID_INPUTS, TOOL_FAILED, UNSUPPORTED_KIND, ServiceError, classify, to_rpc_status
from dspy_service.evaluation import EvaluationSummary
from dspy_service.logs import task_context
from dspy_service.modules import ModuleOptionsInput
from dspy_service.programs import AdHocProgramSpec, NamedProgramSpec, ProgramSpec
from dspy_service.runner import (
    Chunk,
    EvaluateRequest,
    Event,
    OptimizationSummary,
    OptimizeRequest,
    TaskOutcome,
    TaskRequest,
    TaskRunner,
)
from dspy_service.signatures import FieldDef, StructuredSignatureDef
from dspy_service.telemetry.tracing import RpcScope, rpc_scope
from dspy_service.tool_channel import CallerToolSpec, ToolCallRequest, ToolChannel, ToolReply, validate_caller_tools
from dspysuite.dspy.v1 import dspy_service_pb2 as pb
from dspysuite.dspy.v1 import dspy_service_pb2_grpc as pb_grpc

logger = logging.getLogger(__name__)

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["DspyService"].full_name
_KINDS = {
    pb.TASK_KIND_UNSPECIFIED: "predict",
    pb.TASK_KIND_PREDICT: "predict",
    pb.TASK_KIND_EVALUATE: "evaluate",
    pb.TASK_KIND_OPTIMIZE: "optimize",
}
_DONE = object()


def _kind_label(kind: int) -> str:
    """The task kind for spans and metrics (bounded: an unknown enum value is "unknown")."""
    return _KINDS.get(kind, "unknown")


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


def _field_defs(fields: Any) -> tuple[FieldDef, ...]:
    return tuple(
        FieldDef(name=f.name, type=f.type or "str", description=f.description, enum_values=tuple(f.enum_values))
        for f in fields
    )


def program_spec(request: pb.ExecuteRequest) -> ProgramSpec | None:
    source = request.program.WhichOneof("source") if request.HasField("program") else None
    if source == "ad_hoc":
        ad_hoc = request.program.ad_hoc
        structured = None
        if ad_hoc.HasField("structured_signature"):
            s = ad_hoc.structured_signature
            structured = StructuredSignatureDef(
                inputs=_field_defs(s.inputs), outputs=_field_defs(s.outputs), instructions=s.instructions
            )
        options = ModuleOptionsInput()
        if ad_hoc.HasField("module_options"):
            o = ad_hoc.module_options
            options = ModuleOptionsInput(
                n=o.n,
                tools=tuple(o.tools),
                max_iters=o.max_iters,
                threshold=o.threshold if o.HasField("threshold") else None,
            )
        return AdHocProgramSpec(
            signature=ad_hoc.signature,
            module=ad_hoc.module,
            instructions=ad_hoc.instructions,
            structured=structured,
            options=options,
        )
    if source == "named":
        named = request.program.named
        return NamedProgramSpec(name=named.name, version=named.version or "latest")
    return None


def task_request(request: pb.ExecuteRequest, *, stream: bool = False) -> TaskRequest:
    kind = _KINDS.get(request.kind)
    if kind is None:
        raise ServiceError(UNSUPPORTED_KIND, f"task kind {request.kind} is not offered by this service")
    evaluate = optimize = None
    if kind == "evaluate":
        e = request.evaluate
        evaluate = EvaluateRequest(
            metric=e.metric,
            devset=tuple(struct_to_dict(x) for x in e.devset),
            max_examples=e.max_examples,
            num_threads=e.num_threads,
            max_outcomes=e.max_outcomes,
        )
    if kind == "optimize":
        o = request.optimize
        optimize = OptimizeRequest(
            optimizer=o.optimizer,
            params=struct_to_dict(o.params),
            metric=o.metric,
            trainset=tuple(struct_to_dict(x) for x in o.trainset),
            devset=tuple(struct_to_dict(x) for x in o.devset),
        )
    return TaskRequest(
        task_id=request.task_id,
        kind=kind,  # type: ignore[arg-type]
        program=program_spec(request),
        inputs=struct_to_dict(request.inputs) if kind == "predict" else {},
        options=struct_to_dict(request.options),
        state_json=request.program.program_state_json if request.HasField("program") else "",
        evaluate=evaluate,
        optimize=optimize,
        stream=stream,
    )


def _evaluation(summary: EvaluationSummary) -> pb.EvaluationResult:
    return pb.EvaluationResult(
        score=summary.score,
        metric=summary.metric,
        total=summary.total,
        failed=summary.failed,
        outcomes=[
            pb.ExampleOutcome(index=o.index, outputs=dict_to_struct(o.outputs), score=o.score, error=o.error)
            for o in summary.outcomes
        ],
        outcomes_truncated=summary.truncated,
    )


def _optimization(summary: OptimizationSummary) -> pb.OptimizationResult:
    return pb.OptimizationResult(
        program_state_json=summary.state_json,
        optimizer=summary.optimizer,
        params=dict_to_struct({k: v for k, v in summary.params.items() if v is not None}),
        metric=summary.metric,
        score_before=summary.score_before,
        score_after=summary.score_after,
        dataset_hash=summary.dataset_hash,
        demos_count=summary.demos_count,
        trainset_size=summary.trainset_size,
        devset_size=summary.devset_size,
        compile_seconds=summary.compile_seconds,
    )


def task_result(outcome: TaskOutcome) -> pb.TaskResult:
    result = pb.TaskResult(
        outputs=dict_to_struct(outcome.outputs),
        usage=pb.Usage(
            input_tokens=outcome.usage.input_tokens,
            output_tokens=outcome.usage.output_tokens,
            lm_calls=outcome.usage.lm_calls,
            lm_calls_replayed=outcome.usage.lm_calls_replayed,
        ),
        model=outcome.model,
    )
    if outcome.evaluation is not None:
        result.evaluation.CopyFrom(_evaluation(outcome.evaluation))
    if outcome.optimization is not None:
        result.optimization.CopyFrom(_optimization(outcome.optimization))
    return result


def event_update(event: Event | ToolCallRequest) -> pb.ExecuteUpdate:
    if isinstance(event, ToolCallRequest):
        return pb.ExecuteUpdate(
            tool_call=pb.ToolCall(
                call_id=event.call_id,
                tool=event.tool,
                arguments=dict_to_struct(event.arguments),
                timeout_ms=event.timeout_ms,
            )
        )
    if isinstance(event, Chunk):
        return pb.ExecuteUpdate(chunk=pb.TokenChunk(field=event.field, text=event.text, last=event.last))
    progress = pb.ProgressUpdate(
        fraction=event.fraction, message=event.message, phase=event.phase, step=event.step, total=event.total
    )
    if event.current_score is not None:
        progress.current_score = event.current_score
    if event.best_score is not None:
        progress.best_score = event.best_score
    return pb.ExecuteUpdate(progress=progress)


class DspyServicer(pb_grpc.DspyServiceServicer):
    def __init__(self, runner: TaskRunner) -> None:
        self.runner = runner

    def _log_finished(self, outcome: TaskOutcome) -> None:
        logger.info(
            "task finished",
            extra={
                "model": outcome.model,
                "seconds": round(outcome.seconds, 3),
                "input_tokens": outcome.usage.input_tokens,
                "output_tokens": outcome.usage.output_tokens,
                "lm_calls": outcome.usage.lm_calls,
                "lm_calls_replayed": outcome.usage.lm_calls_replayed,
            },
        )

    async def _abort(self, context: grpc.aio.ServicerContext, exc: BaseException, scope: RpcScope) -> None:
        error = classify(exc)
        scope.failed(error)
        log = logger.warning if error.kind.code == grpc.StatusCode.INTERNAL else logger.info
        log("task failed", extra={"reason": error.reason, "retryable": error.retryable})
        await context.abort_with_status(to_rpc_status(error))

    def _check_plain(self, request: pb.ExecuteRequest) -> None:
        if request.caller_tools:
            raise ServiceError(INVALID_INPUTS, "caller_tools need the ExecuteInteractive call")

    async def _stream_task(
        self,
        task: TaskRequest,
        queue: asyncio.Queue[Any] | None = None,
        channel: ToolChannel | None = None,
    ) -> AsyncIterator[pb.ExecuteUpdate]:
        """Run ``task`` and yield its updates: status, then progress/chunks/tool calls as they happen, then the
        result. ``queue`` may be shared with a tool channel, whose calls then arrive in order with the rest."""
        logger.info("task started", extra={"kind": task.kind})
        loop = asyncio.get_running_loop()
        queue = queue if queue is not None else asyncio.Queue()

        def emit(event: Event) -> None:  # called from worker threads
            loop.call_soon_threadsafe(queue.put_nowait, event)

        prepared = self.runner.prepare(task, emit)  # request errors surface before the first update
        cancel = CancelToken()
        running = asyncio.ensure_future(self.runner.execute(prepared, cancel))
        running.add_done_callback(lambda _: queue.put_nowait(_DONE))
        try:
            yield pb.ExecuteUpdate(status=pb.StatusUpdate(phase="running", message=f"running the {task.kind} task"))
            while True:
                item = await queue.get()
                if item is _DONE:
                    break
                yield event_update(item)
            # Events emitted just before the end are already queued ahead of _DONE (same loop, FIFO).
            outcome = running.result()
        finally:
            if not running.done():
                cancel.cancel()
                running.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await running
        if channel is not None and channel.broken:
            raise ServiceError(TOOL_FAILED, "the caller closed the tool channel while a tool call was pending")
        self._log_finished(outcome)
        yield pb.ExecuteUpdate(result=task_result(outcome))

    async def Execute(
        self, request: pb.ExecuteRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb.ExecuteUpdate]:
        with rpc_scope("Execute", context) as scope, task_context(request.task_id, scope.tenant_id):
            scope.task(request.task_id, _kind_label(request.kind), request.attempt)
            try:
                self._check_plain(request)
                task = task_request(request, stream=True)
                async for update in self._stream_task(task):
                    yield update
            except Exception as exc:
                await self._abort(context, exc, scope)
                return

    async def Predict(self, request: pb.ExecuteRequest, context: grpc.aio.ServicerContext) -> pb.TaskResult:
        with rpc_scope("Predict", context) as scope, task_context(request.task_id, scope.tenant_id):
            scope.task(request.task_id, _kind_label(request.kind), request.attempt)
            try:
                self._check_plain(request)
                task = task_request(request)
                if task.kind != "predict":
                    raise ServiceError(UNSUPPORTED_KIND, "Predict runs predict tasks only; use Execute")
                logger.info("task started", extra={"kind": task.kind, "attempt": request.attempt})
                outcome = await self.runner.run(task, CancelToken())
                self._log_finished(outcome)
                return task_result(outcome)
            except Exception as exc:
                await self._abort(context, exc, scope)
                raise AssertionError("unreachable: abort_with_status raises") from None

    async def GetCatalog(self, request: pb.GetCatalogRequest, context: grpc.aio.ServicerContext) -> pb.Catalog:
        with rpc_scope("GetCatalog", context):
            provider = self.runner.lm_provider
            return build_catalog(tuple(provider.models), provider.default_model)

    async def ExecuteInteractive(
        self, request_iterator: AsyncIterator[pb.ExecuteClientMessage], context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb.ExecuteUpdate]:
        try:
            first = await anext(aiter(request_iterator))
        except StopAsyncIteration:
            first = pb.ExecuteClientMessage()
        request = first.start
        with rpc_scope("ExecuteInteractive", context) as scope, task_context(request.task_id, scope.tenant_id):
            scope.task(request.task_id, _kind_label(request.kind), request.attempt)
            try:
                if first.WhichOneof("message") != "start":
                    raise ServiceError(INVALID_INPUTS, "the first message of ExecuteInteractive must be `start`")
                loop = asyncio.get_running_loop()
                queue: asyncio.Queue[Any] = asyncio.Queue()
                channel = ToolChannel(emit=lambda event: loop.call_soon_threadsafe(queue.put_nowait, event))
                specs = validate_caller_tools(
                    [
                        CallerToolSpec(t.name, t.description, struct_to_dict(t.args_schema), t.timeout_ms)
                        for t in request.caller_tools
                    ]
                )
                task = dataclasses.replace(task_request(request, stream=True), extra_tools=channel.dspy_tools(specs))
                reader = asyncio.ensure_future(self._read_tool_results(request_iterator, channel))
                try:
                    async for update in self._stream_task(task, queue, channel):
                        yield update
                finally:
                    reader.cancel()
                    channel.close()
            except Exception as exc:
                await self._abort(context, exc, scope)
                return

    @staticmethod
    async def _read_tool_results(
        request_iterator: AsyncIterator[pb.ExecuteClientMessage], channel: ToolChannel
    ) -> None:
        try:
            async for message in request_iterator:
                if message.WhichOneof("message") != "tool_result":
                    logger.info("unexpected client message ignored", extra={"message": message.WhichOneof("message")})
                    continue
                result = message.tool_result
                if result.WhichOneof("outcome") == "error":
                    reply = ToolReply(error_code=result.error.code, error_message=result.error.message)
                else:
                    reply = ToolReply(output=result.output)
                if not channel.resolve(result.call_id, reply):
                    logger.info("tool result for an unknown or finished call ignored")
        except (asyncio.CancelledError, grpc.RpcError):
            pass
        finally:
            channel.close()
