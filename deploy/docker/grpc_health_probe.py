"""Container health check for the DSPy service: asks grpc.health.v1.Health/Check on the local port.

Exit 0 when the service reports SERVING, 1 otherwise (NOT_SERVING while the model warms up, unreachable, timeout).
The equivalent of `grpc_health_probe -addr=127.0.0.1:$DSPY_SERVICE_PORT`, using only packages the service already has.

    python grpc_health_probe.py [--addr HOST:PORT] [--service NAME] [--timeout SECONDS]
"""

from __future__ import annotations

import argparse
import os
import sys

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc


def main() -> int:
    default_addr = f"127.0.0.1:{os.environ.get('DSPY_SERVICE_PORT', '50051')}"
    parser = argparse.ArgumentParser(description="gRPC health check")
    parser.add_argument("--addr", default=default_addr)
    parser.add_argument("--service", default="", help='health service name ("" = the whole server)')
    parser.add_argument("--timeout", type=float, default=3.0)
    args = parser.parse_args()
    try:
        with grpc.insecure_channel(args.addr) as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            response = stub.Check(health_pb2.HealthCheckRequest(service=args.service), timeout=args.timeout)
    except grpc.RpcError as exc:
        print(f"unhealthy: {exc.code().name}", file=sys.stderr)
        return 1
    status = health_pb2.HealthCheckResponse.ServingStatus.Name(response.status)
    if response.status != health_pb2.HealthCheckResponse.SERVING:
        print(f"unhealthy: {status}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
