package io.dspysuite.gateway.json;

import java.util.Iterator;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ListValue;
import com.google.protobuf.NullValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;

/**
 * JSON trees to {@code google.protobuf.Struct} and back. Written by hand instead of protobuf-java-util's JsonFormat to
 * avoid its Gson/Guava dependencies and to control numbers: protobuf carries every number as a double, so integral
 * values that fit a double exactly come back as JSON integers (3, not 3.0).
 */
public final class Structs {

    /** Integers up to 2^53 survive a round trip through a double exactly. */
    private static final double MAX_SAFE_INTEGER = 9007199254740992d;

    private Structs() {
    }

    public static Struct toStruct(ObjectNode object) {
        Struct.Builder struct = Struct.newBuilder();
        if (object != null) {
            Iterator<Map.Entry<String, JsonNode>> fields = object.fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> field = fields.next();
                struct.putFields(field.getKey(), toValue(field.getValue()));
            }
        }
        return struct.build();
    }

    public static Value toValue(JsonNode node) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return Value.newBuilder().setNullValue(NullValue.NULL_VALUE).build();
        }
        if (node.isBoolean()) {
            return Value.newBuilder().setBoolValue(node.booleanValue()).build();
        }
        if (node.isNumber()) {
            return Value.newBuilder().setNumberValue(node.doubleValue()).build();
        }
        if (node.isTextual()) {
            return Value.newBuilder().setStringValue(node.textValue()).build();
        }
        if (node.isArray()) {
            ListValue.Builder list = ListValue.newBuilder();
            node.forEach(element -> list.addValues(toValue(element)));
            return Value.newBuilder().setListValue(list).build();
        }
        if (node.isObject()) {
            return Value.newBuilder().setStructValue(toStruct((ObjectNode) node)).build();
        }
        // Binary or POJO nodes never come out of a JSON parser.
        return Value.newBuilder().setStringValue(node.asText()).build();
    }

    public static ObjectNode toJson(Struct struct) {
        ObjectNode object = JsonNodeFactory.instance.objectNode();
        struct.getFieldsMap().forEach((name, value) -> object.set(name, toJson(value)));
        return object;
    }

    public static JsonNode toJson(Value value) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        return switch (value.getKindCase()) {
            case NULL_VALUE, KIND_NOT_SET -> f.nullNode();
            case BOOL_VALUE -> f.booleanNode(value.getBoolValue());
            case STRING_VALUE -> f.textNode(value.getStringValue());
            case NUMBER_VALUE -> number(value.getNumberValue());
            case STRUCT_VALUE -> toJson(value.getStructValue());
            case LIST_VALUE -> {
                ArrayNode array = f.arrayNode();
                value.getListValue().getValuesList().forEach(v -> array.add(toJson(v)));
                yield array;
            }
        };
    }

    private static JsonNode number(double d) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        if (Double.isNaN(d) || Double.isInfinite(d)) {
            return f.nullNode(); // not representable in JSON
        }
        if (d == Math.rint(d) && Math.abs(d) <= MAX_SAFE_INTEGER) {
            return f.numberNode((long) d);
        }
        return f.numberNode(d);
    }
}
