"""Service configuration, read once from the environment into an immutable object (passed around, never global)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

LOCAL_MODEL_PREFIX = "local/"
DEFAULT_LOCAL_MODEL = "local/smollm2-135m-instruct"


class ConfigError(ValueError):
    """An environment variable holds a value the service cannot use."""


def _get(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name)
    if value is None:
        return None
    value = value.strip()
    return value or None


def _int(env: Mapping[str, str], name: str, default: int | None, minimum: int = 1) -> int | None:
    raw = _get(env, name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from exc
    if value < minimum:
        raise ConfigError(f"{name} must be >= {minimum}, got {value}")
    return value


def _float(env: Mapping[str, str], name: str, default: float | None) -> float | None:
    raw = _get(env, name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from exc
    if value < 0:
        raise ConfigError(f"{name} must be >= 0, got {value}")
    return value


@dataclass(frozen=True)
class LMSettings:
    """Which language models the service may use and how it calls them."""

    default_model: str = DEFAULT_LOCAL_MODEL
    api_base: str | None = None
    # Never logged: excluded from repr.
    api_key: str | None = field(default=None, repr=False)
    allowed_models: tuple[str, ...] = ()
    max_tokens: int | None = None
    temperature: float | None = None
    timeout_seconds: float = 120.0
    num_retries: int = 0
    # llama.cpp (local model) settings.
    llama_n_ctx: int = 4096
    llama_n_threads: int | None = None
    llama_model_path: str | None = None

    @property
    def permitted_models(self) -> tuple[str, ...]:
        """The default model first, then the allow-list, without duplicates."""
        ordered = [self.default_model, *self.allowed_models]
        return tuple(dict.fromkeys(ordered))

    def is_allowed(self, model: str) -> bool:
        return model in self.permitted_models

    @staticmethod
    def is_local(model: str) -> bool:
        return model.startswith(LOCAL_MODEL_PREFIX)


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 50051
    workers: int = 32
    optimize_workers: int = 2
    cache_dir: str | None = None
    cache_ttl_hours: float = 24.0
    grace_seconds: float = 10.0
    log_level: str = "INFO"
    lm: LMSettings = field(default_factory=LMSettings)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        allowed_raw = _get(env, "DSPY_LM_ALLOWED_MODELS") or ""
        allowed = tuple(m.strip() for m in allowed_raw.split(",") if m.strip())
        lm = LMSettings(
            default_model=_get(env, "DSPY_LM_MODEL") or DEFAULT_LOCAL_MODEL,
            api_base=_get(env, "DSPY_LM_API_BASE"),
            api_key=_get(env, "DSPY_LM_API_KEY"),
            allowed_models=allowed,
            max_tokens=_int(env, "DSPY_LM_MAX_TOKENS", None),
            temperature=_float(env, "DSPY_LM_TEMPERATURE", None),
            timeout_seconds=_float(env, "DSPY_LM_TIMEOUT_SECONDS", 120.0) or 120.0,
            num_retries=_int(env, "DSPY_LM_NUM_RETRIES", 0, minimum=0) or 0,
            llama_n_ctx=_int(env, "DSPY_LLAMA_N_CTX", 4096, minimum=512) or 4096,
            llama_n_threads=_int(env, "DSPY_LLAMA_N_THREADS", None),
            llama_model_path=_get(env, "DSPY_LLAMA_MODEL_PATH"),
        )
        return cls(
            host=_get(env, "DSPY_SERVICE_HOST") or "127.0.0.1",
            port=_int(env, "DSPY_SERVICE_PORT", 50051, minimum=0) or 0,
            workers=_int(env, "DSPY_SERVICE_WORKERS", 32) or 32,
            optimize_workers=_int(env, "DSPY_SERVICE_OPTIMIZE_WORKERS", 2) or 2,
            cache_dir=_get(env, "DSPY_SERVICE_CACHE_DIR")
            or os.path.join(os.path.expanduser("~"), ".cache", "dspy-suite", "optimization-calls"),
            cache_ttl_hours=_float(env, "DSPY_SERVICE_CACHE_TTL_HOURS", 24.0) or 24.0,
            grace_seconds=_float(env, "DSPY_SERVICE_GRACE_SECONDS", 10.0) or 0.0,
            log_level=(_get(env, "DSPY_SERVICE_LOG_LEVEL") or "INFO").upper(),
            lm=lm,
        )
