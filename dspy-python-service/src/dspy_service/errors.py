"""Service errors and their projection onto gRPC status codes with a google.rpc.ErrorInfo detail.

Every failure that leaves the service is a :class:`ServiceError`: a stable reason (an ``ErrorReason`` enum name of the
contract), a gRPC status code, a retryable flag and a message that is safe to show (never prompt text, LM answers or
credentials). :func:`classify` turns any exception raised while running a program into one.
"""

from __future__ import annotations

import logging
import traceback
from dataclasses import dataclass

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

ERROR_DOMAIN = "dspy.dspysuite.io"

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ErrorKind:
    reason: str
    code: grpc.StatusCode
    retryable: bool


INVALID_SIGNATURE = ErrorKind("INVALID_SIGNATURE", grpc.StatusCode.INVALID_ARGUMENT, False)
INVALID_PROGRAM = ErrorKind("INVALID_PROGRAM", grpc.StatusCode.INVALID_ARGUMENT, False)
INVALID_INPUTS = ErrorKind("INVALID_INPUTS", grpc.StatusCode.INVALID_ARGUMENT, False)
UNSUPPORTED_KIND = ErrorKind("UNSUPPORTED_KIND", grpc.StatusCode.UNIMPLEMENTED, False)
LM_RATE_LIMITED = ErrorKind("LM_RATE_LIMITED", grpc.StatusCode.RESOURCE_EXHAUSTED, True)
LM_UNAVAILABLE = ErrorKind("LM_UNAVAILABLE", grpc.StatusCode.UNAVAILABLE, True)
# ABORTED: "the operation was aborted, typically due to a concurrency issue ... retry at a higher level" — the LM
# produced an answer, but not one that parses; a new attempt (sampling again) can succeed.
OUTPUT_PARSE_FAILED = ErrorKind("OUTPUT_PARSE_FAILED", grpc.StatusCode.ABORTED, True)
DEADLINE_EXCEEDED = ErrorKind("DEADLINE_EXCEEDED", grpc.StatusCode.DEADLINE_EXCEEDED, True)
CANCELLED = ErrorKind("CANCELLED", grpc.StatusCode.CANCELLED, False)
# The LM did not answer in time (its own timeout, not the caller's deadline): a new attempt may succeed.
LM_TIMEOUT = ErrorKind("LM_TIMEOUT", grpc.StatusCode.UNAVAILABLE, True)
# A tool could not be run at all (e.g. the caller's tool channel closed); a new attempt may succeed.
TOOL_FAILED = ErrorKind("TOOL_FAILED", grpc.StatusCode.ABORTED, True)
INTERNAL = ErrorKind("INTERNAL", grpc.StatusCode.INTERNAL, False)


class ServiceError(Exception):
    """A failure with a stable reason code; ``message`` is safe to send to the client and to log."""

    def __init__(self, kind: ErrorKind, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message

    @property
    def reason(self) -> str:
        return self.kind.reason

    @property
    def retryable(self) -> bool:
        return self.kind.retryable

    def __repr__(self) -> str:
        return f"ServiceError({self.kind.reason}, {self.message!r})"


def to_rpc_status(error: ServiceError) -> grpc.Status:
    """The gRPC status (code, message, grpc-status-details-bin) carrying a google.rpc.ErrorInfo."""
    info = error_details_pb2.ErrorInfo(
        reason=error.kind.reason,
        domain=ERROR_DOMAIN,
        metadata={"retryable": "true" if error.kind.retryable else "false"},
    )
    detail = any_pb2.Any()
    detail.Pack(info)
    status = status_pb2.Status(
        code=getattr(code_pb2, error.kind.code.name),
        message=error.message,
        details=[detail],
    )
    return rpc_status.to_status(status)


def _stack_summary(exc: BaseException) -> str:
    """Where an exception came from, without its message (which may quote prompts or LM output)."""
    frames = traceback.extract_tb(exc.__traceback__)[-8:]
    return " <- ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno}:{f.name}" for f in reversed(frames))


