"""Unit tests: signature parsing, input/output conversion, options, configuration, error mapping, cancellation."""

from __future__ import annotations

import asyncio
import enum
import threading
import typing
from typing import Any, Literal

import dspy
import grpc
import pydantic
import pytest
from google.rpc import error_details_pb2, status_pb2

from dspy_service.cancellation import CancelToken, TaskCancelledError, cancellation_scope
from dspy_service.config import ConfigError, LMSettings, Settings
from dspy_service.errors import INVALID_SIGNATURE, ServiceError, classify, to_rpc_status
from dspy_service.lm.adapter import SignatureConstrainedChatAdapter
from dspy_service.lm.provider import ConfiguredLMProvider, ResolvedLM
from dspy_service.programs import AdHocProgramSpec, to_json_value, validate_inputs
from dspy_service.runner import TaskOptions, TaskRunner
from dspy_service.signatures import SignatureError, build_signature, parse_signature


class TestSignatures:
    def test_types(self) -> None:
        parsed = parse_signature(
            "question, context: list[str], k: int | None, meta: dict[str, float] -> answer, "
            "label: Literal['a', 'b'], score: float, ok: bool, tags: list[str]"
        )
        inputs = {f.name: f.annotation for f in parsed.inputs}
        assert inputs["question"] is str
        assert inputs["context"] == list[str]
        assert inputs["k"] == typing.Optional[int]  # noqa: UP045
        assert inputs["meta"] == dict[str, float]
        outputs = {f.name: f.annotation for f in parsed.outputs}
        assert outputs["label"] == Literal["a", "b"]
        assert outputs["tags"] == list[str]

    @pytest.mark.parametrize(
        "text",
        [
            "",
            "a",
            "a -> b -> c",
            "a ->",
            "-> b",
            "a: os -> b",  # would be imported by dspy.Signature's own parser
            "a: __import__('os') -> b",
            "a: typing.Any -> b",
            "a -> b: Optional[str]",
            "a -> b: list[list[str]]",
            "a -> b: dict[str, str]",
            "a -> a",
            "a=1 -> b",
            "*a -> b",
            "_a -> b",
            "a -> completed",
            "a -> b: Literal[]",
            "a -> b: Literal[x]",
            "a): pass\ndef g(b -> c",
            "a: list[" * 50 + "str" + "]" * 50 + " -> b",
        ],
    )
    def test_rejected(self, text: str) -> None:
        with pytest.raises(SignatureError):
            parse_signature(text)

    def test_no_import_side_effects(self) -> None:
        import sys

        sys.modules.pop("antigravity", None)
        with pytest.raises(SignatureError):
            parse_signature("a: antigravity -> b")
        assert "antigravity" not in sys.modules

    def test_build_signature_with_instructions(self) -> None:
        sig = build_signature("question -> answer: int", "Answer with a number.")
        assert sig.instructions == "Answer with a number."
        assert list(sig.input_fields) == ["question"]
        assert sig.output_fields["answer"].annotation is int

    def test_default_instructions(self) -> None:
        assert "question" in build_signature("question -> answer").instructions


class TestInputs:
    def test_coercion(self) -> None:
        sig = build_signature("n: int, xs: list[float], flag: bool, text -> out")
        assert validate_inputs(sig, {"n": 3, "xs": [1, 2.5], "flag": True, "text": 12}) == {
            "n": 3,
            "xs": [1.0, 2.5],
            "flag": True,
            "text": "12",
        }

    def test_optional_may_be_missing(self) -> None:
        sig = build_signature("q, hint: str | None -> out")
        assert validate_inputs(sig, {"q": "x"}) == {"q": "x"}

    @pytest.mark.parametrize(
        "inputs", [{}, {"q": "x", "other": 1}, {"q": "x", "n": 1.5}, {"q": "x", "n": "many"}, {"q": "x" * 300_000}]
    )
    def test_invalid(self, inputs: dict[str, Any]) -> None:
        sig = build_signature("q, n: int | None -> out")
        with pytest.raises(ServiceError) as raised:
            validate_inputs(sig, inputs)
        assert raised.value.reason == "INVALID_INPUTS"


