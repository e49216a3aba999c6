"""Runs one task (predict, evaluate, optimize): builds the program, runs it inside a DSPy context on a worker thread
(never on the event loop), reports progress and chunks through a callback, and collects usage."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
import math
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from weakref import WeakSet

import dspy
import tqdm
from dspy.utils.callback import BaseCallback
from dspy.utils.usage_tracker import UsageTracker

from dspy_service.cancellation import CANCEL_SETTING, CancelToken, TaskCancelledError, cancellation_scope
from dspy_service.errors import CANCELLED, INVALID_INPUTS, UNSUPPORTED_KIND, ServiceError, classify
from dspy_service.evaluation import (
    DEFAULT_EVAL_THREADS,
    MAX_DEVSET,
    MAX_TRAINSET,
    EvaluationSummary,
    dataset_hash,
    evaluate_program,
    resolve_metric,
    to_examples,
)
from dspy_service.lm.durable_cache import CACHE_SETTING, DurableCallCache, prune
from dspy_service.lm.grammar import GrammarBudgetError
from dspy_service.lm.provider import LMProvider, ResolvedLM
from dspy_service.optimizers import OPTIMIZERS, OptimizationProgress, Progress
from dspy_service.programs import BuiltProgram, ProgramSpec, build_program, prediction_outputs, validate_inputs
from dspy_service.state import count_demos, dump_program_state
from dspy_service.streaming import STREAM_SETTING, FieldStreamer, listeners_can_stream, stream_with_listeners
from dspy_service.telemetry.tracing import TaskTelemetry, internal_span, record_lm_usage

logger = logging.getLogger(__name__)

MAX_TEMPERATURE = 2.0
MAX_MAX_TOKENS = 32_768
_OPTION_KEYS = frozenset({"model", "temperature", "max_tokens"})


def configure_dspy_runtime() -> None:
    """Process-wide DSPy setup for a server: no response caches (every task really runs; nothing is pickled to disk).

    Per-request settings (LM, adapter, history off, callbacks) are applied with ``dspy.context`` on the worker thread;
    ``dspy.configure`` is never called per request.
    """
    dspy.configure_cache(enable_disk_cache=False, enable_memory_cache=False)
    tolerate_concurrent_progress_bar_resets()


class _ClearTolerantBarRegistry(WeakSet):  # type: ignore[type-arg]
    """tqdm's registry of live bars, whose ``remove`` forgives a bar that is already gone.

    DSPy's ``ParallelExecutor.execute`` calls ``tqdm.tqdm._instances.clear()`` without tqdm's lock. With several
    evaluations or optimizer trials running at once on worker threads, that clear can land between a disabled bar's
    registration (``tqdm.__new__``) and its unregistration (``tqdm.__init__``), which then raises ``KeyError`` and
    failed a whole evaluation as INTERNAL (found by the chaos soak). tqdm's own ``_decr_instances`` already ignores
    that ``KeyError``; this makes the disabled-bar path do the same.
    """

    def remove(self, item: object) -> None:
        self.discard(item)


def tolerate_concurrent_progress_bar_resets() -> None:
    """Install :class:`_ClearTolerantBarRegistry` as tqdm's bar registry (idempotent; keeps the bars it holds)."""
    with tqdm.tqdm.get_lock():
        if not isinstance(tqdm.tqdm._instances, _ClearTolerantBarRegistry):
            tqdm.tqdm._instances = _ClearTolerantBarRegistry(tqdm.tqdm._instances)


