"""``./suite bench [--smoke]``: start the suite with a simulated LM, run the scenarios, write the results."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from dspy_bench import machine, report
from dspy_bench.scenarios import FULL, SLOW_LM_MS, SMOKE, bridge_overhead, recovery, slow_lm
from dspy_bench.stack import LaunchedSuite

REPO_ROOT = Path(__file__).resolve().parents[2]


def main() -> None:
    parser = argparse.ArgumentParser(prog="./suite bench", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="seconds per scenario: proves every path still works")
    parser.add_argument("--out", type=Path, help="results folder (default bench/results/latest or .../smoke)")
    args = parser.parse_args()
    classpath = os.environ.get("DSPY_BENCH_CLASSPATH")
    if not classpath:
        sys.exit("DSPY_BENCH_CLASSPATH (the local-stack runtime classpath) is not set: run ./suite bench")
    mode = "smoke" if args.smoke else "full"
    out = args.out or REPO_ROOT / "bench" / "results" / mode.replace("full", "latest")
    plan = SMOKE if args.smoke else FULL
    python = os.environ.get("DSPY_SUITE_PYTHON", sys.executable)

    started_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    wall = time.monotonic()
    results: dict[str, Any] = {"mode": mode, "started_at": started_at, "machine": machine.describe(REPO_ROOT)}
    results["scenarios"] = []
    results["suite_start_seconds"] = []
    scenario_seconds = 0.0
    with tempfile.TemporaryDirectory(prefix="dspy-bench-") as tmp:
        work_dir = Path(tmp)
        # One suite per simulated LM latency: the Python service reads it from its environment at start.
        for latency_ms, scenarios in ((0.0, (bridge_overhead, recovery)), (SLOW_LM_MS, (slow_lm,))):
            print(f"[bench] starting the suite (simulated LM, latency {latency_ms:g} ms; under {work_dir})", flush=True)
            with LaunchedSuite(REPO_ROOT, classpath, python, lm_latency_ms=latency_ms, work_dir=work_dir) as suite:
                print(f"[bench] suite up in {suite.start_seconds} s", flush=True)
                results["suite_start_seconds"].append(suite.start_seconds)
                started = time.monotonic()
                try:
                    for scenario in scenarios:
                        results["scenarios"].append(asyncio.run(scenario(suite, plan, work_dir)))
                except BaseException:
                    print(f"[bench] failed; suite logs: {suite.home / 'logs'}", flush=True)
                    _keep_logs([suite.home, suite.home / "logs", work_dir], out)
                    raise
                scenario_seconds += time.monotonic() - started
    results["scenario_seconds"] = round(scenario_seconds, 1)
    results["wall_seconds"] = round(time.monotonic() - wall, 1)
    report.write(results, out)
    print(
        f"[bench] results: {out / 'results.md'} (scenarios {results['scenario_seconds']} s, "
        f"wall {results['wall_seconds']} s)",
        flush=True,
    )
    if args.smoke:
        _assert_every_path_answered(results)


def _keep_logs(folders: list[Path], out: Path) -> None:
    """On failure the temp home is deleted: copy the logs (their last 200 KB) next to the results first."""
    target = out / "failed-logs"
    target.mkdir(parents=True, exist_ok=True)
    for log in [log for folder in folders for log in folder.glob("*.log")]:
        (target / log.name).write_bytes(log.read_bytes()[-200_000:])
    print(f"[bench] kept the logs in {target}", flush=True)


def _assert_every_path_answered(results: dict[str, Any]) -> None:
    """Smoke mode checks that the harness works (every path of every run answered), never speed."""
    empty = [
        f"{r['path']} ({r['mode']} {r['load']}): {r['first_error']}"
        for s in results["scenarios"]
        for r in s["runs"]
        if r["ok"] == 0
    ]
    if empty:
        sys.exit("benchmark smoke run: no successful request in " + "; ".join(empty))
    print("[bench] smoke: every path produced results", flush=True)
