"""Evaluation (dspy.Evaluate-equivalent with per-example progress) and dataset handling for evaluate/optimize tasks."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import dspy
from dspy.utils.parallelizer import ParallelExecutor
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_random_exponential

from dspy_service.cancellation import TaskCancelledError, raise_if_cancelled
from dspy_service.errors import INVALID_INPUTS, LM_RATE_LIMITED, LM_TIMEOUT, LM_UNAVAILABLE, ServiceError, classify
from dspy_service.lm.durable_cache import canonical_json
from dspy_service.metrics import METRICS, MetricDef
from dspy_service.programs import BuiltProgram, prediction_outputs, validate_inputs

MAX_DEVSET = 200
MAX_TRAINSET = 200
DEFAULT_MAX_OUTCOMES = 50
MAX_OUTCOMES = 200
MAX_EVAL_THREADS = 16
DEFAULT_EVAL_THREADS = 4
# One example's run is retried in place when the LM was briefly away: a flaky call must not lower the score (the
# task-level retry of the orchestration service would redo every example). Not a parse failure: the same prompt
# mostly gets the same answer, and the example's score then rightly says so.
EXAMPLE_ATTEMPTS = 3
_IN_PLACE_RETRY_REASONS = frozenset({LM_UNAVAILABLE.reason, LM_RATE_LIMITED.reason, LM_TIMEOUT.reason})


@dataclass(frozen=True)
class ExampleResult:
    index: int
    outputs: dict[str, Any]
    score: float
    error: str = ""


@dataclass(frozen=True)
class EvaluationSummary:
    score: float  # percentage 0..100
    metric: str
    total: int
    failed: int
    outcomes: tuple[ExampleResult, ...]
    truncated: bool


ProgressFn = Callable[[int, int, float], None]
"""``progress(done, total, running_score_percent)``"""


def resolve_metric(name: str) -> MetricDef:
    metric = METRICS.get((name or "exact_match").strip())
    if metric is None:
        raise ServiceError(INVALID_INPUTS, f"unknown metric {name!r}; offered: {', '.join(sorted(METRICS))}")
    return metric


def output_names(built: BuiltProgram) -> set[str]:
    if built.output_names is not None:
        return set(built.output_names)
    names: set[str] = set(built.signature.output_fields)
    for predictor in built.module.predictors():
        names |= set(predictor.signature.output_fields)
    return names


def to_examples(built: BuiltProgram, rows: list[dict[str, Any]], what: str, limit: int) -> list[dspy.Example]:
    """Validate dataset rows (inputs + labels) against the program and turn them into ``dspy.Example``s."""
    if len(rows) > limit:
        raise ServiceError(INVALID_INPUTS, f"the {what} has {len(rows)} examples; at most {limit} are accepted")
    input_names = list(built.signature.input_fields)
    outputs = output_names(built)
    examples = []
    for index, row in enumerate(rows):
        unknown = sorted(set(row) - set(input_names) - outputs)
        if unknown:
            raise ServiceError(INVALID_INPUTS, f"{what} example {index} has unknown field(s): {', '.join(unknown)}")
        labels = {k: v for k, v in row.items() if k in outputs}
        if not labels:
            raise ServiceError(INVALID_INPUTS, f"{what} example {index} has no label (expected output field)")
        try:
            inputs = validate_inputs(built.signature, {k: v for k, v in row.items() if k in input_names})
        except ServiceError as exc:
            raise ServiceError(INVALID_INPUTS, f"{what} example {index}: {exc.message}") from None
        examples.append(dspy.Example(**inputs, **labels).with_inputs(*inputs.keys()))
    return examples


def dataset_hash(trainset: list[dict[str, Any]], devset: list[dict[str, Any]]) -> str:
    digest = hashlib.sha256(canonical_json({"trainset": trainset, "devset": devset}).encode("utf-8")).hexdigest()
    return f"sha256:{digest}"


def _lm_briefly_away(exc: BaseException) -> bool:
    return not isinstance(exc, TaskCancelledError) and classify(exc).reason in _IN_PLACE_RETRY_REASONS


def _run_example(module: dspy.Module, example: dspy.Example) -> Any:
    retrying = Retrying(
        stop=stop_after_attempt(EXAMPLE_ATTEMPTS),
        wait=wait_random_exponential(multiplier=0.2, max=2.0),
        retry=retry_if_exception(_lm_briefly_away),
        reraise=True,
    )
    for attempt in retrying:
        with attempt:
            raise_if_cancelled()
            prediction = module(**example.inputs())
    return prediction


def evaluate_program(
    built: BuiltProgram,
    module: dspy.Module,
    examples: list[dspy.Example],
    metric: MetricDef,
    *,
    num_threads: int = DEFAULT_EVAL_THREADS,
    max_outcomes: int = DEFAULT_MAX_OUTCOMES,
    progress: ProgressFn | None = None,
) -> EvaluationSummary:
    """Run ``module`` on every example (in parallel threads that inherit the task's DSPy settings) and score it.

    A run that meets a transient LM failure is retried in place (up to ``EXAMPLE_ATTEMPTS`` runs); a failed run
    scores 0 and records its error reason; cancellation stops the evaluation.
    """
    lock = threading.Lock()
    state = {"done": 0, "sum": 0.0}
    total = len(examples)

    def run(item: tuple[int, dspy.Example]) -> ExampleResult:
        index, example = item
        raise_if_cancelled()
        try:
            prediction = _run_example(module, example)
            score = float(metric.function(example, prediction))
            result = ExampleResult(index, prediction_outputs(prediction, built), max(0.0, min(1.0, score)))
        except TaskCancelledError:
            raise
        except Exception as exc:  # one failing example scores 0; the evaluation goes on
            result = ExampleResult(index, {}, 0.0, classify(exc).reason)
        with lock:
            state["done"] += 1
            state["sum"] += result.score
            done, running = state["done"], 100.0 * state["sum"] / state["done"]
        if progress is not None:
            progress(done, total, running)
        return result

    executor = ParallelExecutor(
        num_threads=max(1, min(num_threads, MAX_EVAL_THREADS)),
        max_errors=total + 1,
        disable_progress_bar=True,
        provide_traceback=False,
        timeout=0,
    )
    results = executor.execute(run, list(enumerate(examples)))
    raise_if_cancelled()
    outcomes = [r if r is not None else ExampleResult(i, {}, 0.0, "INTERNAL") for i, r in enumerate(results)]
    score = 100.0 * sum(r.score for r in outcomes) / max(1, total)
    limit = max(0, min(max_outcomes or DEFAULT_MAX_OUTCOMES, MAX_OUTCOMES))
    return EvaluationSummary(
        score=round(score, 4),
        metric=metric.name,
        total=total,
        failed=sum(1 for r in outcomes if r.error),
        outcomes=tuple(outcomes[:limit]),
        truncated=len(outcomes) > limit,
    )
