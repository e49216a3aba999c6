"""The plain-Python baseline of scenario (c): a minimal asyncio WebSocket server (aiohttp, one process, one event
loop), the way a small Python team would push task events to browsers without the suite.

- ``GET /ws``: a WebSocket; the ``Authorization`` header must carry the bearer token from ``DSPY_BENCH_WS_TOKEN``
  (a constant-time compare of one static token: cheaper than the suite's per-upgrade key lookup in PostgreSQL).
- ``POST /broadcast``: stamps ``occurred_at`` and sends one event frame to every open socket (its fan-out).
- ``GET /health``: 200.

No task, no subscription registry, no Kafka, no persistence: it is the floor for holding sessions and fanning out.

Run: python -m dspy_bench.ws_baseline --port 8000
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import hmac
import json
import os

from aiohttp import WSMsgType, web

SOCKETS: web.AppKey[set[web.WebSocketResponse]] = web.AppKey("sockets", set)
TOKEN: web.AppKey[str] = web.AppKey("token", str)
BROADCASTS: web.AppKey[list[int]] = web.AppKey("broadcasts", list)


async def websocket(request: web.Request) -> web.StreamResponse:
    offered = request.headers.get("Authorization", "")
    if not hmac.compare_digest(offered.encode(), f"Bearer {request.app[TOKEN]}".encode()):
        raise web.HTTPUnauthorized()
    ws = web.WebSocketResponse(heartbeat=None, max_msg_size=1 << 20)
    await ws.prepare(request)
    sockets = request.app[SOCKETS]
    sockets.add(ws)
    try:
        async for message in ws:
            if message.type == WSMsgType.TEXT and message.data == '{"type":"ping"}':
                await ws.send_str('{"type":"pong"}')
    finally:
        sockets.discard(ws)
    return ws


async def broadcast(request: web.Request) -> web.Response:
    sockets = list(request.app[SOCKETS])
    counter = request.app[BROADCASTS]
    counter[0] += 1
    frame = json.dumps(
        {
            "type": "event",
            "task_id": "broadcast",
            "seq": counter[0],
            "event": "status",
            "data": {"status": "running"},
            "occurred_at": dt.datetime.now(dt.UTC).isoformat(),
        }
    )
    # send_str only queues on the transport for an open socket: the loop writes them all without waiting per client.
    await asyncio.gather(*(ws.send_str(frame) for ws in sockets if not ws.closed), return_exceptions=True)
    return web.json_response({"sent": len(sockets)})


async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok", "sockets": len(request.app[SOCKETS])})


def create_app(token: str) -> web.Application:
    app = web.Application()
    app[SOCKETS] = set()
    app[TOKEN] = token
    app[BROADCASTS] = [0]
    app.router.add_get("/ws", websocket)
    app.router.add_post("/broadcast", broadcast)
    app.router.add_get("/health", health)
    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    web.run_app(
        create_app(os.environ["DSPY_BENCH_WS_TOKEN"]), host="127.0.0.1", port=args.port, print=None, backlog=4096
    )


if __name__ == "__main__":
    main()
