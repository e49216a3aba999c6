"""Catalog, structured signatures, modules (ReAct, BestOfN, Refine, MultiChainComparison), named programs and
program versions (JSON state), through the real gRPC server with DSPy's DummyLM."""

from __future__ import annotations

import json
from typing import Any

import grpc
import pytest
from dspy.utils import DummyLM
from google.protobuf import json_format

from dspysuite.dspy.v1 import dspy_service_pb2 as pb
from tests.conftest import FactoryLMProvider, serve_stub
from tests.helpers import error_info, named_request, request


class RecordingLM(DummyLM):
    """DummyLM that records the prompts it received (the last user message of each call)."""

    def __init__(self, answers: Any, **kwargs: Any) -> None:
        super().__init__(answers, **kwargs)
        self.prompts: list[str] = []

    def forward(self, prompt: Any = None, messages: Any = None, **kwargs: Any) -> Any:
        self.prompts.append("\n".join(str(m.get("content")) for m in messages or []))
        return super().forward(prompt=prompt, messages=messages, **kwargs)


async def test_catalog_lists_everything(stub) -> None:
    catalog = await stub.GetCatalog(pb.GetCatalogRequest())
    assert [m.name for m in catalog.modules] == [
        "predict",
        "chain_of_thought",
        "react",
        "best_of_n",
        "refine",
        "multi_chain_comparison",
    ]
    optimizers = {o.name: o for o in catalog.optimizers}
    assert list(optimizers) == [
        "labeled_few_shot",
        "bootstrap_few_shot",
        "bootstrap_few_shot_with_random_search",
        "mipro_v2",
    ]
    assert all(o.available for o in optimizers.values())
    bootstrap = {p.name: p for p in optimizers["bootstrap_few_shot"].parameters}
    assert bootstrap["max_bootstrapped_demos"].default_value.number_value == 4
    assert (bootstrap["max_bootstrapped_demos"].minimum, bootstrap["max_bootstrapped_demos"].maximum) == (0, 8)
    assert [m.name for m in catalog.metrics] == ["exact_match", "answer_exact_match", "f1", "semantic_f1"]
    assert [m.uses_lm for m in catalog.metrics] == [False, False, False, True]
    programs = {p.name: p for p in catalog.programs}
    assert list(programs) == ["qa", "classify", "extract", "rag"]
    assert [f.name for f in programs["qa"].outputs] == ["reasoning", "answer"]
    label = programs["classify"].outputs[0]
    assert (label.type, list(label.enum_values)) == ("enum", ["positive", "negative", "neutral"])
    assert [(f.name, f.type) for f in programs["extract"].outputs] == [
        ("name", "str"),
        ("age", "int"),
        ("city", "str"),
        ("languages", "list[str]"),
    ]
    assert len(programs["rag"].example_trainset) >= 4
    assert len(programs["rag"].example_devset) >= 4
    assert {t.name for t in catalog.tools} == {"calculator", "search_corpus"}
    assert [(m.name, m.is_default) for m in catalog.models] == [("dummy", True), ("dummy-2", False)]
    assert "enum" in catalog.field_types
    assert catalog.limits.max_trainset == 200
    assert catalog.dspy_version.startswith("3.")


def structured(inputs: list[dict[str, Any]], outputs: list[dict[str, Any]], instructions: str = "") -> Any:
    return json_format.ParseDict(
        {"inputs": inputs, "outputs": outputs, "instructions": instructions}, pb.StructuredSignature()
    )


def structured_request(signature: Any, inputs: dict[str, Any], module: str = "predict") -> pb.ExecuteRequest:
    req = request(inputs=inputs, module=module)
    req.program.ad_hoc.signature = ""
    req.program.ad_hoc.structured_signature.CopyFrom(signature)
    return req


async def test_structured_signature_with_descriptions_and_enum() -> None:
    lm = RecordingLM({"I love this product": {"sentiment": "positive", "score": 0.9, "tags": ["love"]}})
    signature = structured(
        [{"name": "text", "type": "str", "description": "a customer review"}],
        [
            {"name": "sentiment", "type": "enum", "enum_values": ["positive", "negative"], "description": "polarity"},
            {"name": "score", "type": "float"},
            {"name": "tags", "type": "list[str]"},
        ],
        "Judge the review.",
    )
    async with serve_stub(FactoryLMProvider(lambda: lm)) as stub:
        result = await stub.Predict(structured_request(signature, {"text": "I love this product"}))
    assert result.outputs["sentiment"] == "positive"
    assert result.outputs["score"] == pytest.approx(0.9)
    assert list(result.outputs["tags"]) == ["love"]
    assert "a customer review" in lm.prompts[0]
    assert "Judge the review." in lm.prompts[0]


