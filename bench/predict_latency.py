#!/usr/bin/env python3
"""Submit-to-result latency of predict tasks through a running suite (REST submit, then GET until final).

Usage: DSPY_SUITE_API_KEY=... python3 bench/predict_latency.py [--url http://localhost:8080] [--runs 10]

Sequential tasks, so each figure is the latency of one task on an otherwise idle suite. The result is observed by
polling GET every 10 ms, which adds up to 10 ms to each figure. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
import urllib.request

TASK = {
    "kind": "predict",
    "program": {"signature": "question -> answer", "module": "predict"},
    "inputs": {"question": "What is the capital of France?"},
}
FINAL = {"succeeded", "failed", "cancelled"}


def call(url: str, key: str, body: dict | None = None) -> dict:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def one_task(base: str, key: str) -> tuple[float, dict]:
    started = time.perf_counter()
    task_id = call(f"{base}/api/v1/tasks", key, TASK)["id"]
    while True:
        task = call(f"{base}/api/v1/tasks/{task_id}", key)
        if task["status"] in FINAL:
            return time.perf_counter() - started, task
        time.sleep(0.01)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default="http://localhost:8080")
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    key = os.environ["DSPY_SUITE_API_KEY"]
    one_task(args.url, key)  # warm-up: first-call costs are not the steady state
    latencies = []
    for _ in range(args.runs):
        seconds, task = one_task(args.url, key)
        if task["status"] != "succeeded":
            raise SystemExit(f"task failed: {task}")
        latencies.append(seconds * 1000)
        print(f"{seconds * 1000:8.1f} ms  answer={task['result']['outputs'].get('answer')!r}")
    print(f"runs={len(latencies)} median={statistics.median(latencies):.1f} ms "
          f"min={min(latencies):.1f} ms max={max(latencies):.1f} ms")


if __name__ == "__main__":
    main()
