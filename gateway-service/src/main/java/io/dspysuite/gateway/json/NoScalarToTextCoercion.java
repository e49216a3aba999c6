package io.dspysuite.gateway.json;

import jakarta.inject.Singleton;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.type.LogicalType;

import io.quarkus.jackson.ObjectMapperCustomizer;

/**
 * A JSON boolean or number is not a string: Jackson would bind {@code {"id": false}} to the text "false" and create a
 * tenant called "false" (schemathesis: a schema-violating request accepted). Bodies bound to records now fail with
 * 422 VALIDATION_FAILED ("has the wrong type") where the document says string.
 */
@Singleton
public class NoScalarToTextCoercion implements ObjectMapperCustomizer {

    @Override
    public void customize(ObjectMapper mapper) {
        mapper.coercionConfigFor(LogicalType.Textual)
                .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Float, CoercionAction.Fail);
    }
}
