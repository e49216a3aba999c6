"""A SIMULATED language model for load tests and benchmarks: no model runs, answers are made up.

Selectable only when ``DSPY_SERVICE_SIMULATED_LM=true`` (as ``options.model = "simulated"``). It answers any
signature in DSPy's ChatAdapter format with values of the right type, derived deterministically from the prompt, so
the whole service path (adapter, parsing, usage, events) runs as with a real LM. It waits a configurable latency on
the calling worker thread (never on the event loop, and with no lock: concurrent calls overlap) and fails with a
configurable probability as an unavailable LM, which the orchestration service retries.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

import dspy

from dspy_service.config import SIMULATED_MODEL, SimulatedLMSettings
from dspy_service.lm.grammar import COMPLETED_MARKER, FIELD_SEPARATOR, OutputSpec, ValueSpec
from dspy_service.lm.llamacpp import OUTPUT_SPEC_KWARG

_CHARS_PER_TOKEN = 4
_OBSERVATION = re.compile(r"\bobservation_(\d+)\b")


class SimulatedLMUnavailableError(ConnectionError):
    """The simulated LM's configured failure: classified as LM_UNAVAILABLE (retryable), like a refused connection."""


class CallsInFlight:
    """How many calls are under way, and the most at once (benchmarks read the peak; shared by an LM's copies)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.current = 0
        self.peak = 0
        self.total = 0

    @contextmanager
    def track(self) -> Iterator[None]:
        with self._lock:
            self.current += 1
            self.total += 1
            self.peak = max(self.peak, self.current)
        try:
            yield
        finally:
            with self._lock:
                self.current -= 1


def _scalar(kind: str, seed: int, name: str, digest: str) -> Any:
    if kind == "int":
        return seed % 100
    if kind == "float":
        return round((seed % 1000) / 1000, 3)
    if kind == "bool":
        return seed % 2 == 0
    return f"simulated {name} {digest[:8]}"


def simulated_value(name: str, spec: ValueSpec, digest: str, step: int = 0) -> str:
    """The text of one output value, as the ChatAdapter parses it for the field's type (see ``lm/grammar.py``).

    ``step`` is the number of tool calls already in a ReAct trajectory: an agent's ``next_tool_name`` (labels that
    include "finish") calls each offered tool once, in order, then finishes, so the whole tool path (including tools
    on the caller's side) runs. Its ``next_tool_args`` are ``{}``: a tool that needs arguments answers with an error,
    which the simulated agent takes as its observation like any other.
    """
    seed = int(hashlib.sha256(f"{digest}:{name}".encode()).hexdigest()[:8], 16)
    if spec.kind == "literal":
        if "finish" in spec.labels:
            tools = [label for label in spec.labels if label != "finish"]
            return tools[step] if step < len(tools) else "finish"
        return spec.labels[seed % len(spec.labels)]
    if spec.kind == "list":
        item = spec.item or "str"
        return json.dumps([_scalar(item, seed + i, f"{name}-{i}", digest) for i in range(2)])
    if spec.kind == "object":
        return "{}"
    value = _scalar(spec.kind, seed, name, digest)
    return str(value) if spec.kind != "bool" else ("True" if value else "False")


def simulated_answer(spec: OutputSpec, prompt_text: str) -> str:
    digest = hashlib.sha256(prompt_text.encode("utf-8")).hexdigest()
    # ReAct renders its trajectory into the prompt as numbered fields: observation_0, observation_1, ...
    step = len(set(_OBSERVATION.findall(prompt_text)))
    parts = [f"[[ ## {name} ## ]]\n{simulated_value(name, value, digest, step)}" for name, value in spec]
    return FIELD_SEPARATOR.join([*parts, COMPLETED_MARKER])


class SimulatedLM(dspy.BaseLM):
    """DSPy LM that simulates one: see the module docstring. The adapter hands it the output fields (as it does for
    the llama.cpp model's grammar); without them it answers a plain ``answer`` field."""

    accepts_output_spec: ClassVar[bool] = True

    def __init__(self, settings: SimulatedLMSettings, *, rng: random.Random | None = None) -> None:
        super().__init__(model=SIMULATED_MODEL, model_type="chat", temperature=0.0, max_tokens=None, cache=False)
        self.settings = settings
        self._rng = rng or random.Random()  # noqa: S311 -- a simulation, not cryptography
        self.in_flight = CallsInFlight()

    def _delay_seconds(self) -> float:
        s = self.settings
        jitter = self._rng.uniform(0.0, s.jitter_ms) if s.jitter_ms else 0.0
        return (s.latency_ms + jitter) / 1000.0

    def _fails(self) -> bool:
        rate = self.settings.error_rate
        return rate >= 1.0 or (rate > 0.0 and self._rng.random() < rate)

    def _respond(self, prompt: str | None, messages: list[dict[str, Any]] | None, kwargs: dict[str, Any]) -> Any:
        if self._fails():
            raise SimulatedLMUnavailableError("the simulated LM failed (DSPY_SERVICE_SIMULATED_LM_ERROR_RATE)")
        spec: OutputSpec = kwargs.get(OUTPUT_SPEC_KWARG) or (("answer", ValueSpec("str")),)
        chat = messages or [{"role": "user", "content": prompt or ""}]
        prompt_text = "\n".join(str(m.get("content") or "") for m in chat)
        # Derived from the last message (the current inputs), so the same inputs give the same answer.
        text = simulated_answer(spec, str(chat[-1].get("content") or ""))
        n = max(1, int({**self.kwargs, **kwargs}.get("n") or 1))
        input_tokens = max(1, len(prompt_text) // _CHARS_PER_TOKEN)
        output_tokens = max(1, len(text) // _CHARS_PER_TOKEN) * n
        return {
            "choices": [
                {"index": i, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
                for i in range(n)
            ],
            "usage": {
                "prompt_tokens": input_tokens,
                "completion_tokens": output_tokens,
                "total_tokens": input_tokens + output_tokens,
            },
            "model": SIMULATED_MODEL,
        }

    def forward(
        self, prompt: str | None = None, messages: list[dict[str, Any]] | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        # Runs on a task worker thread (never on the event loop): sleeping here holds only this call.
        with self.in_flight.track():
            delay = self._delay_seconds()
            if delay > 0:
                time.sleep(delay)
            return self._respond(prompt, messages, kwargs)

    async def aforward(
        self, prompt: str | None = None, messages: list[dict[str, Any]] | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        with self.in_flight.track():
            delay = self._delay_seconds()
            if delay > 0:
                await asyncio.sleep(delay)
            return self._respond(prompt, messages, kwargs)
