"""Prometheus metrics of the service, served on their own port (``DSPY_SERVICE_METRICS_PORT``).

Metrics live in prometheus_client's default registry (which also carries the process and Python collectors). Labels
have bounded values only: RPC method and status code, model names (the allow-list), token direction, task kind and
outcome (an error reason), optimizer names.
"""

from __future__ import annotations

import logging
from typing import Any

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    start_http_server,
)

logger = logging.getLogger(__name__)

# One "_created" timestamp series per counter and label set only doubles the series count.
disable_created_metrics()

RPC_REQUESTS = Counter(
    "dspy_service_rpc_requests",
    "gRPC calls handled, by method and final status code",
    ["method", "code"],
)
LM_CALL_DURATION = Histogram(
    "dspy_service_lm_call_duration_seconds",
    "Duration of LM calls (calls that reached the LM; replayed calls are not counted)",
    ["model"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)
LM_TOKENS = Counter(
    "dspy_service_lm_tokens",
    "Tokens reported by the LM, by model and direction (input or output)",
    ["model", "direction"],
)
LM_IN_FLIGHT = Gauge("dspy_service_lm_in_flight", "LM calls under way")
OUTPUT_PARSE_FAILURES = Counter(
    "dspy_service_output_parse_failures",
    "LM answers that did not parse into the signature's output fields",
)
OPTIMIZER_TRIALS = Counter(
    "dspy_service_optimizer_trials",
    "Evaluations of candidate programs run by optimizers (one per dspy.Evaluate of the optimizer)",
    ["optimizer"],
)
TASKS = Counter(
    "dspy_service_tasks",
    "Tasks finished, by kind and outcome (succeeded, or the lower-case error reason such as lm_unavailable)",
    ["kind", "outcome"],
)
LM_CACHE_HITS = Counter(
    "dspy_service_lm_cache_hits",
    "LM calls of optimizations replayed from the durable call cache instead of reaching the LM",
)


def start_metrics_server(host: str, port: int, registry: CollectorRegistry = REGISTRY) -> Any | None:
    """Serve ``/metrics`` on ``host:port`` in a daemon thread; port 0 disables it. Returns the HTTP server (call
    ``shutdown()`` on it to stop) or None."""
    if port == 0:
        return None
    try:
        server, _thread = start_http_server(port, addr=host, registry=registry)
    except OSError as exc:
        raise RuntimeError(f"cannot bind the metrics endpoint {host}:{port} ({exc.strerror})") from exc
    logger.info("metrics endpoint listening", extra={"host": host, "port": port})
    return server
