"""Evaluate and optimize tasks, progress, program versions, the durable call cache (crash-resumable optimization),
streaming chunks, concurrency and cancellation — through the real gRPC server, with DummyLM-based test doubles."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from pathlib import Path
from typing import Any

import dspy
import grpc
import pytest
from dspy.utils import DummyLM
from google.protobuf import json_format
from prometheus_client import REGISTRY

from dspy_service.config import Settings
from dspy_service.evaluation import EXAMPLE_ATTEMPTS
from dspy_service.lm.simulated import SimulatedLMUnavailableError
from dspy_service.named_programs import NAMED_PROGRAMS
from dspy_service.streaming import STREAM_SETTING, FieldStreamer
from dspysuite.dspy.v1 import dspy_service_pb2 as pb
from tests.conftest import FactoryLMProvider, serve_stub
from tests.helpers import collect, error_info, named_request, request, struct

QA = NAMED_PROGRAMS["qa"].dataset()
QA_ANSWERS = {r["question"]: {"reasoning": "A known fact.", "answer": r["answer"]} for r in QA["train"] + QA["dev"]}


class SlowLM(DummyLM):
    """A simulated slow LM (DummyLM answers after ``delay`` seconds) that tracks calls in flight."""

    def __init__(self, answers: Any, delay: float = 0.0, hold_until_in_flight: int = 0) -> None:
        super().__init__(answers)
        self.delay = delay
        self.hold_until_in_flight = hold_until_in_flight
        self.lock = threading.Lock()
        self.in_flight = 0
        self.peak = 0
        self.calls = 0

    def forward(self, prompt: Any = None, messages: Any = None, **kwargs: Any) -> Any:
        with self.lock:
            self.in_flight += 1
            self.calls += 1
            self.peak = max(self.peak, self.in_flight)
        try:
            deadline = time.monotonic() + 10
            # Hold the call until enough calls are in flight together (or give up after 10 s): the test asserts on
            # the peak, never on a duration.
            while self.hold_until_in_flight and self.peak < self.hold_until_in_flight and time.monotonic() < deadline:
                time.sleep(0.01)
            if self.delay:
                time.sleep(self.delay)
            return super().forward(prompt=prompt, messages=messages, **kwargs)
        finally:
            with self.lock:
                self.in_flight -= 1


class FlakyLM(DummyLM):
    """DummyLM whose first ``failures`` calls fail as an LM that is briefly away (LM_UNAVAILABLE, retryable)."""

    def __init__(self, answers: Any, failures: int) -> None:
        super().__init__(answers)
        self.failures = failures
        self.lock = threading.Lock()
        self.calls = 0

    def forward(self, prompt: Any = None, messages: Any = None, **kwargs: Any) -> Any:
        with self.lock:
            self.calls += 1
            fail = self.calls <= self.failures
        if fail:
            raise SimulatedLMUnavailableError("briefly away")
        return super().forward(prompt=prompt, messages=messages, **kwargs)


class StreamingDummyLM(DummyLM):
    """DummyLM that streams its answer in 4-character deltas to the task's field streamer, like LlamaCppLM does."""

    def forward(self, prompt: Any = None, messages: Any = None, **kwargs: Any) -> Any:
        response = super().forward(prompt=prompt, messages=messages, **kwargs)
        streamer = dspy.settings.get(STREAM_SETTING)
        if isinstance(streamer, FieldStreamer):
            text = response.choices[0].message.content
            streamer.reset()
            for start in range(0, len(text), 4):
                streamer.feed(text[start : start + 4])
            streamer.close()
        return response


def evaluate_request(
    devset: list[dict[str, Any]], metric: str = "answer_exact_match", **spec: Any
) -> pb.ExecuteRequest:
    req = named_request("qa", kind=pb.TASK_KIND_EVALUATE, task_id="eval-1")
    req.evaluate.CopyFrom(pb.EvaluateSpec(metric=metric, devset=[struct(r) for r in devset], **spec))
    return req


