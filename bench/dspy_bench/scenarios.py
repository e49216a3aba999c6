"""Scenarios (a), (b) and (e) of issue 8 and the plan all scenarios run by; (c), (d), (f) have their own modules."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from dspy_bench import metrics
from dspy_bench.load import RunStats, burst, closed_loop, fixed_rate, percentile
from dspy_bench.paths import FastApiPath, GrpcPath, InProcessPath, Path_, SuitePath
from dspy_bench.stack import LaunchedSuite

# Gateway counters read around the suite path of (a).
LOG_READS = "dspy_suite_event_log_reads_total"
SUBMITTED = "dspy_suite_tasks_submitted_total"


@dataclass(frozen=True)
class Plan:
    """How long and how hard each scenario pushes; the smoke plan only proves every path still works."""

    warmup_calls: int
    rates: tuple[float, ...]
    rate_seconds: float
    clients: tuple[int, ...]
    closed_seconds: float
    half_saturation: bool
    slow_in_flight: int
    slow_timeout: float
    recovery_rate: float
    recovery_kill_after: float
    recovery_seconds: float
    # (c) WebSocket capacity and fan-out
    ws_idle_sessions: int
    ws_steps: int
    ws_processes: int
    ws_handshakes: int
    ws_open_timeout: float
    ws_hold_seconds: float
    fanout_subscribers: int
    fanout_tasks: int
    fanout_settle: float
    # (d) durability cost
    durability_modes: tuple[str, ...]
    durability_clients: tuple[int, ...]
    durability_rates: tuple[float, ...]
    fsync_probes: int
    # (f) real model
    real_predicts: int
    real_warmup: bool
    real_compile: bool
    real_timeout: float
    real_compile_timeout: float


FULL = Plan(
    warmup_calls=50,
    rates=(5, 20),
    rate_seconds=20,
    clients=(1, 4, 16, 64),
    closed_seconds=10,
    half_saturation=True,
    slow_in_flight=1000,
    slow_timeout=120,
    recovery_rate=5,
    recovery_kill_after=10,
    recovery_seconds=40,
    ws_idle_sessions=20_000,
    ws_steps=4,
    ws_processes=4,
    ws_handshakes=32,
    ws_open_timeout=300,
    ws_hold_seconds=25,
    fanout_subscribers=1000,
    fanout_tasks=10,
    fanout_settle=0.5,
    durability_modes=("on", "off", "on", "off"),
    durability_clients=(1, 16),
    durability_rates=(5,),
    fsync_probes=200,
    real_predicts=5,
    real_warmup=True,
    real_compile=True,
    real_timeout=300,
    real_compile_timeout=900,
)
SMOKE = Plan(
    warmup_calls=0,
    rates=(5,),
    rate_seconds=1.6,
    clients=(4,),
    closed_seconds=1.5,
    half_saturation=False,
    slow_in_flight=8,
    slow_timeout=30,
    recovery_rate=2,
    recovery_kill_after=2,
    recovery_seconds=20,
    ws_idle_sessions=40,
    ws_steps=1,
    ws_processes=2,
    ws_handshakes=8,
    ws_open_timeout=60,
    ws_hold_seconds=1,
    fanout_subscribers=10,
    fanout_tasks=1,
    fanout_settle=0.3,
    durability_modes=("on", "off"),
    durability_clients=(2,),
    durability_rates=(),
    fsync_probes=20,
    real_predicts=1,
    real_warmup=False,
    real_compile=False,
    real_timeout=300,
    real_compile_timeout=900,
)
SLOW_LM_MS = 1000.0


def _log(line: str) -> None:
    print(f"[bench] {line}", flush=True)


async def _warm_up(path: Path_, calls: int) -> None:
    # First calls pay for connection set-up, JIT and DSPy's first-use costs: not the steady state.
    for seq in range(calls):
        await asyncio.wait_for(path.call(seq), 60)


def _describe(stats: RunStats) -> str:
    return (
        f"{stats.path}: {stats.mode} {stats.load:g} -> ok {stats.ok} errors {stats.errors} "
        f"{stats.throughput} req/s p50 {stats.p50_ms} ms p99 {stats.p99_ms} ms"
    )


def _best(runs: list[dict[str, Any]], path: str) -> float | None:
    closed = [r["throughput"] for r in runs if r["path"] == path and r["mode"] == "closed"]
    return max(closed) if closed else None


def _at(runs: list[dict[str, Any]], path: str, rate: float, key: str) -> float | None:
    for r in runs:
        if r["path"] == path and r["mode"] == "rate" and r["load"] == rate:
            return r[key]
    return None


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a is not None and b else None


def _diff(a: float | None, b: float | None) -> float | None:
    return round(a - b, 2) if a is not None and b is not None else None


async def bridge_overhead(suite: LaunchedSuite, plan: Plan, work_dir: Path) -> dict[str, Any]:
    """(a) The same predict with an instant simulated LM through each path: latency at fixed rates, max throughput."""
    suite_path = SuitePath(suite.gateway_url, suite.api_key)
    paths: list[Path_] = [
        suite_path,
        GrpcPath(suite.ports.dspy),
        InProcessPath(latency_ms=0),
        FastApiPath(latency_ms=0, log_file=work_dir / "fastapi-bridge.log"),
    ]
    runs: list[dict[str, Any]] = []

    async def measure(path: Path_, rates: tuple[float, ...], clients: tuple[int, ...]) -> None:
        async with path:
            await _warm_up(path, plan.warmup_calls)
            for n in clients:
                stats = await closed_loop(path.name, path.call, n, plan.closed_seconds)
                _log(_describe(stats))
                runs.append(stats.as_dict())
            for rate in rates:
                stats = await fixed_rate(path.name, path.call, rate, plan.rate_seconds)
                _log(_describe(stats))
                runs.append(stats.as_dict())

    # Per task, a subscription reads the event log once (the replay) at best; more reads mean it waited for the
    # gateway's task view (gap fills), the cost the profile found (bench/README.md).
    counted = (LOG_READS, SUBMITTED)
    before = await metrics.totals(suite.gateway_url, counted)
    await measure(paths[0], plan.rates, plan.clients)
    after = await metrics.totals(suite.gateway_url, counted)
    for path in paths[1:]:
        await measure(path, plan.rates, plan.clients)

    suite_name, grpc_name = paths[0].name, paths[1].name
    rates = list(plan.rates)
    suite_max = _best(runs, suite_name)
    if plan.half_saturation and suite_max:
        # The latency targets hold "at half of saturation": the suite's, offered to every path alike.
        half = round(suite_max / 2, 1)
        rates.append(half)
        for path in (SuitePath(suite.gateway_url, suite.api_key), GrpcPath(suite.ports.dspy)):
            await measure(path, (half,), ())

    summary: list[dict[str, Any]] = []
    for rate in rates:
        label = f"{rate:g} req/s" + (" (half of the suite's saturation)" if rate not in plan.rates else "")
        summary.append(
            {
                "measure": f"suite overhead over direct gRPC, p50 ms at {label}",
                "value": _diff(_at(runs, suite_name, rate, "p50_ms"), _at(runs, grpc_name, rate, "p50_ms")),
                "target": "≤ 5 ms at half of saturation",
            }
        )
        summary.append(
            {
                "measure": f"suite overhead over direct gRPC, p99 ms at {label}",
                "value": _diff(_at(runs, suite_name, rate, "p99_ms"), _at(runs, grpc_name, rate, "p99_ms")),
                "target": "≤ 25 ms at half of saturation",
            }
        )
    for path, target in ((paths[1], "≥ 0.9"), (paths[2], ""), (paths[3], "≥ 1.5")):
        summary.append(
            {
                "measure": f"suite max throughput / {path.name} max throughput",
                "value": _ratio(suite_max, _best(runs, path.name)),
                "target": target,
            }
        )
    for label, values in (
        ("REST submit round trip (POST /api/v1/tasks → 202)", suite_path.submit_ms),
        ("final status event, occurred_at → arrival on the WebSocket", suite_path.delivery_ms),
    ):
        ordered = sorted(values)
        for q in (50, 99):
            value = percentile(ordered, q)
            summary.append(
                {
                    "measure": f"suite, {label}: p{q} ms over all its runs",
                    "value": None if value is None else round(value, 2),
                    "target": "",
                }
            )
    tasks = after[SUBMITTED] - before[SUBMITTED]
    summary.append(
        {
            "measure": "suite: event-log reads per task by its WebSocket subscription (1 = the replay only)",
            "value": round((after[LOG_READS] - before[LOG_READS]) / tasks, 2) if tasks > 0 else None,
            "target": "",
        }
    )
    for path in paths:
        summary.append(
            {
                "measure": f"max throughput of {path.name} (req/s, best of the closed-loop runs)",
                "value": _best(runs, path.name),
                "target": "",
            }
        )
    return {
        "id": "a-bridge-overhead",
        "title": "(a) Bridge overhead",
        "description": (
            "One predict (`question -> answer`, module `predict`, unique inputs) with an instant SIMULATED LM "
            "(latency 0) through: the suite end to end (REST `POST /api/v1/tasks` → final `status` event on a "
            "`/ws/v1` subscription; 4 WebSocket connections), direct gRPC `Predict` to the suite's Python service, "
            "DSPy in the harness process (32-thread pool), and a FastAPI + uvicorn bridge (one worker, sync "
            "endpoint). The suite runs as configured by default (interactive queue concurrency 4 per orchestration "
            "replica, one replica of each service) except the submission rate limit, which is off. The load "
            "generator is one Python process on the same machine."
        ),
        "runs": runs,
        "summary": summary,
    }


async def slow_lm(suite: LaunchedSuite, plan: Plan, work_dir: Path) -> dict[str, Any]:
    """(b) A simulated LM that takes 1 s: N predicts started at once through each path; throughput versus the ideal
    in-flight / latency (every call overlapping every other)."""
    n = plan.slow_in_flight
    ideal = n / (SLOW_LM_MS / 1000)
    # The suite last: its unfinished tasks would keep the Python service busy for the paths after it.
    paths: list[Path_] = [
        InProcessPath(latency_ms=SLOW_LM_MS),
        FastApiPath(latency_ms=SLOW_LM_MS, log_file=work_dir / "fastapi-bridge-slow.log"),
        # The gRPC deadline as long as the burst's timeout: waiting in the service's queue is not a failure here.
        GrpcPath(suite.ports.dspy, deadline_s=plan.slow_timeout),
        SuitePath(suite.gateway_url, suite.api_key, connections=max(1, -(-n // 200))),
    ]
    runs: list[dict[str, Any]] = []
    for path in paths:
        async with path:
            await _warm_up(path, min(1, plan.warmup_calls))
            stats = await burst(path.name, path.call, n, plan.slow_timeout)
            _log(_describe(stats))
            runs.append(stats.as_dict())
    summary = [
        {
            "measure": f"{r['path']}: achieved / ideal throughput ({ideal:g} req/s)",
            "value": round(r["throughput"] / ideal, 3),
            "target": "≥ 0.9" if r["path"] == paths[-1].name else "",
        }
        for r in runs
    ]
    return {
        "id": "b-slow-lm",
        "ideal_throughput": ideal,
        "title": "(b) Slow LM",
        "description": (
            f"The same predict with a SIMULATED LM latency of {SLOW_LM_MS:g} ms: {n} requests started at once per "
            f"path (a burst; unanswered after {plan.slow_timeout:g} s counts as an error). Throughput = answered / "
            f"time to the last answer; ideal = in-flight / latency = {ideal:g} req/s. In-process DSPy uses a "
            "32-thread pool, the FastAPI bridge its default thread pool, the Python service its 32 workers; the suite "
            "runs as configured (interactive queue concurrency 4 per orchestration replica), submission rate limit off."
        ),
        "runs": runs,
        "summary": summary,
    }


async def recovery(suite: LaunchedSuite, plan: Plan, work_dir: Path) -> dict[str, Any]:
    """(e) kill -9 of the orchestration service under a steady load; the launcher's supervisor restarts it. Measured
    with the final status events' occurred_at (stamped by the orchestration service, so any event after the kill
    comes from the new process): the first one after the kill, and the last one of the tasks in flight at the kill."""
    path = SuitePath(suite.gateway_url, suite.api_key)
    killed_at: list[dt.datetime] = []
    ready_again: list[float] = []

    async def kill_later() -> None:
        await asyncio.sleep(plan.recovery_kill_after)
        pid = suite.service_pid("orchestration-service")
        killed_at.append(dt.datetime.now(dt.UTC))
        killed = time.monotonic()
        os.kill(pid, signal.SIGKILL)
        _log(f"killed the orchestration service (pid {pid}) with SIGKILL")
        # Separates the restart of the process from the rest of the recovery (consumer group, job leases).
        url = f"http://127.0.0.1:{suite.ports.orchestration}/q/health/ready"
        async with aiohttp.ClientSession() as session:
            while time.monotonic() - killed < 120:
                with contextlib.suppress(aiohttp.ClientError, OSError, RuntimeError):
                    async with session.get(url) as response:
                        if response.status == 200 and suite.service_pid("orchestration-service") != pid:
                            ready_again.append(round(time.monotonic() - killed, 2))
                            return
                await asyncio.sleep(0.2)

    async with path:
        killer = asyncio.create_task(kill_later())
        # The per-request timeout outlasts a JVM restart: tasks in flight at the kill must still finish.
        stats = await fixed_rate(path.name, path.call, plan.recovery_rate, plan.recovery_seconds, timeout=120)
        await killer
    _log(_describe(stats))
    kill = killed_at[0]
    after = sorted(occurred for _, occurred in path.finished if occurred > kill)
    in_flight = sorted(occurred for submitted, occurred in path.finished if submitted <= kill < occurred)

    def since_kill(moment: dt.datetime | None) -> float | None:
        return None if moment is None else round((moment - kill).total_seconds(), 2)

    first_after = since_kill(after[0] if after else None)
    all_in_flight = since_kill(in_flight[-1] if in_flight else None)
    summary = [
        {"measure": "s from kill -9 to the first final status event after it", "value": first_after, "target": "≤ 5 s"},
        {
            "measure": "s from kill -9 until the restarted orchestration service reports ready",
            "value": ready_again[0] if ready_again else None,
            "target": "",
        },
        {"measure": "tasks in flight at the kill that finished later", "value": len(in_flight), "target": ""},
        {"measure": "s from kill -9 until the last of them finished", "value": all_in_flight, "target": ""},
        {"measure": "tasks failed or unanswered within 120 s", "value": stats.errors, "target": "0"},
    ]
    run = stats.as_dict()
    # Smoke mode asserts that tasks finished after the restart, not just before the kill.
    run["ok"] = len(after)
    return {
        "id": "e-recovery",
        "title": "(e) Recovery",
        "description": (
            f"The suite with an instant SIMULATED LM under {plan.recovery_rate:g} submits/s (REST → WebSocket) for "
            f"{plan.recovery_seconds:g} s; {plan.recovery_kill_after:g} s in, the orchestration service gets SIGKILL "
            "and the launcher's supervisor starts it again (a fresh JVM). The `ok` column counts the tasks that "
            "finished after the kill."
        ),
        "runs": [run],
        "summary": summary,
    }
