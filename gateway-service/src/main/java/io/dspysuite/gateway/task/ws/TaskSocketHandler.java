package io.dspysuite.gateway.task.ws;

import java.io.IOException;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;

import io.dspysuite.gateway.auth.ApiKeyStore;
import io.dspysuite.gateway.json.StrictJson;
import io.dspysuite.gateway.json.Uuids;
import io.dspysuite.gateway.observability.TaskLogContext;
import io.dspysuite.gateway.problem.ApiException;
import io.dspysuite.gateway.problem.ErrorCode;
import io.dspysuite.gateway.task.service.TaskCancelService;
import io.dspysuite.gateway.task.service.TaskSubmissionService;
import io.dspysuite.gateway.task.store.TaskStore;
import io.quarkus.websockets.next.WebSocketConnection;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;

/**
 * Client frames of {@code /ws/v1}: {@code submit}, {@code subscribe}, {@code unsubscribe}, {@code cancel},
 * {@code ping}. A bad frame is answered with an {@code error} frame and the connection stays open.
 */
@ApplicationScoped
public class TaskSocketHandler {

    /** Bounds one connection's memory and polling. */
    static final int MAX_SUBSCRIPTIONS = 256;

    private static final Logger LOG = Logger.getLogger(TaskSocketHandler.class);

    private final StrictJson json;
    private final Frames frames;
    private final TaskSubmissionService submissions;
    private final TaskStore tasks;
    private final LiveEventHub hub;
    private final TaskSubscriptions subscriptions;
    private final TaskCancelService cancels;
    private final WebSocketLimits limits;
    private final Vertx vertx;
    private final ApiKeyStore keys;
    private final Set<SocketSession> sessions = ConcurrentHashMap.newKeySet();
    private final WebSocketMetrics metrics;
    private long heartbeatTimer = -1;
    private long keyCheckTimer = -1;

    public TaskSocketHandler(StrictJson json, Frames frames, TaskSubmissionService submissions, TaskStore tasks,
            LiveEventHub hub, TaskSubscriptions subscriptions, TaskCancelService cancels, WebSocketLimits limits,
            Vertx vertx, MeterRegistry registry, WebSocketMetrics metrics, ApiKeyStore keys) {
        this.keys = keys;
        this.limits = limits;
        this.vertx = vertx;
        this.metrics = metrics;
        Gauge.builder("dspy_suite_ws_connections", sessions, Set::size)
                .description("Open /ws/v1 connections on this replica").register(registry);
        this.cancels = cancels;
        this.json = json;
        this.frames = frames;
        this.submissions = submissions;
        this.tasks = tasks;
        this.hub = hub;
        this.subscriptions = subscriptions;
    }

    SocketSession open(WebSocketConnection connection, String tenantId, UUID keyId) {
        SocketSession session = new SocketSession(connection, tenantId, keyId, hub, frames, subscriptions, limits,
                metrics);
        sessions.add(session);
        return session;
    }

    void close(SocketSession session) {
        sessions.remove(session);
        session.close();
    }

    /** Every open connection of this replica gets a heartbeat frame (browsers cannot see protocol pings). */
    void heartbeat() {
        String frame = frames.heartbeat();
        for (SocketSession session : sessions) {
            session.send(frame);
        }
    }

    /**
     * Closes (4401) the connections whose API key was revoked after they opened: one query for all the keys of this
     * replica's connections per {@code dspy-suite.ws.key-check-interval}.
     */
    void closeRevokedKeys() {
        Set<UUID> keyIds = new HashSet<>();
        for (SocketSession session : sessions) {
            if (session.keyId() != null) {
                keyIds.add(session.keyId());
            }
        }
        if (keyIds.isEmpty()) {
            return;
        }
        keys.revokedAmong(keyIds).subscribe().with(revoked -> {
            for (SocketSession session : sessions) {
                if (revoked.contains(session.keyId()) && sessions.remove(session)) {
                    session.closeKeyRevoked();
                }
            }
        }, failure -> LOG.warnf("checking the API keys of WebSocket connections failed: %s", failure.toString()));
    }

    @PostConstruct
    void startTimers() {
        heartbeatTimer = vertx.setPeriodic(limits.heartbeatInterval().toMillis(), id -> heartbeat());
        keyCheckTimer = vertx.setPeriodic(limits.keyCheckInterval().toMillis(), id -> closeRevokedKeys());
    }

    @PreDestroy
    void stopTimers() {
        vertx.cancelTimer(heartbeatTimer);
        vertx.cancelTimer(keyCheckTimer);
    }

    Uni<Void> handle(SocketSession session, String text) {
        // One duplicated context serves the whole connection: a frame's log lines must not name the task of an
        // earlier frame (a submit names its own once the task id is known).
        TaskLogContext.clear();
        // Deferred: even an unexpected exception becomes an error frame instead of closing the connection.
        return Uni.createFrom().deferred(() -> dispatch(session, text))
                .onFailure().recoverWithUni(failure -> {
                    LOG.error("handling a WebSocket frame failed", failure);
                    return error(session, null, ErrorCode.INTERNAL, "An unexpected error occurred");
                });
    }

    /** A binary frame: the API speaks JSON text frames only. */
    Uni<Void> handleBinary(SocketSession session) {
        TaskLogContext.clear();
        return error(session, null, ErrorCode.MALFORMED_FRAME, "Binary frames are not supported; send JSON text frames");
    }

