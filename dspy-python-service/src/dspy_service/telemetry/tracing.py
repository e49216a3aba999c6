"""OpenTelemetry traces: the gRPC server span, a span per DSPy module run, per LM call and per evaluation.

* ``configure_tracing`` installs the SDK tracer provider once per process (``python -m dspy_service``). Spans are
  always created (so log lines carry real trace and span ids), but exported only when an OTLP endpoint is configured
  (``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` or ``OTEL_EXPORTER_OTLP_ENDPOINT``, OTLP over HTTP/protobuf, batched).
* ``rpc_scope`` opens the SERVER span of one gRPC call as a child of the caller's W3C ``traceparent`` metadata
  (OpenTelemetry's gRPC instrumentation on the Java side sends it), with the RPC semantic-convention attributes and the
  final status code, and counts the call (and its task) in the Prometheus metrics.
* ``TaskTelemetry`` is a DSPy callback: module runs, LM calls (GenAI semantic conventions) and ``dspy.Evaluate``
  runs become spans nested as DSPy nests the calls, and LM calls feed the LM metrics.

Prompt and completion text are recorded only with ``DSPY_SERVICE_OTEL_CAPTURE_CONTENT=true``; exception messages
(which may quote LM output) are never recorded, only their type.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import os
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

import grpc
from dspy.utils.callback import BaseCallback
from opentelemetry import baggage, propagate, trace
from opentelemetry import context as otel_context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode

from dspy_service.errors import ServiceError
from dspy_service.telemetry import metrics

logger = logging.getLogger(__name__)

TRACER_NAME = "dspy_service"
DEFAULT_SERVICE_NAME = "dspy-python-service"
RPC_SERVICE = "dspysuite.dspy.v1.DspyService"
# Caller-supplied tenant id: gRPC metadata, or W3C baggage (set once upstream, it travels through Kafka and gRPC).
TENANT_METADATA_KEY = "x-tenant-id"
TENANT_BAGGAGE_KEY = "tenant.id"
_MAX_TENANT_CHARS = 128
_MAX_CONTENT_CHARS = 16 * 1024
# gRPC codes that mark a SERVER span as failed (OpenTelemetry RPC conventions); client mistakes such as
# INVALID_ARGUMENT leave the span status unset but still carry error.type.
_SERVER_ERROR_CODES = frozenset(
    {
        grpc.StatusCode.UNKNOWN,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.UNIMPLEMENTED,
        grpc.StatusCode.INTERNAL,
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DATA_LOSS,
    }
)


def _tracer() -> trace.Tracer:
    return trace.get_tracer(TRACER_NAME)


def otlp_traces_endpoint(env: Mapping[str, str]) -> str | None:
    """The OTLP/HTTP traces URL: ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` as given, else ``OTEL_EXPORTER_OTLP_ENDPOINT``
    plus ``/v1/traces`` (as the OpenTelemetry specification says), else None."""
    traces = (env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or "").strip()
    if traces:
        return traces
    base = (env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or "").strip()
    return f"{base.rstrip('/')}/v1/traces" if base else None


def configure_tracing(env: Mapping[str, str] | None = None) -> TracerProvider:
    """Install the process's tracer provider: service name from ``OTEL_SERVICE_NAME`` (default
    ``dspy-python-service``), an OTLP/HTTP exporter behind a BatchSpanProcessor only when an endpoint is configured.
    Call ``shutdown()`` on the result to flush on exit."""
    env = os.environ if env is None else env
    resource = Resource.create()
    if str(resource.attributes.get("service.name", "")).startswith("unknown_service"):
        resource = resource.merge(Resource({"service.name": DEFAULT_SERVICE_NAME}))
    provider = TracerProvider(resource=resource)
    endpoint = otlp_traces_endpoint(env)
    if endpoint and (env.get("OTEL_SDK_DISABLED") or "").lower() != "true":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        # Headers, timeout and compression still come from the standard OTEL_EXPORTER_OTLP_* variables.
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
        logger.info("trace export enabled", extra={"protocol": "http/protobuf", "endpoint": endpoint})
    trace.set_tracer_provider(provider)
    return provider


def _detach(token: object) -> None:
    # A call's async generator may be finalised from another context (a cancelled call): the context is gone with it
    # then, and OpenTelemetry's detach would log an error for that.
    from opentelemetry.context import _RUNTIME_CONTEXT

    with suppress(ValueError):
        _RUNTIME_CONTEXT.detach(token)  # type: ignore[arg-type]


def _clean_tenant(value: str | None) -> str | None:
    if not value:
        return None
    value = value.strip()
    if not value or len(value) > _MAX_TENANT_CHARS or not value.isprintable():
        return None
    return value


@dataclass
class RpcScope:
    """One gRPC call in flight: its server span, and what the handler learns about the task and its outcome."""

    method: str
    span: trace.Span
    tenant_id: str | None
    kind: str | None = None
    error: ServiceError | None = None

    def task(self, task_id: str, kind: str, attempt: int = 0) -> None:
        self.kind = kind
        self.span.set_attribute("dspy_suite.task_id", task_id)
        self.span.set_attribute("dspy_suite.task_kind", kind)
        if attempt:
            self.span.set_attribute("dspy_suite.attempt", attempt)

    def failed(self, error: ServiceError) -> None:
        self.error = error


def _metadata(context: grpc.aio.ServicerContext) -> dict[str, str]:
    return {m.key: m.value for m in (context.invocation_metadata() or ()) if isinstance(m.value, str)}


@contextmanager
def rpc_scope(method: str, context: grpc.aio.ServicerContext) -> Iterator[RpcScope]:
    """The SERVER span of a call (current for the handler and the worker threads it starts), its status code, and
    the ``dspy_service_rpc_requests_total`` / ``dspy_service_tasks_total`` counts."""
    carrier = _metadata(context)
    parent = propagate.extract(carrier)
    tenant = _clean_tenant(carrier.get(TENANT_METADATA_KEY)) or _clean_tenant(
        str(baggage.get_baggage(TENANT_BAGGAGE_KEY, parent) or "")
    )
    attributes: dict[str, Any] = {"rpc.system": "grpc", "rpc.service": RPC_SERVICE, "rpc.method": method}
    if tenant:
        attributes["dspy_suite.tenant_id"] = tenant
    span = _tracer().start_span(f"{RPC_SERVICE}/{method}", context=parent, kind=SpanKind.SERVER, attributes=attributes)
    scope = RpcScope(method, span, tenant)
    token = otel_context.attach(trace.set_span_in_context(span, parent))
    code = grpc.StatusCode.OK
    try:
        yield scope
    except (asyncio.CancelledError, GeneratorExit):
        code = grpc.StatusCode.CANCELLED
        raise
    except BaseException:
        # abort_with_status raises once the handler has recorded its error; anything else is unexpected.
        code = scope.error.kind.code if scope.error is not None else grpc.StatusCode.UNKNOWN
        raise
    else:
        code = scope.error.kind.code if scope.error is not None else grpc.StatusCode.OK
    finally:
        _finish_rpc(scope, code)
        _detach(token)


def _finish_rpc(scope: RpcScope, code: grpc.StatusCode) -> None:
    span = scope.span
    span.set_attribute("rpc.grpc.status_code", code.value[0])
    if code != grpc.StatusCode.OK:
        span.set_attribute("error.type", scope.error.reason if scope.error is not None else code.name)
        if code in _SERVER_ERROR_CODES:
            span.set_status(Status(StatusCode.ERROR, scope.error.reason if scope.error is not None else code.name))
    span.end()
    metrics.RPC_REQUESTS.labels(scope.method, code.name).inc()
    if scope.kind is not None:
        if code == grpc.StatusCode.OK:
            outcome = "succeeded"
        elif scope.error is not None:
            outcome = scope.error.reason.lower()
        else:
            outcome = code.name.lower()
        metrics.TASKS.labels(scope.kind, outcome).inc()


@contextmanager
def internal_span(name: str, attributes: Mapping[str, Any]) -> Iterator[trace.Span]:
    """A span around synchronous work on one thread (an optimizer's compile, an evaluation)."""
    with _tracer().start_as_current_span(name, attributes=dict(attributes), record_exception=False) as span:
        yield span


# --- DSPy callback -------------------------------------------------------------------------------------------------


@dataclass
class _OpenSpan:
    span: trace.Span
    token: object
    model: str | None = None
    started: float = 0.0
    input_tokens: int = 0
    output_tokens: int = 0
    usage_token: contextvars.Token[_OpenSpan | None] | None = field(default=None, repr=False)


# The LM call under way on this thread: DSPy reports a call's usage (to the task's usage tracker) between the
# callback's on_lm_start and on_lm_end, on the same thread.
_current_lm_call: contextvars.ContextVar[_OpenSpan | None] = contextvars.ContextVar(
    "dspy_service_lm_call", default=None
)


def _tokens(usage: Mapping[str, Any]) -> tuple[int, int]:
    def count(*keys: str) -> int:
        for key in keys:
            value = usage.get(key)
            if isinstance(value, int | float):
                return int(value)
        return 0

    return count("prompt_tokens", "input_tokens"), count("completion_tokens", "output_tokens")


def record_lm_usage(model: str, usage: Mapping[str, Any]) -> None:
    """Token counts of one LM call: onto its span (when traced) and into ``dspy_service_lm_tokens_total``."""
    input_tokens, output_tokens = _tokens(usage)
    call = _current_lm_call.get()
    if call is not None:
        model = call.model or model
        call.input_tokens += input_tokens
        call.output_tokens += output_tokens
        call.span.set_attribute("gen_ai.usage.input_tokens", call.input_tokens)
        call.span.set_attribute("gen_ai.usage.output_tokens", call.output_tokens)
    if input_tokens:
        metrics.LM_TOKENS.labels(model, "input").inc(input_tokens)
    if output_tokens:
        metrics.LM_TOKENS.labels(model, "output").inc(output_tokens)


def provider_name(model: str) -> str:
    """``gen_ai.provider.name``: the LiteLLM provider prefix (``openai/...``), ``llama_cpp`` for ``local/...``,
    else the model name itself (``simulated``, test doubles)."""
    prefix = model.split("/", 1)[0] if "/" in model else model
    return "llama_cpp" if prefix == "local" else prefix


def _signature_text(instance: Any) -> str | None:
    signature = getattr(instance, "signature", None)
    if signature is None:
        predict = getattr(instance, "predict", None)  # ChainOfThought and friends wrap a Predict
        signature = getattr(predict, "signature", None)
    text = getattr(signature, "signature", None)
    return text if isinstance(text, str) else None


def _truncate(text: str) -> str:
    return text if len(text) <= _MAX_CONTENT_CHARS else text[:_MAX_CONTENT_CHARS] + "…"


def _json(value: Any) -> str:
    return _truncate(json.dumps(value, ensure_ascii=False, default=str))


class TaskTelemetry(BaseCallback):
    """Spans and LM metrics for one task's DSPy calls. One instance per task, shared by the task's threads.

    Spans nest like the calls: a module span is the parent of the module's sub-modules and LM calls. DSPy's
    parallel executor (evaluations, optimizers) runs programs on threads that do not inherit the task thread's
    context; their top-level spans hang under the task's span (the context current when the callback was made), or
    under the evaluation or compile span inside ``threads_under_current_span``.
    """

    def __init__(
        self, task_id: str, task_kind: str, *, capture_content: bool = False, optimizer: str | None = None
    ) -> None:
        self.task_id = task_id
        self.task_kind = task_kind
        self.capture_content = capture_content
        self.optimizer = optimizer
        self._parent = otel_context.get_current()
        self._open: dict[str, _OpenSpan] = {}
        self._lock = threading.Lock()

    @contextmanager
    def threads_under_current_span(self) -> Iterator[None]:
        """While this block runs (an evaluation, a compile), spans of threads without a context hang under the span
        current here instead of the task's."""
        previous, self._parent = self._parent, otel_context.get_current()
        try:
            yield
        finally:
            self._parent = previous

    def _parent_context(self) -> otel_context.Context:
        if trace.get_current_span().get_span_context().is_valid:
            return otel_context.get_current()
        return self._parent

    def _start(self, call_id: str, name: str, kind: SpanKind, attributes: dict[str, Any]) -> _OpenSpan:
        parent = self._parent_context()
        span = _tracer().start_span(name, context=parent, kind=kind, attributes=attributes)
        opened = _OpenSpan(span, otel_context.attach(trace.set_span_in_context(span, parent)))
        with self._lock:
            self._open[call_id] = opened
        return opened

    def _end(self, call_id: str, exception: BaseException | None) -> _OpenSpan | None:
        with self._lock:
            opened = self._open.pop(call_id, None)
        if opened is None:
            return None
        _detach(opened.token)
        if exception is not None:
            error_type = type(exception).__qualname__
            opened.span.set_attribute("error.type", error_type)
            opened.span.set_status(Status(StatusCode.ERROR, error_type))
        return opened

    def _task_attributes(self) -> dict[str, Any]:
        return {"dspy_suite.task_id": self.task_id, "dspy_suite.task_kind": self.task_kind}

    # Modules --------------------------------------------------------------------------------------------------------

    def on_module_start(self, call_id: str, instance: Any, inputs: dict[str, Any]) -> None:
        name = type(instance).__name__
        attributes = {"dspy.module": name, **self._task_attributes()}
        signature = _signature_text(instance)
        if signature:
            attributes["dspy.signature"] = signature
        self._start(call_id, f"dspy.module {name}", SpanKind.INTERNAL, attributes)

    def on_module_end(self, call_id: str, outputs: Any | None, exception: Exception | None = None) -> None:
        opened = self._end(call_id, exception)
        if opened is not None:
            opened.span.end()

    # LM calls (GenAI semantic conventions) ------------------------------------------------------------------------

    def on_lm_start(self, call_id: str, instance: Any, inputs: dict[str, Any]) -> None:
        model = str(getattr(instance, "model", "") or "unknown")
        operation = "chat" if getattr(instance, "model_type", "chat") == "chat" else "text_completion"
        provider = provider_name(model)
        params = {**(getattr(instance, "kwargs", None) or {}), **(inputs.get("kwargs") or {})}
        attributes: dict[str, Any] = {
            "gen_ai.operation.name": operation,
            "gen_ai.provider.name": provider,
            "gen_ai.system": provider,  # the attribute's name before semantic conventions 1.37
            "gen_ai.request.model": model,
            **self._task_attributes(),
        }
        for key, attribute in (
            ("max_tokens", "gen_ai.request.max_tokens"),
            ("temperature", "gen_ai.request.temperature"),
        ):
            value = params.get(key)
            if isinstance(value, int | float) and not isinstance(value, bool):
                attributes[attribute] = value
        if self.capture_content:
            messages = inputs.get("messages")
            attributes["gen_ai.input.messages"] = _json(
                messages if messages is not None else [{"role": "user", "content": inputs.get("prompt")}]
            )
        opened = self._start(call_id, f"{operation} {model}", SpanKind.CLIENT, attributes)
        opened.model = model
        opened.started = time.perf_counter()
        opened.usage_token = _current_lm_call.set(opened)
        metrics.LM_IN_FLIGHT.inc()

    def on_lm_end(self, call_id: str, outputs: Any | None, exception: Exception | None = None) -> None:
        opened = self._end(call_id, exception)
        if opened is None:
            return
        if opened.usage_token is not None:
            with suppress(ValueError):
                _current_lm_call.reset(opened.usage_token)
        metrics.LM_IN_FLIGHT.dec()
        model = opened.model or "unknown"
        metrics.LM_CALL_DURATION.labels(model).observe(time.perf_counter() - opened.started)
        if exception is None:
            # Models run by this worker (llama.cpp, simulated, test doubles) answer as the model they were asked for;
            # LiteLLM providers may answer with a dated variant that DSPy does not hand to callbacks.
            if provider_name(model) == model or model.startswith("local/"):
                opened.span.set_attribute("gen_ai.response.model", model)
            if self.capture_content and outputs is not None:
                opened.span.set_attribute("gen_ai.output.messages", _json(outputs))
        opened.span.end()

    # Evaluations (dspy.Evaluate, e.g. an optimizer's trials) --------------------------------------------------------

    def on_evaluate_start(self, call_id: str, instance: Any, inputs: dict[str, Any]) -> None:
        attributes = self._task_attributes()
        if self.optimizer:
            attributes["dspy_suite.optimizer"] = self.optimizer
        self._start(call_id, "dspy.evaluate", SpanKind.INTERNAL, attributes)

    def on_evaluate_end(self, call_id: str, outputs: Any | None, exception: Exception | None = None) -> None:
        opened = self._end(call_id, exception)
        if self.optimizer:
            metrics.OPTIMIZER_TRIALS.labels(self.optimizer).inc()
        if opened is None:
            return
        score = getattr(outputs, "score", None)
        if isinstance(score, int | float):
            opened.span.set_attribute("dspy_suite.score", float(score))
        opened.span.end()
