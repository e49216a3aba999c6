"""Runs one predict task: build the program, call it inside a DSPy context on a worker thread, collect usage."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
import math
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import dspy
from dspy.utils.callback import BaseCallback
from dspy.utils.usage_tracker import track_usage

from dspy_service.cancellation import CancelToken, TaskCancelledError, cancellation_scope
from dspy_service.errors import CANCELLED, INVALID_INPUTS, ServiceError, classify
from dspy_service.lm.grammar import GrammarBudgetError
from dspy_service.lm.provider import LMProvider
from dspy_service.programs import ProgramSpec, build_program, prediction_outputs, validate_inputs

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


@dataclass(frozen=True)
class TaskOutcome:
    outputs: dict[str, Any]
    usage: UsageTotals
    model: str
    seconds: float = 0.0


class _LMCallCounter(BaseCallback):
    """Counts LM calls of one task (a program may call the LM from several threads)."""

    def __init__(self) -> None:
        self.calls = 0
        self._lock = threading.Lock()

    def on_lm_end(self, call_id: str, outputs: Any, exception: Exception | None = None) -> None:
        with self._lock:
            self.calls += 1


def _usage_totals(tracker_totals: dict[str, dict[str, Any]], calls: int) -> UsageTotals:
    input_tokens = output_tokens = 0
    for usage in tracker_totals.values():
        input_tokens += int(usage.get("prompt_tokens") or usage.get("input_tokens") or 0)
        output_tokens += int(usage.get("completion_tokens") or usage.get("output_tokens") or 0)
    return UsageTotals(input_tokens=input_tokens, output_tokens=output_tokens, lm_calls=calls)


class TaskRunner:
    """Runs programs on a bounded thread pool so the gRPC event loop never blocks on DSPy or the LM."""

    def __init__(self, lm_provider: LMProvider, workers: int = 4) -> None:
        self.lm_provider = lm_provider
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="dspy-worker")

    def shutdown(self) -> None:
        # Running calls finish their current LM call; queued ones are dropped.
        self.executor.shutdown(wait=False, cancel_futures=True)

    async def run_predict(
        self, program: ProgramSpec | None, inputs: dict[str, Any], options: dict[str, Any], cancel: CancelToken
    ) -> TaskOutcome:
        """Validate the request on the loop (cheap), then run the program on a worker thread.

        If the awaiting coroutine is cancelled (the client went away), the token is set: the worker stops before its
        next LM call, but an LM call already under way runs to its end (llama.cpp and HTTP calls are not interruptible
        from here). The caller is not kept waiting for it.
        """
        parsed_options = TaskOptions.parse(options)
        built = build_program(program)
        valid_inputs = validate_inputs(built.signature, inputs)
        resolved = self.lm_provider.resolve(parsed_options.model)

        def work() -> TaskOutcome:
            started = time.perf_counter()
            counter = _LMCallCounter()
            with (
                cancellation_scope(cancel),
                dspy.context(lm=resolved.lm, adapter=resolved.adapter, disable_history=True, callbacks=[counter]),
                track_usage() as tracker,
            ):
                prediction = built.module(**valid_inputs, config=parsed_options.lm_config())
                totals = tracker.get_total_tokens()
            outputs = prediction_outputs(prediction, built.module)
            return TaskOutcome(
                outputs=outputs,
                usage=_usage_totals(totals, counter.calls),
                model=resolved.name,
                seconds=time.perf_counter() - started,
            )

        loop = asyncio.get_running_loop()
        context = contextvars.copy_context()
        future = loop.run_in_executor(self.executor, functools.partial(context.run, work))
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