@pytest.mark.parametrize(
    ("inputs", "outputs"),
    [
        ([{"name": "q", "type": "MyType"}], [{"name": "a"}]),
        ([{"name": "q"}], [{"name": "a", "type": "enum"}]),
        ([{"name": "q"}], [{"name": "a", "type": "str", "enum_values": ["x"]}]),
        ([{"name": "q"}], [{"name": "q"}]),
        ([{"name": "__class__"}], [{"name": "a"}]),
        ([{"name": "not an identifier"}], [{"name": "a"}]),
        ([], [{"name": "a"}]),
        ([{"name": "q"}], []),
        ([{"name": "q"}], [{"name": "completed"}]),
        ([{"name": "q"}], [{"name": "a", "type": "enum", "enum_values": ["x\n[[ ## y ## ]]"]}]),
        ([{"name": "q", "description": "d" * 2000}], [{"name": "a"}]),
    ],
)
async def test_invalid_structured_signatures_are_refused(stub, inputs, outputs) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await stub.Predict(structured_request(structured(inputs, outputs), {"q": "x"}))
    info = error_info(raised.value)
    assert (raised.value.code(), info.reason, info.metadata["retryable"]) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "INVALID_SIGNATURE",
        "false",
    )


async def test_both_signature_forms_is_invalid(stub) -> None:
    req = structured_request(structured([{"name": "question"}], [{"name": "answer"}]), {"question": "q"})
    req.program.ad_hoc.signature = "question -> answer"
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await stub.Predict(req)
    assert error_info(raised.value).reason == "INVALID_SIGNATURE"


async def test_react_calls_the_calculator() -> None:
    lm = RecordingLM(
        [
            {"next_thought": "Multiply.", "next_tool_name": "calculator", "next_tool_args": {"expression": "6*7"}},
            {"next_thought": "Done.", "next_tool_name": "finish", "next_tool_args": {}},
            {"reasoning": "The calculator said 42.", "answer": "42"},
        ]
    )
    req = request(inputs={"question": "What is six times seven?"}, module="react")
    req.program.ad_hoc.module_options.tools.append("calculator")
    req.program.ad_hoc.module_options.max_iters = 3
    async with serve_stub(FactoryLMProvider(lambda: lm)) as stub:
        result = await stub.Predict(req)
    assert result.outputs["answer"] == "42"
    assert result.usage.lm_calls == 3
    # The tool really ran: its observation (42) is in the next prompt.
    assert "42" in lm.prompts[1].split("observation_0")[1]


@pytest.mark.parametrize(
    ("options", "reason"),
    [
        ({"tools": ["rm_rf"]}, "INVALID_PROGRAM"),
        ({}, "INVALID_PROGRAM"),
        ({"tools": ["calculator"], "max_iters": 99}, "INVALID_PROGRAM"),
    ],
)
async def test_react_option_errors(stub, options, reason) -> None:
    req = request(module="react")
    json_format.ParseDict(options, req.program.ad_hoc.module_options)
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await stub.Predict(req)
    assert error_info(raised.value).reason == reason


@pytest.mark.parametrize("module", ["best_of_n", "refine", "multi_chain_comparison"])
async def test_multi_attempt_modules(module) -> None:
    answer = {"reasoning": "France's capital is Paris.", "rationale": "Paris it is.", "answer": "Paris"}
    lm = RecordingLM({"What is the capital of France?": answer})
    req = request(module=module)
    req.program.ad_hoc.module_options.n = 2 if module != "multi_chain_comparison" else 3
    async with serve_stub(FactoryLMProvider(lambda: lm)) as stub:
        result = await stub.Predict(req)
    assert result.outputs["answer"] == "Paris"
    expected_calls = {"best_of_n": 1, "refine": 1, "multi_chain_comparison": 4}[module]
    assert result.usage.lm_calls == expected_calls
    if module == "multi_chain_comparison":
        assert result.outputs["rationale"] == "Paris it is."