def optimize_request(
    optimizer: str, params: dict[str, Any] | None = None, *, task_id: str = "opt-1", program: str = "qa"
) -> pb.ExecuteRequest:
    data = NAMED_PROGRAMS[program].dataset()
    req = named_request(program, kind=pb.TASK_KIND_OPTIMIZE, task_id=task_id)
    req.optimize.CopyFrom(
        pb.OptimizeSpec(
            optimizer=optimizer,
            params=struct(params or {}),
            metric=NAMED_PROGRAMS[program].default_metric,
            trainset=[struct(r) for r in data["train"]],
            devset=[struct(r) for r in data["dev"]],
        )
    )
    return req


async def test_evaluate_streams_progress_and_scores() -> None:
    devset = [*QA["dev"], {"question": "Unscripted question?", "answer": "x"}]
    async with serve_stub(FactoryLMProvider(lambda: DummyLM(QA_ANSWERS))) as stub:
        updates = await collect(stub.Execute(evaluate_request(devset, max_outcomes=3)))
    kinds = [u.WhichOneof("update") for u in updates]
    assert kinds[0] == "status"
    assert kinds[-1] == "result"
    progress = [u.progress for u in updates if u.WhichOneof("update") == "progress"]
    assert [p.step for p in progress] == list(range(1, len(devset) + 1))
    assert {p.phase for p in progress} == {"evaluating"}
    assert all(p.total == len(devset) and p.HasField("current_score") for p in progress)
    evaluation = updates[-1].result.evaluation
    assert evaluation.score == pytest.approx(100 * 6 / 7, abs=0.01)
    assert (evaluation.total, evaluation.failed, evaluation.metric) == (7, 1, "answer_exact_match")
    assert [o.index for o in evaluation.outcomes] == [0, 1, 2]
    assert evaluation.outcomes_truncated
    assert evaluation.outcomes[0].outputs["answer"] == "Tokyo"
    assert evaluation.outcomes[0].score == 1.0
    # 7 predictions, plus the JSON-adapter fallback call for the unparseable answer.
    assert updates[-1].result.usage.lm_calls == 8


async def test_evaluate_retries_an_example_whose_lm_call_failed_transiently() -> None:
    # Found by the chaos soak: one flaky LM call made an example "failed" (score 0) in a succeeded evaluation.
    # Fewer failures than one example's attempts: wherever they land, every example ends scored.
    lm = FlakyLM(QA_ANSWERS, failures=EXAMPLE_ATTEMPTS - 1)
    async with serve_stub(FactoryLMProvider(lambda: lm)) as stub:
        updates = await collect(stub.Execute(evaluate_request(QA["dev"])))
    evaluation = updates[-1].result.evaluation
    assert (evaluation.total, evaluation.failed) == (len(QA["dev"]), 0)
    assert evaluation.score == pytest.approx(100.0)
    assert lm.calls == len(QA["dev"]) + EXAMPLE_ATTEMPTS - 1


async def test_evaluate_gives_an_example_up_after_its_attempts_when_the_lm_stays_away() -> None:
    lm = FlakyLM(QA_ANSWERS, failures=1_000_000)
    async with serve_stub(FactoryLMProvider(lambda: lm)) as stub:
        updates = await collect(stub.Execute(evaluate_request(QA["dev"][:2])))
    evaluation = updates[-1].result.evaluation
    assert (evaluation.total, evaluation.failed) == (2, 2)
    assert {o.error for o in evaluation.outcomes} == {"LM_UNAVAILABLE"}
    assert lm.calls == 2 * EXAMPLE_ATTEMPTS


async def test_evaluate_with_f1_and_semantic_f1() -> None:
    # DummyLM answers with the first key found in the prompt: the judge's prompt also quotes the question.
    answers = {"ground_truth": {"recall": 1.0, "precision": 0.5}, **QA_ANSWERS}
    async with serve_stub(FactoryLMProvider(lambda: DummyLM(answers))) as stub:
        f1 = await collect(stub.Execute(evaluate_request(QA["dev"][:2], metric="f1")))
        semantic = await collect(stub.Execute(evaluate_request(QA["dev"][:2], metric="semantic_f1")))
    assert f1[-1].result.evaluation.score == pytest.approx(100.0)
    assert semantic[-1].result.evaluation.score == pytest.approx(100 * 2 / 3, abs=0.01)
    assert semantic[-1].result.usage.lm_calls == 4  # 2 predictions + 2 judgements


