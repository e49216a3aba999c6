package io.dspysuite.gateway.task.rest;

import java.util.ArrayList;
import java.util.List;

import org.eclipse.microprofile.openapi.OASFilter;
import org.eclipse.microprofile.openapi.models.media.Schema;

/**
 * Makes {@code @Schema(nullable = true)} mean "null is a valid value" in the generated OpenAPI 3.1 document.
 * SmallRye OpenAPI writes a nullable reference as {@code {"type": "object", "anyOf": [{"$ref": ...}, {"type": "null"}]}}
 * (and a nullable {@code oneOf} as {@code {"oneOf": [...], "anyOf": [{}, {"type": "null"}]}}): the sibling
 * {@code type}/{@code oneOf} still refuse null, so a response with {@code "error": null} broke its own document
 * (schemathesis response_schema_conformance) and a request with {@code "version": null}, which the server accepts,
 * was documented as invalid. This filter lets null through those siblings as well; nothing else changes.
 * Registered with {@code mp.openapi.filter}.
 */
public class NullableSchemaFilter implements OASFilter {

    @Override
    public Schema filterSchema(Schema schema) {
        List<Schema.SchemaType> declared = schema.getType();
        if (declared != null && declared.contains(Schema.SchemaType.NULL) && schema.getEnumeration() != null
                && !schema.getEnumeration().contains(null)) {
            // A nullable enum ("module": null means the default): null must be one of the values too.
            List<Object> values = new ArrayList<>(schema.getEnumeration());
            values.add(null);
            schema.setEnumeration(values);
        }
        if (!allowsNull(schema.getAnyOf())) {
            return schema;
        }
        List<Schema.SchemaType> types = schema.getType();
        if (types != null && !types.isEmpty() && !types.contains(Schema.SchemaType.NULL)) {
            schema.addType(Schema.SchemaType.NULL);
        }
        List<Schema> oneOf = schema.getOneOf();
        if (oneOf != null && !oneOf.isEmpty() && !allowsNull(oneOf)) {
            List<Schema> withNull = new ArrayList<>(oneOf);
            withNull.add(nullSchema(schema));
            schema.setOneOf(withNull);
        }
        return schema;
    }

    private static boolean allowsNull(List<Schema> alternatives) {
        return alternatives != null && alternatives.stream().anyMatch(NullableSchemaFilter::isNull);
    }

    private static boolean isNull(Schema schema) {
        return schema.getRef() == null && schema.getType() != null
                && schema.getType().equals(List.of(Schema.SchemaType.NULL));
    }

    private static Schema nullSchema(Schema schema) {
        return schema.getAnyOf().stream().filter(NullableSchemaFilter::isNull).findFirst().orElseThrow();
    }
}
