"""Built-in metrics: ``metric(example, prediction, trace=None) -> float`` in 0..1, as DSPy optimizers expect.

Every metric compares the example's label fields (its keys that are not program inputs) with the prediction's fields
of the same names. ``semantic_f1`` asks the LM (the task's LM, through DSPy) to judge recall and precision.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import dspy
from dspy.evaluate.metrics import answer_exact_match as _dspy_answer_exact_match
from dspy.evaluate.metrics import em_score, f1_score

Metric = Callable[..., float]


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _label_pairs(example: dspy.Example, prediction: Any) -> list[tuple[Any, Any]]:
    labels = example.labels()
    return [(labels[k], prediction.get(k) if hasattr(prediction, "get") else None) for k in labels]


def _same(expected: Any, predicted: Any) -> bool:
    if predicted is None:
        return False
    if isinstance(expected, bool) or isinstance(predicted, bool):
        return str(expected).strip().lower() == str(predicted).strip().lower()
    if isinstance(expected, int | float) and isinstance(predicted, int | float):
        return abs(float(expected) - float(predicted)) <= 1e-6 * max(1.0, abs(float(expected)))
    if isinstance(expected, list) and isinstance(predicted, list):
        return sorted(em_norm(_text(v)) for v in expected) == sorted(em_norm(_text(v)) for v in predicted)
    return bool(em_score(_text(predicted), _text(expected)))


def em_norm(text: str) -> str:
    from dspy.evaluate.metrics import normalize_text

    return normalize_text(text)


def exact_match(example: dspy.Example, prediction: Any, trace: Any = None) -> float:
    """Share of label fields whose predicted value equals the label (text normalised as in SQuAD)."""
    pairs = _label_pairs(example, prediction)
    if not pairs:
        return 0.0
    return sum(1.0 for expected, predicted in pairs if _same(expected, predicted)) / len(pairs)


def answer_exact_match(example: dspy.Example, prediction: Any, trace: Any = None) -> float:
    """DSPy's ``answer_exact_match`` on the ``answer`` field (the label may be a list of accepted answers)."""
    if "answer" not in example or prediction.get("answer") is None:
        return 0.0
    shadow = dspy.Example(answer=example.answer if isinstance(example.answer, list) else _text(example.answer))
    return float(_dspy_answer_exact_match(shadow, dspy.Prediction(answer=_text(prediction.answer))))


def f1(example: dspy.Example, prediction: Any, trace: Any = None) -> float:
    """Mean token-level F1 (SQuAD) over the label fields."""
    pairs = _label_pairs(example, prediction)
    if not pairs:
        return 0.0
    return sum(f1_score(_text(p), _text(e)) if p is not None else 0.0 for e, p in pairs) / len(pairs)


class _SemanticRecallPrecision(dspy.Signature):
    """Compare a system's response to the ground truth to compute its recall and precision.
    If asked, reason about the recall and precision before answering."""

    question: str = dspy.InputField()
    ground_truth: str = dspy.InputField()
    system_response: str = dspy.InputField()
    recall: float = dspy.OutputField(desc="fraction (out of 1.0) of ground truth covered by the system response")
    precision: float = dspy.OutputField(desc="fraction (out of 1.0) of system response covered by the ground truth")


_judge = dspy.Predict(_SemanticRecallPrecision)


def semantic_f1(example: dspy.Example, prediction: Any, trace: Any = None) -> float:
    """LM-judged semantic F1: the task's LM rates recall and precision of the prediction against the labels."""
    labels = example.labels()
    if not labels.keys():
        return 0.0
    inputs = example.inputs()
    question = "; ".join(f"{k}: {_text(inputs[k])}" for k in inputs)[:4000]
    truth = "; ".join(f"{k}: {_text(labels[k])}" for k in labels)[:4000]
    response = "; ".join(f"{k}: {_text(prediction.get(k))}" for k in labels)[:4000]
    judged = _judge(question=question, ground_truth=truth, system_response=response)
    recall = min(1.0, max(0.0, float(judged.recall or 0.0)))
    precision = min(1.0, max(0.0, float(judged.precision or 0.0)))
    return 0.0 if recall + precision == 0 else 2 * recall * precision / (recall + precision)


@dataclass(frozen=True)
class MetricDef:
    name: str
    function: Metric
    description: str
    uses_lm: bool = False


METRICS: dict[str, MetricDef] = {
    m.name: m
    for m in (
        MetricDef("exact_match", exact_match, "Share of label fields predicted exactly (normalised text)."),
        MetricDef(
            "answer_exact_match",
            answer_exact_match,
            "DSPy's answer_exact_match on the `answer` field (labels may list several accepted answers).",
        ),
        MetricDef("f1", f1, "Mean token-level F1 (SQuAD-style) over the label fields."),
        MetricDef(
            "semantic_f1",
            semantic_f1,
            "LM-judged semantic F1: the task's LM rates recall and precision against the labels (one LM call each).",
            uses_lm=True,
        ),
    )
}
DEFAULT_METRIC = "exact_match"
