"""The service with the real default model: SmolLM2-135M-Instruct on llama.cpp, constrained to the signature."""

from __future__ import annotations

import time

import grpc
import pytest

from tests.helpers import error_info, request

pytestmark = pytest.mark.real_lm


async def test_predict_question_answer(local_stub) -> None:
    started = time.perf_counter()
    result = await local_stub.Predict(request("question -> answer", {"question": "What is the capital of France?"}))
    elapsed = time.perf_counter() - started
    answer = result.outputs["answer"]
    assert isinstance(answer, str)
    assert answer.strip()
    assert result.model == "local/smollm2-135m-instruct"
    assert result.usage.lm_calls == 1
    assert result.usage.input_tokens > 0
    assert result.usage.output_tokens > 0
    print(f"\nreal-model predict: {elapsed:.2f}s, usage {result.usage}".replace("\n", " "))


async def test_chain_of_thought(local_stub) -> None:
    updates = [
        u
        async for u in local_stub.Execute(
            request("question -> answer", {"question": "What is the capital of France?"}, module="chain_of_thought")
        )
    ]
    kinds = [u.WhichOneof("update") for u in updates]
    assert kinds[0] == "status"
    assert kinds[-1] == "result"
    # The output fields streamed as chunks before the result; concatenated, they are the fields' text.
    chunks = [u.chunk for u in updates if u.WhichOneof("update") == "chunk"]
    assert len(chunks) >= 2
    assert set(kinds[1:-1]) == {"chunk"}
    streamed: dict[str, str] = {}
    for chunk in chunks:
        streamed[chunk.field] = streamed.get(chunk.field, "") + chunk.text
    assert [c.field for c in chunks if c.last] == ["reasoning", "answer"]
    outputs = updates[-1].result.outputs
    assert streamed["answer"].strip() == outputs["answer"]
    assert streamed["reasoning"].strip() == outputs["reasoning"]
    assert set(outputs.keys()) == {"reasoning", "answer"}
    assert outputs["reasoning"].strip()
    assert outputs["answer"].strip()


async def test_typed_signature(local_stub) -> None:
    result = await local_stub.Predict(
        request(
            "text -> sentiment: Literal['positive','negative'], confidence: float",
            {"text": "I absolutely love this phone, it is wonderful."},
        )
    )
    assert result.outputs["sentiment"] in {"positive", "negative"}
    assert isinstance(result.outputs["confidence"], float)


async def test_many_typed_fields(local_stub) -> None:
    result = await local_stub.Predict(
        request(
            "city: str -> country: str, population_millions: float, is_capital: bool, landmarks: list[str]",
            {"city": "Paris"},
            instructions="Describe the city.",
        )
    )
    outputs = result.outputs
    assert outputs["country"].strip()
    assert isinstance(outputs["population_millions"], float)
    assert isinstance(outputs["is_capital"], bool)
    assert all(isinstance(item, str) for item in outputs["landmarks"])


async def test_small_max_tokens_still_parses(local_stub) -> None:
    result = await local_stub.Predict(request(options={"max_tokens": 60, "temperature": 0.7}))
    assert result.outputs["answer"].strip()


async def test_too_small_max_tokens_is_invalid(local_stub) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await local_stub.Predict(request("q -> a, b, c, d, e", {"q": "x"}, options={"max_tokens": 20}))
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_info(raised.value).reason == "INVALID_INPUTS"


async def test_prompt_beyond_context_is_invalid_inputs(local_stub) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await local_stub.Predict(request(inputs={"question": "word " * 5000}))
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_info(raised.value).reason == "INVALID_INPUTS"


async def test_react_with_the_calculator(local_stub) -> None:
    """ReAct on the local model: tool names and arguments are grammar-constrained, so the run always completes."""
    req = request("question -> answer", {"question": "What is 6 times 7? Use the calculator."}, module="react")
    req.program.ad_hoc.module_options.tools.append("calculator")
    req.program.ad_hoc.module_options.max_iters = 2
    result = await local_stub.Predict(req)
    assert isinstance(result.outputs["answer"], str)
    assert result.outputs["answer"].strip()
    assert 2 <= result.usage.lm_calls <= 3
