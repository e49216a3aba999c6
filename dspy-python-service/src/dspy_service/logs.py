"""JSON-lines logging on stderr. Log records never carry prompts, answers or API keys."""

from __future__ import annotations

import contextvars
import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime

_task_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("dspy_service_task_id", default=None)

# Attributes every LogRecord has; anything else passed via `extra=` is emitted as a field.
_STANDARD_ATTRS = frozenset(vars(logging.LogRecord("x", logging.INFO, "x", 0, "x", None, None))) | {
    "message",
    "asctime",
    "taskName",
}


@contextmanager
def task_context(task_id: str | None) -> Iterator[None]:
    """Tag every log line emitted in this context (and threads started with a copy of it) with the task id."""
    token = _task_id.set(task_id or None)
    try:
        yield
    finally:
        # An async generator may be finalised from another context (e.g. when its call is cancelled).
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
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS and key != "task_id" and not key.startswith("_"):
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
