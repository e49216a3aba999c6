package io.dspysuite.gateway.task.model;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.dspysuite.protos.dspy.v1.AdHocProgram;
import io.dspysuite.protos.dspy.v1.NamedProgramRef;

/** The program a task runs: described inline, or a program registered by name. */
public sealed interface ProgramSpec {

    /** The stored and returned JSON form (same shape as the request). */
    ObjectNode toJson();

    io.dspysuite.protos.dspy.v1.ProgramSpec toProto();

    /** Reads the stored form written by {@link #toJson()}. */
    static ProgramSpec fromStoredJson(ObjectNode json) {
        if (json.hasNonNull("signature")) {
            return new AdHoc(json.get("signature").asText(),
                    ProgramModule.fromWire(json.path("module").asText()).orElse(ProgramModule.PREDICT),
                    json.hasNonNull("instructions") ? json.get("instructions").asText() : null);
        }
        return new Named(json.path("name").asText(), json.path("version").asText("latest"));
    }

    record AdHoc(String signature, ProgramModule module, String instructions) implements ProgramSpec {

        @Override
        public ObjectNode toJson() {
            ObjectNode json = JsonNodeFactory.instance.objectNode()
                    .put("signature", signature)
                    .put("module", module.wire());
            if (instructions != null) {
                json.put("instructions", instructions);
            }
            return json;
        }

        @Override
        public io.dspysuite.protos.dspy.v1.ProgramSpec toProto() {
            AdHocProgram.Builder adHoc = AdHocProgram.newBuilder().setSignature(signature).setModule(module.wire());
            if (instructions != null) {
                adHoc.setInstructions(instructions);
            }
            return io.dspysuite.protos.dspy.v1.ProgramSpec.newBuilder().setAdHoc(adHoc).build();
        }
    }

    /** {@code version} is "latest" or a positive version number. */
    record Named(String name, String version) implements ProgramSpec {

        @Override
        public ObjectNode toJson() {
            return JsonNodeFactory.instance.objectNode().put("name", name).put("version", version);
        }

        @Override
        public io.dspysuite.protos.dspy.v1.ProgramSpec toProto() {
            return io.dspysuite.protos.dspy.v1.ProgramSpec.newBuilder()
                    .setNamed(NamedProgramRef.newBuilder().setName(name).setVersion(version))
                    .build();
        }
    }
}
