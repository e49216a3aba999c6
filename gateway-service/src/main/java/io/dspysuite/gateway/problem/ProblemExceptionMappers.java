package io.dspysuite.gateway.problem;

import java.util.List;

import jakarta.validation.ConstraintViolationException;
import jakarta.ws.rs.NotAllowedException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;

import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;

import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.ForbiddenException;
import io.quarkus.security.UnauthorizedException;
import io.vertx.core.http.HttpServerRequest;

/**
 * Maps every exception that reaches the REST layer to {@code application/problem+json}: no endpoint answers an HTML
 * page, an empty error or a stack trace.
 */
public class ProblemExceptionMappers {

    private static final Logger LOG = Logger.getLogger(ProblemExceptionMappers.class);

    private final ProblemWriter writer;
    private final AllowedMethods allowedMethods;

    public ProblemExceptionMappers(ProblemWriter writer, AllowedMethods allowedMethods) {
        this.writer = writer;
        this.allowedMethods = allowedMethods;
    }

    @ServerExceptionMapper
    public Response api(ApiException e) {
        Response response = writer.toResponse(e.toProblem());
        if (e.retryAfterSeconds() > 0) {
            return Response.fromResponse(response).header(HttpHeaders.RETRY_AFTER, e.retryAfterSeconds()).build();
        }
        return response;
    }

    @ServerExceptionMapper
    public Response webApplication(WebApplicationException e, HttpServerRequest request) {
        Response original = e.getResponse();
        int status = original == null ? 500 : original.getStatus();
        if (status >= 500) {
            LOG.error("request failed", e);
        }
        Throwable cause = e.getCause();
        if (cause instanceof JsonProcessingException json) {
            return json(json);
        }
        Response.ResponseBuilder response = Response.fromResponse(writer.toResponse(Problem.ofStatus(status, detailFor(status))));
        if (e instanceof NotAllowedException) {
            // RESTEasy Reactive's 405 carries no Allow header, which RFC 9110 requires: name the path's methods.
            String allow = original == null ? null : original.getHeaderString(HttpHeaders.ALLOW);
            if (allow == null) {
                allow = allowedMethods.allow(request.path()).orElse(null);
            }
            if (allow != null) {
                response.header(HttpHeaders.ALLOW, allow);
            }
        }
        return response.build();
    }

    /**
     * A body of the wrong shape ({@code []}, a string, a number where a string belongs). Mapped explicitly: Quarkus'
     * own mapper for exactly this type would otherwise win over {@link #json} (the closest type wins) and answer a
     * bare 400 without a body (found by schemathesis on the admin API).
     */
    @ServerExceptionMapper
    public Response mismatchedInput(MismatchedInputException e) {
        return json(e);
    }

    /** Only reached by endpoints that let Jackson bind the body (the task endpoints parse it themselves). */
    @ServerExceptionMapper
    public Response json(JsonProcessingException e) {
        if (e instanceof MismatchedInputException mismatch) {
            String field = mismatch.getPath().stream()
                    .map(ref -> ref.getFieldName() != null ? ref.getFieldName() : "[" + ref.getIndex() + "]")
                    .reduce((a, b) -> b.startsWith("[") ? a + b : a + "." + b)
                    .orElse("body");
            return writer.toResponse(ApiException.validation(field, "has the wrong type").toProblem());
        }
        return writer.toResponse(Problem.of(ErrorCode.MALFORMED_JSON, "The request body is not valid JSON"));
    }

    @ServerExceptionMapper
    public Response constraintViolation(ConstraintViolationException e) {
        List<Violation> violations = e.getConstraintViolations().stream()
                .map(v -> new Violation(field(v.getPropertyPath()), v.getMessage()))
                .toList();
        return writer.toResponse(ApiException.validation(violations).toProblem());
    }

    /**
     * The wire name of a Bean Validation path: {@code createTenant.request.id} is the body's {@code id}; the method and
     * parameter nodes are Java, not the client's business. A constraint on the whole body is {@code body}.
     */
    static String field(jakarta.validation.Path path) {
        List<String> names = new java.util.ArrayList<>();
        for (jakarta.validation.Path.Node node : path) {
            switch (node.getKind()) {
                case METHOD, CONSTRUCTOR, PARAMETER, RETURN_VALUE, CROSS_PARAMETER -> {
                }
                default -> {
                    if (node.getName() != null) {
                        names.add(node.getName().replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(java.util.Locale.ROOT));
                    }
                }
            }
        }
        return names.isEmpty() ? "body" : String.join(".", names);
    }

    @ServerExceptionMapper({ UnauthorizedException.class, AuthenticationFailedException.class })
    public Response unauthenticated(RuntimeException e) {
        return Response.fromResponse(writer.toResponse(
                Problem.of(ErrorCode.UNAUTHENTICATED, "A valid API key is required (Authorization: Bearer <key>)")))
                .header(HttpHeaders.WWW_AUTHENTICATE, "Bearer")
                .build();
    }

    @ServerExceptionMapper
    public Response forbidden(ForbiddenException e) {
        return writer.toResponse(Problem.of(ErrorCode.FORBIDDEN, "Not allowed"));
    }

    /**
     * PostgreSQL refused a value of the request itself (SQLSTATE class 22, data exception: e.g. a NUL character, which
     * text columns cannot hold, found by schemathesis as a 500): the client's input, so 422, not an internal error.
     */
    @ServerExceptionMapper
    public Response databaseRefusedValue(io.vertx.pgclient.PgException e) {
        if (e.getSqlState() == null || !e.getSqlState().startsWith("22")) {
            return unexpected(e);
        }
        LOG.infof("request refused by the database as data exception %s", e.getSqlState());
        return writer.toResponse(ApiException.validation("body",
                "contains a value that cannot be stored (e.g. a NUL character or an out-of-range number)").toProblem());
    }

    @ServerExceptionMapper
    public Response unexpected(Throwable e) {
        LOG.error("unexpected failure", e);
        return writer.toResponse(Problem.of(ErrorCode.INTERNAL, "An unexpected error occurred"));
    }

    static String detailFor(int status) {
        return switch (status) {
            case 404 -> "No such resource";
            case 405 -> "This method is not allowed on this resource";
            case 406 -> "No acceptable representation; this API produces application/json";
            case 415 -> "Unsupported Content-Type; send application/json";
            case 413 -> "The request body is too large";
            default -> status >= 500 ? "An unexpected error occurred" : "The request was not understood";
        };
    }
}