@dataclass(frozen=True)
class TaskOptions:
    model: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None

    @classmethod
    def parse(cls, options: dict[str, Any]) -> TaskOptions:
        unknown = sorted(set(options) - _OPTION_KEYS)
        if unknown:
            raise ServiceError(INVALID_INPUTS, f"unknown option(s): {', '.join(unknown)}")
        model = options.get("model")
        if model is not None and not isinstance(model, str):
            raise ServiceError(INVALID_INPUTS, "option 'model' must be a string")
        temperature = options.get("temperature")
        if temperature is not None:
            if isinstance(temperature, bool) or not isinstance(temperature, int | float):
                raise ServiceError(INVALID_INPUTS, "option 'temperature' must be a number")
            if not (0.0 <= float(temperature) <= MAX_TEMPERATURE):
                raise ServiceError(INVALID_INPUTS, f"option 'temperature' must be between 0 and {MAX_TEMPERATURE}")
            temperature = float(temperature)
        max_tokens = options.get("max_tokens")
        if max_tokens is not None:
            valid = isinstance(max_tokens, int | float) and not isinstance(max_tokens, bool)
            if not valid or not math.isfinite(max_tokens) or int(max_tokens) != max_tokens:
                raise ServiceError(INVALID_INPUTS, "option 'max_tokens' must be an integer")
            if not (1 <= int(max_tokens) <= MAX_MAX_TOKENS):
                raise ServiceError(INVALID_INPUTS, f"option 'max_tokens' must be between 1 and {MAX_MAX_TOKENS}")
            max_tokens = int(max_tokens)
        return cls(model=model or None, temperature=temperature, max_tokens=max_tokens)

    def lm_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {}
        if self.temperature is not None:
            config["temperature"] = self.temperature
        if self.max_tokens is not None:
            config["max_tokens"] = self.max_tokens
        return config


@dataclass(frozen=True)
class UsageTotals:
    input_tokens: int = 0
    output_tokens: int = 0
    lm_calls: int = 0
    lm_calls_replayed: int = 0


@dataclass(frozen=True)
class OptimizationSummary:
    state_json: str
    optimizer: str
    params: dict[str, Any]
    metric: str
    score_before: float
    score_after: float
    dataset_hash: str
    demos_count: int
    trainset_size: int
    devset_size: int
    compile_seconds: float


@dataclass(frozen=True)
class TaskOutcome:
    outputs: dict[str, Any]
    usage: UsageTotals
    model: str
    seconds: float = 0.0
    evaluation: EvaluationSummary | None = None
    optimization: OptimizationSummary | None = None


@dataclass(frozen=True)
class EvaluateRequest:
    metric: str = ""
    devset: tuple[dict[str, Any], ...] = ()
    max_examples: int = 0
    num_threads: int = 0
    max_outcomes: int = 0


@dataclass(frozen=True)
class OptimizeRequest:
    optimizer: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    metric: str = ""
    trainset: tuple[dict[str, Any], ...] = ()
    devset: tuple[dict[str, Any], ...] = ()


TaskKind = Literal["predict", "evaluate", "optimize"]


@dataclass(frozen=True)
class TaskRequest:
    """Everything one task needs (stateless workers: nothing is looked up from earlier calls)."""

    task_id: str
    kind: TaskKind
    program: ProgramSpec | None
    inputs: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    state_json: str = ""
    evaluate: EvaluateRequest | None = None
    optimize: OptimizeRequest | None = None
    extra_tools: dict[str, dspy.Tool] = field(default_factory=dict)
    stream: bool = False


@dataclass(frozen=True)
class Chunk:
    field: str
    text: str
    last: bool


Event = Progress | Chunk
EventSink = Callable[[Event], None]
"""Called from worker threads; must be thread-safe and must not block."""


@dataclass(frozen=True)
class PreparedTask:
    work: Callable[[CancelToken], TaskOutcome]
    executor: ThreadPoolExecutor


class _LMCallCounter(BaseCallback):
    """Counts LM calls of one task (a program may call the LM from several threads)."""

    def __init__(self) -> None:
        self.calls = 0
        self._lock = threading.Lock()

    def on_lm_end(self, call_id: str, outputs: Any, exception: Exception | None = None) -> None:
        with self._lock:
            self.calls += 1


