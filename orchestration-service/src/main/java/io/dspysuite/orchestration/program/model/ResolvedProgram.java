package io.dspysuite.orchestration.program.model;

import io.dspysuite.protos.dspy.v1.ProgramSpec;

/**
 * The program an attempt runs, as resolved from the registry.
 *
 * @param spec what the DSPy service receives: the version's source with its {@code program_state_json}
 * @param name the program's name, or {@code null} for an ad-hoc program
 * @param version the resolved version (1 = the program as defined), 0 for an ad-hoc program
 */
public record ResolvedProgram(ProgramSpec spec, String name, int version) {

    /** The source without state: what a new version of this program is built from. */
    public ProgramSpec source() {
        return spec.toBuilder().clearProgramStateJson().build();
    }

    public boolean adHoc() {
        return spec.hasAdHoc();
    }
}
