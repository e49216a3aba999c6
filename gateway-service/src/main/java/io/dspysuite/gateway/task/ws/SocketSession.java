package io.dspysuite.gateway.task.ws;

import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import org.jboss.logging.Logger;

import io.dspysuite.gateway.problem.ErrorCode;
import io.quarkus.websockets.next.WebSocketConnection;

/** One WebSocket connection of a tenant and its task subscriptions. */
final class SocketSession {

    private static final Logger LOG = Logger.getLogger(SocketSession.class);

    private final WebSocketConnection connection;
    private final String tenantId;
    private final UUID keyId;
    private final LiveEventHub hub;
    private final Frames frames;
    private final TaskSubscriptions factory;
    private final Map<UUID, TaskSubscription> subscriptions = new ConcurrentHashMap<>();
    private final BoundedSender sender;

    /** WebSocket close code for a connection whose API key was revoked after it opened. */
    static final short CLOSE_KEY_REVOKED = 4401;

    SocketSession(WebSocketConnection connection, String tenantId, UUID keyId, LiveEventHub hub, Frames frames,
            TaskSubscriptions factory, WebSocketLimits limits, WebSocketMetrics metrics) {
        this.connection = connection;
        this.tenantId = tenantId;
        this.keyId = keyId;
        this.hub = hub;
        this.frames = frames;
        this.factory = factory;
        this.sender = new BoundedSender(connection::sendText, limits.maxQueuedFrames(),
                limits.maxQueuedBytes().asLongValue(), () -> {
                    LOG.infof("closing WebSocket connection %s of tenant %s: it does not keep up", connection.id(),
                            tenantId);
                    close();
                    connection.close(new io.quarkus.websockets.next.CloseReason(BoundedSender.CLOSE_SLOW_CONSUMER,
                            BoundedSender.CLOSE_REASON)).subscribe().with(v -> {
                            }, e -> LOG.debugf("closing connection %s failed: %s", connection.id(), e.getMessage()));
                }, metrics);
    }

    String tenantId() {
        return tenantId;
    }

    /** The API key that opened the connection (null if unknown). */
    UUID keyId() {
        return keyId;
    }

    /** Ends the connection because its key was revoked: the client must not reconnect with that key. */
    void closeKeyRevoked() {
        LOG.infof("closing WebSocket connection %s of tenant %s: its API key was revoked", connection.id(), tenantId);
        close();
        connection.close(new io.quarkus.websockets.next.CloseReason(CLOSE_KEY_REVOKED, "API key revoked"))
                .subscribe().with(v -> {
                }, e -> LOG.debugf("closing connection %s failed: %s", connection.id(), e.getMessage()));
    }

    int subscriptionCount() {
        return subscriptions.size();
    }

    /**
     * Non-blocking, bounded send (see {@link BoundedSender}); a failed write means the peer is gone, which
     * {@code @OnClose} cleans up.
     */
    void send(String frame) {
        sender.send(frame, WebSocketMetrics.FrameKind.CONTROL);
    }

    /**
     * Registers a subscription from {@code afterSeq} (replacing an earlier one to the same task) that buffers live
     * events until {@link TaskSubscription#start()}.
     */
    TaskSubscription prepare(UUID taskId, long afterSeq) {
        TaskSubscription subscription = factory.create(taskId, afterSeq, sink);
        TaskSubscription previous = subscriptions.put(taskId, subscription);
        if (previous != null) {
            drop(previous);
        }
        hub.register(subscription);
        return subscription;
    }

    void unsubscribe(UUID taskId) {
        TaskSubscription subscription = subscriptions.remove(taskId);
        if (subscription != null) {
            drop(subscription);
        }
    }

    /** Removes this exact subscription (not a newer one to the same task). */
    void remove(TaskSubscription subscription) {
        subscriptions.remove(subscription.taskId(), subscription);
        drop(subscription);
    }

    void close() {
        subscriptions.values().forEach(this::drop);
        subscriptions.clear();
    }

    private void drop(TaskSubscription subscription) {
        subscription.close();
        hub.unregister(subscription);
    }

    private final TaskSubscription.Sink sink = new TaskSubscription.Sink() {
        @Override
        public void send(EventFrame frame) {
            sender.send(frame.json(), WebSocketMetrics.FrameKind.EVENT);
        }

        @Override
        public void completed(TaskSubscription subscription) {
            remove(subscription);
        }

        @Override
        public void failed(TaskSubscription subscription, ErrorCode code, String message) {
            remove(subscription);
            SocketSession.this.send(frames.error(null, code, message, subscription.taskId(), null));
        }
    };
}