class SharedUsageTracker(UsageTracker):
    """DSPy's UsageTracker, shared (not copied) by the threads of DSPy's parallel executor, and thread-safe.

    ``ParallelExecutor`` deep-copies the tracker into each worker thread and drops the copies; returning ``self``
    from ``__deepcopy__`` keeps every thread's usage in the task's totals.
    """

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()

    def __deepcopy__(self, memo: dict[int, Any]) -> SharedUsageTracker:
        return self

    def add_usage(self, lm: str, usage_entry: dict[str, Any]) -> None:
        with self._lock:
            super().add_usage(lm, usage_entry)
        # Called while the LM call is under way (on its thread): its span and the token metrics get the counts.
        record_lm_usage(lm, usage_entry)

    def totals(self) -> tuple[int, int]:
        with self._lock:
            totals = self.get_total_tokens()
        input_tokens = output_tokens = 0
        for usage in totals.values():
            input_tokens += int(usage.get("prompt_tokens") or usage.get("input_tokens") or 0)
            output_tokens += int(usage.get("completion_tokens") or usage.get("output_tokens") or 0)
        return input_tokens, output_tokens


StreamMode = Literal["none", "lm", "listeners"]


def _stream_mode(request: TaskRequest, built: BuiltProgram, resolved: ResolvedLM, lm: dspy.BaseLM) -> StreamMode:
    """How a predict task streams its output fields: not at all, by the LM itself (llama.cpp and test doubles feed a
    :class:`FieldStreamer`), or through DSPy's stream listeners (``dspy.LM``: LiteLLM or DSPy's native engine)."""
    if not (request.stream and built.streams):
        return "none"
    if not isinstance(lm, dspy.LM):
        return "lm"
    if listeners_can_stream(resolved.adapter):
        return "listeners"
    logger.info(
        "output fields are not streamed: DSPy's stream listeners cannot cut this adapter's output into field values",
        extra={"adapter": type(resolved.adapter).__name__},
    )
    return "none"


def _bounded(value: int, default: int, low: int, high: int, name: str) -> int:
    if not value:
        return default
    if not (low <= value <= high):
        raise ServiceError(INVALID_INPUTS, f"{name} must be between {low} and {high}")
    return value