@pytest.mark.parametrize(
    ("req", "reason"),
    [
        (evaluate_request([]), "INVALID_INPUTS"),
        (evaluate_request(QA["dev"], metric="bleu"), "INVALID_INPUTS"),
        (evaluate_request([{"question": "q"}]), "INVALID_INPUTS"),
        (evaluate_request([{"answer": "a"}]), "INVALID_INPUTS"),
        (evaluate_request([{"question": "q", "answer": "a", "x": 1}]), "INVALID_INPUTS"),
        (evaluate_request([{"question": "q", "answer": "a"}] * 201), "INVALID_INPUTS"),
        (evaluate_request(QA["dev"], num_threads=99), "INVALID_INPUTS"),
        (optimize_request("simba"), "INVALID_INPUTS"),
        (optimize_request("bootstrap_few_shot", {"max_bootstrapped_demos": 100}), "INVALID_INPUTS"),
        (optimize_request("bootstrap_few_shot", {"teacher": "x"}), "INVALID_INPUTS"),
        (optimize_request("mipro_v2", {"auto": "heavy"}), "INVALID_INPUTS"),
    ],
)
async def test_task_spec_errors(stub, req, reason) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await collect(stub.Execute(req))
    assert error_info(raised.value).reason == reason


@pytest.mark.parametrize(
    ("optimizer", "params", "phases"),
    [
        ("labeled_few_shot", {"k": 3}, {"evaluating", "compiling", "compiled"}),
        ("bootstrap_few_shot", {"max_bootstrapped_demos": 2, "max_labeled_demos": 1}, {"bootstrapping"}),
        ("bootstrap_few_shot_with_random_search", {"num_candidate_programs": 1, "num_threads": 2}, {"trial"}),
    ],
)
async def test_optimize_produces_a_program_version(optimizer, params, phases) -> None:
    trials_before = REGISTRY.get_sample_value("dspy_service_optimizer_trials_total", {"optimizer": optimizer}) or 0
    async with serve_stub(FactoryLMProvider(lambda: DummyLM(QA_ANSWERS))) as stub:
        updates = await collect(stub.Execute(optimize_request(optimizer, params)))
        result = updates[-1].result
        optimization = result.optimization
        progress = [u.progress for u in updates if u.WhichOneof("update") == "progress"]
        assert phases <= {p.phase for p in progress}
        # Every trial reported as progress is counted in the Prometheus metric too.
        trials = REGISTRY.get_sample_value("dspy_service_optimizer_trials_total", {"optimizer": optimizer}) or 0
        assert trials - trials_before == sum(1 for p in progress if p.phase == "trial")
        assert progress[-1].phase == "compiled"
        assert progress[-1].best_score == pytest.approx(100.0)
        assert (optimization.optimizer, optimization.metric) == (optimizer, "answer_exact_match")
        assert optimization.score_before == pytest.approx(100.0)
        assert optimization.score_after == pytest.approx(100.0)
        assert optimization.dataset_hash.startswith("sha256:")
        assert (optimization.trainset_size, optimization.devset_size) == (8, 6)
        assert json_format.MessageToDict(optimization.params).items() >= params.items()
        state = json.loads(optimization.program_state_json)
        assert list(state) == ["predict"]
        assert len(state["predict"]["demos"]) == optimization.demos_count
        assert state["predict"]["lm"] is None
        # The version runs: send it back with the same program.
        predicted = await stub.Predict(
            named_request("qa", {"question": "Who wrote Hamlet?"}, state_json=optimization.program_state_json)
        )
        assert predicted.outputs["answer"] == "William Shakespeare"
    if optimizer != "bootstrap_few_shot_with_random_search":  # random search may pick the zero-shot baseline
        assert optimization.demos_count == {"labeled_few_shot": 3, "bootstrap_few_shot": 2}[optimizer]


async def test_bootstrap_demos_reach_later_predictions() -> None:
    prompts: list[str] = []

    class Recording(DummyLM):
        def forward(self, prompt: Any = None, messages: Any = None, **kwargs: Any) -> Any:
            prompts.append(str(messages))
            return super().forward(prompt=prompt, messages=messages, **kwargs)

    async with serve_stub(FactoryLMProvider(lambda: Recording(QA_ANSWERS))) as stub:
        updates = await collect(stub.Execute(optimize_request("bootstrap_few_shot", {"max_labeled_demos": 0})))
        state = updates[-1].result.optimization.program_state_json
        demos = json.loads(state)["predict"]["demos"]
        assert demos
        assert all(d.get("augmented") for d in demos)
        prompts.clear()
        await stub.Predict(named_request("qa", {"question": "Who wrote Hamlet?"}, state_json=state))
    assert demos[0]["question"] in prompts[0]


