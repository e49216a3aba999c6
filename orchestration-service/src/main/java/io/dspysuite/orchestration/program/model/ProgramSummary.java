package io.dspysuite.orchestration.program.model;

import java.time.OffsetDateTime;

import io.dspysuite.protos.dspy.v1.ProgramSpec;

/**
 * A program name as the tenant's registry knows it.
 *
 * @param latestProgram the source of the latest stored version, or {@code null} when none is stored
 * @param latestVersion the highest stored version, or {@code null} when none is stored
 * @param promotedVersion the promoted version, or {@code null} when none was promoted
 */
public record ProgramSummary(String name, Integer latestVersion, Integer promotedVersion, int storedVersions,
        ProgramSpec latestProgram, OffsetDateTime updatedAt) {
}
