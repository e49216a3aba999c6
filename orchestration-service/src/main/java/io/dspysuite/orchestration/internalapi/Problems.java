package io.dspysuite.orchestration.internalapi;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import jakarta.ws.rs.core.Response;

import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import io.dspysuite.orchestration.catalog.service.CatalogCache.CatalogUnavailableException;

/**
 * RFC 9457 problem documents of the internal API ({@code application/problem+json}): {@code type}
 * ({@code urn:dspysuite:problem:<code>}), {@code title}, {@code status}, {@code detail} and the stable {@code code}.
 */
public final class Problems {

    public static final String MEDIA_TYPE = "application/problem+json";

    public static Response response(int status, String code, String detail) {
        Map<String, Object> problem = new LinkedHashMap<>();
        problem.put("type", "urn:dspysuite:problem:" + code.toLowerCase(Locale.ROOT).replace('_', '-'));
        problem.put("title", title(status));
        problem.put("status", status);
        problem.put("detail", detail);
        problem.put("code", code);
        try {
            return Response.status(status).type(MEDIA_TYPE)
                    .entity(ProtoJson.mapper().writeValueAsString(problem)).build();
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    @ServerExceptionMapper
    public Response map(InternalApiException e) {
        return response(e.status(), e.code(), e.getMessage());
    }

    @ServerExceptionMapper
    public Response map(CatalogUnavailableException e) {
        return response(503, "CATALOG_UNAVAILABLE", "the DSPy service's catalog is unavailable; try again shortly");
    }

    private static String title(int status) {
        return switch (status) {
            case 400 -> "Bad request";
            case 401 -> "Unauthorized";
            case 404 -> "Not found";
            case 503 -> "Service unavailable";
            default -> Response.Status.fromStatusCode(status) == null ? "Error"
                    : Response.Status.fromStatusCode(status).getReasonPhrase();
        };
    }
}
