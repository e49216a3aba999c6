"""Streaming output fields while the LM generates, as ``(field, text, last)`` chunks, two ways:

* An LM that streams by itself (``LlamaCppLM``; test doubles) looks up the task's sink in the DSPy settings
  (``STREAM_SETTING``) and feeds it every text delta. :class:`FieldStreamer` splits the ChatAdapter format
  (``[[ ## field ## ]]`` headers) into chunks of each field's value, holding back only text that might still turn out to
  be the start of the next header.
* ``dspy.LM`` models (LiteLLM or DSPy's native engine) stream the DSPy way: :func:`stream_with_listeners` runs the
  program under ``dspy.streamify`` with one ``dspy.streaming.StreamListener`` per output field, and
  :class:`ChunkAssembler` gives the listeners' chunks the same guarantees as :class:`FieldStreamer`'s.

Both give: fields in generation order (signature order; ChainOfThought's ``reasoning`` first), a field's chunks never
interleaved with another's, exactly one ``last`` chunk per field, and a field's chunks joined equal its text in the
result.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import dspy
from dspy.streaming import StreamListener, StreamResponse

from dspy_service.cancellation import CancelToken, TaskCancelledError

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


def listeners_can_stream(adapter: object) -> bool:
    """Whether DSPy's stream listeners can cut this adapter's output into field values whose chunks join to the
    parsed value: the ChatAdapter format and its subclasses. DSPy's JSONAdapter listener yields the JSON-escaped text
    of a value (quotes, ``\\n``), not the value, and the XMLAdapter is not used here; such tasks answer whole."""
    return isinstance(adapter, dspy.ChatAdapter) and not isinstance(adapter, dspy.JSONAdapter | dspy.XMLAdapter)


class ChatFieldListener(StreamListener):
    """DSPy's listener of one output field. DSPy picks an adapter's field markers by the adapter's class *name*, so a
    ChatAdapter subclass (``SignatureConstrainedChatAdapter``) is registered with the ChatAdapter's markers."""

    def __init__(self, field: str, predict: dspy.Predict, predict_name: str, adapter_name: str) -> None:
        super().__init__(signature_field_name=field, predict=predict, predict_name=predict_name)
        self.adapter_identifiers.setdefault(adapter_name, self.adapter_identifiers["ChatAdapter"])


class ChunkAssembler:
    """Gives DSPy's listener chunks the guarantees of :class:`FieldStreamer`.

    A listener reports a field's end only when it sees the next header, and not at all when one stream chunk carried a
    whole field (DSPy then treats it as a cache hit): an earlier field still open when a later one starts is closed
    with an empty ``last`` chunk, and :meth:`finish` sends what the listeners never did, from the parsed prediction.
    """

    def __init__(self, fields: Sequence[str], sink: ChunkSink) -> None:
        self._fields = list(fields)
        self._sink = sink
        self._sent: dict[str, str] = {}
        self._closed: set[str] = set()

    def add(self, field: str, text: str, last: bool) -> None:
        if field not in self._fields or field in self._closed:
            return
        for earlier in self._fields[: self._fields.index(field)]:
            if earlier in self._sent and earlier not in self._closed:
                self._send(earlier, "", True)
        if text or last:
            self._send(field, text, last)

    def finish(self, values: Mapping[str, Any]) -> None:
        """After the prediction: every field not yet closed gets its rest (or all of it) as its ``last`` chunk."""
        for field in self._fields:
            if field in self._closed:
                continue
            value = values.get(field)
            sent = self._sent.get(field, "")
            rest = value[len(sent) :] if isinstance(value, str) and value.startswith(sent) else ""
            self._send(field, rest, True)

    def _send(self, field: str, text: str, last: bool) -> None:
        self._sent[field] = self._sent.get(field, "") + text
        if last:
            self._closed.add(field)
        self._sink(field, text, last)


def stream_with_listeners(
    module: dspy.Module, inputs: Mapping[str, Any], sink: ChunkSink, cancel: CancelToken
) -> dspy.Prediction:
    """Run a single-predictor program under ``dspy.streamify`` on this (worker) thread and send its output fields to
    ``sink`` as they are generated; the prediction.

    Runs inside the task's ``dspy.context`` (LM, adapter, callbacks, usage tracker): the program runs as DSPy's async
    program (``acall``) on an event loop of this thread, so it takes no other thread. Cancelling the task cancels that
    loop's task, which closes the LM's HTTP stream at once instead of reading it to its end.
    """
    ((predict_name, predictor),) = module.named_predictors()
    fields = list(predictor.signature.output_fields)
    adapter_name = type(dspy.settings.adapter).__name__
    listeners = [ChatFieldListener(name, predictor, predict_name, adapter_name) for name in fields]
    assembler = ChunkAssembler(fields, sink)
    # track_usage asks LiteLLM for the usage of a streamed answer (stream_options.include_usage).
    with dspy.context(track_usage=True):
        program = dspy.streamify(module, stream_listeners=listeners, is_async_program=True)

        async def consume() -> dspy.Prediction:
            task = asyncio.current_task()
            loop = asyncio.get_running_loop()
            assert task is not None

            def stop() -> None:
                with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nothing left to stop
                    loop.call_soon_threadsafe(task.cancel)

            prediction: dspy.Prediction | None = None
            with cancel.on_cancel(stop):
                async for value in program(**inputs):
                    if isinstance(value, StreamResponse):
                        assembler.add(value.signature_field_name, value.chunk or "", value.is_last_chunk)
                    elif isinstance(value, dspy.Prediction):
                        prediction = value
            if prediction is None:
                raise RuntimeError("the streamed program ended without a prediction")
            return prediction

        try:
            prediction = asyncio.run(consume())
        except asyncio.CancelledError:
            raise TaskCancelledError("the task was cancelled") from None
    assembler.finish({name: prediction.get(name) for name in fields})
    return prediction
