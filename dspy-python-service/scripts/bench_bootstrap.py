"""Measure a BootstrapFewShot compile of the named program ``qa`` on its shipped dataset with the local model.

Twice: in plain Python (DSPy directly, same LM and adapter) and through the gRPC service (an optimize task, which
also scores the program before and after on the devset). Prints wall-clock times and LM-call counts as JSON.

    uv run --frozen python scripts/bench_bootstrap.py
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import time

os.environ.setdefault("TQDM_DISABLE", "1")

import dspy
import grpc
from dspy.utils.callback import BaseCallback
from google.protobuf import struct_pb2

from dspy_service.config import LMSettings, Settings
from dspy_service.lm.provider import ConfiguredLMProvider
from dspy_service.metrics import answer_exact_match
from dspy_service.named_programs import NAMED_PROGRAMS
from dspy_service.runner import configure_dspy_runtime
from dspy_service.server import start_server
from dspysuite.dspy.v1 import dspy_service_pb2 as pb
from dspysuite.dspy.v1 import dspy_service_pb2_grpc as pb_grpc

PARAMS = {"max_bootstrapped_demos": 4, "max_labeled_demos": 4}


class Counter(BaseCallback):
    def __init__(self) -> None:
        self.calls = 0

    def on_lm_end(self, call_id, outputs, exception=None) -> None:  # noqa: ANN001
        self.calls += 1


def struct(values: dict) -> struct_pb2.Struct:
    s = struct_pb2.Struct()
    s.update(values)
    return s


def plain(provider: ConfiguredLMProvider) -> dict:
    program = NAMED_PROGRAMS["qa"]
    data = program.dataset()
    trainset = [dspy.Example(**row).with_inputs("question") for row in data["train"]]
    resolved = provider.resolve(None)
    counter = Counter()
    started = time.perf_counter()
    with dspy.context(lm=resolved.lm, adapter=resolved.adapter, callbacks=[counter], disable_history=True):
        compiled = dspy.BootstrapFewShot(metric=answer_exact_match, **PARAMS).compile(
            program.factory(), trainset=trainset
        )
    seconds = time.perf_counter() - started
    demos = sum(len(p.demos) for p in compiled.predictors())
    return {"compile_seconds": round(seconds, 2), "lm_calls": counter.calls, "demos": demos}


async def through_service(provider: ConfiguredLMProvider) -> dict:
    data = NAMED_PROGRAMS["qa"].dataset()
    with tempfile.TemporaryDirectory() as cache_dir:
        running = await start_server(Settings(port=0, cache_dir=cache_dir), provider)
        try:
            async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
                stub = pb_grpc.DspyServiceStub(channel)
                request = pb.ExecuteRequest(
                    task_id="bench-bootstrap",
                    kind=pb.TASK_KIND_OPTIMIZE,
                    program=pb.ProgramSpec(named=pb.NamedProgramRef(name="qa")),
                    optimize=pb.OptimizeSpec(
                        optimizer="bootstrap_few_shot",
                        params=struct(PARAMS),
                        metric="answer_exact_match",
                        trainset=[struct(r) for r in data["train"]],
                        devset=[struct(r) for r in data["dev"]],
                    ),
                )
                started = time.perf_counter()
                updates = [u async for u in stub.Execute(request)]
                seconds = time.perf_counter() - started
                retried_started = time.perf_counter()
                retried = [u async for u in stub.Execute(request)]  # same task id: replayed from the cache
                retried_seconds = time.perf_counter() - retried_started
        finally:
            await running.stop(1)
    result = updates[-1].result
    return {
        "task_seconds": round(seconds, 2),
        "compile_seconds": round(result.optimization.compile_seconds, 2),
        "lm_calls": result.usage.lm_calls,
        "input_tokens": result.usage.input_tokens,
        "output_tokens": result.usage.output_tokens,
        "score_before": result.optimization.score_before,
        "score_after": result.optimization.score_after,
        "demos": result.optimization.demos_count,
        "progress_updates": sum(1 for u in updates if u.WhichOneof("update") == "progress"),
        "retry_seconds": round(retried_seconds, 2),
        "retry_lm_calls": retried[-1].result.usage.lm_calls,
        "retry_lm_calls_replayed": retried[-1].result.usage.lm_calls_replayed,
    }


def main() -> None:
    configure_dspy_runtime()
    provider = ConfiguredLMProvider(LMSettings())
    provider.warm_up()
    report = {"model": provider.default_model, "params": PARAMS, "plain_python": plain(provider)}
    report["through_service"] = asyncio.run(through_service(provider))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
