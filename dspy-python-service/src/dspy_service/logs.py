"""JSON-lines logging on stderr. Log records never carry prompts, answers or API keys.

Every line emitted while a task runs carries its ``task_id`` (and ``tenant_id`` when the caller sent one), and every
line emitted inside a span carries the ``trace_id`` and ``span_id`` of the current span, to find the trace of a log
line and the log lines of a trace.
"""

from __future__ import annotations

import contextvars
import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime

from opentelemetry import trace

_task_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("dspy_service_task_id", default=None)
_tenant_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("dspy_service_tenant_id", default=None)

# Attributes every LogRecord has; anything else passed via `extra=` is emitted as a field.
_STANDARD_ATTRS = frozenset(vars(logging.LogRecord("x", logging.INFO, "x", 0, "x", None, None))) | {
    "message",
    "asctime",
    "taskName",
}
_CONTEXT_FIELDS = frozenset({"task_id", "tenant_id"})


@contextmanager
def task_context(task_id: str | None, tenant_id: str | None = None) -> Iterator[None]:
    """Tag every log line emitted in this context (and threads started with a copy of it) with the task id (and the
    tenant id, when known)."""
    token = _task_id.set(task_id or None)
    tenant_token = _tenant_id.set(tenant_id or None)
    try:
        yield
    finally:
        # An async generator may be finalised from another context (e.g. when its call is cancelled).
        with suppress(ValueError):
            _tenant_id.reset(tenant_token)
        with suppress(ValueError):
            _task_id.reset(token)


def current_task_id() -> str | None:
    return _task_id.get()


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        task_id = getattr(record, "task_id", None) or _task_id.get()
        if task_id:
            entry["task_id"] = task_id
        tenant_id = getattr(record, "tenant_id", None) or _tenant_id.get()
        if tenant_id:
            entry["tenant_id"] = tenant_id
        # Formatted on the thread that logs, so the current span is the one the line was logged in.
        span_context = trace.get_current_span().get_span_context()
        if span_context.is_valid:
            entry["trace_id"] = format(span_context.trace_id, "032x")
            entry["span_id"] = format(span_context.span_id, "016x")
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS and key not in _CONTEXT_FIELDS and not key.startswith("_"):
                entry[key] = value if isinstance(value, str | int | float | bool | type(None)) else repr(value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: str = "INFO") -> None:
    """Route the root logger to stderr as JSON lines. Third-party chatter is capped at WARNING."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)
    # DSPy and LiteLLM may log prompts or responses at INFO/DEBUG; keep them quiet.
    for noisy in ("dspy", "LiteLLM", "litellm", "httpx", "httpcore", "grpc"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