class TestOutputs:
    def test_json_values(self) -> None:
        class Colour(enum.Enum):
            RED = "red"

        class Point(pydantic.BaseModel):
            x: int
            y: float

        assert to_json_value({"c": Colour.RED, "p": Point(x=1, y=2.5), "t": (1, "a"), "n": float("nan")}) == {
            "c": "red",
            "p": {"x": 1, "y": 2.5},
            "t": [1, "a"],
            "n": "nan",
        }
        assert to_json_value(object).startswith("<class")


class TestOptions:
    def test_valid(self) -> None:
        options = TaskOptions.parse({"model": "m", "temperature": 0.5, "max_tokens": 64.0})
        assert options == TaskOptions(model="m", temperature=0.5, max_tokens=64)
        assert options.lm_config() == {"temperature": 0.5, "max_tokens": 64}

    @pytest.mark.parametrize(
        "options",
        [{"model": 3}, {"temperature": "hot"}, {"temperature": -1}, {"max_tokens": 1.5}, {"max_tokens": 0}, {"x": 1}],
    )
    def test_invalid(self, options: dict[str, Any]) -> None:
        with pytest.raises(ServiceError) as raised:
            TaskOptions.parse(options)
        assert raised.value.reason == "INVALID_INPUTS"


class TestConfig:
    def test_defaults(self) -> None:
        settings = Settings.from_env({})
        assert (settings.host, settings.port, settings.workers) == ("127.0.0.1", 50051, 32)
        assert settings.lm.default_model == "local/smollm2-135m-instruct"
        assert settings.lm.permitted_models == ("local/smollm2-135m-instruct",)

    def test_environment(self) -> None:
        settings = Settings.from_env(
            {
                "DSPY_SERVICE_HOST": "0.0.0.0",
                "DSPY_SERVICE_PORT": "6000",
                "DSPY_SERVICE_WORKERS": "8",
                "DSPY_LM_MODEL": "openai/gpt-4o-mini",
                "DSPY_LM_API_BASE": "http://localhost:8000/v1",
                "DSPY_LM_API_KEY": "sk-secret",
                "DSPY_LM_ALLOWED_MODELS": "local/smollm2-135m-instruct, openai/gpt-4o ,",
                "DSPY_LM_MAX_TOKENS": "512",
                "DSPY_LM_TEMPERATURE": "0.3",
                "DSPY_LM_ENGINE": "LiteLLM",
            }
        )
        assert settings.port == 6000
        assert settings.lm.engine == "litellm"
        assert Settings.from_env({}).lm.engine == "auto"
        assert settings.workers == 8
        lm = settings.lm
        assert lm.permitted_models == ("openai/gpt-4o-mini", "local/smollm2-135m-instruct", "openai/gpt-4o")
        assert (lm.max_tokens, lm.temperature) == (512, 0.3)
        assert "sk-secret" not in repr(settings)

    @pytest.mark.parametrize(
        ("name", "value"), [("DSPY_SERVICE_PORT", "x"), ("DSPY_SERVICE_WORKERS", "0"), ("DSPY_LM_ENGINE", "openai")]
    )
    def test_invalid(self, name: str, value: str) -> None:
        with pytest.raises(ConfigError):
            Settings.from_env({name: value})

    def test_provider_allow_list_and_remote_lm(self) -> None:
        provider = ConfiguredLMProvider(
            LMSettings(default_model="openai/gpt-4o-mini", api_key="sk-test", api_base="http://127.0.0.1:9/v1")
        )
        resolved = provider.resolve(None)
        assert isinstance(resolved.lm, dspy.LM)
        assert resolved.lm.model == "openai/gpt-4o-mini"
        assert provider.resolve("openai/gpt-4o-mini") is resolved
        with pytest.raises(ServiceError) as raised:
            provider.resolve("local/smollm2-135m-instruct")
        assert raised.value.reason == "INVALID_PROGRAM"


