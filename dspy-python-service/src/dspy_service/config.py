"""Service configuration, read once from the environment into an immutable object (passed around, never global)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

LOCAL_MODEL_PREFIX = "local/"
DEFAULT_LOCAL_MODEL = "local/smollm2-135m-instruct"
# The simulated LM (load tests and benchmarks): selectable only when DSPY_SERVICE_SIMULATED_LM=true.
SIMULATED_MODEL = "simulated"
LM_ENGINES = ("auto", "litellm", "lm15")


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


def _float(env: Mapping[str, str], name: str, default: float | None, maximum: float | None = None) -> float | None:
    raw = _get(env, name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from exc
    if value < 0:
        raise ConfigError(f"{name} must be >= 0, got {value}")
    if maximum is not None and value > maximum:
        raise ConfigError(f"{name} must be <= {maximum}, got {value}")
    return value


def _choice(env: Mapping[str, str], name: str, choices: tuple[str, ...], default: str) -> str:
    raw = _get(env, name)
    if raw is None:
        return default
    if raw.lower() not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}, got {raw!r}")
    return raw.lower()


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = _get(env, name)
    if raw is None:
        return default
    lowered = raw.lower()
    if lowered in ("true", "1", "yes", "on"):
        return True
    if lowered in ("false", "0", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


@dataclass(frozen=True)
class SimulatedLMSettings:
    """The simulated LM: answers any signature with made-up values after a configurable latency. Off by default."""

    enabled: bool = False
    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    error_rate: float = 0.0


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
    # DSPy's engine for non-local models: "auto" (DSPy's native engine where it represents the request, else LiteLLM),
    # "litellm" (always LiteLLM) or "lm15" (native only).
    engine: str = "auto"
    # llama.cpp (local model) settings.
    llama_n_ctx: int = 4096
    llama_n_threads: int | None = None
    llama_model_path: str | None = None
    simulated: SimulatedLMSettings = field(default_factory=SimulatedLMSettings)

    @property
    def permitted_models(self) -> tuple[str, ...]:
        """The default model first, then the allow-list (plus ``simulated`` when enabled), without duplicates."""
        ordered = [self.default_model, *self.allowed_models]
        if self.simulated.enabled:
            ordered.append(SIMULATED_MODEL)
        permitted = dict.fromkeys(ordered)
        if not self.simulated.enabled:
            # Listing "simulated" in DSPY_LM_ALLOWED_MODELS is not enough: it needs DSPY_SERVICE_SIMULATED_LM=true.
            permitted.pop(SIMULATED_MODEL, None)
        return tuple(permitted)

    def is_allowed(self, model: str) -> bool:
        return model in self.permitted_models

    @staticmethod
    def is_local(model: str) -> bool:
        return model.startswith(LOCAL_MODEL_PREFIX)


@dataclass(frozen=True)
class TelemetrySettings:
    """Metrics endpoint and what traces may carry (the OTLP exporter itself reads the standard OTEL_* variables)."""

    # Prometheus endpoint port (0 = no endpoint); it binds to the gRPC host.
    metrics_port: int = 9464
    # Record prompt and completion text on LM spans (off: they may hold personal data).
    capture_content: bool = False


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
    telemetry: TelemetrySettings = field(default_factory=TelemetrySettings)

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
            engine=_choice(env, "DSPY_LM_ENGINE", LM_ENGINES, "auto"),
            llama_n_ctx=_int(env, "DSPY_LLAMA_N_CTX", 4096, minimum=512) or 4096,
            llama_n_threads=_int(env, "DSPY_LLAMA_N_THREADS", None),
            llama_model_path=_get(env, "DSPY_LLAMA_MODEL_PATH"),
            simulated=SimulatedLMSettings(
                enabled=_bool(env, "DSPY_SERVICE_SIMULATED_LM", False),
                latency_ms=_float(env, "DSPY_SERVICE_SIMULATED_LM_LATENCY_MS", 0.0) or 0.0,
                jitter_ms=_float(env, "DSPY_SERVICE_SIMULATED_LM_JITTER_MS", 0.0) or 0.0,
                error_rate=_float(env, "DSPY_SERVICE_SIMULATED_LM_ERROR_RATE", 0.0, maximum=1.0) or 0.0,
            ),
        )
        if lm.default_model == SIMULATED_MODEL and not lm.simulated.enabled:
            raise ConfigError(f"DSPY_LM_MODEL={SIMULATED_MODEL} needs DSPY_SERVICE_SIMULATED_LM=true")
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
            telemetry=TelemetrySettings(
                metrics_port=_int(env, "DSPY_SERVICE_METRICS_PORT", 9464, minimum=0) or 0,
                capture_content=_bool(env, "DSPY_SERVICE_OTEL_CAPTURE_CONTENT", False),
            ),
        )
