package io.dspysuite.gateway.task.ws;

import java.util.UUID;

import io.dspysuite.gateway.auth.ApiKeyIdentityProvider;
import io.quarkus.security.Authenticated;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.websockets.next.OnClose;
import io.quarkus.websockets.next.OnOpen;
import io.quarkus.websockets.next.OnTextMessage;
import io.quarkus.websockets.next.UserData;
import io.quarkus.websockets.next.WebSocket;
import io.quarkus.websockets.next.WebSocketConnection;
import io.smallrye.mutiny.Uni;

/**
 * {@code /ws/v1}: JSON text frames (see {@link TaskSocketHandler} and {@link Frames}). The upgrade is authenticated
 * like any API call (the path policy and {@code @Authenticated}); the tenant is fixed for the connection's life. A
 * connection whose key is revoked later is closed with 4401 within {@code dspy-suite.ws.key-check-interval}.
 * Every callback returns a {@link Uni}, so all of them run on the event loop and never block it.
 */
@Authenticated
@WebSocket(path = "/ws/v1")
public class TaskSocket {

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

    @OnClose
    public Uni<Void> onClose(WebSocketConnection connection) {
        SocketSession session = connection.userData().get(SESSION);
        if (session != null) {
            handler.close(session);
        }
        return Uni.createFrom().voidItem();
    }
}
