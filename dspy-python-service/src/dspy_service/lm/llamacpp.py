"""A DSPy LM backed by a local GGUF model through llama-cpp-python, with grammar-constrained decoding."""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import dspy

from dspy_service.lm.grammar import GrammarPlan, OutputSpec, build_grammar
from dspy_service.streaming import STREAM_SETTING, FieldStreamer

if TYPE_CHECKING:
    from llama_cpp import Llama, LlamaGrammar

logger = logging.getLogger(__name__)

# The lm_kwargs key through which SignatureConstrainedChatAdapter hands the output fields to LlamaCppLM.
OUTPUT_SPEC_KWARG = "dspy_service_output_spec"
# Tokens reserved on top of the estimated prompt length (chat-template markup the estimate does not see).
_PROMPT_MARGIN_TOKENS = 32
_PER_MESSAGE_TOKENS = 8


class GrammarCompileError(RuntimeError):
    """llama.cpp rejected a generated grammar (a bug in the grammar builder)."""


def default_threads() -> int:
    """Half the logical CPUs, at least one: llama-cpp-python's own default. llama.cpp's threads spin while they
    wait for each other, so one per logical CPU fights the suite's JVMs, Kafka and PostgreSQL on the same machine:
    measured on 2 loaded cores, one predict took 114-231 s with 2 threads and 5-9 s with 1 (bench/README.md (f))."""
    return max(1, (os.cpu_count() or 1) // 2)


class LocalModel:
    """One ``llama_cpp.Llama`` loaded lazily and used under a lock (a llama.cpp context is not thread-safe)."""

    def __init__(self, model_path: Path, *, n_ctx: int = 4096, n_threads: int | None = None) -> None:
        self.model_path = model_path
        self.n_ctx = n_ctx
        self.n_threads = n_threads or default_threads()
        self.lock = threading.Lock()
        self._llama: Llama | None = None
        self._grammars: dict[str, LlamaGrammar] = {}
        self.load_seconds: float | None = None

    @property
    def loaded(self) -> bool:
        return self._llama is not None

    def llama(self) -> Llama:
        """The loaded model; call with ``lock`` held."""
        if self._llama is None:
            from llama_cpp import Llama

            started = time.perf_counter()
            self._llama = Llama(
                model_path=str(self.model_path),
                n_ctx=self.n_ctx,
                n_threads=self.n_threads,
                n_threads_batch=self.n_threads,
                verbose=False,
            )
            self.load_seconds = time.perf_counter() - started
            logger.info(
                "local model loaded",
                extra={"model_file": self.model_path.name, "n_ctx": self.n_ctx, "seconds": round(self.load_seconds, 3)},
            )
        return self._llama

    def grammar(self, text: str) -> LlamaGrammar:
        """A parsed grammar, checked once against the model's vocabulary; call with ``lock`` held."""
        cached = self._grammars.get(text)
        if cached is not None:
            return cached
        import llama_cpp
        from llama_cpp import LlamaGrammar

        llama = self.llama()
        # llama-cpp-python only parses a grammar when sampling, and a grammar llama.cpp rejects would leave a null
        # sampler in the chain. Parse it here first, where a failure is an ordinary exception.
        sampler = llama_cpp.llama_sampler_init_grammar(llama._model.vocab, text.encode("utf-8"), b"root")
        if not sampler:
            raise GrammarCompileError("llama.cpp rejected the output grammar")
        llama_cpp.llama_sampler_free(sampler)
        grammar = LlamaGrammar.from_string(text, verbose=False)
        if len(self._grammars) >= 256:
            self._grammars.pop(next(iter(self._grammars)))
        self._grammars[text] = grammar
        return grammar

    def count_tokens(self, text: str) -> int:
        """Token count of ``text``; call with ``lock`` held."""
        return len(self.llama().tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def warm_up(self) -> None:
        """Load the model and run one tiny generation so the first request does not pay for it."""
        with self.lock:
            llama = self.llama()
            llama.create_chat_completion(messages=[{"role": "user", "content": "Hi"}], max_tokens=1, temperature=0.0)


class LlamaCppLM(dspy.BaseLM):
    """DSPy LM running a local GGUF model.

    When the adapter passes the signature's output fields (``OUTPUT_SPEC_KWARG``), decoding is constrained by a GBNF
    grammar to the ChatAdapter output format, so DSPy can always parse the answer. Copies share the loaded model.
    """

    # SignatureConstrainedChatAdapter passes the output fields (OUTPUT_SPEC_KWARG) to LMs that declare this.
    accepts_output_spec: ClassVar[bool] = True

    def __init__(
        self,
        model: str,
        local_model: LocalModel,
        *,
        temperature: float | None = 0.0,
        max_tokens: int | None = None,
    ) -> None:
        super().__init__(
            model=model,
            model_type="chat",
            temperature=temperature if temperature is not None else 0.0,
            max_tokens=max_tokens,
            cache=False,
            num_retries=0,
        )
        self.local_model = local_model

    def dump_state(self) -> dict[str, Any]:
        state = super().dump_state()
        state.pop("local_model", None)
        return state

    def forward(
        self, prompt: str | None = None, messages: list[dict[str, Any]] | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        merged = {**self.kwargs, **kwargs}
        spec: OutputSpec | None = merged.pop(OUTPUT_SPEC_KWARG, None)
        chat = [dict(m) for m in (messages or [{"role": "user", "content": prompt or ""}])]
        temperature = float(merged.get("temperature") or 0.0)
        max_tokens = merged.get("max_tokens")
        n = int(merged.get("n") or 1)

        choices: list[dict[str, Any]] = []
        prompt_tokens = completion_tokens = 0
        model = self.local_model
        streamer = dspy.settings.get(STREAM_SETTING)
        if not isinstance(streamer, FieldStreamer) or n != 1:
            streamer = None
        with model.lock:
            llama = model.llama()
            estimated_prompt = sum(model.count_tokens(str(m.get("content") or "")) + _PER_MESSAGE_TOKENS for m in chat)
            room = model.n_ctx - estimated_prompt - _PROMPT_MARGIN_TOKENS
            if room < 16:
                raise dspy.ContextWindowExceededError(
                    model=self.model, message="the prompt does not fit the local model's context window"
                )
            # Without a configured max_tokens, the rest of the context window is the budget.
            budget = min(int(max_tokens), room) if max_tokens else room
            grammar = None
            if spec is not None:
                plan: GrammarPlan = build_grammar(spec, budget)
                grammar = model.grammar(plan.text)
                # The grammar ends the text by itself; the cap only guards multi-byte output.
                budget = min(room, max(budget, 4 * plan.max_chars))
            for _ in range(max(1, n)):
                if streamer is not None:
                    text = self._stream(llama, chat, temperature, budget, grammar, streamer)
                    choices.append(
                        {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
                    )
                    prompt_tokens += estimated_prompt
                    completion_tokens += model.count_tokens(text)
                    continue
                try:
                    response = llama.create_chat_completion(
                        messages=chat,  # type: ignore[arg-type]
                        temperature=temperature,
                        max_tokens=budget,
                        grammar=grammar,
                    )
                except ValueError as exc:
                    if "exceed context window" in str(exc):
                        raise dspy.ContextWindowExceededError(
                            model=self.model, message="the prompt does not fit the local model's context window"
                        ) from None
                    raise
                assert isinstance(response, dict)
                choice = response["choices"][0]
                choices.append(
                    {
                        "index": len(choices),
                        "message": {"role": "assistant", "content": choice["message"].get("content") or ""},
                        "finish_reason": choice.get("finish_reason") or "stop",
                    }
                )
                usage = response.get("usage") or {}
                prompt_tokens += int(usage.get("prompt_tokens") or 0)
                completion_tokens += int(usage.get("completion_tokens") or 0)

        return {
            "id": f"chatcmpl-{uuid.uuid4().hex}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": self.model,
            "choices": choices,
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }

    def _stream(
        self,
        llama: Llama,
        chat: list[dict[str, Any]],
        temperature: float,
        budget: int,
        grammar: LlamaGrammar | None,
        streamer: FieldStreamer,
    ) -> str:
        """Generate with ``stream=True``, feeding every delta to the task's field streamer; the whole text."""
        parts: list[str] = []
        streamer.reset()
        try:
            chunks = llama.create_chat_completion(
                messages=chat,  # type: ignore[arg-type]
                temperature=temperature,
                max_tokens=budget,
                grammar=grammar,
                stream=True,
            )
            for chunk in chunks:
                delta = (chunk["choices"][0].get("delta") or {}).get("content") or ""  # type: ignore[index]
                if delta:
                    parts.append(delta)
                    streamer.feed(delta)
        except ValueError as exc:
            if "exceed context window" in str(exc):
                raise dspy.ContextWindowExceededError(
                    model=self.model, message="the prompt does not fit the local model's context window"
                ) from None
            raise
        streamer.close()
        return "".join(parts)
