package io.dspysuite.orchestration.program.model;

import java.time.OffsetDateTime;
import java.util.UUID;

import io.dspysuite.protos.dspy.v1.ProgramSpec;
import io.vertx.core.json.JsonObject;

/**
 * One stored version of a tenant's program.
 *
 * @param program the source the DSPy service builds the program from (without state)
 * @param stateJson DSPy's JSON state of the compiled program, or {@code null} for the program as defined
 * @param metadata optimizer, params, metric, dataset hash, scores, demos count, base version, ...
 * @param taskId the optimize task that created it, or {@code null}
 */
public record ProgramVersion(String tenantId, String name, int version, ProgramSpec program, String stateJson,
        JsonObject metadata, UUID taskId, OffsetDateTime createdAt) {
}
