package io.dspysuite.gateway.task.store;

import java.util.regex.Pattern;

import jakarta.enterprise.context.ApplicationScoped;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * jsonb columns travel as text ({@code $n::text::jsonb} in, {@code col::text} out): the SQL shows the conversion and
 * the Vert.x client never guesses how to encode a JSON value.
 */
@ApplicationScoped
public class JsonColumns {

    private final ObjectMapper mapper;

    public JsonColumns(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    /**
     * PostgreSQL's jsonb cannot hold U+0000; an escaped NUL (not preceded by an escaped backslash) becomes U+FFFD
     * instead of failing the insert (a 500 for a submission, a stuck partition for an event).
     */
    private static final Pattern ESCAPED_NUL = Pattern.compile("(?<!\\\\)((?:\\\\\\\\)*)\\\\u0000");

    public String write(JsonNode node) {
        if (node == null) {
            return null;
        }
        try {
            String json = mapper.writeValueAsString(node);
            return json.contains("\\u0000") ? ESCAPED_NUL.matcher(json).replaceAll("$1\\\\ufffd") : json;
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("JSON tree did not serialize", e);
        }
    }

    public ObjectNode readObject(String text) {
        if (text == null) {
            return null;
        }
        try {
            JsonNode node = mapper.readTree(text);
            return node instanceof ObjectNode object ? object : null;
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a jsonb column did not parse", e);
        }
    }
}
