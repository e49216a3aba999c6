package io.dspysuite.orchestration.testing;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.inject.Singleton;

import com.google.protobuf.Any;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.rpc.Code;
import com.google.rpc.ErrorInfo;

import io.dspysuite.protos.dspy.v1.Catalog;
import io.dspysuite.protos.dspy.v1.EvaluationResult;
import io.dspysuite.protos.dspy.v1.ExampleOutcome;
import io.dspysuite.protos.dspy.v1.ExecuteRequest;
import io.dspysuite.protos.dspy.v1.FieldSpec;
import io.dspysuite.protos.dspy.v1.MetricInfo;
import io.dspysuite.protos.dspy.v1.ModelInfo;
import io.dspysuite.protos.dspy.v1.ModuleInfo;
import io.dspysuite.protos.dspy.v1.NamedProgramInfo;
import io.dspysuite.protos.dspy.v1.OptimizationResult;
import io.dspysuite.protos.dspy.v1.ExecuteUpdate;
import io.dspysuite.protos.dspy.v1.ProgressUpdate;
import io.dspysuite.protos.dspy.v1.StatusUpdate;
import io.dspysuite.protos.dspy.v1.TokenChunk;
import io.dspysuite.protos.dspy.v1.TaskKind;
import io.dspysuite.protos.dspy.v1.TaskResult;
import io.dspysuite.protos.dspy.v1.ToolCall;
import io.dspysuite.protos.dspy.v1.ToolInfo;
import io.dspysuite.protos.dspy.v1.ToolResult;
import io.dspysuite.protos.dspy.v1.Usage;
import io.dspysuite.protos.dspy.v1.ExecuteClientMessage;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.operators.multi.processors.UnicastProcessor;

/**
 * The DSPy service as a scripted test double: per task id, a queue of behaviours consumed one per call (then the
 * default answer), and a record of every call received.
 */
@Singleton
public class FakeDspy {

    public static final String MODEL = "fake-lm";

    /** Something that happened to an Execute call of a task, as the fake saw it. */
    public record CallEvent(Kind kind, int attempt, Instant at) {

        public enum Kind {
            /** The call arrived. */
            CALLED,
            /** The client cancelled it before it ended. */
            CANCELLED
        }
    }

    /** What the fake does with one call. */
    @FunctionalInterface
    public interface Behaviour {
        Multi<ExecuteUpdate> respond(ExecuteRequest request);
    }

    /**
     * What the fake does with one ExecuteInteractive call: {@code results} are the ToolResults the client sends after
     * its start message, in arrival order.
     */
    @FunctionalInterface
    public interface InteractiveBehaviour {
        Multi<ExecuteUpdate> respond(ExecuteRequest start, Multi<ToolResult> results);
    }

    private final Map<String, Deque<Behaviour>> scripts = new ConcurrentHashMap<>();
    private final Map<String, InteractiveBehaviour> interactiveScripts = new ConcurrentHashMap<>();
    private final Map<String, List<ExecuteRequest>> interactiveCalls = new ConcurrentHashMap<>();
    private final Map<String, List<ToolResult>> toolResults = new ConcurrentHashMap<>();
    private final Map<String, Boolean> halfClosed = new ConcurrentHashMap<>();
    private final Map<String, List<ExecuteRequest>> calls = new ConcurrentHashMap<>();
    private final Map<String, Integer> cancellations = new ConcurrentHashMap<>();
    private final Map<String, List<CallEvent>> history = new ConcurrentHashMap<>();
    private final AtomicInteger catalogCalls = new AtomicInteger();
    private volatile boolean catalogFails;

    /** What the fake's GetCatalog answers: one module, one metric, one registered program ("qa"). */
    public static final Catalog CATALOG = Catalog.newBuilder()
            .addModules(ModuleInfo.newBuilder().setName("predict").setDescription("dspy.Predict"))
            .addMetrics(MetricInfo.newBuilder().setName("exact_match"))
            .addPrograms(NamedProgramInfo.newBuilder().setName("qa").setDescription("question answering")
                    .setModule("chain_of_thought").setDefaultMetric("exact_match")
                    .addInputs(FieldSpec.newBuilder().setName("question").setType("str"))
                    .addOutputs(FieldSpec.newBuilder().setName("reasoning").setType("str"))
                    .addOutputs(FieldSpec.newBuilder().setName("answer").setType("str")))
            .addTools(ToolInfo.newBuilder().setName("calculator").setDescription("arithmetic"))
            .addModels(ModelInfo.newBuilder().setName(MODEL).setIsDefault(true))
            .addFieldTypes("str")
            .setServiceVersion("fake")
            .build();

    /** How many GetCatalog calls reached the fake. */
    public int catalogCalls() {
        return catalogCalls.get();
    }

