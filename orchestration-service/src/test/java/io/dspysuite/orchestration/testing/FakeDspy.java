package io.dspysuite.orchestration.testing;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import jakarta.inject.Singleton;

import com.google.protobuf.Any;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.rpc.Code;
import com.google.rpc.ErrorInfo;

import io.dspysuite.protos.dspy.v1.ExecuteRequest;
import io.dspysuite.protos.dspy.v1.ExecuteUpdate;
import io.dspysuite.protos.dspy.v1.ProgressUpdate;
import io.dspysuite.protos.dspy.v1.StatusUpdate;
import io.dspysuite.protos.dspy.v1.TokenChunk;
import io.dspysuite.protos.dspy.v1.TaskResult;
import io.dspysuite.protos.dspy.v1.Usage;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;

/**
 * The DSPy service as a scripted test double: per task id, a queue of behaviours consumed one per call (then the
 * default answer), and a record of every call received.
 */
@Singleton
public class FakeDspy {

    public static final String MODEL = "fake-lm";

    /** What the fake does with one call. */
    @FunctionalInterface
    public interface Behaviour {
        Multi<ExecuteUpdate> respond(ExecuteRequest request);
    }

    private final Map<String, Deque<Behaviour>> scripts = new ConcurrentHashMap<>();
    private final Map<String, List<ExecuteRequest>> calls = new ConcurrentHashMap<>();
    private final Map<String, Integer> cancellations = new ConcurrentHashMap<>();

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

    Multi<ExecuteUpdate> execute(ExecuteRequest request) {
        calls.computeIfAbsent(request.getTaskId(), id -> new CopyOnWriteArrayList<>()).add(request);
        Deque<Behaviour> script = scripts.get(request.getTaskId());
        Behaviour next = script == null ? null : script.poll();
        return (next == null ? answer() : next).respond(request)
                .onCancellation().invoke(() -> cancellations.merge(request.getTaskId(), 1, Integer::sum));
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
            return Multi.createFrom().items(
                    ExecuteUpdate.newBuilder().setStatus(StatusUpdate.newBuilder().setPhase("running")).build(),
                    ExecuteUpdate.newBuilder().setResult(result).build());
        };
    }

    /** Answers once {@code gate} completes: holds a job in the executing state for as long as a test needs. */
    public static Behaviour answerWhen(CompletionStage<?> gate) {
        return request -> Uni.createFrom().completionStage(gate)
                .onItem().transformToMulti(ignored -> answer().respond(request));
    }

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

    /** Never answers (until the client cancels): a long-running call. */
    public static Behaviour holdOpen() {
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
