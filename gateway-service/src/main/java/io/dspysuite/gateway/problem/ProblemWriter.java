package io.dspysuite.gateway.problem;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.core.Response;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;

/**
 * Renders problems with the application's JSON mapper (snake_case), for both the JAX-RS layer and the plain Vert.x
 * routes (authentication challenges, body limit, router failures), so every error looks the same.
 */
@ApplicationScoped
public class ProblemWriter {

    private final ObjectMapper mapper;

    public ProblemWriter(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    public String toJson(Problem problem) {
        try {
            return mapper.writeValueAsString(problem);
        } catch (JsonProcessingException e) {
            // A record of strings and numbers always serializes; keep a valid body even if it did not.
            return "{\"status\":" + problem.status() + ",\"code\":\"" + problem.code() + "\"}";
        }
    }

    public Response toResponse(Problem problem) {
        return Response.status(problem.status())
                .type(Problem.MEDIA_TYPE)
                .entity(toJson(problem))
                .build();
    }

    /** Ends a Vert.x response with the problem; completes when the body is written. */
    public Uni<Void> write(HttpServerResponse response, Problem problem) {
        if (response.ended()) {
            return Uni.createFrom().voidItem();
        }
        response.setStatusCode(problem.status());
        response.putHeader(HttpHeaders.CONTENT_TYPE, Problem.MEDIA_TYPE);
        response.putHeader(HttpHeaders.CACHE_CONTROL, "no-store");
        return Uni.createFrom().completionStage(() -> response.end(toJson(problem)).toCompletionStage());
    }
}