async def test_optimize_is_replayed_from_the_durable_cache(tmp_path: Path) -> None:
    settings = Settings(host="127.0.0.1", port=0, workers=4, cache_dir=str(tmp_path))
    lms: list[SlowLM] = []

    def factory() -> SlowLM:
        lms.append(SlowLM(QA_ANSWERS))
        return lms[-1]

    async with serve_stub(FactoryLMProvider(factory), settings) as stub:
        first = (await collect(stub.Execute(optimize_request("bootstrap_few_shot", task_id="opt-a"))))[-1].result
        hits_before = REGISTRY.get_sample_value("dspy_service_lm_cache_hits_total") or 0
        again = (await collect(stub.Execute(optimize_request("bootstrap_few_shot", task_id="opt-a"))))[-1].result
        hits = (REGISTRY.get_sample_value("dspy_service_lm_cache_hits_total") or 0) - hits_before
        assert hits == again.usage.lm_calls_replayed
        other = (await collect(stub.Execute(optimize_request("bootstrap_few_shot", task_id="opt-b"))))[-1].result
    assert first.usage.lm_calls > 0
    assert first.usage.lm_calls_replayed == 0
    # The retried task pays for nothing: every call is replayed, and the version is the same.
    assert (again.usage.lm_calls, again.usage.lm_calls_replayed) == (0, first.usage.lm_calls)
    assert again.optimization.program_state_json == first.optimization.program_state_json
    assert lms[1].calls == 0
    # Another task does not see the first task's entries.
    assert (other.usage.lm_calls, other.usage.lm_calls_replayed) == (first.usage.lm_calls, 0)
    entries = list(tmp_path.rglob("*.json"))
    assert entries
    assert all(json.loads(p.read_text())["outputs"] for p in entries)  # JSON entries, no pickle


async def test_killed_optimization_resumes_from_cache(tmp_path: Path) -> None:
    """A first attempt dies mid-way (its call is cancelled); the retry replays the calls it had finished."""
    settings = Settings(host="127.0.0.1", port=0, workers=4, cache_dir=str(tmp_path))
    slow = SlowLM(QA_ANSWERS, delay=0.05)
    async with serve_stub(FactoryLMProvider(lambda: slow), settings) as stub:
        call = stub.Execute(optimize_request("bootstrap_few_shot", task_id="opt-crash"))
        async for update in call:
            if update.WhichOneof("update") == "progress" and update.progress.phase == "bootstrapping":
                call.cancel()
                break
        await asyncio.sleep(0.3)  # the call in flight finishes and is stored; no new call starts
        made_before = slow.calls
        fast = DummyLM(QA_ANSWERS)
    async with serve_stub(FactoryLMProvider(lambda: fast), settings) as stub:
        retried = (await collect(stub.Execute(optimize_request("bootstrap_few_shot", task_id="opt-crash"))))[-1]
    usage = retried.result.usage
    assert usage.lm_calls_replayed >= 6  # at least the "before" evaluation
    assert usage.lm_calls_replayed <= made_before
    assert usage.lm_calls > 0
    assert usage.lm_calls + usage.lm_calls_replayed == 6 + 4 + 6  # before + bootstrapped + after, as uncached


async def test_twenty_predictions_in_flight_at_once() -> None:
    slow = SlowLM({"What is the capital of France?": {"answer": "Paris"}}, hold_until_in_flight=20)
    settings = Settings(host="127.0.0.1", port=0, workers=32)
    async with serve_stub(FactoryLMProvider(lambda: slow), settings) as stub:
        results = await asyncio.gather(*(stub.Predict(request(task_id=f"t{i}")) for i in range(20)))
    assert {r.outputs["answer"] for r in results} == {"Paris"}
    assert slow.peak >= 20


