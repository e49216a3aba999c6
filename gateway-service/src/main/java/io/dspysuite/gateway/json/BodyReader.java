package io.dspysuite.gateway.json;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import io.dspysuite.gateway.problem.ApiException;
import io.dspysuite.gateway.problem.ErrorCode;
import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.mutiny.Uni;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;

/**
 * Reads a request body without blocking, enforcing {@code quarkus.http.limits.max-body-size} itself. Bodies with a
 * Content-Length above the limit never get here ({@code HttpProblemRoutes} answers them); this catches chunked bodies,
 * which Quarkus would otherwise cut off with an empty 413.
 */
@ApplicationScoped
public class BodyReader {

    private final long maxBytes;

    public BodyReader(@ConfigProperty(name = "quarkus.http.limits.max-body-size", defaultValue = "10M") MemorySize max) {
        this.maxBytes = max.asLongValue();
    }

    public Uni<byte[]> read(HttpServerRequest request) {
        if (request.isEnded()) {
            return Uni.createFrom().item(new byte[0]);
        }
        return Uni.createFrom().emitter(emitter -> {
            Buffer body = Buffer.buffer();
            boolean[] failed = { false };
            request.handler(chunk -> {
                if (failed[0]) {
                    return;
                }
                if (body.length() + chunk.length() > maxBytes) {
                    failed[0] = true;
                    // The rest of the body is not read: the connection closes once the 413 is out.
                    request.response().putHeader("Connection", "close");
                    emitter.fail(new ApiException(ErrorCode.PAYLOAD_TOO_LARGE,
                            "The request body exceeds " + maxBytes + " bytes"));
                    return;
                }
                body.appendBuffer(chunk);
            });
            request.exceptionHandler(e -> {
                if (!failed[0]) {
                    failed[0] = true;
                    emitter.fail(e);
                }
            });
            request.endHandler(v -> {
                if (!failed[0]) {
                    emitter.complete(body.getBytes());
                }
            });
            request.resume();
        });
    }
}
