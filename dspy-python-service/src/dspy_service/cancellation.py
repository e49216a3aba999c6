"""Cooperative cancellation of a running task: the gRPC handler sets the token, DSPy code checks it between LM calls."""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager


class TaskCancelledError(Exception):
    """The caller cancelled the task; raised at the next cancellation check inside the worker thread."""


class CancelToken:
    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._callbacks: list[Callable[[], None]] = []

    def cancel(self) -> None:
        with self._lock:
            if self._event.is_set():
                return
            self._event.set()
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback()

    @contextmanager
    def on_cancel(self, callback: Callable[[], None]) -> Iterator[None]:
        """Run ``callback`` (once, on the cancelling thread) if the task is cancelled while the block runs; at once if
        it already was. For work that waits on something other than LM-call boundaries (an async stream)."""
        with self._lock:
            already = self._event.is_set()
            if not already:
                self._callbacks.append(callback)
        if already:
            callback()
        try:
            yield
        finally:
            with self._lock:
                if callback in self._callbacks:
                    self._callbacks.remove(callback)

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()


_current: contextvars.ContextVar[CancelToken | None] = contextvars.ContextVar("dspy_service_cancel", default=None)


@contextmanager
def cancellation_scope(token: CancelToken) -> Iterator[CancelToken]:
    reset = _current.set(token)
    try:
        yield token
    finally:
        _current.reset(reset)


# The same token travels in the DSPy settings of the task (``dspy.context(**{CANCEL_SETTING: token})``): DSPy copies its
# settings into the threads of its parallel executor (Evaluate, optimizers), which plain context variables miss.
CANCEL_SETTING = "dspy_service_cancel"


def current_token() -> CancelToken | None:
    token = _current.get()
    if token is not None:
        return token
    import dspy

    found = dspy.settings.get(CANCEL_SETTING)
    return found if isinstance(found, CancelToken) else None


def raise_if_cancelled() -> None:
    token = current_token()
    if token is not None and token.cancelled:
        raise TaskCancelledError("the task was cancelled")
