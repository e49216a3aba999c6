"""The four ways to run the same predict (signature ``question -> answer``, simulated LM) that the scenarios compare.

Each path is an async context manager exposing ``call(seq)``, which runs one predict and raises if it failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import itertools
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import aiohttp

SIGNATURE = "question -> answer"
FINAL = {"succeeded", "failed", "cancelled"}


def question(seq: int) -> str:
    # Unique inputs, so no layer can answer from a cache.
    return f"Benchmark question {seq} {uuid.uuid4().hex[:8]}: what is the capital of France?"


class Path_:
    """Base: async context manager with a name and one call."""

    name = "path"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None

    async def call(self, seq: int) -> None:
        raise NotImplementedError


class SuitePath(Path_):
    """End to end through the suite: REST submit, then the final status event on a WebSocket subscription.

    Latency runs from the POST to the frame carrying the final status. Several WebSocket connections share the
    subscriptions (at most 256 per connection)."""

    name = "suite (REST → WebSocket)"

    def __init__(
        self,
        gateway_url: str,
        api_key: str,
        connections: int = 4,
        *,
        model: str | None = "simulated",
        ask: Callable[[int], str] = question,
        name: str | None = None,
    ) -> None:
        self._url = gateway_url
        self._model = model
        self._ask = ask
        if name:
            self.name = name
        self._headers = {"Authorization": f"Bearer {api_key}"}
        self._connections = connections
        self._session: aiohttp.ClientSession | None = None
        self._sockets: list[aiohttp.ClientWebSocketResponse] = []
        self._readers: list[asyncio.Task[None]] = []
        self._waiting: dict[str, asyncio.Future[tuple[str, str]]] = {}
        # Where the suite's time goes: the REST submit's round trip, and the final status event's trip from its
        # occurred_at (stamped by the orchestration service) to this client.
        self.submit_ms: list[float] = []
        self.delivery_ms: list[float] = []
        # (submitted, final event occurred_at) per successful task, wall clock: the recovery scenario reads these.
        self.finished: list[tuple[dt.datetime, dt.datetime]] = []
        self._next_socket = itertools.cycle(range(connections))
        self._request_ids = itertools.count()

    async def __aenter__(self) -> Self:
        self._session = aiohttp.ClientSession(headers=self._headers, connector=aiohttp.TCPConnector(limit=0))
        ws_url = self._url.replace("http", "ws", 1) + "/ws/v1"
        for _ in range(self._connections):
            ws = await self._session.ws_connect(ws_url, heartbeat=None, max_msg_size=0)
            self._sockets.append(ws)
            self._readers.append(asyncio.create_task(self._read(ws)))
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for reader in self._readers:
            reader.cancel()
        for ws in self._sockets:
            await ws.close()
        if self._session:
            await self._session.close()

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for message in ws:
            if message.type != aiohttp.WSMsgType.TEXT:
                continue
            frame = json.loads(message.data)
            task_id = frame.get("task_id")
            waiter = self._waiting.get(task_id) if task_id else None
            if waiter is None or waiter.done():
                continue
            if frame.get("type") == "event" and frame.get("event") == "status":
                status = (frame.get("data") or {}).get("status")
                if status in FINAL:
                    waiter.set_result((status, str(frame.get("occurred_at") or "")))
            elif frame.get("type") == "error":
                waiter.set_exception(RuntimeError(f"WebSocket error frame: {frame}"))

    async def call(self, seq: int) -> None:
        body: dict[str, Any] = {
            "kind": "predict",
            "program": {"signature": SIGNATURE, "module": "predict"},
            "inputs": {"question": self._ask(seq)},
        }
        if self._model:
            body["options"] = {"model": self._model}
        await self.run(body)

    async def run(self, body: dict[str, Any]) -> str:
        """Submits a task over REST and waits for its final status event on the WebSocket; returns the task id, or
        raises when the task did not succeed."""
        assert self._session is not None
        submitted = time.perf_counter()
        submitted_at = dt.datetime.now(dt.UTC)
        async with self._session.post(f"{self._url}/api/v1/tasks", json=body) as response:
            if response.status != 202:
                raise RuntimeError(f"submit answered {response.status}: {(await response.text())[:200]}")
            task_id = (await response.json())["id"]
        self.submit_ms.append((time.perf_counter() - submitted) * 1000)
        waiter: asyncio.Future[tuple[str, str]] = asyncio.get_running_loop().create_future()
        self._waiting[task_id] = waiter
        ws = self._sockets[next(self._next_socket)]
        try:
            # after_seq 0 replays from the event log, so a task that finished before the subscription still counts.
            await ws.send_json(
                {"type": "subscribe", "request_id": str(next(self._request_ids)), "task_id": task_id, "after_seq": 0}
            )
            status, occurred_at = await waiter
            if occurred_at:
                occurred = dt.datetime.fromisoformat(occurred_at)
                self.delivery_ms.append((dt.datetime.now(dt.UTC) - occurred).total_seconds() * 1000)
                self.finished.append((submitted_at, occurred))
        finally:
            self._waiting.pop(task_id, None)
            with contextlib.suppress(Exception):
                await ws.send_json({"type": "unsubscribe", "task_id": task_id})
        if status != "succeeded":
            raise RuntimeError(f"task {task_id} ended {status}")
        return task_id

    async def get(self, task_id: str) -> dict[str, Any]:
        """The task as ``GET /api/v1/tasks/{id}`` shows it."""
        assert self._session is not None
        async with self._session.get(f"{self._url}/api/v1/tasks/{task_id}") as response:
            response.raise_for_status()
            task: dict[str, Any] = await response.json()
            return task


class GrpcPath(Path_):
    """Direct gRPC ``Predict`` (unary) to the suite's Python service: the floor under the suite."""

    name = "direct gRPC (Python service)"

    def __init__(
        self,
        port: int,
        deadline_s: float = 30.0,
        *,
        model: str | None = "simulated",
        ask: Callable[[int], str] = question,
        name: str | None = None,
    ) -> None:
        self._target = f"127.0.0.1:{port}"
        self._deadline_s = deadline_s
        self._model = model
        self._ask = ask
        if name:
            self.name = name
        self._channel: Any = None
        self._stub: Any = None

    async def __aenter__(self) -> Self:
        import grpc

        from dspysuite.dspy.v1 import dspy_service_pb2_grpc

        self._channel = grpc.aio.insecure_channel(self._target)
        self._stub = dspy_service_pb2_grpc.DspyServiceStub(self._channel)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._channel.close()

    async def call(self, seq: int) -> None:
        from google.protobuf import struct_pb2

        from dspysuite.dspy.v1 import dspy_service_pb2 as pb

        inputs = struct_pb2.Struct()
        inputs.update({"question": self._ask(seq)})
        options = struct_pb2.Struct()
        if self._model:
            options.update({"model": self._model})
        request = pb.ExecuteRequest(
            task_id=str(uuid.uuid4()),
            kind=pb.TASK_KIND_PREDICT,
            program=pb.ProgramSpec(ad_hoc=pb.AdHocProgram(signature=SIGNATURE, module="predict")),
            inputs=inputs,
            options=options,
            attempt=1,
        )
        result = await self._stub.Predict(request, timeout=self._deadline_s)
        if "answer" not in result.outputs:
            raise RuntimeError(f"no answer in {result}")