class TaskRunner:
    """Runs tasks on thread pools so the gRPC event loop never blocks on DSPy or the LM.

    ``workers`` threads serve predict/evaluate tasks (an I/O-bound remote LM is called from many threads at once;
    the local llama.cpp model serialises its own calls behind a lock); ``optimize_workers`` threads run optimizations,
    so a long optimization never starves quick predictions.
    """

    def __init__(
        self,
        lm_provider: LMProvider,
        workers: int = 32,
        *,
        optimize_workers: int = 2,
        cache_dir: Path | None = None,
        cache_ttl_seconds: float = 24 * 3600,
        capture_content: bool = False,
    ) -> None:
        self.lm_provider = lm_provider
        self.capture_content = capture_content
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="dspy-worker")
        self.optimize_executor = ThreadPoolExecutor(max_workers=optimize_workers, thread_name_prefix="dspy-optimize")
        self.cache_dir = cache_dir
        self.cache_ttl_seconds = cache_ttl_seconds

    def shutdown(self) -> None:
        # Running calls finish their current LM call; queued ones are dropped.
        self.executor.shutdown(wait=False, cancel_futures=True)
        self.optimize_executor.shutdown(wait=False, cancel_futures=True)

    async def run_predict(
        self, program: ProgramSpec | None, inputs: dict[str, Any], options: dict[str, Any], cancel: CancelToken
    ) -> TaskOutcome:
        """A predict task without events (the unary Predict call)."""
        request = TaskRequest(task_id="", kind="predict", program=program, inputs=inputs, options=options)
        return await self.run(request, cancel)

    def prepare(self, request: TaskRequest, emit: EventSink | None = None) -> PreparedTask:
        """Validate the request and build its program (cheap, on the caller's thread): every request error is raised
        here, before any work starts."""
        sink: EventSink = emit or (lambda event: None)
        parsed_options = TaskOptions.parse(request.options)
        built = build_program(request.program, request.state_json, request.extra_tools)
        resolved = self.lm_provider.resolve(parsed_options.model)
        if request.kind == "predict":
            return PreparedTask(self._predict_work(request, built, resolved, parsed_options, sink), self.executor)
        if request.kind == "evaluate":
            return PreparedTask(self._evaluate_work(request, built, resolved, parsed_options, sink), self.executor)
        if request.kind == "optimize":
            work = self._optimize_work(request, built, resolved, parsed_options, sink)
            return PreparedTask(work, self.optimize_executor)
        raise ServiceError(UNSUPPORTED_KIND, f"task kind {request.kind!r} is not offered")

    async def run(self, request: TaskRequest, cancel: CancelToken, emit: EventSink | None = None) -> TaskOutcome:
        return await self.execute(self.prepare(request, emit), cancel)

    async def execute(self, prepared: PreparedTask, cancel: CancelToken) -> TaskOutcome:
        """Run a prepared task on its worker pool.

        If the awaiting coroutine is cancelled (the client went away), the token is set: the worker stops before its
        next LM call, but an LM call already under way runs to its end (llama.cpp and HTTP calls are not interruptible
        from here). The caller is not kept waiting for it.
        """

        def run_work() -> TaskOutcome:
            with cancellation_scope(cancel):
                return prepared.work(cancel)

        loop = asyncio.get_running_loop()
        context = contextvars.copy_context()
        future = loop.run_in_executor(prepared.executor, functools.partial(context.run, run_work))
        try:
            return await future
        except asyncio.CancelledError:
            cancel.cancel()
            raise
        except TaskCancelledError:
            raise ServiceError(CANCELLED, "the task was cancelled") from None
        except GrammarBudgetError as exc:
            raise ServiceError(INVALID_INPUTS, str(exc)) from None
        except Exception as exc:  # every other failure becomes a stable, safe error
            raise classify(exc) from None

    def _telemetry(self, request: TaskRequest, optimizer: str | None = None) -> TaskTelemetry:
        """Made on the task's worker thread, so spans of threads that lose the context hang under the task's span."""
        return TaskTelemetry(request.task_id, request.kind, capture_content=self.capture_content, optimizer=optimizer)

    @staticmethod
    def _lm_for(resolved: ResolvedLM, options: TaskOptions) -> dspy.BaseLM:
        config = options.lm_config()
        return resolved.lm.copy(**config) if config else resolved.lm

    def _settings(
        self, resolved: ResolvedLM, lm: dspy.BaseLM, cancel: CancelToken, callbacks: list[BaseCallback], **extra: Any
    ) -> dict[str, Any]:
        return {
            "lm": lm,
            "adapter": resolved.adapter,
            "disable_history": True,
            "callbacks": callbacks,
            CANCEL_SETTING: cancel,
            **extra,
        }

    def _predict_work(
        self,
        request: TaskRequest,
        built: BuiltProgram,
        resolved: ResolvedLM,
        options: TaskOptions,
        sink: EventSink,
    ) -> Callable[[CancelToken], TaskOutcome]:
        valid_inputs = validate_inputs(built.signature, request.inputs)
        lm = self._lm_for(resolved, options)

        streaming = _stream_mode(request, built, resolved, lm)

        def work(cancel: CancelToken) -> TaskOutcome:
            started = time.perf_counter()
            counter = _LMCallCounter()
            tracker = SharedUsageTracker()
            extra: dict[str, Any] = {"usage_tracker": tracker}

            def chunk_sink(field_name: str, text: str, last: bool) -> None:
                sink(Chunk(field_name, text, last))

            if streaming == "lm":
                extra[STREAM_SETTING] = FieldStreamer(chunk_sink)
            callbacks = [counter, self._telemetry(request)]
            with dspy.context(**self._settings(resolved, lm, cancel, callbacks, **extra)):
                if streaming == "listeners":
                    prediction = stream_with_listeners(built.module, valid_inputs, chunk_sink, cancel)
                else:
                    prediction = built.module(**valid_inputs)
            input_tokens, output_tokens = tracker.totals()
            return TaskOutcome(
                outputs=prediction_outputs(prediction, built),
                usage=UsageTotals(input_tokens, output_tokens, counter.calls),
                model=resolved.name,
                seconds=time.perf_counter() - started,
            )

        return work

    def _evaluate_work(
        self,
        request: TaskRequest,
        built: BuiltProgram,
        resolved: ResolvedLM,
        options: TaskOptions,
        sink: EventSink,
    ) -> Callable[[CancelToken], TaskOutcome]:
        spec = request.evaluate
        if spec is None or not spec.devset:
            raise ServiceError(INVALID_INPUTS, "an evaluate task needs evaluate.devset")
        metric = resolve_metric(spec.metric)
        rows = list(spec.devset)
        max_examples = _bounded(spec.max_examples, len(rows), 1, MAX_DEVSET, "evaluate.max_examples")
        examples = to_examples(built, rows[:max_examples], "devset", MAX_DEVSET)
        threads = _bounded(spec.num_threads, DEFAULT_EVAL_THREADS, 1, 16, "evaluate.num_threads")
        max_outcomes = _bounded(spec.max_outcomes, 50, 1, 200, "evaluate.max_outcomes")
        lm = self._lm_for(resolved, options)

        def work(cancel: CancelToken) -> TaskOutcome:
            started = time.perf_counter()
            counter = _LMCallCounter()
            tracker = SharedUsageTracker()

            def progress(done: int, total: int, score: float) -> None:
                sink(Progress("evaluating", done, total, current_score=score, message=f"{done}/{total} examples"))

            telemetry = self._telemetry(request)
            with (
                dspy.context(**self._settings(resolved, lm, cancel, [counter, telemetry], usage_tracker=tracker)),
                internal_span(
                    "dspy_suite.evaluate", {"dspy_suite.metric": metric.name, "dspy_suite.examples": len(examples)}
                ),
                telemetry.threads_under_current_span(),
            ):
                summary = evaluate_program(
                    built,
                    built.module,
                    examples,
                    metric,
                    num_threads=threads,
                    max_outcomes=max_outcomes,
                    progress=progress,
                )
            input_tokens, output_tokens = tracker.totals()
            return TaskOutcome(
                outputs={"score": summary.score},
                usage=UsageTotals(input_tokens, output_tokens, counter.calls),
                model=resolved.name,
                seconds=time.perf_counter() - started,
                evaluation=summary,
            )

        return work

    def _optimize_work(
        self,
        request: TaskRequest,
        built: BuiltProgram,
        resolved: ResolvedLM,
        options: TaskOptions,
        sink: EventSink,
    ) -> Callable[[CancelToken], TaskOutcome]:
        spec = request.optimize
        if spec is None or not spec.trainset:
            raise ServiceError(INVALID_INPUTS, "an optimize task needs optimize.trainset")
        optimizer = OPTIMIZERS.get(spec.optimizer.strip())
        if optimizer is None:
            raise ServiceError(
                INVALID_INPUTS, f"unknown optimizer {spec.optimizer!r}; offered: {', '.join(OPTIMIZERS)}"
            )
        if not optimizer.available:
            raise ServiceError(UNSUPPORTED_KIND, f"optimizer {optimizer.name!r} is not available on this worker")
        params = optimizer.resolve_params(spec.params)
        metric = resolve_metric(spec.metric)
        trainset = to_examples(built, list(spec.trainset), "trainset", MAX_TRAINSET)
        devset = to_examples(built, list(spec.devset), "devset", MAX_DEVSET) if spec.devset else trainset
        data_hash = dataset_hash(list(spec.trainset), list(spec.devset))
        lm = self._lm_for(resolved, options)
        cache: DurableCallCache | None = None
        if self.cache_dir is not None and request.task_id:
            prune(self.cache_dir, self.cache_ttl_seconds)
            cache = DurableCallCache(self.cache_dir, request.task_id)

        def work(cancel: CancelToken) -> TaskOutcome:
            started = time.perf_counter()
            counter = _LMCallCounter()
            tracker = SharedUsageTracker()
            rounds = int(params.get("max_rounds") or 1)
            tracking = OptimizationProgress(
                sink, bootstrap_total=len(trainset) * rounds, trials_total=optimizer.trials(params)
            )
            telemetry = self._telemetry(request, optimizer=optimizer.name)
            settings = self._settings(resolved, lm, cancel, [counter, tracking, telemetry], usage_tracker=tracker)
            if cache is not None:
                settings[CACHE_SETTING] = cache

            def evaluation_progress(label: str) -> Callable[[int, int, float], None]:
                def report(done: int, total: int, score: float) -> None:
                    sink(
                        Progress(
                            "evaluating", done, total, current_score=score, best_score=tracking.best, message=label
                        )
                    )

                return report

            def scored(label: str, module: dspy.Module) -> EvaluationSummary:
                attributes = {
                    "dspy_suite.metric": metric.name,
                    "dspy_suite.examples": len(devset),
                    "dspy_suite.phase": label,
                }
                with internal_span("dspy_suite.evaluate", attributes) as span, telemetry.threads_under_current_span():
                    summary = evaluate_program(
                        built,
                        module,
                        devset,
                        metric,
                        progress=evaluation_progress(label),
                        num_threads=int(params.get("num_threads") or DEFAULT_EVAL_THREADS),
                    )
                    span.set_attribute("dspy_suite.score", summary.score)
                    return summary

            with dspy.context(**settings):
                before = scored("before", built.module)
                tracking.best = before.score
                sink(
                    Progress(
                        "compiling",
                        0,
                        0,
                        current_score=before.score,
                        best_score=before.score,
                        message=f"compiling with {optimizer.name}",
                    )
                )
                teleprompter = optimizer.build(tracking.wrap_metric(metric.function), params)
                compile_started = time.perf_counter()
                with (
                    internal_span("dspy_suite.compile", {"dspy_suite.optimizer": optimizer.name}),
                    telemetry.threads_under_current_span(),
                ):
                    compiled = teleprompter.compile(built.module, **optimizer.compile_kwargs(trainset, devset, params))
                compile_seconds = time.perf_counter() - compile_started
                if cancel.cancelled:
                    raise TaskCancelledError("the task was cancelled")
                after = scored("after", compiled)
            best = max(before.score, after.score, tracking.best or 0.0)
            sink(Progress("compiled", 1, 1, current_score=after.score, best_score=best, message="compiled"))
            input_tokens, output_tokens = tracker.totals()
            summary = OptimizationSummary(
                state_json=dump_program_state(compiled),
                optimizer=optimizer.name,
                params=params,
                metric=metric.name,
                score_before=before.score,
                score_after=after.score,
                dataset_hash=data_hash,
                demos_count=count_demos(compiled),
                trainset_size=len(trainset),
                devset_size=len(devset),
                compile_seconds=compile_seconds,
            )
            replayed = cache.replayed if cache is not None else 0
            logger.info(
                "optimization finished",
                extra={
                    "optimizer": optimizer.name,
                    "lm_calls": counter.calls,
                    "lm_calls_replayed": replayed,
                    "score_before": before.score,
                    "score_after": after.score,
                    "compile_seconds": round(compile_seconds, 3),
                },
            )
            return TaskOutcome(
                outputs={"score_before": before.score, "score_after": after.score},
                usage=UsageTotals(input_tokens, output_tokens, counter.calls, replayed),
                model=resolved.name,
                seconds=time.perf_counter() - started,
                optimization=summary,
            )

        return work