    /** Makes GetCatalog fail with UNAVAILABLE (true) or answer again (false). */
    public void failCatalog(boolean fail) {
        catalogFails = fail;
    }

    Uni<Catalog> catalog() {
        catalogCalls.incrementAndGet();
        return catalogFails
                ? Uni.createFrom().failure(Status.UNAVAILABLE.withDescription("fake catalog down").asRuntimeException())
                : Uni.createFrom().item(CATALOG);
    }

    public void script(String taskId, Behaviour... behaviours) {
        scripts.put(taskId, new ArrayDeque<>(List.of(behaviours)));
    }

    public List<ExecuteRequest> calls(String taskId) {
        return List.copyOf(calls.getOrDefault(taskId, List.of()));
    }

    /** Calls of the task that the client abandoned (cancelled) before they ended. */
    public int cancellations(String taskId) {
        return cancellations.getOrDefault(taskId, 0);
    }

    /** The task's Execute calls arriving and being cancelled, in the order the fake saw them. */
    public List<CallEvent> history(String taskId) {
        return List.copyOf(history.getOrDefault(taskId, List.of()));
    }

    Multi<ExecuteUpdate> execute(ExecuteRequest request) {
        calls.computeIfAbsent(request.getTaskId(), id -> new CopyOnWriteArrayList<>()).add(request);
        record(request, CallEvent.Kind.CALLED);
        Deque<Behaviour> script = scripts.get(request.getTaskId());
        Behaviour next = script == null ? null : script.poll();
        return (next == null ? answer() : next).respond(request)
                .onCancellation().invoke(() -> {
                    record(request, CallEvent.Kind.CANCELLED);
                    cancellations.merge(request.getTaskId(), 1, Integer::sum);
                });
    }

    private void record(ExecuteRequest request, CallEvent.Kind kind) {
        history.computeIfAbsent(request.getTaskId(), id -> new CopyOnWriteArrayList<>())
                .add(new CallEvent(kind, request.getAttempt(), Instant.now()));
    }

    public void scriptInteractive(String taskId, InteractiveBehaviour behaviour) {
        interactiveScripts.put(taskId, behaviour);
    }

    /** The start messages of the task's ExecuteInteractive calls. */
    public List<ExecuteRequest> interactiveCalls(String taskId) {
        return List.copyOf(interactiveCalls.getOrDefault(taskId, List.of()));
    }

    /** The ToolResults the client sent for the task, in arrival order. */
    public List<ToolResult> toolResults(String taskId) {
        return List.copyOf(toolResults.getOrDefault(taskId, List.of()));
    }

    /** Whether the client half-closed its side of the task's ExecuteInteractive call. */
    public boolean halfClosed(String taskId) {
        return halfClosed.getOrDefault(taskId, false);
    }

    /**
     * The server side of ExecuteInteractive: the first client message must be the start (else the call fails like the
     * Python service's INVALID_INPUTS), the following ones are the tool results handed to the task's behaviour.
     */
    Multi<ExecuteUpdate> executeInteractive(Multi<ExecuteClientMessage> messages) {
        CompletableFuture<ExecuteRequest> start = new CompletableFuture<>();
        UnicastProcessor<ToolResult> results = UnicastProcessor.create();
        String[] taskId = new String[1];
        messages.subscribe().with(message -> {
            if (!start.isDone()) {
                if (message.hasStart()) {
                    taskId[0] = message.getStart().getTaskId();
                    start.complete(message.getStart());
                } else {
                    start.completeExceptionally(Status.INVALID_ARGUMENT
                            .withDescription("the first message must be start").asRuntimeException());
                }
            } else if (message.hasToolResult()) {
                toolResults.computeIfAbsent(taskId[0], id -> new CopyOnWriteArrayList<>()).add(message.getToolResult());
                results.onNext(message.getToolResult());
            }
        }, failure -> results.onError(failure), () -> {
            if (taskId[0] != null) {
                halfClosed.put(taskId[0], true);
            }
            results.onComplete();
        });
        return Uni.createFrom().completionStage(start).onItem().transformToMulti(request -> {
            interactiveCalls.computeIfAbsent(request.getTaskId(), id -> new CopyOnWriteArrayList<>()).add(request);
            InteractiveBehaviour behaviour = interactiveScripts.get(request.getTaskId());
            return (behaviour == null ? callTools() : behaviour).respond(request, results)
                    .onCancellation().invoke(() -> cancellations.merge(request.getTaskId(), 1, Integer::sum));
        });
    }