def classify(exc: BaseException) -> ServiceError:
    """Map an exception raised while running a program onto a :class:`ServiceError`."""
    if isinstance(exc, ServiceError):
        return exc

    # Imported lazily: importing dspy is slow and this module is imported by lightweight code too.
    import dspy
    from dspy.utils.exceptions import LMStreamAssemblyError

    if isinstance(exc, dspy.AdapterParseError):
        return ServiceError(
            OUTPUT_PARSE_FAILED,
            f"the LM answer could not be parsed into the signature's output fields ({exc.adapter_name})",
        )
    if isinstance(exc, dspy.LMRateLimitError):
        return ServiceError(LM_RATE_LIMITED, "the LM provider rate-limited the request")
    if isinstance(exc, dspy.ContextWindowExceededError):
        return ServiceError(INVALID_INPUTS, "the prompt does not fit the model's context window")
    if isinstance(exc, dspy.LMTimeoutError):
        return ServiceError(LM_TIMEOUT, "the LM request timed out")
    if isinstance(exc, dspy.LMServerError | dspy.LMTransportError | dspy.LMLockTimeoutError):
        return ServiceError(LM_UNAVAILABLE, "the LM is unavailable")
    if isinstance(exc, LMStreamAssemblyError):
        # The answer's stream ended before its completion event (the connection dropped mid-answer).
        return ServiceError(LM_UNAVAILABLE, "the LM's answer stream broke off")
    streamed = _classify_stream_error(exc)
    if streamed is not None:
        return streamed
    if isinstance(exc, dspy.LMUnsupportedModelError):
        return ServiceError(INVALID_PROGRAM, "the LM provider does not serve the requested model")
    if isinstance(exc, dspy.LMAuthError | dspy.LMBillingError | dspy.LMConfigurationError):
        # A deployment problem: retrying the same call cannot help, and the message must not echo credentials.
        logger.error(
            "LM configuration or credentials rejected",
            extra={"error_type": type(exc).__name__, "code": getattr(exc, "code", None)},
        )
        return ServiceError(INTERNAL, "the LM rejected the service's configuration or credentials")

    litellm_error = _classify_litellm(exc)
    if litellm_error is not None:
        return litellm_error
    if isinstance(exc, TimeoutError):
        return ServiceError(LM_TIMEOUT, "the LM request timed out")
    if isinstance(exc, ConnectionError):
        return ServiceError(LM_UNAVAILABLE, "the LM is unavailable")

    logger.error(
        "unexpected failure while running a program",
        extra={"error_type": f"{type(exc).__module__}.{type(exc).__qualname__}", "stack": _stack_summary(exc)},
    )
    return ServiceError(INTERNAL, "internal error in the DSPy service")


def _classify_stream_error(exc: BaseException) -> ServiceError | None:
    """An error event inside a streamed answer (after HTTP 200) reaches DSPy's native engine as a plain
    ``LMProviderError`` whose ``provider_code`` is the provider's error code (e.g. OpenAI's ``"429"``/``"500"``)."""
    import dspy

    if type(exc) is not dspy.LMProviderError:
        return None
    code = str(getattr(exc, "provider_code", None) or getattr(exc, "status", None) or "").lower()
    if code in {"429", "rate_limit_exceeded", "rate_limit_error"}:
        return ServiceError(LM_RATE_LIMITED, "the LM provider rate-limited the request")
    if (code.isdigit() and 500 <= int(code) <= 599) or code in {"server_error", "overloaded_error"}:
        return ServiceError(LM_UNAVAILABLE, "the LM is unavailable")
    return None


def _classify_litellm(exc: BaseException) -> ServiceError | None:
    """LiteLLM exceptions can surface unwrapped (e.g. through the LiteLLM compatibility engine)."""
    module = type(exc).__module__ or ""
    if not module.startswith("litellm"):
        return None
    name = type(exc).__name__
    if name == "RateLimitError":
        return ServiceError(LM_RATE_LIMITED, "the LM provider rate-limited the request")
    if name == "ContextWindowExceededError":
        return ServiceError(INVALID_INPUTS, "the prompt does not fit the model's context window")
    if name == "Timeout":
        return ServiceError(LM_TIMEOUT, "the LM request timed out")
    if name in {"APIConnectionError", "ServiceUnavailableError", "InternalServerError", "BadGatewayError"}:
        return ServiceError(LM_UNAVAILABLE, "the LM is unavailable")
    return None
