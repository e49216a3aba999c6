package io.dspysuite.orchestration.testing;

import java.time.Instant;
import java.util.UUID;

import com.google.protobuf.Struct;
import com.google.protobuf.Timestamp;
import com.google.protobuf.Value;

import io.dspysuite.protos.dspy.v1.AdHocProgram;
import io.dspysuite.protos.dspy.v1.ProgramSpec;
import io.dspysuite.protos.dspy.v1.TaskKind;
import io.dspysuite.protos.events.v1.TaskRequested;

/** Task requests as the gateway publishes them, each with a fresh task id. */
public final class TaskRequests {

    public static final String TENANT = "tenant-test";

    private TaskRequests() {
    }

    public static TaskRequested predict(String question) {
        return builder(TaskKind.TASK_KIND_PREDICT, question).build();
    }

    /** An optimize task gets a target program name (an ad-hoc program cannot be optimized without one). */
    public static TaskRequested.Builder builder(TaskKind kind, String question) {
        Instant now = Instant.now();
        return TaskRequested.newBuilder()
                .setTargetProgram(kind == TaskKind.TASK_KIND_OPTIMIZE ? "test-program" : "")
                .setTaskId(UUID.randomUUID().toString())
                .setTenantId(TENANT)
                .setKind(kind)
                .setProgram(ProgramSpec.newBuilder()
                        .setAdHoc(AdHocProgram.newBuilder().setSignature("question -> answer").setModule("predict")
                                // Prompt text with the marker the end-to-end log scan looks for (no log may hold it).
                                .setInstructions("Answer briefly. (canary-prompt-5d1f)")))
                .setInputs(Struct.newBuilder().putFields("question", Value.newBuilder().setStringValue(question).build()))
                .setOptions(Struct.newBuilder().putFields("temperature", Value.newBuilder().setNumberValue(0).build()))
                .setRequestedAt(Timestamp.newBuilder().setSeconds(now.getEpochSecond()).setNanos(now.getNano()));
    }
}
