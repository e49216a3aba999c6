package io.dspysuite.gateway.task.ws;

import java.util.UUID;

import org.jboss.logging.Logger;

import io.dspysuite.gateway.auth.ApiKeyIdentityProvider;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.quarkus.security.Authenticated;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.websockets.next.OnBinaryMessage;
import io.quarkus.websockets.next.OnClose;
import io.quarkus.websockets.next.OnError;
import io.quarkus.websockets.next.OnOpen;
import io.quarkus.websockets.next.OnTextMessage;
import io.quarkus.websockets.next.UserData;
import io.quarkus.websockets.next.WebSocket;
import io.quarkus.websockets.next.WebSocketConnection;
import io.smallrye.mutiny.Uni;
import io.vertx.core.buffer.Buffer;

/**
 * {@code /ws/v1}: JSON text frames (see {@link TaskSocketHandler} and {@link Frames}). The upgrade is authenticated
 * like any API call (the path policy and {@code @Authenticated}); the tenant is fixed for the connection's life. A
 * connection whose key is revoked later is closed with 4401 within {@code dspy-suite.ws.key-check-interval}.
 * Every callback returns a {@link Uni}, so all of them run on the event loop and never block it.
 * <p>
 * Hostile input never counts as a server failure: a binary frame earns an error frame like any other bad frame, and
 * a message over the 1 MiB limit closes the connection with 1009 (message too big) and one INFO line, not 1011 and an
 * ERROR with a stack trace (see {@link ProtocolViolations}).
 */
@Authenticated
@WebSocket(path = "/ws/v1")
public class TaskSocket {

    private static final Logger LOG = Logger.getLogger(TaskSocket.class);
    private static final UserData.TypedKey<SocketSession> SESSION = new UserData.TypedKey<>("dspy-suite.session");

    private final TaskSocketHandler handler;
    private final SecurityIdentity identity;

    public TaskSocket(TaskSocketHandler handler, SecurityIdentity identity) {
        this.handler = handler;
        this.identity = identity;
    }

    @OnOpen
    public Uni<Void> onOpen(WebSocketConnection connection) {
        String keyId = identity.getAttribute(ApiKeyIdentityProvider.KEY_ID_ATTRIBUTE);
        connection.userData().put(SESSION, handler.open(connection, identity.getPrincipal().getName(),
                keyId == null ? null : UUID.fromString(keyId)));
        return Uni.createFrom().voidItem();
    }

    @OnTextMessage
    public Uni<Void> onText(String frame, WebSocketConnection connection) {
        return handler.handle(connection.userData().get(SESSION), frame);
    }

    /** The API speaks JSON text frames only; without this method websockets-next would drop binary ones silently. */
    @OnBinaryMessage
    public Uni<Void> onBinary(Buffer frame, WebSocketConnection connection) {
        return handler.handleBinary(connection.userData().get(SESSION));
    }

    /**
     * A message over the limit, sent in fragments: Vert.x' aggregator fails the connection with a plain
     * {@link IllegalStateException}. Any other one goes on to websockets-next's default (logged, closed with 1011).
     * (Handlers are declared for these two types only: one for every Throwable would also take the errors of
     * connections closing at shutdown, when the handler can no longer run.)
     */
    @OnError
    public Uni<Void> onIllegalState(IllegalStateException failure, WebSocketConnection connection) {
        return closeForProtocolViolation(failure, connection);
    }

    /** Netty's frame decoder refused a frame (one frame over the limit, ...): closed with its status. */
    @OnError
    public Uni<Void> onCorruptedFrame(CorruptedWebSocketFrameException failure, WebSocketConnection connection) {
        return closeForProtocolViolation(failure, connection);
    }

    private static Uni<Void> closeForProtocolViolation(RuntimeException failure, WebSocketConnection connection) {
        return ProtocolViolations.closeReason(failure)
                .map(reason -> {
                    LOG.infof("closing WebSocket connection %s with %d: %s", connection.id(), reason.getCode(),
                            reason.getMessage());
                    return connection.isClosed() ? Uni.createFrom().voidItem() : connection.close(reason);
                })
                .orElseGet(() -> Uni.createFrom().failure(failure));
    }

    @OnClose
    public Uni<Void> onClose(WebSocketConnection connection) {
        SocketSession session = connection.userData().get(SESSION);
        if (session != null) {
            handler.close(session);
        }
        return Uni.createFrom().voidItem();
    }
}