    private Uni<Void> dispatch(SocketSession session, String text) {
        JsonNode frame;
        try {
            frame = json.parse(text);
        } catch (IOException e) {
            return error(session, null, ErrorCode.MALFORMED_FRAME, "The frame is not valid JSON");
        } catch (ApiException tooDeep) {
            return send(session, frames.error(null, tooDeep));
        }
        if (!frame.isObject()) {
            return error(session, null, ErrorCode.MALFORMED_FRAME, "A frame must be a JSON object");
        }
        String requestId = scalar(frame.get("request_id"));
        JsonNode type = frame.get("type");
        if (type == null || !type.isTextual()) {
            return error(session, requestId, ErrorCode.MALFORMED_FRAME, "A frame needs a string field \"type\"");
        }
        Uni<Void> handled = switch (type.textValue()) {
            case "submit" -> submit(session, requestId, frame);
            case "subscribe" -> subscribe(session, requestId, frame);
            case "unsubscribe" -> unsubscribe(session, requestId, frame);
            case "cancel" -> cancel(session, requestId, frame);
            case "ping" -> send(session, frames.pong(requestId));
            default -> error(session, requestId, ErrorCode.UNKNOWN_TYPE,
                    "Unknown frame type; expected submit, subscribe, unsubscribe, cancel or ping");
        };
        return handled.onFailure().recoverWithUni(failure -> {
            if (failure instanceof ApiException api) {
                return send(session, frames.error(requestId, api));
            }
            LOG.error("handling a WebSocket frame failed", failure);
            return error(session, requestId, ErrorCode.INTERNAL, "An unexpected error occurred");
        });
    }

    /**
     * Same path as REST. The session subscribes (from seq 0) before the request is published, so not even the
     * first event can be missed, but starts delivering only after {@code accepted} went out.
     */
    private Uni<Void> submit(SocketSession session, String requestId, JsonNode frame) {
        if (session.subscriptionCount() >= MAX_SUBSCRIPTIONS) {
            return tooManySubscriptions(session, requestId);
        }
        AtomicReference<TaskSubscription> prepared = new AtomicReference<>();
        return submissions.submit(session.tenantId(), frame.get("task"), scalar(frame.get("idempotency_key")),
                taskId -> prepared.set(session.prepare(taskId, 0)))
                .onFailure().invoke(e -> {
                    TaskSubscription subscription = prepared.get();
                    if (subscription != null) {
                        session.remove(subscription);
                    }
                })
                .chain(submitted -> {
                    session.send(frames.accepted(requestId, submitted.task().id()));
                    prepared.get().start();
                    return Uni.createFrom().voidItem();
                });
    }

    private Uni<Void> subscribe(SocketSession session, String requestId, JsonNode frame) {
        UUID taskId = Uuids.parse(scalar(frame.get("task_id"))).orElse(null);
        if (taskId == null) {
            return error(session, requestId, ErrorCode.TASK_NOT_FOUND, "No such task");
        }
        JsonNode after = frame.get("after_seq");
        if (after != null && !after.isNull() && (!after.isIntegralNumber() || !after.canConvertToLong() || after.asLong() < 0)) {
            return Uni.createFrom().failure(ApiException.validation("after_seq", "must be a non-negative integer"));
        }
        long afterSeq = after == null || after.isNull() ? 0 : after.asLong();
        if (session.subscriptionCount() >= MAX_SUBSCRIPTIONS) {
            return tooManySubscriptions(session, requestId);
        }
        return tasks.find(taskId, session.tenantId()).chain(task -> {
            if (task.isEmpty()) {
                return error(session, requestId, ErrorCode.TASK_NOT_FOUND, "No such task", taskId);
            }
            session.prepare(taskId, afterSeq).start();
            return Uni.createFrom().voidItem();
        });
    }

    /** Same path as REST: answered with {@code cancel_requested}; the {@code cancelled} status follows as an event. */
    private Uni<Void> cancel(SocketSession session, String requestId, JsonNode frame) {
        return cancels.cancel(session.tenantId(), scalar(frame.get("task_id")))
                .chain(task -> send(session, frames.cancelRequested(requestId, task.id())));
    }

    /**
     * Answered with nothing when it names a task id, subscribed or not: a subscription also ends by itself at the
     * task's final event, so an unsubscribe that finds none is normal. A frame without a task id names no task at all.
     */
    private Uni<Void> unsubscribe(SocketSession session, String requestId, JsonNode frame) {
        UUID taskId = Uuids.parse(scalar(frame.get("task_id"))).orElse(null);
        if (taskId == null) {
            return error(session, requestId, ErrorCode.TASK_NOT_FOUND, "No such task");
        }
        session.unsubscribe(taskId);
        return Uni.createFrom().voidItem();
    }

    private Uni<Void> tooManySubscriptions(SocketSession session, String requestId) {
        return error(session, requestId, ErrorCode.TOO_MANY_SUBSCRIPTIONS,
                "At most " + MAX_SUBSCRIPTIONS + " tasks per connection; unsubscribe first");
    }

    private Uni<Void> error(SocketSession session, String requestId, ErrorCode code, String message) {
        return error(session, requestId, code, message, null);
    }

    private Uni<Void> error(SocketSession session, String requestId, ErrorCode code, String message, UUID taskId) {
        return send(session, frames.error(requestId, code, message, taskId, null));
    }

    private static Uni<Void> send(SocketSession session, String frame) {
        session.send(frame);
        return Uni.createFrom().voidItem();
    }

    /** A string or number field as text (request ids may be either); anything else counts as absent. */
    private static String scalar(JsonNode node) {
        return node != null && (node.isTextual() || node.isNumber()) ? node.asText() : null;
    }
}
