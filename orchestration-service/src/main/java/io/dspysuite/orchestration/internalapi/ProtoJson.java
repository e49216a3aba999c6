package io.dspysuite.orchestration.internalapi;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.util.JsonFormat;

/** Protobuf messages as JSON trees for the internal API: proto field names (snake_case), every field printed. */
public final class ProtoJson {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final JsonFormat.Printer PRINTER = JsonFormat.printer().preservingProtoFieldNames()
            .alwaysPrintFieldsWithNoPresence().omittingInsignificantWhitespace();

    private ProtoJson() {
    }

    public static JsonNode tree(MessageOrBuilder message) {
        try {
            return MAPPER.readTree(PRINTER.print(message));
        } catch (InvalidProtocolBufferException | JsonProcessingException e) {
            throw new IllegalStateException("cannot print " + message.getClass().getSimpleName() + " as JSON", e);
        }
    }

    /** Any JSON text (e.g. a stored DSPy state) as a tree. */
    public static JsonNode parse(String json) {
        try {
            return MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored JSON does not parse", e);
        }
    }

    public static ObjectMapper mapper() {
        return MAPPER;
    }
}
