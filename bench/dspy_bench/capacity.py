"""Scenario (c): idle WebSocket sessions one gateway holds and its heap per session; fan-out latency of task events to
many subscribers. The baseline is a minimal aiohttp WebSocket server (``ws_baseline.py``) measured the same way."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import os
import re
import resource
import secrets
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import aiohttp

from dspy_bench.load import percentile
from dspy_bench.paths import SIGNATURE, question
from dspy_bench.stack import LaunchedSuite, free_port

# Descriptors left free in the gateway besides those it holds before the sessions (jars, Kafka, PostgreSQL, epoll).
FD_MARGIN = 300
_METRIC = re.compile(r"^(\w+)(?:\{([^}]*)\})?\s+(\S+)$")


def _log(line: str) -> None:
    print(f"[bench] {line}", flush=True)


def fd_limit() -> int:
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def raise_fd_limit(wanted: int = 65536) -> int:
    """Raises this process's open-file limit (children, hence the launcher and every service, inherit it) as far as
    allowed: root may raise the hard limit, anyone the soft limit up to the hard one. Returns the soft limit."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    for target in ((wanted, max(hard, wanted)), (min(wanted, hard), hard)):
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, target)
            break
        except (ValueError, OSError):
            continue
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


@dataclass(frozen=True)
class Report:
    latencies_ms: list[float]
    deliveries: dict[str, int]  # "task_id:seq" -> subscribers that received it
    open: int  # connections still open on the client side


