"""Traces, metrics and log correlation, through the real grpc.aio server and channel."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import threading
import urllib.request
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import grpc
import pytest
from dspy.utils import DummyLM
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from prometheus_client import REGISTRY

from dspy_service.config import Settings, TelemetrySettings
from dspy_service.logs import JsonFormatter
from dspy_service.server import start_server
from dspy_service.telemetry.metrics import start_metrics_server
from dspy_service.telemetry.tracing import configure_tracing, otlp_traces_endpoint, provider_name
from dspysuite.dspy.v1 import dspy_service_pb2 as pb
from dspysuite.dspy.v1 import dspy_service_pb2_grpc as pb_grpc
from tests.conftest import FactoryLMProvider, serve_stub
from tests.fakes import FieldEchoLM
from tests.helpers import collect, request, struct

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_SPAN_ID = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{PARENT_SPAN_ID}-01"
QUESTION = "What is the capital of France?"


@pytest.fixture(scope="session")
def _span_exporter() -> InMemorySpanExporter:
    # The global tracer provider can be set once per process: this session's spans all go to one in-memory exporter.
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    return exporter


@pytest.fixture
def spans(_span_exporter: InMemorySpanExporter) -> Iterator[InMemorySpanExporter]:
    _span_exporter.clear()
    yield _span_exporter
    _span_exporter.clear()


@asynccontextmanager
async def echo_server(capture_content: bool = False) -> AsyncIterator[pb_grpc.DspyServiceStub]:
    settings = Settings(
        host="127.0.0.1", port=0, workers=4, telemetry=TelemetrySettings(capture_content=capture_content)
    )
    running = await start_server(settings, FactoryLMProvider(lambda: FieldEchoLM({"capital of France": "Paris"})))
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
            yield pb_grpc.DspyServiceStub(channel)
    finally:
        await running.stop(0.5)


def by_name(finished: tuple[ReadableSpan, ...], name: str) -> ReadableSpan:
    matching = [s for s in finished if s.name == name]
    assert len(matching) == 1, [s.name for s in finished]
    return matching[0]


def all_attribute_text(finished: tuple[ReadableSpan, ...]) -> str:
    return json.dumps([dict(s.attributes or {}) for s in finished], default=str)


async def test_predict_spans_nest_under_the_callers_traceparent(spans: InMemorySpanExporter) -> None:
    async with echo_server() as stub:
        result = await stub.Predict(
            request(module="chain_of_thought", task_id="task-trace"), metadata=(("traceparent", TRACEPARENT),)
        )
    assert result.outputs["answer"] == "Paris"
    finished = spans.get_finished_spans()

    server = by_name(finished, "dspysuite.dspy.v1.DspyService/Predict")
    assert server.kind == SpanKind.SERVER
    assert format(server.context.trace_id, "032x") == TRACE_ID
    assert server.parent is not None
    assert format(server.parent.span_id, "016x") == PARENT_SPAN_ID
    assert server.parent.is_remote
    assert (
        dict(server.attributes or {}).items()
        >= {
            "rpc.system": "grpc",
            "rpc.service": "dspysuite.dspy.v1.DspyService",
            "rpc.method": "Predict",
            "rpc.grpc.status_code": 0,
            "dspy_suite.task_id": "task-trace",
            "dspy_suite.task_kind": "predict",
        }.items()
    )

    chain = by_name(finished, "dspy.module ChainOfThought")
    assert chain.parent is not None
    assert chain.parent.span_id == server.context.span_id
    assert (
        dict(chain.attributes or {}).items()
        >= {
            "dspy.module": "ChainOfThought",
            "dspy.signature": "question -> reasoning, answer",
            "dspy_suite.task_id": "task-trace",
            "dspy_suite.task_kind": "predict",
        }.items()
    )
    predict = by_name(finished, "dspy.module Predict")
    assert predict.parent is not None
    assert predict.parent.span_id == chain.context.span_id

    lm = by_name(finished, "chat echo")
    assert lm.kind == SpanKind.CLIENT
    assert lm.parent is not None
    assert lm.parent.span_id == predict.context.span_id
    assert {s.context.trace_id for s in (server, chain, predict, lm)} == {server.context.trace_id}
    assert (
        dict(lm.attributes or {}).items()
        >= {
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": "echo",
            "gen_ai.request.model": "echo",
            "gen_ai.response.model": "echo",
            "gen_ai.request.max_tokens": 1000,
            "gen_ai.request.temperature": 0.0,
            "gen_ai.usage.input_tokens": 10,
            "gen_ai.usage.output_tokens": 5,
        }.items()
    )
    # No prompt or completion text unless DSPY_SERVICE_OTEL_CAPTURE_CONTENT is on.
    text = all_attribute_text(finished)
    assert QUESTION not in text
    assert "Paris" not in text
    assert "gen_ai.input.messages" not in text


async def test_prompt_and_completion_are_recorded_only_when_enabled(spans: InMemorySpanExporter) -> None:
    async with echo_server(capture_content=True) as stub:
        await stub.Predict(request(task_id="task-content"))
    lm = by_name(spans.get_finished_spans(), "chat echo")
    attributes = dict(lm.attributes or {})
    assert QUESTION in str(attributes["gen_ai.input.messages"])
    assert "Paris" in str(attributes["gen_ai.output.messages"])


async def test_execute_stream_and_errors_are_spans_with_status(spans: InMemorySpanExporter) -> None:
    async with echo_server() as stub:
        updates = await collect(stub.Execute(request(task_id="task-stream"), metadata=(("traceparent", TRACEPARENT),)))
        assert updates[-1].WhichOneof("update") == "result"
        with pytest.raises(grpc.aio.AioRpcError):
            await stub.Predict(request(options={"model": "not-allowed"}, task_id="task-bad"))
    finished = spans.get_finished_spans()
    execute = by_name(finished, "dspysuite.dspy.v1.DspyService/Execute")
    assert format(execute.context.trace_id, "032x") == TRACE_ID
    assert by_name(finished, "dspy.module Predict").parent.span_id == execute.context.span_id  # type: ignore[union-attr]
    failed = by_name(finished, "dspysuite.dspy.v1.DspyService/Predict")
    attributes = dict(failed.attributes or {})
    assert attributes["rpc.grpc.status_code"] == grpc.StatusCode.INVALID_ARGUMENT.value[0]
    assert attributes["error.type"] == "INVALID_PROGRAM"
    # A client mistake is not a server failure (RPC semantic conventions): the status stays unset.
    assert failed.status.status_code == StatusCode.UNSET


async def test_a_failing_lm_call_is_an_error_span(spans: InMemorySpanExporter) -> None:
    class Broken(DummyLM):
        def forward(self, prompt: Any = None, messages: Any = None, **kwargs: Any) -> Any:
            raise ConnectionError("refused")

    settings = Settings(host="127.0.0.1", port=0, workers=2)
    running = await start_server(settings, FactoryLMProvider(lambda: Broken({})))
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
            with pytest.raises(grpc.aio.AioRpcError) as raised:
                await pb_grpc.DspyServiceStub(channel).Predict(request(task_id="task-broken"))
    finally:
        await running.stop(0.5)
    assert raised.value.code() == grpc.StatusCode.UNAVAILABLE
    finished = spans.get_finished_spans()
    lm = by_name(finished, "chat dummy")
    assert lm.status.status_code == StatusCode.ERROR
    assert (lm.attributes or {})["error.type"] == "ConnectionError"
    server = by_name(finished, "dspysuite.dspy.v1.DspyService/Predict")
    assert server.status.status_code == StatusCode.ERROR
    assert (server.attributes or {})["error.type"] == "LM_UNAVAILABLE"


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_metrics_move_after_calls() -> None:
    names = {
        "rpc_ok": ("dspy_service_rpc_requests_total", {"method": "Predict", "code": "OK"}),
        "rpc_bad": ("dspy_service_rpc_requests_total", {"method": "Predict", "code": "INVALID_ARGUMENT"}),
        "task_ok": ("dspy_service_tasks_total", {"kind": "predict", "outcome": "succeeded"}),
        "task_bad": ("dspy_service_tasks_total", {"kind": "predict", "outcome": "invalid_program"}),
        "tokens_in": ("dspy_service_lm_tokens_total", {"model": "echo", "direction": "input"}),
        "tokens_out": ("dspy_service_lm_tokens_total", {"model": "echo", "direction": "output"}),
        "lm_calls": ("dspy_service_lm_call_duration_seconds_count", {"model": "echo"}),
    }
    before = {key: sample(name, **labels) for key, (name, labels) in names.items()}
    async with echo_server() as stub:
        await asyncio.gather(*(stub.Predict(request(task_id=f"m{i}")) for i in range(3)))
        with pytest.raises(grpc.aio.AioRpcError):
            await stub.Predict(request(options={"model": "not-allowed"}))
    moved = {key: sample(name, **labels) - before[key] for key, (name, labels) in names.items()}
    assert moved == {
        "rpc_ok": 3,
        "rpc_bad": 1,
        "task_ok": 3,
        "task_bad": 1,
        "tokens_in": 30,
        "tokens_out": 15,
        "lm_calls": 3,
    }
    assert sample("dspy_service_lm_in_flight") == 0


async def test_output_parse_failures_are_counted(stub) -> None:
    before = sample("dspy_service_output_parse_failures_total")
    with pytest.raises(grpc.aio.AioRpcError):
        await stub.Predict(request(inputs={"question": "something nobody scripted"}))
    assert sample("dspy_service_output_parse_failures_total") > before


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_metrics_endpoint_serves_prometheus_text() -> None:
    async with echo_server() as stub:
        await stub.Predict(request(task_id="scraped"))
    port = free_port()
    server = start_metrics_server("127.0.0.1", port)
    assert server is not None
    try:

        def scrape() -> str:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
                return response.read().decode()

        text = await asyncio.to_thread(scrape)
    finally:
        server.shutdown()
    for name in (
        "dspy_service_rpc_requests_total",
        "dspy_service_lm_call_duration_seconds_bucket",
        "dspy_service_lm_tokens_total",
        "dspy_service_lm_in_flight",
        "dspy_service_output_parse_failures_total",
        "dspy_service_optimizer_trials_total",
        "dspy_service_tasks_total",
        "dspy_service_lm_cache_hits_total",
    ):
        assert name in text
    assert 'dspy_service_rpc_requests_total{code="OK",method="Predict"}' in text


def test_metrics_port_zero_disables_the_endpoint() -> None:
    assert start_metrics_server("127.0.0.1", 0) is None


class _Lines(logging.Handler):
    """Formats on the thread that logs (as the service's stderr handler does) and keeps the JSON lines."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(JsonFormatter())
        self.lines: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


async def test_log_lines_carry_trace_span_and_tenant(spans: InMemorySpanExporter) -> None:
    handler = _Lines()
    service_logger = logging.getLogger("dspy_service")
    service_logger.addHandler(handler)
    previous = service_logger.level
    service_logger.setLevel(logging.INFO)
    try:
        async with echo_server() as stub:
            await stub.Predict(
                request(task_id="task-logs"), metadata=(("traceparent", TRACEPARENT), ("x-tenant-id", "tenant-42"))
            )
    finally:
        service_logger.removeHandler(handler)
        service_logger.setLevel(previous)
    finished = [line for line in handler.lines if line["message"] == "task finished"]
    assert len(finished) == 1
    line = finished[0]
    server = by_name(spans.get_finished_spans(), "dspysuite.dspy.v1.DspyService/Predict")
    assert line["trace_id"] == TRACE_ID
    assert line["span_id"] == format(server.context.span_id, "016x")
    assert line["task_id"] == "task-logs"
    assert line["tenant_id"] == "tenant-42"
    assert (server.attributes or {})["dspy_suite.tenant_id"] == "tenant-42"
    assert QUESTION not in json.dumps(handler.lines)


def test_tracing_configuration_exports_only_with_an_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    assert otlp_traces_endpoint({}) is None
    assert otlp_traces_endpoint({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318/"}) == "http://c:4318/v1/traces"
    assert otlp_traces_endpoint({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://c:4318/t"}) == "http://c:4318/t"
    # configure_tracing sets the global provider; keep the test session's provider in place.
    monkeypatch.setattr(trace, "set_tracer_provider", lambda provider: None)
    monkeypatch.delenv("OTEL_SERVICE_NAME", raising=False)
    monkeypatch.delenv("OTEL_RESOURCE_ATTRIBUTES", raising=False)
    quiet = configure_tracing({})
    assert quiet._active_span_processor._span_processors == ()
    assert quiet.resource.attributes["service.name"] == "dspy-python-service"
    quiet.shutdown()

    received: list[str] = []

    class Collector(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            received.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    collector = ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    threading.Thread(target=collector.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("OTEL_SERVICE_NAME", "dspy-worker-7")
        exporting = configure_tracing({"OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{collector.server_port}"})
        assert exporting.resource.attributes["service.name"] == "dspy-worker-7"
        exporting.get_tracer("test").start_span("exported").end()
        exporting.shutdown()  # flushes the batch
    finally:
        collector.shutdown()
    assert received == ["/v1/traces"]


def test_provider_names() -> None:
    assert provider_name("openai/gpt-4o-mini") == "openai"
    assert provider_name("local/smollm2-135m-instruct") == "llama_cpp"
    assert provider_name("simulated") == "simulated"


async def test_evaluate_runs_are_spans(spans: InMemorySpanExporter) -> None:
    async with echo_server() as stub:
        req = request(kind=pb.TASK_KIND_EVALUATE, task_id="task-eval")
        req.evaluate.CopyFrom(
            pb.EvaluateSpec(metric="exact_match", devset=[struct({"question": QUESTION, "answer": "Paris"})])
        )
        updates = await collect(stub.Execute(req))
    assert updates[-1].result.evaluation.score == pytest.approx(100.0)
    finished = spans.get_finished_spans()
    evaluation = by_name(finished, "dspy_suite.evaluate")
    server = by_name(finished, "dspysuite.dspy.v1.DspyService/Execute")
    assert evaluation.parent is not None
    assert evaluation.parent.span_id == server.context.span_id
    # The example ran on an evaluation thread, which does not inherit the context: its span still hangs under the
    # evaluation.
    predict = by_name(finished, "dspy.module Predict")
    assert predict.parent is not None
    assert predict.parent.span_id == evaluation.context.span_id
    assert (predict.attributes or {})["dspy_suite.task_kind"] == "evaluate"


async def test_optimization_phases_and_trials_are_spans(spans: InMemorySpanExporter) -> None:
    from tests.test_tasks import QA_ANSWERS, optimize_request

    params = {"num_candidate_programs": 1, "num_threads": 2}
    async with serve_stub(FactoryLMProvider(lambda: DummyLM(QA_ANSWERS))) as stub:
        updates = await collect(stub.Execute(optimize_request("bootstrap_few_shot_with_random_search", params)))
    assert updates[-1].WhichOneof("update") == "result"
    finished = spans.get_finished_spans()
    server = by_name(finished, "dspysuite.dspy.v1.DspyService/Execute")
    compile_span = by_name(finished, "dspy_suite.compile")
    assert compile_span.parent.span_id == server.context.span_id  # type: ignore[union-attr]
    phases = {
        (s.attributes or {})["dspy_suite.phase"]: s
        for s in finished
        if s.name == "dspy_suite.evaluate" and s.parent.span_id == server.context.span_id  # type: ignore[union-attr]
    }
    assert set(phases) == {"before", "after"}
    trials = [s for s in finished if s.name == "dspy.evaluate"]
    trial_updates = [u for u in updates if u.WhichOneof("update") == "progress" and u.progress.phase == "trial"]
    assert len(trials) == len(trial_updates) > 0
    assert all(t.parent.span_id == compile_span.context.span_id for t in trials)  # type: ignore[union-attr]
    assert all((t.attributes or {})["dspy_suite.optimizer"] == "bootstrap_few_shot_with_random_search" for t in trials)
    # Every module span of the task is in the task's trace, whichever thread ran it.
    assert {s.context.trace_id for s in finished if s.name.startswith("dspy.module")} == {server.context.trace_id}
