"""Which LM (and adapter) serves a request: the configured default, or a model from the allow-list."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import dspy

from dspy_service.config import SIMULATED_MODEL, LMSettings
from dspy_service.errors import INVALID_PROGRAM, ServiceError
from dspy_service.lm.adapter import SignatureConstrainedChatAdapter
from dspy_service.lm.llamacpp import LlamaCppLM, LocalModel
from dspy_service.lm.model_files import smollm2_gguf_path
from dspy_service.lm.simulated import SimulatedLM

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ResolvedLM:
    name: str
    lm: dspy.BaseLM
    adapter: dspy.Adapter


class LMProvider(Protocol):
    """What the servicer needs from the LM layer (tests inject their own, e.g. around ``dspy.utils.DummyLM``)."""

    @property
    def default_model(self) -> str: ...

    @property
    def models(self) -> tuple[str, ...]:
        """Every model a request may choose (the default first)."""
        ...

    def resolve(self, model: str | None) -> ResolvedLM:
        """The LM for ``model`` (None = the default); raises ServiceError(INVALID_PROGRAM) if it is not allowed."""
        ...

    def warm_up(self) -> None:
        """Prepare the default model (load weights); called once before the service reports SERVING."""
        ...


class ConfiguredLMProvider:
    """LMs built from :class:`LMSettings`: ``local/...`` names run on llama.cpp, ``simulated`` (only when enabled) is
    the simulated LM, anything else goes through ``dspy.LM``."""

    def __init__(self, settings: LMSettings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._local_model: LocalModel | None = None
        self._cache: dict[str, ResolvedLM] = {}
        # The local LM is grammar-constrained, so the JSON fallback (a second, unconstrained call) cannot help it.
        self._local_adapter = SignatureConstrainedChatAdapter(use_json_adapter_fallback=False)
        self._remote_adapter = SignatureConstrainedChatAdapter()

    @property
    def default_model(self) -> str:
        return self.settings.default_model

    @property
    def models(self) -> tuple[str, ...]:
        return self.settings.permitted_models

    @property
    def local_model(self) -> LocalModel:
        with self._lock:
            if self._local_model is None:
                path = Path(self.settings.llama_model_path) if self.settings.llama_model_path else smollm2_gguf_path()
                self._local_model = LocalModel(
                    path, n_ctx=self.settings.llama_n_ctx, n_threads=self.settings.llama_n_threads
                )
            return self._local_model

    def resolve(self, model: str | None) -> ResolvedLM:
        name = (model or "").strip() or self.settings.default_model
        if not self.settings.is_allowed(name):
            if name == SIMULATED_MODEL:
                raise ServiceError(
                    INVALID_PROGRAM, "the simulated LM is not enabled on this service (DSPY_SERVICE_SIMULATED_LM)"
                )
            raise ServiceError(INVALID_PROGRAM, f"model {name!r} is not in the service's allow-list")
        cached = self._cache.get(name)
        if cached is not None:
            return cached
        resolved = self._build(name)
        with self._lock:
            return self._cache.setdefault(name, resolved)

    def _build(self, name: str) -> ResolvedLM:
        s = self.settings
        if name == SIMULATED_MODEL:
            # Its answers always parse, so the JSON fallback would only double a simulated failure.
            return ResolvedLM(name, SimulatedLM(s.simulated), self._local_adapter)
        if s.is_local(name):
            lm: dspy.BaseLM = LlamaCppLM(name, self.local_model, temperature=s.temperature, max_tokens=s.max_tokens)
            return ResolvedLM(name, lm, self._local_adapter)
        kwargs: dict[str, object] = {
            "cache": False,
            "num_retries": s.num_retries,
            "timeout": s.timeout_seconds,
            "engine": s.engine,
        }
        if s.api_base:
            kwargs["api_base"] = s.api_base
        if s.api_key:
            kwargs["api_key"] = s.api_key
        if s.temperature is not None:
            kwargs["temperature"] = s.temperature
        if s.max_tokens is not None:
            kwargs["max_tokens"] = s.max_tokens
        return ResolvedLM(name, dspy.LM(name, **kwargs), self._remote_adapter)

    def warm_up(self) -> None:
        if self.settings.is_local(self.settings.default_model):
            self.local_model.warm_up()
        else:
            self.resolve(None)
