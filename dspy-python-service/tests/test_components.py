"""Unit tests of the building blocks: calculator, BM25 retrieval, metrics, field streaming, durable cache, params."""

from __future__ import annotations

from pathlib import Path

import dspy
import pytest

from dspy_service.errors import ServiceError
from dspy_service.lm.durable_cache import DurableCallCache, prune
from dspy_service.metrics import answer_exact_match, exact_match, f1
from dspy_service.modules import ParamDef
from dspy_service.optimizers import OPTIMIZERS
from dspy_service.retrieval import corpus_index
from dspy_service.streaming import FieldStreamer
from dspy_service.tools import CalculatorError, calculate, calculator, search_corpus


@pytest.mark.parametrize(
    ("expression", "value"),
    [
        ("1 + 2 * 3", 7),
        ("(12 + 30) * 2 / 7", 12),
        ("2 ** 10", 1024),
        ("2^3", 8),
        ("-3 + +4", 1),
        ("7 // 2 + 7 % 2", 4),
        ("sqrt(16) + abs(-2)", 6),
        ("round(pi, 2)", 3.14),
        ("max(1, 5, 3)", 5),
        ("10 / 4", 2.5),
    ],
)
def test_calculator(expression: str, value: float) -> None:
    assert calculate(expression) == pytest.approx(value)


@pytest.mark.parametrize(
    "expression",
    [
        "__import__('os').system('true')",
        "open('/etc/passwd')",
        "(1).__class__",
        "[1, 2]",
        "'a' * 3",
        "x + 1",
        "2 ** 1000",
        "9 ** 9 ** 9",
        "1 / 0",
        "lambda: 1",
        "1 if True else 2",
        "",
        "1 +" * 100,
        "10 ** 60 * 10 ** 60",
        "sqrt(-1)",
    ],
)
def test_calculator_refuses_anything_but_arithmetic(expression: str) -> None:
    with pytest.raises(CalculatorError):
        calculate(expression)
    assert calculator(expression).startswith("error:")


def test_bm25_search_over_the_shipped_corpus() -> None:
    assert len(corpus_index().passages) == 30
    assert [p.id for p in corpus_index().search("Who discovered penicillin?", k=1)] == ["penicillin"]
    assert corpus_index().search("capital of Japan", k=2)[0].id == "tokyo"
    assert corpus_index().search("   ") == []
    assert "Neil Armstrong" in search_corpus("first person on the Moon")
    assert len(corpus_index().search("capital", k=50)) <= 10


def test_metrics() -> None:
    example = dspy.Example(question="q", answer="Paris", country="France").with_inputs("question")
    assert exact_match(example, dspy.Prediction(answer="paris.", country="France")) == 1.0
    assert exact_match(example, dspy.Prediction(answer="Paris", country="Spain")) == 0.5
    assert answer_exact_match(example, dspy.Prediction(answer="The Paris")) == 1.0
    assert answer_exact_match(example, dspy.Prediction(answer="Lyon")) == 0.0
    many = dspy.Example(question="q", answer=["Paris", "City of Light"]).with_inputs("question")
    assert answer_exact_match(many, dspy.Prediction(answer="city of light")) == 1.0
    assert f1(example, dspy.Prediction(answer="Paris France", country="France")) == pytest.approx((2 / 3 + 1) / 2)
    typed = dspy.Example(text="t", age=34, languages=["German", "French"], ok=True).with_inputs("text")
    assert exact_match(typed, dspy.Prediction(age=34, languages=["french", "german"], ok=True)) == 1.0
    assert exact_match(typed, dspy.Prediction(age=35, languages=["french"], ok=False)) == 0.0


def _stream(text: str, size: int) -> list[tuple[str, str, bool]]:
    chunks: list[tuple[str, str, bool]] = []
    streamer = FieldStreamer(lambda f, t, last: chunks.append((f, t, last)))
    for start in range(0, len(text), size):
        streamer.feed(text[start : start + size])
    streamer.close()
    return chunks


@pytest.mark.parametrize("size", [1, 2, 3, 7, 1000])
def test_field_streamer_splits_fields(size: int) -> None:
    text = (
        '[[ ## reasoning ## ]]\nParis is the capital.\n\n[[ ## tags ## ]]\n["a", "b"]\n\n'
        "[[ ## answer ## ]]\nParis\n\n[[ ## completed ## ]]"
    )
    chunks = _stream(text, size)
    joined: dict[str, str] = {}
    for field, piece, _ in chunks:
        joined[field] = joined.get(field, "") + piece
    assert joined == {"reasoning": "Paris is the capital.", "tags": '["a", "b"]', "answer": "Paris"}
    assert [f for f, _, last in chunks if last] == ["reasoning", "tags", "answer"]
    assert all("[[" not in piece and "##" not in piece for _, piece, _ in chunks)


def test_durable_cache_is_json_and_per_task(tmp_path: Path) -> None:
    signature = dspy.Signature("question -> answer")
    cache = DurableCallCache(tmp_path, "task-1")
    key = cache.key("m", {"temperature": 0.0}, signature, [], {"question": "q"})
    assert key == cache.key("m", {"temperature": 0.0}, signature, [], {"question": "q"})
    assert key != cache.key("m", {"temperature": 1.0, "rollout_id": 1}, signature, [], {"question": "q"})
    assert key != cache.key("m", {"temperature": 0.0}, signature.with_instructions("x"), [], {"question": "q"})
    assert cache.get(key) is None
    cache.put(key, [{"answer": "Paris"}])
    assert DurableCallCache(tmp_path, "task-1").get(key) == [{"answer": "Paris"}]
    assert DurableCallCache(tmp_path, "task-2").get(key) is None
    prune(tmp_path, ttl_seconds=-1)
    assert not any(tmp_path.iterdir())


def test_parameter_bounds() -> None:
    param = ParamDef("k", "int", "", 4, 1, 16)
    assert param.validate(3.0, "x") == 3
    for bad in (0, 17, 2.5, True, "3"):
        with pytest.raises(ServiceError):
            param.validate(bad, "x")
    assert OPTIMIZERS["bootstrap_few_shot"].resolve_params({})["max_bootstrapped_demos"] == 4
