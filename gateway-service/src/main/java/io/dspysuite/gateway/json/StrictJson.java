package io.dspysuite.gateway.json;

import java.io.IOException;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;

import io.dspysuite.gateway.problem.ApiException;
import io.dspysuite.gateway.problem.ErrorCode;

/**
 * Parses JSON request bodies and WebSocket frames strictly: trailing garbage after the value is an error too, and so
 * is nesting deeper than {@link #MAX_DEPTH}.
 */
@ApplicationScoped
public class StrictJson {

    /**
     * The deepest nesting (objects and arrays) a task body or frame may have. Inputs and examples travel on as protobuf
     * {@code Struct}s, which spend up to three nested messages per JSON level (Struct, map entry, Value), and every
     * protobuf parser on the way (the orchestration service's Kafka consumer, the Python service) stops at 100 nested
     * messages: a deeper task was accepted here and then never ran (dead-lettered, queued forever). 24 levels stay
     * below that limit with the envelope included, far deeper than any real signature's inputs.
     */
    public static final int MAX_DEPTH = 24;

    private final ObjectReader reader;

    public StrictJson(ObjectMapper mapper) {
        ObjectMapper bounded = mapper.copy();
        bounded.getFactory().setStreamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH).build());
        this.reader = bounded.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    }

    public JsonNode parse(byte[] body) {
        if (body == null || body.length == 0) {
            throw new ApiException(ErrorCode.MALFORMED_JSON, "The request body is empty; send the task as JSON");
        }
        try {
            return reader.readTree(body);
        } catch (StreamConstraintsException e) {
            throw tooDeep();
        } catch (IOException e) {
            throw new ApiException(ErrorCode.MALFORMED_JSON, "The request body is not valid JSON");
        }
    }

    /** A WebSocket frame: {@link IOException} if it is not JSON, {@link ApiException} (422) if it is nested too deep. */
    public JsonNode parse(String text) throws IOException {
        try {
            return reader.readTree(text);
        } catch (StreamConstraintsException e) {
            throw tooDeep();
        }
    }

    private static ApiException tooDeep() {
        return ApiException.validation("body", "must not nest objects and arrays deeper than " + MAX_DEPTH + " levels");
    }
}
