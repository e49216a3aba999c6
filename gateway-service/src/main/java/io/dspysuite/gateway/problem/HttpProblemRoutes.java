package io.dspysuite.gateway.problem;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import io.quarkus.runtime.configuration.MemorySize;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.ForbiddenException;
import io.quarkus.security.UnauthorizedException;
import io.quarkus.vertx.http.runtime.RouteConstants;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * Problem+json for what happens below the REST layer: oversized bodies (rejected before they are read), failures
 * raised by Vert.x routes (security, WebSocket upgrade) and paths that nothing serves.
 */
@ApplicationScoped
public class HttpProblemRoutes {

    private static final Logger LOG = Logger.getLogger(HttpProblemRoutes.class);

    private final ProblemWriter writer;
    private final AllowedMethods allowedMethods;
    private final long maxBodySize;

    public HttpProblemRoutes(ProblemWriter writer, AllowedMethods allowedMethods,
            @ConfigProperty(name = "quarkus.http.limits.max-body-size", defaultValue = "10M") MemorySize maxBodySize) {
        this.writer = writer;
        this.allowedMethods = allowedMethods;
        this.maxBodySize = maxBodySize.asLongValue();
    }

    void install(@Observes Router router) {
        // Just before Quarkus' own limit handler, which would answer an empty 413.
        router.route().order(RouteConstants.ROUTE_ORDER_UPLOAD_LIMIT - 1).handler(this::enforceBodyLimit);
        // First failure handler: the default one would render HTML or a bare status.
        router.route().order(Integer.MIN_VALUE).failureHandler(this::renderFailure);
        // After every real route (REST, static page, /q/*, WebSocket): nothing matched.
        router.route().order(Integer.MAX_VALUE).handler(this::notFound);
    }

    private void enforceBodyLimit(RoutingContext ctx) {
        String length = ctx.request().getHeader(HttpHeaders.CONTENT_LENGTH);
        if (length != null && parse(length) > maxBodySize) {
            // The body will not be read: close an HTTP/1.x connection once the answer is out, as Quarkus does. Not an
            // HTTP/2 one (also one upgraded from h2c): "Connection" is forbidden there, and closing the connection
            // would send GOAWAY, failing the client's other streams and often this 413 too; the stream alone ends.
            if (ctx.request().version() != HttpVersion.HTTP_2) {
                ctx.response().putHeader(HttpHeaders.CONNECTION, "close");
                ctx.response().endHandler(v -> ctx.request().connection().close());
            }
            writer.write(ctx.response(), Problem.of(ErrorCode.PAYLOAD_TOO_LARGE,
                    "The request body exceeds " + maxBodySize + " bytes")).subscribe().with(v -> {
                    }, e -> LOG.debug("writing 413 failed", e));
            return;
        }
        ctx.next();
    }

    private void renderFailure(RoutingContext ctx) {
        if (ctx.response().ended() || ctx.response().headWritten()) {
            return;
        }
        Throwable failure = ctx.failure();
        Problem problem;
        if (failure instanceof ApiException api) {
            problem = api.toProblem();
            if (api.retryAfterSeconds() > 0) {
                ctx.response().putHeader(HttpHeaders.RETRY_AFTER, Long.toString(api.retryAfterSeconds()));
            }
        } else if (failure instanceof AuthenticationFailedException || failure instanceof UnauthorizedException) {
            ctx.response().putHeader("WWW-Authenticate", "Bearer");
            problem = Problem.of(ErrorCode.UNAUTHENTICATED, "A valid API key is required (Authorization: Bearer <key>)");
        } else if (failure instanceof ForbiddenException) {
            problem = Problem.of(ErrorCode.FORBIDDEN, "Not allowed");
        } else if (failure instanceof IllegalArgumentException && isWebSocketUpgrade(ctx)) {
            // Quarkus rejects a malformed "quarkus-http-upgrade#..." subprotocol this way: the client's mistake.
            problem = Problem.of(ErrorCode.BAD_REQUEST, "Malformed WebSocket subprotocol header");
        } else {
            int status = ctx.statusCode() >= 400 ? ctx.statusCode() : 500;
            if (status >= 500) {
                LOG.error("request failed: " + ctx.request().method() + " " + ctx.request().path(), failure);
            }
            problem = Problem.ofStatus(status, ProblemExceptionMappers.detailFor(status));
            if (status == 405) {
                // E.g. TRACE, refused by Quarkus before any resource: RFC 9110 requires the Allow header.
                allowedMethods.allow(ctx.request().path())
                        .ifPresent(allow -> ctx.response().putHeader(HttpHeaders.ALLOW, allow));
            }
        }
        writer.write(ctx.response(), problem).subscribe().with(v -> {
        }, e -> LOG.debug("writing problem failed", e));
    }

    private void notFound(RoutingContext ctx) {
        writer.write(ctx.response(), Problem.of(ErrorCode.NOT_FOUND, "No such resource")).subscribe().with(v -> {
        }, e -> LOG.debug("writing 404 failed", e));
    }

    private static boolean isWebSocketUpgrade(RoutingContext ctx) {
        return "websocket".equalsIgnoreCase(ctx.request().getHeader(HttpHeaders.UPGRADE));
    }

    private static long parse(String length) {
        try {
            return Long.parseLong(length.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
