"""Grammar construction, and what llama.cpp's grammar sampler accepts and rejects with the real vocabulary."""

from __future__ import annotations

from typing import Literal

import dspy
import pytest
from dspy.adapters.chat_adapter import ChatAdapter

from dspy_service.lm.grammar import (
    GrammarBudgetError,
    ValueSpec,
    build_grammar,
    output_spec,
    value_spec,
)
from dspy_service.lm.llamacpp import LocalModel
from dspy_service.lm.model_files import smollm2_gguf_path
from dspy_service.signatures import build_signature
from tests.grammar_check import grammar_accepts, grammar_compiles


@pytest.fixture(scope="module")
def llama():
    model = LocalModel(smollm2_gguf_path(), n_ctx=512, n_threads=1)
    with model.lock:
        return model.llama()


def spec_for(signature: str):
    return output_spec(build_signature(signature).output_fields)


def test_value_specs() -> None:
    assert value_spec(str) == ValueSpec("str")
    assert value_spec(Literal["a", "b"]) == ValueSpec("literal", labels=("a", "b"))
    assert value_spec(Literal[1, True]) == ValueSpec("literal", labels=("1", "True"))
    assert value_spec(list[float]) == ValueSpec("list", item="float")


def test_chain_of_thought_order_is_kept() -> None:
    cot = dspy.ChainOfThought(build_signature("question -> answer: int"))
    names = [name for name, _ in output_spec(cot.predict.signature.output_fields)]
    assert names == ["reasoning", "answer"]


@pytest.mark.parametrize(
    "signature",
    [
        "question -> answer",
        "question -> reasoning, answer",
        "text -> sentiment: Literal['positive', 'negative'], confidence: float",
        "q -> n: int, ok: bool, tags: list[str], scores: list[float], flags: list[bool], ids: list[int]",
        'q -> label: Literal["a \\"quoted\\" one", "back\\\\slash", 7, False]',
        "q -> " + ", ".join(f"f{i}" for i in range(63)),
    ],
)
def test_grammars_compile(llama, signature: str) -> None:
    plan = build_grammar(spec_for(signature), 3000)
    assert plan.max_chars <= 3000
    assert grammar_compiles(llama, plan.text)


def test_budget_is_respected_and_bounded() -> None:
    spec = spec_for("q -> a, b, c")
    assert build_grammar(spec, 4096).max_chars <= 4096
    small = build_grammar(spec, 200)
    assert small.max_chars <= 200
    with pytest.raises(GrammarBudgetError):
        build_grammar(spec_for("q -> " + ", ".join(f"f{i}" for i in range(40))), 100)


def _chat(signature: str, values: dict) -> str:
    sig = build_signature(signature)
    return ChatAdapter().format_assistant_message_content(sig, values).rstrip("\n")


def test_accepts_chat_adapter_format(llama) -> None:
    signature = "text -> sentiment: Literal['positive', 'negative'], confidence: float"
    grammar = build_grammar(spec_for(signature), 1024).text
    good = "[[ ## sentiment ## ]]\npositive\n\n[[ ## confidence ## ]]\n0.75\n\n[[ ## completed ## ]]"
    assert grammar_accepts(llama, grammar, good)
    # DSPy's own rendering of the same values is accepted too.
    assert grammar_accepts(llama, grammar, _chat(signature, {"sentiment": "negative", "confidence": 1.5}))
    assert not grammar_accepts(llama, grammar, good.replace("positive", "neutral"))
    assert not grammar_accepts(llama, grammar, good.replace("0.75", "high"))
    assert not grammar_accepts(llama, grammar, good.replace("\n\n[[ ## completed ## ]]", ""))  # must finish
    assert not grammar_accepts(llama, grammar, good + "\nmore")
    order_swapped = "[[ ## confidence ## ]]\n0.75\n\n[[ ## sentiment ## ]]\npositive\n\n[[ ## completed ## ]]"
    assert not grammar_accepts(llama, grammar, order_swapped)