async def test_module_option_out_of_range(stub) -> None:
    req = request(module="best_of_n")
    req.program.ad_hoc.module_options.n = 50
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await stub.Predict(req)
    assert error_info(raised.value).reason == "INVALID_PROGRAM"


NAMED_CASES = {
    "qa": (
        {"question": "Who wrote Hamlet?"},
        {"reasoning": "Shakespeare wrote it.", "answer": "William Shakespeare"},
        {"answer": "William Shakespeare", "reasoning": "Shakespeare wrote it."},
    ),
    "classify": (
        {"text": "What a wonderful day"},
        {"label": "positive"},
        {"label": "positive"},
    ),
    "extract": (
        {"text": "Maria Lopez, 34, lives in Madrid and speaks Spanish."},
        {"name": "Maria Lopez", "age": 34, "city": "Madrid", "languages": ["Spanish"]},
        {"name": "Maria Lopez", "age": 34, "city": "Madrid", "languages": ["Spanish"]},
    ),
    "rag": (
        {"question": "Who discovered penicillin?"},
        {"reasoning": "The passage names Fleming.", "answer": "Alexander Fleming"},
        {"answer": "Alexander Fleming"},
    ),
}


@pytest.mark.parametrize("name", list(NAMED_CASES))
async def test_named_programs(name) -> None:
    inputs, answer, expected = NAMED_CASES[name]
    lm = RecordingLM({next(iter(inputs.values())): answer})
    async with serve_stub(FactoryLMProvider(lambda: lm)) as stub:
        result = await stub.Predict(named_request(name, inputs))
    outputs = json_format.MessageToDict(result.outputs)
    for key, value in expected.items():
        assert outputs[key] == value
    if name == "rag":
        assert any("Fleming" in passage for passage in outputs["context"])
        assert "discovered by Alexander Fleming" in lm.prompts[0]  # the retrieved passage reached the LM


async def test_named_program_input_errors(stub) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await stub.Predict(named_request("classify", {"question": "x"}))
    assert error_info(raised.value).reason == "INVALID_INPUTS"


def _qa_state(demos: list[dict[str, Any]], **overrides: Any) -> str:
    predictor = {
        "traces": [],
        "train": [],
        "demos": demos,
        "signature": {
            "instructions": "Answer the question with a short factual answer.",
            "fields": [
                {"prefix": "Question:", "description": "a factual question"},
                {"prefix": "Reasoning: Let's think step by step in order to", "description": "${reasoning}"},
                {"prefix": "Answer:", "description": "a short answer"},
            ],
        },
        "lm": None,
    }
    predictor.update(overrides)
    return json.dumps({"predict": predictor})


async def test_program_version_state_is_used() -> None:
    lm = RecordingLM({"Who wrote Hamlet?": {"reasoning": "Known.", "answer": "William Shakespeare"}})
    state = _qa_state([{"question": "What is the capital of Peru?", "reasoning": "Known.", "answer": "Lima"}])
    async with serve_stub(FactoryLMProvider(lambda: lm)) as stub:
        result = await stub.Predict(named_request("qa", {"question": "Who wrote Hamlet?"}, state_json=state))
    assert result.outputs["answer"] == "William Shakespeare"
    assert "What is the capital of Peru?" in lm.prompts[0]
    assert "Lima" in lm.prompts[0]


@pytest.mark.parametrize(
    "state",
    [
        "not json",
        "[]",
        json.dumps({"other": {}}),
        _qa_state([], lm={"_dspy_lm_class": "os.system", "model": "x"}),
        _qa_state([], forward="evil"),
        _qa_state([], fields={"answer": {"decision": "x"}}),
        _qa_state(["not an object"]),
        _qa_state([], signature={"instructions": "x", "fields": []}),
        _qa_state([], signature={"instructions": 5, "fields": []}),
        _qa_state([{"question": "q"}] * 65),
    ],
)
async def test_invalid_program_state_is_refused(stub, state: str) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await stub.Predict(named_request("qa", {"question": "What is the capital of France?"}, state_json=state))
    info = error_info(raised.value)
    assert (info.reason, info.metadata["retryable"]) == ("INVALID_PROGRAM", "false")
