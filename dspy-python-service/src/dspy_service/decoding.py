"""Requests whose bytes are not a valid protobuf message: refused as INVALID_INPUTS, quietly.

grpcio decodes a request before any service code runs; when that fails it answers ``INTERNAL`` (unary requests) or
``UNKNOWN`` (streaming responses) without a reason, and logs a full traceback at ERROR for every such message, so a
client sending garbage can fill the logs. This interceptor wraps each method's deserializer: a message that does not
decode becomes a sentinel, and the call is refused with ``INVALID_ARGUMENT`` and the stable reason ``INVALID_INPUTS``
(not retryable: the same bytes never decode), logged once at INFO without the payload.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Final

import grpc
from google.protobuf.message import DecodeError

from dspy_service.errors import INVALID_INPUTS, ServiceError, to_rpc_status

logger = logging.getLogger(__name__)


class _Undecodable:
    """Stands in for a request message whose bytes did not decode."""


UNDECODABLE: Final = _Undecodable()


def _refusal() -> grpc.Status:
    return to_rpc_status(ServiceError(INVALID_INPUTS, "the request message is not a valid protobuf message"))


def _tolerant(deserializer: Callable[[bytes], Any]) -> Callable[[bytes], Any]:
    def decode(data: bytes) -> Any:
        try:
            return deserializer(data)
        except DecodeError:
            return UNDECODABLE

    return decode


async def _refuse(context: grpc.aio.ServicerContext, method: str) -> None:
    logger.info("undecodable request message refused", extra={"method": method})
    await context.abort_with_status(_refusal())


def _guard_single(behavior: Callable[..., Any], method: str) -> Callable[..., Any]:
    """A unary-request behavior: coroutine (unary or ``context.write`` streaming) or async generator."""
    if inspect.isasyncgenfunction(behavior):

        async def guarded_stream(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
            if request is UNDECODABLE:
                await _refuse(context, method)
            async for response in behavior(request, context):
                yield response

        return guarded_stream

    async def guarded(request: Any, context: grpc.aio.ServicerContext) -> Any:
        if request is UNDECODABLE:
            await _refuse(context, method)
        return await behavior(request, context)

    return guarded


def _guard_iterator(behavior: Callable[..., Any], method: str) -> Callable[..., Any]:
    """A streaming-request behavior: the first undecodable message in the stream refuses the call."""

    async def checked(requests: AsyncIterator[Any], context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
        async for request in requests:
            if request is UNDECODABLE:
                await _refuse(context, method)
            yield request

    if inspect.isasyncgenfunction(behavior):

        async def guarded_stream(requests: AsyncIterator[Any], context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
            async for response in behavior(checked(requests, context), context):
                yield response

        return guarded_stream

    async def guarded(requests: AsyncIterator[Any], context: grpc.aio.ServicerContext) -> Any:
        return await behavior(checked(requests, context), context)

    return guarded


class RejectUndecodableRequests(grpc.aio.ServerInterceptor):
    """Installs the tolerant deserializer and the refusal on every method handler of the server."""

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler | None]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler | None:
        handler = await continuation(handler_call_details)
        if handler is None or handler.request_deserializer is None or not hasattr(handler, "_replace"):
            return handler
        method = handler_call_details.method
        decode = _tolerant(handler.request_deserializer)
        if handler.unary_unary is not None:
            return handler._replace(request_deserializer=decode, unary_unary=_guard_single(handler.unary_unary, method))
        if handler.unary_stream is not None:
            guarded = _guard_single(handler.unary_stream, method)
            return handler._replace(request_deserializer=decode, unary_stream=guarded)
        if handler.stream_unary is not None:
            guarded = _guard_iterator(handler.stream_unary, method)
            return handler._replace(request_deserializer=decode, stream_unary=guarded)
        guarded = _guard_iterator(handler.stream_stream, method)
        return handler._replace(request_deserializer=decode, stream_stream=guarded)