    /**
     * Like a ReAct run: a status, then the tool calls one after the other (each sent once the previous one was
     * answered), then a result whose "answer" lists the observations ("call_id: output" or "call_id: error CODE:
     * message"). The stream ends only when the client half-closes its side, as the contract asks it to after the
     * result: a client that does not would leave the task hanging.
     */
    public static InteractiveBehaviour callTools(ToolCall... calls) {
        return (start, results) -> Multi.createFrom().emitter(emitter -> {
            List<String> observations = new CopyOnWriteArrayList<>();
            AtomicInteger next = new AtomicInteger();
            emitter.emit(ExecuteUpdate.newBuilder().setStatus(StatusUpdate.newBuilder().setPhase("running")).build());
            Runnable finish = () -> emitter.emit(ExecuteUpdate.newBuilder().setResult(TaskResult.newBuilder()
                    .setOutputs(Struct.newBuilder().putFields("answer", Value.newBuilder()
                            .setStringValue(String.join("\n", observations)).build()))
                    .setUsage(Usage.newBuilder().setLmCalls(calls.length + 1)).setModel(MODEL)).build());
            results.subscribe().with(result -> {
                observations.add(result.getCallId() + ": " + (result.hasError()
                        ? "error " + result.getError().getCode() + ": " + result.getError().getMessage()
                        : result.getOutput()));
                int i = next.incrementAndGet();
                if (i < calls.length) {
                    emitter.emit(ExecuteUpdate.newBuilder().setToolCall(calls[i]).build());
                } else {
                    finish.run();
                }
            }, emitter::fail, emitter::complete);
            if (calls.length == 0) {
                finish.run();
            } else {
                emitter.emit(ExecuteUpdate.newBuilder().setToolCall(calls[0]).build());
            }
        });
    }

    /** An Execute behaviour on the interactive call, ignoring tool results (e.g. {@link #failWith}, {@link #holdOpen}). */
    public static InteractiveBehaviour ignoringTools(Behaviour behaviour) {
        return (start, results) -> behaviour.respond(start);
    }

    /** Sends one tool call, takes its answer, then never ends (until the client cancels). */
    public static InteractiveBehaviour callToolThenHold(ToolCall call) {
        return (start, results) -> Multi.createFrom().emitter(emitter -> {
            results.subscribe().with(result -> {
            }, failure -> {
            });
            emitter.emit(ExecuteUpdate.newBuilder().setToolCall(call).build());
        });
    }

    /** A status update, then a result whose answer echoes the question. */
    public static Behaviour answer() {
        return request -> {
            String question = request.getInputs().getFieldsOrDefault("question", Value.getDefaultInstance())
                    .getStringValue();
            TaskResult result = TaskResult.newBuilder()
                    .setOutputs(Struct.newBuilder()
                            .putFields("answer", Value.newBuilder().setStringValue("echo: " + question).build()))
                    .setUsage(Usage.newBuilder().setInputTokens(11).setOutputTokens(7).setLmCalls(1))
                    .setModel(MODEL)
                    .build();
            if (request.getKind() == TaskKind.TASK_KIND_OPTIMIZE) {
                // Like the Python service: an optimization answers with the compiled program.
                result = result.toBuilder().setOptimization(OptimizationResult.newBuilder()
                        .setProgramStateJson("{}").setOptimizer(request.getOptimize().getOptimizer())).build();
            }
            return Multi.createFrom().items(
                    ExecuteUpdate.newBuilder().setStatus(StatusUpdate.newBuilder().setPhase("running")).build(),
                    ExecuteUpdate.newBuilder().setResult(result).build());
        };
    }

    /**
     * Announces itself (a status update, as the Python service does when a program starts), then answers once
     * {@code gate} completes: holds a job in the executing state for as long as a test needs.
     */
    public static Behaviour answerWhen(CompletionStage<?> gate) {
        return request -> Multi.createBy().concatenating().streams(Multi.createFrom().item(RUNNING),
                Uni.createFrom().completionStage(gate)
                        .onItem().transformToMulti(ignored -> answer().respond(request))
                        .filter(update -> !update.hasStatus()));
    }

    private static final ExecuteUpdate RUNNING = ExecuteUpdate.newBuilder()
            .setStatus(StatusUpdate.newBuilder().setPhase("running")).build();

    /**
     * {@code steps} progress updates (fraction i/steps), each followed by {@code chunksPerStep} token chunks of the
     * "answer" field ("c0", "c1", ...), then the default answer: a stream like an LM's, to exercise ordering.
     */
    public static Behaviour progressThenAnswer(int steps, int chunksPerStep) {
        return request -> {
            java.util.List<ExecuteUpdate> updates = new java.util.ArrayList<>();
            int chunk = 0;
            for (int i = 1; i <= steps; i++) {
                updates.add(ExecuteUpdate.newBuilder().setProgress(ProgressUpdate.newBuilder()
                        .setFraction((double) i / steps).setPhase("trial").setStep(i).setTotal(steps)).build());
                for (int c = 0; c < chunksPerStep; c++) {
                    updates.add(ExecuteUpdate.newBuilder()
                            .setChunk(TokenChunk.newBuilder().setField("answer").setText("c" + chunk++)).build());
                }
            }
            return Multi.createFrom().iterable(updates).onCompletion().switchTo(answer().respond(request));
        };
    }

