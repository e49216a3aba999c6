"""Streaming output fields while the LM generates: raw text deltas in, per-field chunks out.

An LM that can stream (``LlamaCppLM``; test doubles) looks up the task's sink in the DSPy settings
(``STREAM_SETTING``) and feeds it every text delta. :class:`FieldStreamer` splits the ChatAdapter format
(``[[ ## field ## ]]`` headers) into chunks of each field's value, holding back only text that might still turn out to
be the start of the next header.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable

STREAM_SETTING = "dspy_service_stream"
_HEADER = re.compile(r"\[\[ ## (\w+) ## \]\]")
_HIDDEN_FIELDS = frozenset({"completed"})

ChunkSink = Callable[[str, str, bool], None]
"""``sink(field, text, last)``"""


class FieldStreamer:
    """Turns the raw text of one LM answer into ``(field, text, last)`` chunks. Thread-safe; one answer at a time."""

    def __init__(self, sink: ChunkSink) -> None:
        self._sink = sink
        self._lock = threading.Lock()
        self._text = ""
        self._emitted: dict[str, int] = {}
        self._finished: set[str] = set()

    def reset(self) -> None:
        """Start a new answer (a program that calls the LM again streams its new answer from the start)."""
        with self._lock:
            self._text = ""
            self._emitted = {}
            self._finished = set()

    def feed(self, delta: str) -> None:
        with self._lock:
            self._text += delta
            self._flush(final=False)

    def close(self) -> None:
        with self._lock:
            self._flush(final=True)

    def _flush(self, final: bool) -> None:
        headers = list(_HEADER.finditer(self._text))
        for index, match in enumerate(headers):
            name = match.group(1)
            if name in _HIDDEN_FIELDS or name in self._finished:
                continue
            complete = final or index + 1 < len(headers)
            end = headers[index + 1].start() if index + 1 < len(headers) else len(self._text)
            body = self._text[match.end() : end]
            value = body.lstrip("\n").rstrip() if complete else _stable_prefix(body.lstrip("\n"))
            done = self._emitted.get(name, 0)
            if len(value) > done:
                self._sink(name, value[done:], complete)
                self._emitted[name] = len(value)
            elif complete:
                self._sink(name, "", True)
            if complete:
                self._finished.add(name)


def _stable_prefix(body: str) -> str:
    """The part of an unfinished field value that cannot belong to the next header (or the blank line before it)."""
    # A header under way ("[[ ## ne") is never part of a value: values never contain "[[".
    header = body.find("[[")
    cut = len(body) if header < 0 else header
    # Trailing whitespace and "[" may be the start of "\n\n[[ ## next ## ]]".
    while cut > 0 and body[cut - 1] in " \n\r\t[":
        cut -= 1
    return body[:cut]
