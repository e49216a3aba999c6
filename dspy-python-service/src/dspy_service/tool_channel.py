"""Caller-side tools over ExecuteInteractive: the running program asks the gRPC client to run a tool and waits.

A :class:`ToolChannel` belongs to one ExecuteInteractive call. Each caller tool becomes a ``dspy.Tool`` whose function
(run on a DSPy worker thread) emits a :class:`ToolCallRequest` event (sent to the client as ``ExecuteUpdate.tool_call``)
and blocks until the client's ``ToolResult`` with the same ``call_id`` arrives, the tool's timeout passes, the task is
cancelled or the client closes its side of the stream. Tool-level failures (an error result, a timeout) become the
observation the LM sees, as with any ReAct tool; a broken channel also fails the task with ``TOOL_FAILED``.
"""

from __future__ import annotations

import concurrent.futures
import keyword
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import dspy

from dspy_service.cancellation import raise_if_cancelled
from dspy_service.errors import INVALID_INPUTS, ServiceError
from dspy_service.tools import BUILTIN_TOOLS

MAX_CALLER_TOOLS = 16
DEFAULT_TIMEOUT_MS = 30_000
MAX_TIMEOUT_MS = 300_000
MAX_OUTPUT_CHARS = 64 * 1024
MAX_SCHEMA_BYTES = 16 * 1024


@dataclass(frozen=True)
class CallerToolSpec:
    name: str
    description: str
    args_schema: dict[str, Any]
    timeout_ms: int = DEFAULT_TIMEOUT_MS


@dataclass(frozen=True)
class ToolCallRequest:
    call_id: str
    tool: str
    arguments: dict[str, Any]
    timeout_ms: int


@dataclass(frozen=True)
class ToolReply:
    output: str = ""
    error_code: str = ""
    error_message: str = ""


class ToolChannelClosedError(RuntimeError):
    """The client closed its side of the stream while a tool call was waiting."""


@dataclass
class ToolChannel:
    emit: Callable[[ToolCallRequest], None]
    pending: dict[str, concurrent.futures.Future[ToolReply]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    closed: bool = False
    broken: bool = False
    calls: int = 0

    def resolve(self, call_id: str, reply: ToolReply) -> bool:
        with self.lock:
            future = self.pending.pop(call_id, None)
        if future is None:
            return False
        future.set_result(reply)
        return True

    def close(self) -> None:
        with self.lock:
            self.closed = True
            pending, self.pending = self.pending, {}
        for future in pending.values():
            future.set_exception(ToolChannelClosedError("the caller closed the tool channel"))

    def call(self, spec: CallerToolSpec, arguments: dict[str, Any]) -> str:
        raise_if_cancelled()
        call_id = uuid.uuid4().hex
        future: concurrent.futures.Future[ToolReply] = concurrent.futures.Future()
        with self.lock:
            if self.closed:
                self.broken = True
                raise ToolChannelClosedError("the caller closed the tool channel")
            self.pending[call_id] = future
            self.calls += 1
        self.emit(ToolCallRequest(call_id, spec.name, arguments, spec.timeout_ms))
        waited = 0.0
        try:
            while True:
                try:
                    reply = future.result(timeout=0.1)
                    break
                except concurrent.futures.TimeoutError:
                    waited += 0.1
                    raise_if_cancelled()
                    if waited * 1000 >= spec.timeout_ms:
                        return f"error: TIMEOUT: the tool {spec.name} did not answer within {spec.timeout_ms} ms"
        except ToolChannelClosedError:
            self.broken = True
            raise
        finally:
            with self.lock:
                self.pending.pop(call_id, None)
        if reply.error_code or reply.error_message:
            return f"error: {reply.error_code or 'ERROR'}: {reply.error_message}"[:MAX_OUTPUT_CHARS]
        return reply.output[:MAX_OUTPUT_CHARS]

    def dspy_tools(self, specs: list[CallerToolSpec]) -> dict[str, dspy.Tool]:
        tools: dict[str, dspy.Tool] = {}
        for spec in specs:

            def run(_spec: CallerToolSpec = spec, **kwargs: Any) -> str:
                return self.call(_spec, kwargs)

            properties = spec.args_schema.get("properties") if isinstance(spec.args_schema, dict) else None
            args = {k: v for k, v in (properties or {}).items() if isinstance(v, dict)}
            tools[spec.name] = dspy.Tool(run, name=spec.name, desc=spec.description, args=args, arg_types={})
        return tools


def validate_caller_tools(specs: list[CallerToolSpec]) -> list[CallerToolSpec]:
    if len(specs) > MAX_CALLER_TOOLS:
        raise ServiceError(INVALID_INPUTS, f"at most {MAX_CALLER_TOOLS} caller tools")
    seen: set[str] = set()
    valid = []
    for spec in specs:
        name = spec.name
        if not name.isidentifier() or not name.isascii() or keyword.iskeyword(name) or len(name) > 64:
            raise ServiceError(INVALID_INPUTS, f"invalid caller tool name {name[:64]!r}")
        if name in BUILTIN_TOOLS or name == "finish" or name in seen:
            raise ServiceError(INVALID_INPUTS, f"caller tool name {name!r} clashes with another tool")
        seen.add(name)
        if len(spec.description) > 4096 or len(repr(spec.args_schema)) > MAX_SCHEMA_BYTES:
            raise ServiceError(INVALID_INPUTS, f"caller tool {name!r}: description or args_schema too large")
        timeout = spec.timeout_ms or DEFAULT_TIMEOUT_MS
        if not (1 <= timeout <= MAX_TIMEOUT_MS):
            raise ServiceError(INVALID_INPUTS, f"caller tool {name!r}: timeout_ms must be 1..{MAX_TIMEOUT_MS}")
        valid.append(CallerToolSpec(name, spec.description, spec.args_schema, timeout))
    return valid