def test_string_values(llama) -> None:
    grammar = build_grammar(spec_for("question -> reasoning, answer"), 1024).text

    def text(reasoning: str, answer: str) -> str:
        return f"[[ ## reasoning ## ]]\n{reasoning}\n\n[[ ## answer ## ]]\n{answer}\n\n[[ ## completed ## ]]"

    assert grammar_accepts(llama, grammar, text("Paris is the capital (of France).", "Paris"))
    assert grammar_accepts(llama, grammar, text("Ünïcödé — fine", "42"))
    assert not grammar_accepts(llama, grammar, text("", "Paris"))  # empty value
    assert not grammar_accepts(llama, grammar, text(" leading space", "Paris"))
    assert not grammar_accepts(llama, grammar, text("{reasoning}", "Paris"))  # echo of the prompt's placeholder
    assert not grammar_accepts(llama, grammar, text("## Heading", "Paris"))
    assert not grammar_accepts(llama, grammar, text("two\nlines", "Paris"))
    assert not grammar_accepts(llama, grammar, text("sneaky [[ ## answer ## ]]", "Paris"))
    assert not grammar_accepts(llama, grammar, text("x" * 401, "Paris"))  # bounded


def test_scalars_and_lists(llama) -> None:
    signature = "q -> n: int, ok: bool, tags: list[str], scores: list[float]"
    grammar = build_grammar(spec_for(signature), 1024).text

    def text(n: str, ok: str, tags: str, scores: str) -> str:
        return (
            f"[[ ## n ## ]]\n{n}\n\n[[ ## ok ## ]]\n{ok}\n\n[[ ## tags ## ]]\n{tags}\n\n"
            f"[[ ## scores ## ]]\n{scores}\n\n[[ ## completed ## ]]"
        )

    assert grammar_accepts(llama, grammar, text("-42", "True", '["a", "b c"]', "[0.5, 2]"))
    assert grammar_accepts(llama, grammar, text("0", "False", "[]", "[]"))
    assert not grammar_accepts(llama, grammar, text("4.2", "True", "[]", "[]"))
    assert not grammar_accepts(llama, grammar, text("1", "yes", "[]", "[]"))
    assert not grammar_accepts(llama, grammar, text("1", "True", "[a]", "[]"))
    assert not grammar_accepts(llama, grammar, text("1", "True", "[]", '["x"]'))
    seventeen = "[" + ", ".join(['"t"'] * 17) + "]"
    assert not grammar_accepts(llama, grammar, text("1", "True", seventeen, "[]"))


def test_grammar_texts_parse_back_with_dspy() -> None:
    """Whatever the grammar admits must parse: check DSPy's parser on the extremes of each value form."""
    signature = "q -> n: int, x: float, ok: bool, label: Literal['yes', 'no'], tags: list[str], flags: list[bool]"
    sig = build_signature(signature)
    completion = (
        "[[ ## n ## ]]\n-0\n\n[[ ## x ## ]]\n12.5\n\n[[ ## ok ## ]]\nFalse\n\n[[ ## label ## ]]\nno\n\n"
        '[[ ## tags ## ]]\n["a", "b"]\n\n[[ ## flags ## ]]\n[true, false]\n\n[[ ## completed ## ]]'
    )
    parsed = ChatAdapter().parse(sig, completion)
    assert parsed == {"n": 0, "x": 12.5, "ok": False, "label": "no", "tags": ["a", "b"], "flags": [True, False]}


def test_object_values_for_tool_arguments(llama) -> None:
    from typing import Any

    spec = (
        ("next_tool_name", value_spec(Literal["calculator", "finish"])),
        ("next_tool_args", value_spec(dict[str, Any])),
    )
    grammar = build_grammar(spec, 2000).text
    assert grammar_compiles(llama, grammar)

    def text(args: str) -> str:
        return f"[[ ## next_tool_name ## ]]\ncalculator\n\n[[ ## next_tool_args ## ]]\n{args}\n\n[[ ## completed ## ]]"

    assert grammar_accepts(llama, grammar, text('{"expression": "6*7"}'))
    assert grammar_accepts(llama, grammar, text('{"query": "penicillin", "k": 3, "exact": true}'))
    assert grammar_accepts(llama, grammar, text("{}"))
    assert not grammar_accepts(llama, grammar, text("{expression: 1}"))
    assert not grammar_accepts(llama, grammar, text('{"a": {"nested": 1}}'))
