"""The grpc.aio server: DspyService plus the standard grpc.health.v1 Health service."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from dspy_service.config import Settings
from dspy_service.decoding import RejectUndecodableRequests
from dspy_service.lm.provider import ConfiguredLMProvider, LMProvider
from dspy_service.runner import TaskRunner, configure_dspy_runtime
from dspy_service.servicer import SERVICE_NAME, DspyServicer
from dspy_service.telemetry.metrics import start_metrics_server
from dspy_service.telemetry.tracing import configure_tracing
from dspysuite.dspy.v1 import dspy_service_pb2_grpc as pb_grpc

logger = logging.getLogger(__name__)

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING
HEALTH_SERVICES = ("", SERVICE_NAME)
MAX_MESSAGE_BYTES = 8 * 1024 * 1024


@dataclass
class RunningServer:
    server: grpc.aio.Server
    port: int
    health: health.aio.HealthServicer
    runner: TaskRunner

    async def set_serving(self, serving: bool) -> None:
        for name in HEALTH_SERVICES:
            await self.health.set(name, SERVING if serving else NOT_SERVING)

    async def stop(self, grace: float | None) -> None:
        await self.health.enter_graceful_shutdown()
        await self.server.stop(grace)
        self.runner.shutdown()


async def start_server(settings: Settings, lm_provider: LMProvider, *, warm_up: bool = True) -> RunningServer:
    """Bind and start the server. Health reports NOT_SERVING until the default LM is warmed up, then SERVING."""
    # DSPy's optimizers draw tqdm progress bars on stderr; the service reports progress through the contract instead.
    os.environ.setdefault("TQDM_DISABLE", "1")
    configure_dspy_runtime()
    runner = TaskRunner(
        lm_provider,
        workers=settings.workers,
        optimize_workers=settings.optimize_workers,
        cache_dir=Path(settings.cache_dir) if settings.cache_dir else None,
        cache_ttl_seconds=settings.cache_ttl_hours * 3600,
        capture_content=settings.telemetry.capture_content,
    )
    server = grpc.aio.server(
        # Undecodable request bytes: INVALID_ARGUMENT (INVALID_INPUTS) instead of grpcio's INTERNAL/UNKNOWN + traceback.
        interceptors=[RejectUndecodableRequests()],
        options=[
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
        ],
    )
    pb_grpc.add_DspyServiceServicer_to_server(DspyServicer(runner), server)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    port = server.add_insecure_port(f"{settings.host}:{settings.port}")
    if port == 0:
        raise RuntimeError(f"cannot bind {settings.host}:{settings.port}")
    running = RunningServer(server=server, port=port, health=health_servicer, runner=runner)
    await running.set_serving(False)
    await server.start()
    logger.info("gRPC server listening", extra={"host": settings.host, "port": port, "workers": settings.workers})
    if warm_up:
        started = time.perf_counter()
        # Loading weights is blocking work: keep the loop (and health checks) responsive meanwhile.
        await asyncio.to_thread(lm_provider.warm_up)
        logger.info(
            "default LM ready",
            extra={"model": lm_provider.default_model, "seconds": round(time.perf_counter() - started, 3)},
        )
    await running.set_serving(True)
    return running


async def serve(settings: Settings, lm_provider: LMProvider | None = None) -> None:
    """Run until SIGTERM/SIGINT, then stop gracefully (in-flight calls get ``settings.grace_seconds``).

    The process-wide telemetry lives here: the tracer provider (spans exported only when an OTLP endpoint is
    configured; flushed on the way out) and the Prometheus endpoint on the gRPC host.
    """
    tracer_provider = configure_tracing()
    metrics_server = start_metrics_server(settings.host, settings.telemetry.metrics_port)
    try:
        provider = lm_provider or ConfiguredLMProvider(settings.lm)
        running = await start_server(settings, provider)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        logger.info("stopping", extra={"grace_seconds": settings.grace_seconds})
        await running.stop(settings.grace_seconds)
        logger.info("stopped")
    finally:
        if metrics_server is not None:
            metrics_server.shutdown()
        # Flushes the spans still queued in the batch processor.
        tracer_provider.shutdown()
