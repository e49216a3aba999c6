package io.dspysuite.gateway.json;

import java.io.IOException;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;

import io.dspysuite.gateway.problem.ApiException;
import io.dspysuite.gateway.problem.ErrorCode;

/** Parses JSON request bodies and WebSocket frames strictly: trailing garbage after the value is an error too. */
@ApplicationScoped
public class StrictJson {

    private final ObjectReader reader;

    public StrictJson(ObjectMapper mapper) {
        this.reader = mapper.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    }

    public JsonNode parse(byte[] body) {
        if (body == null || body.length == 0) {
            throw new ApiException(ErrorCode.MALFORMED_JSON, "The request body is empty; send the task as JSON");
        }
        try {
            return reader.readTree(body);
        } catch (IOException e) {
            throw new ApiException(ErrorCode.MALFORMED_JSON, "The request body is not valid JSON");
        }
    }

    public JsonNode parse(String text) throws IOException {
        return reader.readTree(text);
    }
}