    /**
     * An evaluation as the Python service runs one: an "evaluating" progress update per devset example (step/total,
     * running score), then a result with the score and per-example outcomes.
     */
    public static Behaviour evaluate(double score) {
        return request -> {
            int total = request.getEvaluate().getDevsetCount();
            java.util.List<ExecuteUpdate> updates = new java.util.ArrayList<>();
            EvaluationResult.Builder evaluation = EvaluationResult.newBuilder().setScore(score)
                    .setMetric(request.getEvaluate().getMetric()).setTotal(total);
            for (int i = 1; i <= total; i++) {
                updates.add(ExecuteUpdate.newBuilder().setProgress(ProgressUpdate.newBuilder()
                        .setFraction((double) i / total).setPhase("evaluating").setStep(i).setTotal(total)
                        .setCurrentScore(score)).build());
                evaluation.addOutcomes(ExampleOutcome.newBuilder().setIndex(i - 1).setScore(score / 100)
                        .setOutputs(Struct.newBuilder().putFields("answer", Value.newBuilder()
                                .setStringValue("a" + i).build())));
            }
            updates.add(ExecuteUpdate.newBuilder().setResult(TaskResult.newBuilder().setModel(MODEL)
                    .setUsage(Usage.newBuilder().setLmCalls(total)).setEvaluation(evaluation)).build());
            return Multi.createFrom().iterable(updates);
        };
    }

    /**
     * An optimization: "compiling", a "trial" with scores, "compiled", then a result whose compiled program has the
     * DSPy JSON state {@code state}.
     */
    public static Behaviour optimize(String state) {
        return request -> {
            ProgressUpdate.Builder trial = ProgressUpdate.newBuilder().setFraction(0.5).setPhase("trial").setStep(1)
                    .setTotal(2).setCurrentScore(75).setBestScore(75);
            OptimizationResult optimization = OptimizationResult.newBuilder().setProgramStateJson(state)
                    .setOptimizer(request.getOptimize().getOptimizer()).setMetric(request.getOptimize().getMetric())
                    .setParams(request.getOptimize().getParams()).setScoreBefore(50).setScoreAfter(75)
                    .setDatasetHash("sha256:feed").setDemosCount(2)
                    .setTrainsetSize(request.getOptimize().getTrainsetCount())
                    .setDevsetSize(request.getOptimize().getDevsetCount()).setCompileSeconds(0.25).build();
            return Multi.createFrom().items(
                    ExecuteUpdate.newBuilder().setProgress(ProgressUpdate.newBuilder().setPhase("compiling")).build(),
                    ExecuteUpdate.newBuilder().setProgress(trial).build(),
                    ExecuteUpdate.newBuilder().setProgress(ProgressUpdate.newBuilder().setFraction(1)
                            .setPhase("compiled")).build(),
                    ExecuteUpdate.newBuilder().setResult(TaskResult.newBuilder().setModel(MODEL)
                            .setUsage(Usage.newBuilder().setLmCalls(6)).setOptimization(optimization)).build());
        };
    }

    /** Announces itself, then never answers (until the client cancels): a long-running program. */
    public static Behaviour holdOpen() {
        return request -> Multi.createFrom().emitter(emitter -> emitter.emit(RUNNING));
    }

    /** Never sends anything (until the client cancels): a stopped or hung service process. */
    public static Behaviour silent() {
        return request -> Multi.createFrom().emitter(emitter -> {
        });
    }

    /** Fails the way the Python service does: a status with a google.rpc.ErrorInfo detail. */
    public static Behaviour failWith(Code code, String reason, boolean retryable) {
        return request -> {
            ErrorInfo info = ErrorInfo.newBuilder()
                    .setReason(reason)
                    .setDomain("dspy.dspysuite.io")
                    .putMetadata("retryable", Boolean.toString(retryable))
                    .build();
            com.google.rpc.Status status = com.google.rpc.Status.newBuilder()
                    .setCode(code.getNumber())
                    .setMessage("fake " + reason)
                    .addDetails(Any.pack(info))
                    .build();
            return Multi.createFrom().failure(StatusProto.toStatusRuntimeException(status));
        };
    }

    /** Fails with a bare status, as the transport does when the service cannot be reached. */
    public static Behaviour failBare(Status status) {
        return request -> Multi.createFrom().failure(status.asRuntimeException());
    }
}
