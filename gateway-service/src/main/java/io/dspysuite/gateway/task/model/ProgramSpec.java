package io.dspysuite.gateway.task.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.dspysuite.protos.dspy.v1.AdHocProgram;
import io.dspysuite.protos.dspy.v1.FieldSpec;
import io.dspysuite.protos.dspy.v1.ModuleOptions;
import io.dspysuite.protos.dspy.v1.NamedProgramRef;
import io.dspysuite.protos.dspy.v1.StructuredSignature;

/** The program a task runs: described inline, or a program registered by name. */
public sealed interface ProgramSpec {

    /** The stored and returned JSON form (same shape as the request). */
    ObjectNode toJson();

    io.dspysuite.protos.dspy.v1.ProgramSpec toProto();

    /** Reads the stored form written by {@link #toJson()}. */
    static ProgramSpec fromStoredJson(ObjectNode json) {
        JsonNode signature = json.get("signature");
        if (signature != null && !signature.isNull()) {
            return new AdHoc(signature.isTextual() ? signature.asText() : null,
                    signature.isObject() ? (ObjectNode) signature : null,
                    ProgramModule.fromWire(json.path("module").asText()).orElse(ProgramModule.PREDICT),
                    json.hasNonNull("instructions") ? json.get("instructions").asText() : null,
                    json.get("module_options") instanceof ObjectNode options ? options : null);
        }
        return new Named(json.path("name").asText(), json.path("version").asText("promoted"));
    }

    /**
     * An ad-hoc program: exactly one of {@code signature} (string form) and {@code structuredSignature} (the validated
     * JSON {@code {"inputs":[field...],"outputs":[field...],"instructions"}}, field = {@code {"name","type",
     * "description","enum_values"}}) is set; {@code moduleOptions} ({@code n, tools, max_iters, threshold}) may be null.
     */
    record AdHoc(String signature, ObjectNode structuredSignature, ProgramModule module, String instructions,
            ObjectNode moduleOptions) implements ProgramSpec {

        public AdHoc(String signature, ProgramModule module, String instructions) {
            this(signature, null, module, instructions, null);
        }

        @Override
        public ObjectNode toJson() {
            ObjectNode json = JsonNodeFactory.instance.objectNode();
            if (structuredSignature != null) {
                json.set("signature", structuredSignature);
            } else {
                json.put("signature", signature);
            }
            json.put("module", module.wire());
            if (instructions != null) {
                json.put("instructions", instructions);
            }
            if (moduleOptions != null) {
                json.set("module_options", moduleOptions);
            }
            return json;
        }

        @Override
        public io.dspysuite.protos.dspy.v1.ProgramSpec toProto() {
            AdHocProgram.Builder adHoc = AdHocProgram.newBuilder().setModule(module.wire());
            if (structuredSignature != null) {
                adHoc.setStructuredSignature(structured(structuredSignature));
            } else {
                adHoc.setSignature(signature);
            }
            if (instructions != null) {
                adHoc.setInstructions(instructions);
            }
            if (moduleOptions != null) {
                adHoc.setModuleOptions(options(moduleOptions));
            }
            return io.dspysuite.protos.dspy.v1.ProgramSpec.newBuilder().setAdHoc(adHoc).build();
        }

        private static StructuredSignature structured(ObjectNode json) {
            StructuredSignature.Builder signature = StructuredSignature.newBuilder();
            json.path("inputs").forEach(field -> signature.addInputs(field(field)));
            json.path("outputs").forEach(field -> signature.addOutputs(field(field)));
            if (json.hasNonNull("instructions")) {
                signature.setInstructions(json.get("instructions").asText());
            }
            return signature.build();
        }

        private static FieldSpec field(JsonNode json) {
            FieldSpec.Builder field = FieldSpec.newBuilder().setName(json.path("name").asText());
            if (json.hasNonNull("type")) {
                field.setType(json.get("type").asText());
            }
            if (json.hasNonNull("description")) {
                field.setDescription(json.get("description").asText());
            }
            json.path("enum_values").forEach(value -> field.addEnumValues(value.asText()));
            return field.build();
        }

        private static ModuleOptions options(ObjectNode json) {
            ModuleOptions.Builder options = ModuleOptions.newBuilder();
            if (json.hasNonNull("n")) {
                options.setN(json.get("n").asInt());
            }
            json.path("tools").forEach(tool -> options.addTools(tool.asText()));
            if (json.hasNonNull("max_iters")) {
                options.setMaxIters(json.get("max_iters").asInt());
            }
            if (json.hasNonNull("threshold")) {
                options.setThreshold(json.get("threshold").asDouble());
            }
            return options.build();
        }
    }

    /** {@code version} is "promoted" (the default), "latest" or a positive version number. */
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
