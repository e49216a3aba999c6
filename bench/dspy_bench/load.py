"""Load generators: an open loop at a fixed request rate and a closed loop of N clients, over any async call."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

Call = Callable[[int], Awaitable[None]]
"""One request; the argument is a sequence number (for unique inputs). Raises when the request failed."""


@dataclass(frozen=True)
class RunStats:
    """The outcome of one load run of one path."""

    path: str
    mode: str  # "rate" (open loop) or "closed" (N clients)
    load: float  # requests per second offered, or the number of clients
    seconds: float
    ok: int
    errors: int
    throughput: float  # successful requests per second over the run
    p50_ms: float | None
    p99_ms: float | None
    first_error: str | None

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def percentile(sorted_values: list[float], q: float) -> float | None:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


class _Recorder:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.errors = 0
        self.first_error: str | None = None

    async def timed(self, call: Call, seq: int, started: float, timeout: float) -> None:
        try:
            await asyncio.wait_for(call(seq), timeout)
        except Exception as e:
            self.errors += 1
            self.first_error = self.first_error or " ".join(f"{type(e).__name__}: {e}".split())[:300]
            return
        self.latencies.append(time.perf_counter() - started)

    def stats(self, path: str, mode: str, load: float, seconds: float) -> RunStats:
        ordered = sorted(self.latencies)
        p50 = percentile(ordered, 50)
        p99 = percentile(ordered, 99)
        return RunStats(
            path=path,
            mode=mode,
            load=load,
            seconds=round(seconds, 3),
            ok=len(ordered),
            errors=self.errors,
            throughput=round(len(ordered) / seconds, 2) if seconds > 0 else 0.0,
            p50_ms=None if p50 is None else round(p50 * 1000, 2),
            p99_ms=None if p99 is None else round(p99 * 1000, 2),
            first_error=self.first_error,
        )


async def fixed_rate(path: str, call: Call, rate: float, seconds: float, timeout: float = 30.0) -> RunStats:
    """Open loop: request i starts at t0 + i/rate whether or not earlier ones finished. Latency counts from the
    scheduled start, so a generator that falls behind shows up in the figures (no coordinated omission)."""
    recorder = _Recorder()
    count = max(1, round(rate * seconds))
    started = time.perf_counter()
    tasks: list[asyncio.Task[None]] = []
    for i in range(count):
        scheduled = started + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(recorder.timed(call, i, scheduled, timeout)))
    await asyncio.gather(*tasks)
    # Over the offered window (or longer, if the last answers came late): what was sustained at this rate.
    return recorder.stats(path, "rate", rate, max(seconds, time.perf_counter() - started))


async def closed_loop(path: str, call: Call, clients: int, seconds: float, timeout: float = 30.0) -> RunStats:
    """N clients, each sending its next request as soon as the previous one finished, for `seconds`."""
    recorder = _Recorder()
    deadline = time.perf_counter() + seconds
    counter = iter(range(1 << 62))

    async def client() -> None:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            await recorder.timed(call, next(counter), started, timeout)

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return recorder.stats(path, "closed", clients, time.perf_counter() - started)


async def burst(path: str, call: Call, in_flight: int, timeout: float) -> RunStats:
    """`in_flight` requests started at once; throughput is the completed ones over the time until the last answer
    (or the timeout, for requests still unanswered then, which count as errors)."""
    recorder = _Recorder()
    started = time.perf_counter()
    await asyncio.gather(*(recorder.timed(call, i, started, timeout) for i in range(in_flight)))
    return recorder.stats(path, "burst", in_flight, time.perf_counter() - started)


async def sequential(path: str, call: Call, count: int, timeout: float) -> RunStats:
    """`count` requests one after another (one client): the latency of a single call with nothing else in flight."""
    recorder = _Recorder()
    started = time.perf_counter()
    for i in range(count):
        await recorder.timed(call, i, time.perf_counter(), timeout)
    return recorder.stats(path, "sequential", count, time.perf_counter() - started)