class TestErrors:
    def test_status_details(self) -> None:
        status = to_rpc_status(ServiceError(INVALID_SIGNATURE, "bad"))
        assert status.code == grpc.StatusCode.INVALID_ARGUMENT
        assert status.details == "bad"
        (key, raw), *_ = status.trailing_metadata
        assert key == "grpc-status-details-bin"
        decoded = status_pb2.Status.FromString(raw)
        info = error_details_pb2.ErrorInfo()
        assert decoded.details[0].Unpack(info)
        assert (info.reason, info.domain, dict(info.metadata)) == (
            "INVALID_SIGNATURE",
            "dspy.dspysuite.io",
            {"retryable": "false"},
        )

    @pytest.mark.parametrize(
        ("exc", "reason", "code", "retryable"),
        [
            (dspy.LMRateLimitError("slow down"), "LM_RATE_LIMITED", grpc.StatusCode.RESOURCE_EXHAUSTED, True),
            (dspy.LMTimeoutError("late"), "LM_TIMEOUT", grpc.StatusCode.UNAVAILABLE, True),
            (dspy.LMServerError("503"), "LM_UNAVAILABLE", grpc.StatusCode.UNAVAILABLE, True),
            (dspy.LMTransportError("reset"), "LM_UNAVAILABLE", grpc.StatusCode.UNAVAILABLE, True),
            (ConnectionRefusedError(), "LM_UNAVAILABLE", grpc.StatusCode.UNAVAILABLE, True),
            (dspy.ContextWindowExceededError(), "INVALID_INPUTS", grpc.StatusCode.INVALID_ARGUMENT, False),
            (dspy.LMAuthError("key sk-123 refused"), "INTERNAL", grpc.StatusCode.INTERNAL, False),
            (KeyError("the secret prompt"), "INTERNAL", grpc.StatusCode.INTERNAL, False),
        ],
    )
    def test_classify(self, exc: Exception, reason: str, code: grpc.StatusCode, retryable: bool) -> None:
        error = classify(exc)
        assert (error.reason, error.kind.code, error.retryable) == (reason, code, retryable)
        assert "secret" not in error.message
        assert "sk-123" not in error.message

    def test_parse_error(self) -> None:
        sig = build_signature("q -> a: int")
        exc = dspy.AdapterParseError(adapter_name="ChatAdapter", signature=sig, lm_response="the private answer")
        error = classify(exc)
        assert (error.reason, error.kind.code, error.retryable) == (
            "OUTPUT_PARSE_FAILED",
            grpc.StatusCode.ABORTED,
            True,
        )
        assert "private" not in error.message


class BlockingLM(dspy.BaseLM):
    """Answers only when released, to observe cancellation while an LM call is under way."""

    def __init__(self) -> None:
        super().__init__(model="blocking", cache=False)
        self.started = threading.Event()
        self.release = threading.Event()
        self.calls = 0

    def forward(self, prompt: Any = None, messages: Any = None, **kwargs: Any) -> dict[str, Any]:
        self.calls += 1
        self.started.set()
        self.release.wait(10)
        content = "[[ ## answer ## ]]\nok\n\n[[ ## completed ## ]]"
        return {"model": "blocking", "choices": [{"message": {"content": content}}], "usage": {}}


class BlockingProvider:
    default_model = "blocking"

    def __init__(self) -> None:
        self.lm = BlockingLM()

    def resolve(self, model: str | None) -> ResolvedLM:
        return ResolvedLM("blocking", self.lm, SignatureConstrainedChatAdapter())

    def warm_up(self) -> None:
        pass


class TestCancellation:
    async def test_cancel_returns_at_once_and_stops_later_lm_calls(self) -> None:
        provider = BlockingProvider()
        runner = TaskRunner(provider, workers=1)
        token = CancelToken()
        task = asyncio.create_task(
            runner.run_predict(AdHocProgramSpec("question -> answer", "predict"), {"question": "q"}, {}, token)
        )
        await asyncio.to_thread(provider.lm.started.wait, 5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(task, 1)
        assert token.cancelled
        provider.lm.release.set()
        runner.executor.shutdown(wait=True)
        # The next LM call of a cancelled task is refused before it starts.
        with cancellation_scope(token), pytest.raises(TaskCancelledError):
            SignatureConstrainedChatAdapter()(provider.lm, {}, build_signature("q -> a"), [], {"q": "x"})
        assert provider.lm.calls == 1