class InProcessPath(Path_):
    """DSPy called in this process (a thread pool, as a sync DSPy program is usually run concurrently), with the
    service's SimulatedLM: no network, no serialization."""

    name = "in-process DSPy"

    def __init__(self, latency_ms: float, threads: int = 32) -> None:
        self._latency_ms = latency_ms
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="in-process-dspy")
        self._program: Any = None
        self._lm: Any = None

    async def __aenter__(self) -> Self:
        import dspy

        from dspy_service.config import SimulatedLMSettings
        from dspy_service.lm.simulated import SimulatedLM

        self._lm = SimulatedLM(SimulatedLMSettings(enabled=True, latency_ms=self._latency_ms))
        self._program = dspy.Predict(SIGNATURE)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _predict(self, text: str) -> str:
        import dspy

        with dspy.context(lm=self._lm):
            return str(self._program(question=text).answer)

    async def call(self, seq: int) -> None:
        answer = await asyncio.get_running_loop().run_in_executor(self._pool, self._predict, question(seq))
        if not answer:
            raise RuntimeError("empty answer")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class FastApiPath(Path_):
    """The naive synchronous HTTP bridge: FastAPI + uvicorn (one worker), a sync endpoint calling DSPy per request
    (see ``fastapi_bridge.py``), run as its own process like a deployment of it would be."""

    name = "FastAPI bridge"

    def __init__(self, latency_ms: float, log_file: Path) -> None:
        self._latency_ms = latency_ms
        self._log_file = log_file
        self._port = _free_port()
        self._process: subprocess.Popen[bytes] | None = None
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Self:
        env = {**os.environ, "DSPY_BENCH_LATENCY_MS": str(self._latency_ms)}
        with self._log_file.open("ab") as log:
            self._process = subprocess.Popen(  # noqa: S603 -- our own interpreter and module
                [sys.executable, "-m", "dspy_bench.fastapi_bridge", "--port", str(self._port)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        try:
            await self._await_health()
        except BaseException:
            await self.__aexit__(None, None, None)
            raise
        return self

    async def _await_health(self) -> None:
        assert self._process is not None
        assert self._session is not None
        deadline = time.monotonic() + 60
        while True:
            if self._process.poll() is not None:
                raise RuntimeError(f"the FastAPI bridge exited; see {self._log_file}")
            try:
                async with self._session.get(f"http://127.0.0.1:{self._port}/health") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the FastAPI bridge did not start within 60 s; see {self._log_file}")
            await asyncio.sleep(0.2)

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._session:
            await self._session.close()
        if self._process:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()

    async def call(self, seq: int) -> None:
        assert self._session is not None
        async with self._session.post(
            f"http://127.0.0.1:{self._port}/predict", json={"question": question(seq)}
        ) as response:
            if response.status != 200:
                raise RuntimeError(f"bridge answered {response.status}")
            if not (await response.json()).get("answer"):
                raise RuntimeError("empty answer")