async def test_cancelled_evaluation_stops_calling_the_lm() -> None:
    slow = SlowLM(QA_ANSWERS, delay=0.05)
    devset = (QA["train"] + QA["dev"]) * 4  # 56 examples
    async with serve_stub(FactoryLMProvider(lambda: slow)) as stub:
        call = stub.Execute(evaluate_request(devset, num_threads=2))
        async for update in call:
            if update.WhichOneof("update") == "progress":
                call.cancel()
                break
        await asyncio.sleep(0.3)
        calls_after_cancel = slow.calls
        await asyncio.sleep(0.5)
        assert slow.calls == calls_after_cancel
        assert slow.calls < 10
        # The server goes on serving.
        assert (await stub.Predict(named_request("qa", {"question": "Who wrote Hamlet?"}))).outputs["answer"]


async def test_output_fields_stream_as_chunks_before_the_result() -> None:
    answer = {"reasoning": "France's capital city is Paris.", "answer": "Paris"}
    lm = StreamingDummyLM({"What is the capital of France?": answer})
    async with serve_stub(FactoryLMProvider(lambda: lm)) as stub:
        updates = await collect(stub.Execute(request(module="chain_of_thought")))
        unary = await stub.Predict(request(module="chain_of_thought"))
    kinds = [u.WhichOneof("update") for u in updates]
    assert kinds[0] == "status"
    assert kinds[-1] == "result"
    assert set(kinds[1:-1]) == {"chunk"}
    chunks = [u.chunk for u in updates[1:-1]]
    assert len(chunks) > 4
    streamed: dict[str, str] = {}
    for chunk in chunks:
        streamed[chunk.field] = streamed.get(chunk.field, "") + chunk.text
    assert streamed == {"reasoning": answer["reasoning"], "answer": "Paris"}
    assert [c.field for c in chunks if c.last] == ["reasoning", "answer"]
    assert dict(updates[-1].result.outputs) == answer
    assert dict(unary.outputs) == answer  # the unary call does not stream


async def test_mipro_v2_light() -> None:
    from tests.fakes import FieldEchoLM

    answers = {r["question"]: r["answer"] for r in QA["train"] + QA["dev"]}
    lm = FieldEchoLM(answers)
    req = optimize_request("mipro_v2", {"num_threads": 2, "minibatch_size": 4})
    async with serve_stub(FactoryLMProvider(lambda: lm)) as stub:
        updates = await collect(stub.Execute(req))
        result = updates[-1].result
        assert {"bootstrapping", "trial", "compiled"} <= {
            u.progress.phase for u in updates if u.WhichOneof("update") == "progress"
        }
        assert result.optimization.optimizer == "mipro_v2"
        assert result.optimization.score_after == pytest.approx(100.0)
        assert result.usage.lm_calls > 20  # proposals, bootstraps, trials
        assert result.usage.input_tokens > 0
        predicted = await stub.Predict(
            named_request("qa", {"question": "Who wrote Hamlet?"}, state_json=result.optimization.program_state_json)
        )
    assert predicted.outputs["answer"] == "William Shakespeare"


async def test_two_replicas_serve_any_request(tmp_path: Path) -> None:
    """Stateless workers: a version compiled on one replica runs on the other; a retried optimization on the other
    replica replays the first one's calls from the shared cache directory."""
    settings = Settings(host="127.0.0.1", port=0, workers=4, cache_dir=str(tmp_path))
    provider = FactoryLMProvider(lambda: DummyLM(QA_ANSWERS))
    async with serve_stub(provider, settings) as replica_a, serve_stub(provider, settings) as replica_b:
        compiled = (await collect(replica_a.Execute(optimize_request("bootstrap_few_shot", task_id="opt-r"))))[-1]
        state = compiled.result.optimization.program_state_json
        on_b = await replica_b.Predict(named_request("qa", {"question": "Who wrote Hamlet?"}, state_json=state))
        retried = (await collect(replica_b.Execute(optimize_request("bootstrap_few_shot", task_id="opt-r"))))[-1]
    assert on_b.outputs["answer"] == "William Shakespeare"
    assert retried.result.usage.lm_calls == 0
    assert retried.result.usage.lm_calls_replayed == compiled.result.usage.lm_calls
    assert retried.result.optimization.program_state_json == state
