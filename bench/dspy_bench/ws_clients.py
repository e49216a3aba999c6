"""A WebSocket client process for scenario (c): holds many connections and records event delivery latencies.

Driven over stdin/stdout with one JSON object per line, so several of these processes (each with its own event loop
and file descriptors) can hold tens of thousands of connections between them:

    {"cmd": "open", "count": N, "seconds": S}
                                         -> {"event": "opened", "ok": total open, "failed": N, "skipped": N, ...}
    {"cmd": "subscribe", "task_id": ID}  -> {"event": "subscribed", "sockets": N}
    {"cmd": "report", "since": ISO}      -> {"event": "report", "latencies_ms": [...], "deliveries": {"task:seq": N},
                                             "frames": N, "open": N}
    {"cmd": "close"}                     -> {"event": "closed"}, then the process exits

Every ``event`` frame that carries ``occurred_at`` is timed on arrival (wall clock, same machine as the sender).
aiohttp answers the server's protocol pings itself; the application heartbeats are read and dropped.

    python -m dspy_bench.ws_clients --url ws://127.0.0.1:PORT/ws/v1 [--key KEY] [--concurrency 64]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import sys
import time
from typing import Any

import aiohttp


class Clients:
    def __init__(self, url: str, key: str | None, concurrency: int) -> None:
        self._url = url
        self._headers = {"Authorization": f"Bearer {key}"} if key else {}
        self._limit = asyncio.Semaphore(concurrency)
        # One connection per socket (limit=0): the pool would otherwise cap them at 100.
        self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0, force_close=True))
        self._sockets: list[aiohttp.ClientWebSocketResponse] = []
        self._readers: list[asyncio.Task[None]] = []
        # (occurred_at, latency ms, "task_id:seq") of every timed frame since the last report.
        self._timed: list[tuple[dt.datetime, float, str]] = []
        self._frames = 0
        self._requests = 0

    async def open(self, count: int, seconds: float) -> dict[str, Any]:
        """Opens up to `count` more connections; none is started after `seconds` (the rest count as skipped)."""
        failed = skipped = 0
        first_error: str | None = None
        deadline = time.monotonic() + seconds

        async def one() -> None:
            nonlocal failed, skipped, first_error
            async with self._limit:
                if time.monotonic() > deadline:
                    skipped += 1
                    return
                try:
                    ws = await asyncio.wait_for(
                        self._session.ws_connect(self._url, headers=self._headers, heartbeat=None, max_msg_size=0),
                        30,
                    )
                except (aiohttp.ClientError, OSError, TimeoutError) as e:
                    failed += 1
                    first_error = first_error or " ".join(f"{type(e).__name__}: {e}".split())[:300]
                    return
            self._sockets.append(ws)
            self._readers.append(asyncio.create_task(self._read(ws)))

        await asyncio.gather(*(one() for _ in range(count)))
        return {
            "event": "opened",
            "ok": self.open_count(),
            "failed": failed,
            "skipped": skipped,
            "first_error": first_error,
        }

    def open_count(self) -> int:
        return sum(1 for ws in self._sockets if not ws.closed)

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for message in ws:
            if message.type != aiohttp.WSMsgType.TEXT:
                continue
            arrived = dt.datetime.now(dt.UTC)
            self._frames += 1
            if '"occurred_at"' not in message.data:
                continue  # heartbeats, errors
            frame = json.loads(message.data)
            occurred = frame.get("occurred_at")
            if frame.get("type") == "event" and occurred:
                at = dt.datetime.fromisoformat(occurred)
                key = f"{frame.get('task_id')}:{frame.get('seq')}"
                self._timed.append((at, (arrived - at).total_seconds() * 1000, key))

    async def subscribe(self, task_id: str) -> dict[str, Any]:
        # after_seq 0 replays what happened before the subscription; the report's `since` leaves the replay out.
        for ws in self._sockets:
            if not ws.closed:
                self._requests += 1
                frame = {"type": "subscribe", "request_id": str(self._requests), "task_id": task_id, "after_seq": 0}
                await ws.send_str(json.dumps(frame))
        return {"event": "subscribed", "sockets": self.open_count()}

    def report(self, since: str) -> dict[str, Any]:
        cutoff = dt.datetime.fromisoformat(since)
        kept = [(ms, key) for at, ms, key in self._timed if at >= cutoff]
        self._timed.clear()
        deliveries: dict[str, int] = {}
        for _, key in kept:
            deliveries[key] = deliveries.get(key, 0) + 1
        return {
            "event": "report",
            "latencies_ms": [round(ms, 3) for ms, _ in kept],
            "deliveries": deliveries,
            "frames": self._frames,
            "open": self.open_count(),
        }

    async def close(self) -> None:
        for reader in self._readers:
            reader.cancel()
        await asyncio.gather(*(ws.close() for ws in self._sockets), return_exceptions=True)
        await self._session.close()


async def serve(url: str, key: str | None, concurrency: int) -> None:
    clients = Clients(url, key, concurrency)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=1 << 20)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)

    def answer(payload: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(payload) + "\n")
        sys.stdout.flush()

    try:
        while line := await reader.readline():
            command = json.loads(line)
            match command["cmd"]:
                case "open":
                    answer(await clients.open(int(command["count"]), float(command["seconds"])))
                case "subscribe":
                    answer(await clients.subscribe(str(command["task_id"])))
                case "report":
                    answer(clients.report(str(command["since"])))
                case "close":
                    break
    finally:
        await clients.close()
        answer({"event": "closed"})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--key")
    parser.add_argument("--concurrency", type=int, default=64, help="WebSocket handshakes in flight at once")
    args = parser.parse_args()
    asyncio.run(serve(args.url, args.key, args.concurrency))


if __name__ == "__main__":
    main()
