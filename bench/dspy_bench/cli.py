"""``./suite bench [--smoke]``: start the suite with a simulated LM, run the scenarios, write the results."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from dspy_bench import machine, report
from dspy_bench.capacity import raise_fd_limit, ws_capacity
from dspy_bench.durability import durability_cost
from dspy_bench.real_model import real_model
from dspy_bench.scenarios import FULL, SLOW_LM_MS, SMOKE, bridge_overhead, recovery, slow_lm
from dspy_bench.stack import LaunchedSuite

REPO_ROOT = Path(__file__).resolve().parents[2]
# One suite per simulated LM latency (the Python service reads it at start), each running its scenarios in this order.
# (e) kills the orchestration service, so it runs last on its suite; (f) uses the real model, which the service loads
# as its default whatever the simulated LM's latency.
SUITES = (
    (0.0, (("a", bridge_overhead), ("d", durability_cost), ("f", real_model), ("e", recovery))),
    (SLOW_LM_MS, (("b", slow_lm), ("c", ws_capacity))),
)
ALL = "abcdef"


def main() -> None:
    parser = argparse.ArgumentParser(prog="./suite bench", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="seconds per scenario: proves every path still works")
    parser.add_argument("--out", type=Path, help="results folder (default bench/results/latest or .../smoke)")
    parser.add_argument("--only", default=ALL, help=f"scenarios to run, e.g. cdf (default {ALL})")
    parser.add_argument(
        "--merge",
        action="store_true",
        help="keep the other scenarios of the results folder's results.json and replace only the ones run now",
    )
    args = parser.parse_args()
    selected = set(args.only)
    if not selected or not selected <= set(ALL):
        sys.exit(f"--only takes letters of {ALL}")
    classpath = os.environ.get("DSPY_BENCH_CLASSPATH")
    if not classpath:
        sys.exit("DSPY_BENCH_CLASSPATH (the local-stack runtime classpath) is not set: run ./suite bench")
    mode = "smoke" if args.smoke else "full"
    out = args.out or REPO_ROOT / "bench" / "results" / mode.replace("full", "latest")
    plan = SMOKE if args.smoke else FULL
    python = os.environ.get("DSPY_SUITE_PYTHON", sys.executable)

    # llama.cpp's default of one thread per core spins on barriers: on a shared, loaded 2-core machine one predict of
    # scenario (f) was seen to take 114-231 s with 2 threads against 5-9 s with 1. The suite's Python service (which
    # inherits this environment) and the in-process path run the same setting; DSPY_LLAMA_N_THREADS overrides it.
    os.environ.setdefault("DSPY_LLAMA_N_THREADS", "1")
    os.environ.setdefault("TQDM_DISABLE", "1")  # DSPy's optimizer progress bars, as in the Python service
    # Scenario (c) holds thousands of sockets in the gateway and the client processes, which inherit this limit.
    fd_limit = raise_fd_limit()
    started_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    wall = time.monotonic()
    results: dict[str, Any] = {"mode": mode, "started_at": started_at, "machine": machine.describe(REPO_ROOT)}
    results["open_file_limit"] = fd_limit
    results["scenarios"] = []
    results["suite_start_seconds"] = []
    scenario_seconds = 0.0
    with tempfile.TemporaryDirectory(prefix="dspy-bench-") as tmp:
        work_dir = Path(tmp)
        for latency_ms, planned in SUITES:
            scenarios = [scenario for letter, scenario in planned if letter in selected]
            if not scenarios:
                continue
            print(f"[bench] starting the suite (simulated LM, latency {latency_ms:g} ms; under {work_dir})", flush=True)
            with LaunchedSuite(REPO_ROOT, classpath, python, lm_latency_ms=latency_ms, work_dir=work_dir) as suite:
                print(f"[bench] suite up in {suite.start_seconds} s", flush=True)
                results["suite_start_seconds"].append(suite.start_seconds)
                started = time.monotonic()
                try:
                    for scenario in scenarios:
                        run = {
                            "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                            "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
                            "commit": results["machine"]["commit"],
                        }
                        scenario_started = time.monotonic()
                        result = asyncio.run(scenario(suite, plan, work_dir))
                        run["seconds"] = round(time.monotonic() - scenario_started, 1)
                        run["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
                        result["run"] = run
                        results["scenarios"].append(result)
                except BaseException:
                    print(f"[bench] failed; suite logs: {suite.home / 'logs'}", flush=True)
                    _keep_logs([suite.home, suite.home / "logs", work_dir], out)
                    raise
                scenario_seconds += time.monotonic() - started
    results["scenario_seconds"] = round(scenario_seconds, 1)
    results["wall_seconds"] = round(time.monotonic() - wall, 1)
    print(f"[bench] this run: scenarios {results['scenario_seconds']} s, wall {results['wall_seconds']} s", flush=True)
    if args.merge:
        results = _merged(out / "results.json", results)
    results["scenarios"].sort(key=lambda s: str(s["id"]))
    report.write(results, out)
    print(f"[bench] results: {out / 'results.md'}", flush=True)
    if args.smoke:
        _assert_every_path_answered(results)


def _merged(previous_file: Path, results: dict[str, Any]) -> dict[str, Any]:
    """The previous results with this run's scenarios replacing theirs (each scenario keeps its own run time and load
    average); this run is listed under `merged_runs`."""
    if not previous_file.exists():
        return results
    previous: dict[str, Any] = json.loads(previous_file.read_text())
    fresh = {s["id"] for s in results["scenarios"]}
    kept = [s for s in previous["scenarios"] if s["id"] not in fresh]
    previous["scenarios"] = sorted(kept + results["scenarios"], key=lambda s: str(s["id"]))
    previous.setdefault("merged_runs", []).append(
        {
            k: results[k]
            for k in (
                "started_at",
                "machine",
                "open_file_limit",
                "suite_start_seconds",
                "scenario_seconds",
                "wall_seconds",
            )
        }
        | {"scenarios": sorted(fresh)}
    )
    return previous


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
    empty += [
        f"{held['path']} (idle sessions): {held['first_error']}"
        for s in results["scenarios"]
        for held in s.get("sessions", [])
        if held["opened"] == 0
    ]
    if empty:
        sys.exit("benchmark smoke run: no successful request in " + "; ".join(empty))
    print("[bench] smoke: every path produced results", flush=True)