class ClientPool:
    """Several ``ws_clients`` processes (each its own event loop and descriptors) sharing the connections."""

    def __init__(self, url: str, key: str, processes: int, log_file: Path, concurrency: int = 32) -> None:
        self._url = url
        self._key = key
        self._count = processes
        self._log_file = log_file
        self._concurrency = concurrency
        self._processes: list[asyncio.subprocess.Process] = []

    async def __aenter__(self) -> Self:
        with self._log_file.open("ab") as log:
            for _ in range(self._count):
                self._processes.append(
                    await asyncio.create_subprocess_exec(
                        sys.executable,
                        "-m",
                        "dspy_bench.ws_clients",
                        "--url",
                        self._url,
                        "--key",
                        self._key,
                        "--concurrency",
                        str(self._concurrency),
                        stdin=subprocess.PIPE,
                        stdout=subprocess.PIPE,
                        stderr=log,
                        limit=1 << 26,
                    )
                )
        # Wait until every process has started (imported aiohttp): opening times then count handshakes only.
        await asyncio.gather(*(self._ask(p, {"cmd": "open", "count": 0, "seconds": 1}, 120) for p in self._processes))
        return self

    async def _ask(self, process: asyncio.subprocess.Process, command: dict[str, Any], timeout: float) -> Any:
        assert process.stdin is not None
        assert process.stdout is not None
        process.stdin.write((json.dumps(command) + "\n").encode())
        await process.stdin.drain()
        line = await asyncio.wait_for(process.stdout.readline(), timeout)
        if not line:
            raise RuntimeError(f"a WebSocket client process exited; see {self._log_file}")
        return json.loads(line)

    async def open(self, total: int, seconds: float) -> tuple[int, int, str | None]:
        """Opens `total` more connections spread over the processes, starting none after `seconds`; returns (open
        now, failed, first error)."""
        shares = [total // self._count + (1 if i < total % self._count else 0) for i in range(self._count)]
        # A handshake started just before the deadline may take its own 30 s timeout.
        answers = await asyncio.gather(
            *(
                self._ask(p, {"cmd": "open", "count": n, "seconds": seconds}, seconds + 90)
                for p, n in zip(self._processes, shares, strict=True)
            )
        )
        errors = [a["first_error"] for a in answers if a["first_error"]]
        return sum(a["ok"] for a in answers), sum(a["failed"] for a in answers), errors[0] if errors else None

    async def subscribe(self, task_id: str) -> int:
        answers = await asyncio.gather(
            *(self._ask(p, {"cmd": "subscribe", "task_id": task_id}, 60) for p in self._processes)
        )
        return sum(a["sockets"] for a in answers)

    async def report(self, since: dt.datetime) -> Report:
        """The frames timed since the last report whose occurred_at is at or after `since`."""
        answers = await asyncio.gather(
            *(self._ask(p, {"cmd": "report", "since": since.isoformat()}, 60) for p in self._processes)
        )
        deliveries: dict[str, int] = {}
        for answer in answers:
            for key, count in answer["deliveries"].items():
                deliveries[key] = deliveries.get(key, 0) + count
        return Report(
            latencies_ms=[ms for a in answers for ms in a["latencies_ms"]],
            deliveries=deliveries,
            open=sum(a["open"] for a in answers),
        )

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for process in self._processes:
            with contextlib.suppress(Exception):
                assert process.stdin is not None
                process.stdin.write(b'{"cmd": "close"}\n')
                await process.stdin.drain()
        for process in self._processes:
            try:
                await asyncio.wait_for(process.wait(), 60)
            except TimeoutError:
                process.kill()
                await process.wait()


class BaselineServer:
    """``ws_baseline.py`` in its own process."""

    def __init__(self, log_file: Path) -> None:
        self.port = free_port()
        self.token = secrets.token_urlsafe(18)
        self._log_file = log_file
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def __aenter__(self) -> Self:
        with self._log_file.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 -- our own interpreter and module
                [sys.executable, "-m", "dspy_bench.ws_baseline", "--port", str(self.port)],
                env={**os.environ, "DSPY_BENCH_WS_TOKEN": self.token},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        async with aiohttp.ClientSession() as http:
            while True:
                if self.process.poll() is not None:
                    raise RuntimeError(f"the baseline WebSocket server exited; see {self._log_file}")
                with contextlib.suppress(aiohttp.ClientError, OSError):
                    async with http.get(f"{self.url}/health") as response:
                        if response.status == 200:
                            return self
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the baseline WebSocket server did not start; see {self._log_file}")
                await asyncio.sleep(0.2)

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.process:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def _jcmd() -> str:
    found = shutil.which("jcmd")
    if found:
        return found
    java = shutil.which("java")
    if java:
        candidate = Path(os.path.realpath(java)).parent / "jcmd"
        if candidate.exists():
            return str(candidate)
    raise RuntimeError("jcmd (from the JDK) is needed to run a GC in the gateway before reading its heap")


@dataclass(frozen=True)
class HeapSample:
    sessions: int  # open sessions as the gateway counts them (dspy_suite_ws_connections)
    heap_used: float  # bytes, summed over the heap pools, after a full GC
    heap_max: float
    rss: int


async def gateway_heap(suite: LaunchedSuite, pid: int) -> HeapSample:
    """Runs a full GC in the gateway twice (``jcmd <pid> GC.run``; the serial collector collects everything), then
    reads ``jvm_memory_used_bytes{area="heap"}`` from its /q/metrics: the live heap."""
    for _ in range(2):
        process = await asyncio.create_subprocess_exec(
            _jcmd(), str(pid), "GC.run", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        if await asyncio.wait_for(process.wait(), 120) != 0:
            raise RuntimeError(f"jcmd {pid} GC.run failed")
    async with aiohttp.ClientSession() as http, http.get(f"{suite.gateway_url}/q/metrics") as response:
        text = await response.text()
    used = heap_max = 0.0
    sessions = 0.0
    for line in text.splitlines():
        match = _METRIC.match(line)
        if not match:
            continue
        name, labels, value = match.group(1), match.group(2) or "", match.group(3)
        if name == "jvm_memory_used_bytes" and 'area="heap"' in labels:
            used += float(value)
        elif name == "jvm_memory_max_bytes" and 'area="heap"' in labels and float(value) > 0:
            heap_max += float(value)
        elif name == "dspy_suite_ws_connections":
            sessions += float(value)
    return HeapSample(sessions=int(sessions), heap_used=used, heap_max=heap_max, rss=rss_bytes(pid))


def _latency_run(
    path: str, values: list[float], deliveries: dict[str, int], subscribers: int, seconds: float
) -> dict[str, Any]:
    """`errors` = deliveries missing: every live event should reach every subscriber."""
    ordered = sorted(values)
    events = len(deliveries)
    p50, p99 = percentile(ordered, 50), percentile(ordered, 99)
    return {
        "path": path,
        "mode": "fan-out",
        "load": subscribers,
        "seconds": round(seconds, 2),
        "ok": len(ordered),
        "errors": sum(max(0, subscribers - n) for n in deliveries.values()),
        "throughput": round(len(ordered) / seconds, 2) if seconds else 0.0,
        "p50_ms": None if p50 is None else round(p50, 2),
        "p99_ms": None if p99 is None else round(p99, 2),
        "first_error": None,
        "events": events,
    }


async def _suite_fan_out(suite: LaunchedSuite, plan: Any, work_dir: Path) -> dict[str, Any]:
    """`plan.fanout_subscribers` sessions subscribe to each task in turn; the task's live events (those emitted after
    every subscription was sent plus a settle time, so replays from the event log stay out) are timed from their
    occurred_at (stamped by the orchestration service) to arrival at each subscriber."""
    ws_url = suite.gateway_url.replace("http", "ws", 1) + "/ws/v1"
    headers = {"Authorization": f"Bearer {suite.api_key}"}
    latencies: list[float] = []
    deliveries: dict[str, int] = {}
    started = time.monotonic()
    async with (
        ClientPool(ws_url, suite.api_key, plan.ws_processes, work_dir / "ws-clients-fanout.log") as pool,
        aiohttp.ClientSession(headers=headers) as http,
    ):
        opened, failed, first_error = await pool.open(plan.fanout_subscribers, plan.ws_open_timeout)
        if opened < plan.fanout_subscribers:
            raise RuntimeError(f"only {opened} fan-out subscribers connected ({failed} failed: {first_error})")
        for seq in range(plan.fanout_tasks):
            body = {
                "kind": "predict",
                "program": {"signature": SIGNATURE, "module": "predict"},
                "inputs": {"question": question(seq)},
                "options": {"model": "simulated"},
            }
            async with http.post(f"{suite.gateway_url}/api/v1/tasks", json=body) as response:
                if response.status != 202:
                    raise RuntimeError(f"submit answered {response.status}: {(await response.text())[:200]}")
                task_id = (await response.json())["id"]
            await pool.subscribe(task_id)
            since = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=plan.fanout_settle)
            final = await _await_final(http, suite.gateway_url, task_id)
            mine, delivered = await _collect(pool, since)
            latencies += mine
            deliveries.update(delivered)
            _log(
                f"fan-out task {seq}: {final}, {len(delivered)} live events, "
                f"{len(mine)} deliveries to {opened} subscribers"
            )
    return _latency_run(
        "suite (gateway /ws/v1)", latencies, deliveries, plan.fanout_subscribers, time.monotonic() - started
    )


async def _collect(
    pool: ClientPool, since: dt.datetime, quiet: float = 1.5, limit: float = 60.0
) -> tuple[list[float], dict[str, int]]:
    """Gathers the timed deliveries until none has arrived for `quiet` seconds (late frames to slow subscribers still
    count) or `limit` passes."""
    latencies: list[float] = []
    deliveries: dict[str, int] = {}
    started = last = time.monotonic()
    while time.monotonic() - last < quiet and time.monotonic() - started < limit:
        await asyncio.sleep(0.5)
        report = await pool.report(since)
        if report.latencies_ms:
            last = time.monotonic()
            latencies += report.latencies_ms
            for key, count in report.deliveries.items():
                deliveries[key] = deliveries.get(key, 0) + count
    return latencies, deliveries


async def _await_final(http: aiohttp.ClientSession, url: str, task_id: str) -> str:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        async with http.get(f"{url}/api/v1/tasks/{task_id}") as response:
            status = (await response.json()).get("status")
        if status in {"succeeded", "failed", "cancelled"}:
            return str(status)
        await asyncio.sleep(0.2)
    raise RuntimeError(f"task {task_id} did not finish within 60 s")


async def _baseline_fan_out(server: BaselineServer, plan: Any, work_dir: Path, events: int) -> dict[str, Any]:
    started = time.monotonic()
    since = dt.datetime.now(dt.UTC)
    async with ClientPool(
        server.url.replace("http", "ws", 1) + "/ws", server.token, plan.ws_processes, work_dir / "ws-clients-base.log"
    ) as pool:
        opened, failed, first_error = await pool.open(plan.fanout_subscribers, plan.ws_open_timeout)
        if opened < plan.fanout_subscribers:
            raise RuntimeError(f"only {opened} baseline subscribers connected ({failed} failed: {first_error})")
        async with aiohttp.ClientSession() as http:
            for _ in range(events):
                async with http.post(f"{server.url}/broadcast") as response:
                    response.raise_for_status()
                await asyncio.sleep(0.5)
        latencies, deliveries = await _collect(pool, since)
    return _latency_run(
        "plain Python (aiohttp WebSocket server)",
        latencies,
        deliveries,
        plan.fanout_subscribers,
        time.monotonic() - started,
    )


async def _hold_sessions(
    name: str,
    url: str,
    key: str,
    plan: Any,
    target: int,
    log_file: Path,
    measure: Any,
) -> dict[str, Any]:
    """Opens `target` idle sessions in steps, measuring memory before and after each step; stops early when the time
    bound passes, a step opens nothing, or `measure` says the process is near its limit."""
    samples = [await measure(0)]
    opened = 0
    failed = 0
    first_error: str | None = None
    started = time.monotonic()
    step = -(-target // plan.ws_steps)
    async with ClientPool(url, key, plan.ws_processes, log_file, concurrency=plan.ws_handshakes) as pool:
        while opened < target and time.monotonic() - started < plan.ws_open_timeout:
            step_started = time.monotonic()
            now_open, step_failed, error = await pool.open(
                min(step, target - opened), max(1.0, plan.ws_open_timeout - (time.monotonic() - started))
            )
            open_seconds = time.monotonic() - step_started
            gained = now_open - opened
            opened, failed, first_error = now_open, failed + step_failed, first_error or error
            sample = await measure(opened)
            sample["open_seconds"] = round(open_seconds, 1)
            samples.append(sample)
            _log(f"{name}: {opened} sessions open ({step_failed} failed in {open_seconds:.1f} s): {sample}")
            if gained <= 0 or sample.get("near_limit"):
                break
        # Held for a while, past the gateway's application heartbeat: the sessions are really kept alive.
        await asyncio.sleep(plan.ws_hold_seconds)
        client_open = (await pool.report(dt.datetime.now(dt.UTC))).open
        final = await measure(opened)
        final["after_hold_s"] = plan.ws_hold_seconds
        final["client_open"] = client_open
        samples.append(final)
    return {
        "path": name,
        "target": target,
        "opened": opened,
        "failed": failed,
        "first_error": first_error,
        "seconds": round(time.monotonic() - started, 1),
        "samples": samples,
    }


async def ws_capacity(suite: LaunchedSuite, plan: Any, work_dir: Path) -> dict[str, Any]:
    """(c) WebSocket capacity and fan-out, suite gateway versus a plain aiohttp WebSocket server."""
    pid = suite.service_pid("gateway-service")
    limit = fd_limit()
    # Every session is a socket in the gateway, which inherited this limit: it caps the sessions one gateway holds.
    gateway_fds = open_fds(pid)
    target = min(plan.ws_idle_sessions, limit - gateway_fds - FD_MARGIN)
    _log(f"WebSocket capacity: open-file limit {limit}, gateway holds {gateway_fds}, target {target} idle sessions")

    suite_fan = await _suite_fan_out(suite, plan, work_dir)
    _log(f"fan-out suite: {suite_fan}")
    async with BaselineServer(work_dir / "ws-baseline.log") as server:
        base_fan = await _baseline_fan_out(server, plan, work_dir, max(1, suite_fan["events"]))
    _log(f"fan-out baseline: {base_fan}")

    async def measure_gateway(expected: int) -> dict[str, Any]:
        sample = await gateway_heap(suite, pid)
        return {
            "sessions": expected,
            "gateway_count": sample.sessions,
            "heap_mb": round(sample.heap_used / 2**20, 2),
            "heap_max_mb": round(sample.heap_max / 2**20, 1),
            "rss_mb": round(sample.rss / 2**20, 1),
            "open_files": open_fds(pid),
            # Leave room for the rest of the gateway: stop opening at 85 % of the heap after a full GC.
            "near_limit": bool(sample.heap_max) and sample.heap_used > 0.85 * sample.heap_max,
        }

    ws_url = suite.gateway_url.replace("http", "ws", 1) + "/ws/v1"
    suite_idle = await _hold_sessions(
        "suite (gateway /ws/v1)", ws_url, suite.api_key, plan, target, work_dir / "ws-clients-idle.log", measure_gateway
    )
    async with BaselineServer(work_dir / "ws-baseline-idle.log") as server:
        assert server.process is not None
        base_pid = server.process.pid

        async def measure_baseline(expected: int) -> dict[str, Any]:
            await asyncio.sleep(1)  # let the server settle after the last handshake
            return {"sessions": expected, "rss_mb": round(rss_bytes(base_pid) / 2**20, 1)}

        base_idle = await _hold_sessions(
            "plain Python (aiohttp WebSocket server)",
            server.url.replace("http", "ws", 1) + "/ws",
            server.token,
            plan,
            target,
            work_dir / "ws-clients-base-idle.log",
            measure_baseline,
        )
    return _capacity_result(plan, limit, gateway_fds, target, suite_fan, base_fan, suite_idle, base_idle)


def _per_session(idle: dict[str, Any], key: str) -> float | None:
    first, last = idle["samples"][0], idle["samples"][-1]
    if key not in first or not idle["opened"]:
        return None
    return round((last[key] - first[key]) * 1024 / idle["opened"], 2)


def _capacity_result(
    plan: Any,
    limit: int,
    gateway_fds: int,
    target: int,
    suite_fan: dict[str, Any],
    base_fan: dict[str, Any],
    suite_idle: dict[str, Any],
    base_idle: dict[str, Any],
) -> dict[str, Any]:
    gateway_last = suite_idle["samples"][-1]
    summary = [
        {
            "measure": "idle /ws/v1 sessions held by one gateway (opened and still counted after the hold)",
            "value": min(suite_idle["opened"], gateway_last.get("gateway_count", 0)),
            "target": "≥ 20,000",
        },
        {
            "measure": "gateway heap per idle session, KB (live heap after full GC, before → after, / sessions)",
            "value": _per_session(suite_idle, "heap_mb"),
            "target": "≤ 10 KB",
        },
        {"measure": "gateway RSS per idle session, KB", "value": _per_session(suite_idle, "rss_mb"), "target": ""},
        {
            "measure": "plain Python (aiohttp) idle sessions held",
            "value": base_idle["opened"],
            "target": "",
        },
        {
            "measure": "plain Python (aiohttp) RSS per idle session, KB",
            "value": _per_session(base_idle, "rss_mb"),
            "target": "",
        },
        {
            "measure": f"s to open the gateway's sessions ({plan.ws_processes} client processes, "
            f"{plan.ws_handshakes} handshakes in flight each)",
            "value": round(sum(s.get("open_seconds", 0) for s in suite_idle["samples"]), 1),
            "target": "",
        },
        {
            "measure": "s to open the plain Python server's sessions",
            "value": round(sum(s.get("open_seconds", 0) for s in base_idle["samples"]), 1),
            "target": "",
        },
        {
            "measure": f"fan-out to {plan.fanout_subscribers} subscribers, suite: p99 ms (occurred_at → arrival)",
            "value": suite_fan["p99_ms"],
            "target": "",
        },
        {"measure": "fan-out, suite: p50 ms", "value": suite_fan["p50_ms"], "target": ""},
        {
            "measure": f"fan-out to {plan.fanout_subscribers} subscribers, plain Python: p99 ms (stamp → arrival)",
            "value": base_fan["p99_ms"],
            "target": "",
        },
        {"measure": "fan-out, plain Python: p50 ms", "value": base_fan["p50_ms"], "target": ""},
    ]
    for idle in (suite_idle, base_idle):
        if idle["failed"]:
            summary.append({"measure": f"{idle['path']}: failed handshakes", "value": idle["failed"], "target": ""})
    return {
        "id": "c-ws-capacity",
        "title": "(c) WebSocket capacity",
        "description": (
            f"Idle sessions: up to {target} authenticated `/ws/v1` connections (the API key in the `Authorization` "
            f"header, checked against PostgreSQL per upgrade) opened in {plan.ws_steps} steps by "
            f"{plan.ws_processes} aiohttp client processes, bounded at {plan.ws_open_timeout:g} s, then held "
            f"{plan.ws_hold_seconds:g} s (the gateway sends every session a heartbeat each 20 s). After each step "
            "the gateway gets two full GCs (`jcmd <pid> GC.run`, serial collector, `-Xmx512m` as the launcher "
            'starts it) and its live heap is read from `/q/metrics` (`jvm_memory_used_bytes{area="heap"}`); RSS '
            f"from /proc. The open-file limit of the harness and of the services it starts is {limit} (raised as far "
            f"as the machine allows), and the gateway held {gateway_fds} descriptors before the sessions: the limit "
            f"less those and a margin of {FD_MARGIN} bounds the target. Baseline: a minimal aiohttp WebSocket "
            "server in one Python process "
            "(`dspy_bench/ws_baseline.py`: static token, no persistence), same clients, RSS only (Python has no "
            f"separate heap figure). Fan-out: {plan.fanout_subscribers} sessions subscribe to each of "
            f"{plan.fanout_tasks} predict tasks (SIMULATED LM, 1 s) and every live event frame is timed from its "
            "`occurred_at` (stamped by the orchestration service before the outbox → Kafka → gateway hop) to arrival; "
            "events emitted before the subscriptions settled (replayed from the event log) are left out. The "
            "baseline broadcasts as many events to as many sessions, timed from the server's stamp."
        ),
        "runs": [suite_fan, base_fan],
        "sessions": [suite_idle, base_idle],
        "summary": summary,
    }
