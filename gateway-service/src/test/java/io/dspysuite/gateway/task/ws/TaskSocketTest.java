package io.dspysuite.gateway.task.ws;

import static io.dspysuite.gateway.support.TestKeys.bearer;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import jakarta.inject.Inject;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.dspysuite.gateway.support.KafkaTestClient;
import io.dspysuite.gateway.support.LogCapture;
import io.dspysuite.gateway.support.TestKeys;
import io.dspysuite.gateway.support.TestTenants;
import io.dspysuite.gateway.task.service.TaskSubmissionService;
import io.dspysuite.localstack.testing.SuiteInfraTestResource;
import io.dspysuite.protos.events.v1.TaskRequested;
import io.dspysuite.protos.events.v1.TaskStatus;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.websockets.next.BasicWebSocketConnector;
import io.quarkus.websockets.next.WebSocketClientConnection;
import io.restassured.http.ContentType;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.http.WebSocketFrame;

/** The WebSocket API /ws/v1 against the real broker and database. */
@QuarkusTest
@WithTestResource(value = SuiteInfraTestResource.class, scope = TestResourceScope.GLOBAL)
class TaskSocketTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String HEARTBEAT = "{\"type\":\"heartbeat\"}";

    @TestHTTPResource("/")
    URI baseUri;

    @Inject
    ObjectMapper mapper;

    @Inject
    TestTenants tenants;

    @Inject
    Vertx vertx;

    private final List<WebSocketClientConnection> connections = new ArrayList<>();

    @BeforeEach
    void tenants() {
        tenants.ensureOtherTenant();
    }

    @AfterEach
    void closeConnections() {
        connections.forEach(c -> c.close().await().atMost(Duration.ofSeconds(5)));
        connections.clear();
    }

    /** A client that queues every text frame it receives. */
    final class Client {
        final LinkedBlockingQueue<String> frames = new LinkedBlockingQueue<>();
        /** Server heartbeats (every second in tests) are kept apart so they never interleave with assertions. */
        final LinkedBlockingQueue<String> heartbeats = new LinkedBlockingQueue<>();
        final WebSocketClientConnection connection;

        Client(BasicWebSocketConnector connector) {
            // NON_BLOCKING: frames are queued on the event loop in arrival order (the default BLOCKING model hands
            // each one to a worker thread, which would reorder them before the assertions see them).
            connection = connector.baseUri(baseUri).path("/ws/v1")
                    .executionModel(BasicWebSocketConnector.ExecutionModel.NON_BLOCKING)
                    .onTextMessage((c, frame) -> (frame.equals(HEARTBEAT) ? heartbeats : frames).add(frame))
                    .connectAndAwait();
            connections.add(connection);
        }

        void send(String frame) {
            connection.sendTextAndAwait(frame);
        }

        JsonNode next() throws Exception {
            String frame = frames.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertThat(frame).as("a frame within " + WAIT).isNotNull();
            return mapper.readTree(frame);
        }

        /** The next frame that is not an event of another task. */
        JsonNode nextFor(UUID taskId) throws Exception {
            while (true) {
                JsonNode frame = next();
                if (!frame.path("type").asText().equals("event") || frame.path("task_id").asText().equals(taskId.toString())) {
                    return frame;
                }
            }
        }
    }

    private Client connect(String key) {
        return new Client(BasicWebSocketConnector.create().addHeader("Authorization", bearer(key)));
    }

    private static final String TASK = """
            {"kind": "predict", "program": {"signature": "question -> answer"},
             "inputs": {"question": "What is the capital of France? (canary-prompt-5d1f)"}}""";

    @Test
    void submitIsAcceptedAndEventsFollowInOrder() throws Exception {
        Client client = connect(TestKeys.DEV);
        client.send("{\"type\":\"submit\",\"request_id\":\"r1\",\"task\":" + TASK + "}");

        JsonNode accepted = client.next();
        assertThat(accepted.path("type").asText()).isEqualTo("accepted");
        assertThat(accepted.path("request_id").asText()).isEqualTo("r1");
        UUID taskId = UUID.fromString(accepted.path("task_id").asText());

        TaskRequested request = KafkaTestClient.awaitRequest(taskId).orElseThrow();
        assertThat(request.getTenantId()).isEqualTo("dev");
        KafkaTestClient.send(KafkaTestClient.succeeded(taskId, "answer", "Paris"));

        List<JsonNode> events = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            events.add(client.nextFor(taskId));
        }
        assertThat(events).allSatisfy(e -> {
            assertThat(e.path("type").asText()).isEqualTo("event");
            assertThat(e.path("task_id").asText()).isEqualTo(taskId.toString());
        });
        assertThat(events).extracting(e -> e.path("seq").asLong()).containsExactly(1L, 2L, 3L, 4L);
        assertThat(events).extracting(e -> e.path("event").asText()).containsExactly("status", "status", "result", "status");
        assertThat(events.get(0).path("data").path("status").asText()).isEqualTo("queued");
        assertThat(events.get(1).path("data").path("status").asText()).isEqualTo("running");
        assertThat(events.get(1).path("data").path("attempt").asInt()).isEqualTo(1);
        JsonNode result = events.get(2).path("data");
        assertThat(result.path("outputs").path("answer").asText()).isEqualTo("Paris");
        assertThat(result.path("usage").path("input_tokens").asLong()).isEqualTo(42);
        assertThat(result.path("model").asText()).isEqualTo("smollm2-135m");
        assertThat(events.get(3).path("data").path("status").asText()).isEqualTo("succeeded");

        // Nothing after the final event, not even a duplicate.
        client.send("{\"type\":\"ping\"}");
        assertThat(client.nextFor(taskId).path("type").asText()).isEqualTo("pong");
    }

    @Test
    void framesSentAreCountedAndTheSubmitLogNamesTheTask() throws Exception {
        double eventsBefore = metric("dspy_suite_ws_frames_sent_total", "frame=\"event\"");
        double controlBefore = metric("dspy_suite_ws_frames_sent_total", "frame=\"control\"");
        try (LogCapture logs = LogCapture.of(TaskSubmissionService.class)) {
            Client client = connect(TestKeys.DEV);
            client.send("{\"type\":\"submit\",\"request_id\":\"m1\",\"task\":" + TASK + "}");
            UUID taskId = UUID.fromString(client.next().path("task_id").asText());

            // The connection's context serves many tasks; the submit's own lines name this one.
            LogCapture.Line accepted = logs.lineContaining(taskId.toString()).orElseThrow();
            assertThat(accepted.taskId()).isEqualTo(taskId.toString());
            assertThat(accepted.tenant()).isEqualTo("dev");

            KafkaTestClient.awaitRequest(taskId).orElseThrow();
            KafkaTestClient.send(KafkaTestClient.succeeded(taskId, "answer", "Paris"));
            for (int i = 0; i < 4; i++) {
                client.nextFor(taskId);
            }
        }
        // Counted once the socket wrote them: the accepted frame and the task's four events.
        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(metric("dspy_suite_ws_frames_sent_total", "frame=\"event\"")).isGreaterThanOrEqualTo(eventsBefore + 4);
            assertThat(metric("dspy_suite_ws_frames_sent_total", "frame=\"control\"")).isGreaterThanOrEqualTo(controlBefore + 1);
        });
        String exposition = given().when().get("/q/metrics").then().statusCode(200).extract().asString();
        assertThat(exposition).contains("dspy_suite_ws_frames_dropped_total{reason=\"slow_consumer\"}",
                "dspy_suite_ws_frames_dropped_total{reason=\"write_failed\"}", "dspy_suite_ws_slow_consumer_closes_total",
                "dspy_suite_ws_connections");
    }

    /** The sum of a metric's samples on /q/metrics whose labels contain {@code labels}. */
    private static double metric(String name, String labels) {
        String exposition = given().when().get("/q/metrics").then().statusCode(200).extract().asString();
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "\\{([^}]*)\\}\\s+(\\S+)").matcher(exposition);
        double total = 0;
        while (m.find()) {
            if (m.group(1).contains(labels)) {
                total += Double.parseDouble(m.group(2));
            }
        }
        return total;
    }

    @Test
    void subscribeWithAfterSeqReplaysMissedEventsThenLiveOnes() throws Exception {
        UUID taskId = submitOverRest();
        KafkaTestClient.send(
                KafkaTestClient.status(taskId, 1, TaskStatus.TASK_STATUS_QUEUED, 0),
                KafkaTestClient.status(taskId, 2, TaskStatus.TASK_STATUS_RUNNING, 1));
        // The client saw seq 1 before it lost its connection; the view has both.
        await().atMost(WAIT).untilAsserted(() -> given().header("Authorization", bearer(TestKeys.DEV))
                .when().get("/api/v1/tasks/" + taskId).then().body("last_seq", equalTo(2)));

        Client client = connect(TestKeys.DEV);
        client.send("{\"type\":\"subscribe\",\"task_id\":\"" + taskId + "\",\"after_seq\":1}");
        JsonNode replayed = client.nextFor(taskId);
        assertThat(replayed.path("seq").asLong()).isEqualTo(2);
        assertThat(replayed.path("data").path("status").asText()).isEqualTo("running");

        KafkaTestClient.send(
                KafkaTestClient.result(taskId, 3, "answer", "Paris"),
                KafkaTestClient.status(taskId, 4, TaskStatus.TASK_STATUS_SUCCEEDED, 0));
        assertThat(client.nextFor(taskId).path("seq").asLong()).isEqualTo(3);
        assertThat(client.nextFor(taskId).path("seq").asLong()).isEqualTo(4);

        client.send("{\"type\":\"ping\",\"request_id\":7}");
        JsonNode pong = client.nextFor(taskId);
        assertThat(pong.path("type").asText()).isEqualTo("pong");
        assertThat(pong.path("request_id").asText()).isEqualTo("7");
    }

    @Test
    void subscribingToAFinishedTaskReplaysItAll() throws Exception {
        UUID taskId = submitOverRest();
        KafkaTestClient.send(KafkaTestClient.succeeded(taskId, "answer", "Paris"));
        await().atMost(WAIT).untilAsserted(() -> given().header("Authorization", bearer(TestKeys.DEV))
                .when().get("/api/v1/tasks/" + taskId).then().body("status", equalTo("succeeded")));

        Client client = connect(TestKeys.DEV);
        client.send("{\"type\":\"subscribe\",\"task_id\":\"" + taskId + "\"}");
        List<Long> seqs = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            seqs.add(client.nextFor(taskId).path("seq").asLong());
        }
        assertThat(seqs).containsExactly(1L, 2L, 3L, 4L);
    }

    @Test
    void badFramesGetErrorFramesAndTheConnectionStaysOpen() throws Exception {
        Client client = connect(TestKeys.DEV);

        client.send("this is not json");
        JsonNode malformed = client.next();
        assertThat(malformed.path("type").asText()).isEqualTo("error");
        assertThat(malformed.path("code").asText()).isEqualTo("MALFORMED_FRAME");

        client.send("{\"type\":\"dance\",\"request_id\":\"r9\"}");
        JsonNode unknown = client.next();
        assertThat(unknown.path("code").asText()).isEqualTo("UNKNOWN_TYPE");
        assertThat(unknown.path("request_id").asText()).isEqualTo("r9");

        client.send("{\"request_id\":\"r10\"}");
        assertThat(client.next().path("code").asText()).isEqualTo("MALFORMED_FRAME");

        client.send("{\"type\":\"subscribe\",\"request_id\":\"r2\",\"task_id\":\"" + UUID.randomUUID() + "\"}");
        JsonNode notFound = client.next();
        assertThat(notFound.path("code").asText()).isEqualTo("TASK_NOT_FOUND");
        assertThat(notFound.path("request_id").asText()).isEqualTo("r2");

        client.send("{\"type\":\"subscribe\",\"request_id\":\"r3\",\"task_id\":\"nope\"}");
        assertThat(client.next().path("code").asText()).isEqualTo("TASK_NOT_FOUND");

        client.send("{\"type\":\"submit\",\"request_id\":\"r4\",\"task\":{\"kind\":\"predict\",\"program\":{\"signature\":\"q -> a\"}}}");
        JsonNode invalid = client.next();
        assertThat(invalid.path("code").asText()).isEqualTo("VALIDATION_FAILED");
        assertThat(invalid.path("request_id").asText()).isEqualTo("r4");
        assertThat(invalid.path("violations").findValuesAsText("field")).contains("inputs");

        client.send("{\"type\":\"submit\",\"request_id\":\"r5\"}");
        assertThat(client.next().path("code").asText()).isEqualTo("VALIDATION_FAILED");

        client.send("{\"type\":\"submit\",\"request_id\":\"r6\",\"task\":{\"kind\":\"optimize\",\"program\":{\"name\":\"qa\"},\"inputs\":{\"q\":1}}}");
        JsonNode noTrainset = client.next();
        assertThat(noTrainset.path("code").asText()).isEqualTo("VALIDATION_FAILED");
        assertThat(noTrainset.path("violations").findValuesAsText("field")).contains("optimizer", "trainset");

        client.send("{\"type\":\"subscribe\",\"request_id\":\"r7\",\"task_id\":\"" + UUID.randomUUID() + "\",\"after_seq\":-1}");
        assertThat(client.next().path("code").asText()).isEqualTo("VALIDATION_FAILED");

        client.send("{\"type\":\"ping\"}");
        assertThat(client.next().path("type").asText()).isEqualTo("pong");
    }

    @Test
    void unsubscribeStopsTheEvents() throws Exception {
        UUID taskId = submitOverRest();
        Client client = connect(TestKeys.DEV);
        client.send("{\"type\":\"subscribe\",\"task_id\":\"" + taskId + "\"}");
        KafkaTestClient.send(KafkaTestClient.status(taskId, 1, TaskStatus.TASK_STATUS_QUEUED, 0));
        assertThat(client.nextFor(taskId).path("seq").asLong()).isEqualTo(1);

        client.send("{\"type\":\"unsubscribe\",\"task_id\":\"" + taskId + "\"}");
        // Unsubscribe has no answer of its own: a pong to a later ping shows the server has handled it (frames of a
        // connection are handled in order). Without this, the next event could race the unsubscribe frame.
        client.send("{\"type\":\"ping\"}");
        assertThat(client.nextFor(taskId).path("type").asText()).isEqualTo("pong");
        KafkaTestClient.send(KafkaTestClient.status(taskId, 2, TaskStatus.TASK_STATUS_RUNNING, 1));
        // Wait until the view has the event the live consumer also saw, then check nothing came.
        await().atMost(WAIT).untilAsserted(() -> given().header("Authorization", bearer(TestKeys.DEV))
                .when().get("/api/v1/tasks/" + taskId).then().body("last_seq", equalTo(2)));
        client.send("{\"type\":\"ping\"}");
        assertThat(client.nextFor(taskId).path("type").asText()).isEqualTo("pong");
        assertThat(client.frames).isEmpty();
    }

    @Test
    void framesAboveOneMebibyteCloseTheConnection() throws Exception {
        Client client = connect(TestKeys.DEV);
        String big = "{\"type\":\"ping\",\"pad\":\"" + "x".repeat(1024 * 1024) + "\"}";
        client.connection.sendText(big).subscribe().with(v -> {
        }, e -> {
        });
        await().atMost(WAIT).until(client.connection::isClosed);

        // Just under the limit is fine.
        Client other = connect(TestKeys.DEV);
        other.send("{\"type\":\"ping\",\"pad\":\"" + "x".repeat(1000 * 1024) + "\"}");
        assertThat(other.next().path("type").asText()).isEqualTo("pong");
    }

    /** Regression (WebSocket fuzzing): a binary frame was dropped without an answer. */
    @Test
    void aBinaryFrameGetsAnErrorFrameAndTheConnectionStaysOpen() throws Exception {
        Client client = connect(TestKeys.DEV);
        client.connection.sendBinaryAndAwait(Buffer.buffer(new byte[] { 0, (byte) 0xff, '{', '}' }));
        JsonNode error = client.next();
        assertThat(error.path("type").asText()).isEqualTo("error");
        assertThat(error.path("code").asText()).isEqualTo("MALFORMED_FRAME");

        client.send("{\"type\":\"ping\"}");
        assertThat(client.next().path("type").asText()).isEqualTo("pong");
    }

    /**
     * Regression (WebSocket fuzzing): an unsubscribe without a task id was silently ignored. One naming a task id
     * that has no subscription stays silent: subscriptions also end by themselves at the final event.
     */
    @Test
    void anUnsubscribeThatNamesNoTaskGetsAnErrorFrame() throws Exception {
        Client client = connect(TestKeys.DEV);
        client.send("{\"type\":\"unsubscribe\",\"request_id\":\"u1\"}");
        JsonNode missing = client.next();
        assertThat(missing.path("type").asText()).isEqualTo("error");
        assertThat(missing.path("code").asText()).isEqualTo("TASK_NOT_FOUND");
        assertThat(missing.path("request_id").asText()).isEqualTo("u1");
        client.send("{\"type\":\"unsubscribe\",\"request_id\":\"u2\",\"task_id\":{\"id\":1}}");
        assertThat(client.next().path("code").asText()).isEqualTo("TASK_NOT_FOUND");

        client.send("{\"type\":\"unsubscribe\",\"task_id\":\"" + UUID.randomUUID() + "\"}");
        client.send("{\"type\":\"ping\",\"request_id\":\"after\"}");
        assertThat(client.next().path("request_id").asText()).as("no answer to the unsubscribe").isEqualTo("after");
    }

    /**
     * Regression (WebSocket fuzzing): a message over the 1 MiB limit sent in fragments (as Java's client and most
     * libraries do) overflowed Vert.x' message buffer, which websockets-next handled as an unhandled server error: an
     * ERROR line with a stack trace and a close with 1011 (internal error). It is the client's fault: 1009 (message
     * too big), one INFO line. A single frame over the limit gets 1009 too.
     */
    @Test
    void aMessageOverTheLimitClosesWith1009AndLogsNoError() throws Exception {
        String half = "x".repeat(600 * 1024);
        try (LogCapture framework = LogCapture.of("io.quarkus.websockets.next.runtime.Endpoints");
                LogCapture socket = LogCapture.of(TaskSocket.class)) {
            RawSocket fragmented = RawSocket.open(vertx, baseUri);
            fragmented.socket.writeFrame(WebSocketFrame.textFrame("{\"type\":\"ping\",\"pad\":\"" + half, false));
            fragmented.socket.writeFrame(WebSocketFrame.continuationFrame(Buffer.buffer(half + "\"}"), true));
            assertThat(fragmented.closeCode()).as("close code for a fragmented message over the limit").isEqualTo(1009);
            assertThat(fragmented.socket.closeReason()).contains("1 MiB");

            RawSocket single = RawSocket.open(vertx, baseUri);
            single.socket.writeFrame(WebSocketFrame.textFrame("{\"type\":\"ping\",\"pad\":\"" + half + half + "\"}",
                    true));
            // Netty answers 1009 and closes at once, while the rest of the frame is still arriving: the unread bytes
            // make the kernel reset the connection, which may drop the close frame before the client reads it.
            assertThat(single.closeCode()).as("close code for one frame over the limit").isIn(1009, -1, 1006);

            assertThat(framework.lines()).as("websockets-next saw no unhandled error").isEmpty();
            await().atMost(WAIT).untilAsserted(() -> assertThat(socket.lines())
                    .filteredOn(line -> line.message().contains("with 1009")).hasSizeGreaterThanOrEqualTo(2));
        }
        // The server still serves.
        Client client = connect(TestKeys.DEV);
        client.send("{\"type\":\"ping\"}");
        assertThat(client.next().path("type").asText()).isEqualTo("pong");
    }

    /** A Vert.x WebSocket client that writes frames as given (no fragmentation of its own) and keeps the close code. */
    record RawSocket(WebSocket socket, CompletableFuture<Integer> closed) {

        static RawSocket open(Vertx vertx, URI base) {
            WebSocketClient client = vertx.createWebSocketClient(new WebSocketClientOptions()
                    .setMaxFrameSize(4 * 1024 * 1024).setMaxMessageSize(4 * 1024 * 1024));
            WebSocket socket = client.connect(new WebSocketConnectOptions().setHost(base.getHost())
                    .setPort(base.getPort()).setURI("/ws/v1").addHeader("Authorization", bearer(TestKeys.DEV)))
                    .toCompletionStage().toCompletableFuture().join();
            socket.exceptionHandler(e -> {
                // The server closes while a frame over the limit is still being written: expected.
            });
            CompletableFuture<Integer> closed = new CompletableFuture<>();
            socket.closeHandler(v -> {
                Short code = socket.closeStatusCode();
                closed.complete(code == null ? -1 : code.intValue());
            });
            return new RawSocket(socket, closed);
        }

        int closeCode() throws Exception {
            return closed.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        }
    }

    @Test
    void anotherTenantsTaskCannotBeSubscribed() throws Exception {
        UUID taskId = submitOverRest();
        Client other = connect(TestKeys.OTHER);
        other.send("{\"type\":\"subscribe\",\"request_id\":\"x\",\"task_id\":\"" + taskId + "\",\"after_seq\":0}");
        JsonNode error = other.next();
        assertThat(error.path("type").asText()).isEqualTo("error");
        assertThat(error.path("code").asText()).isEqualTo("TASK_NOT_FOUND");

        // And it hears nothing of that task's events.
        KafkaTestClient.send(KafkaTestClient.status(taskId, 1, TaskStatus.TASK_STATUS_QUEUED, 0));
        other.send("{\"type\":\"ping\"}");
        assertThat(other.next().path("type").asText()).isEqualTo("pong");
        assertThat(other.frames).isEmpty();
    }

    @Test
    void browsersAuthenticateThroughTheSubprotocolCarrier() throws Exception {
        String carrier = URLEncoder.encode("quarkus-http-upgrade#Authorization#Bearer " + TestKeys.DEV,
                StandardCharsets.UTF_8).replace("+", "%20");
        Client client = new Client(BasicWebSocketConnector.create()
                .addSubprotocol("bearer-token-carrier")
                .addSubprotocol(carrier)
                .addHeader("Origin", baseUri.toString().replaceAll("/$", "")));
        assertThat(client.connection.subprotocol()).isEqualTo("bearer-token-carrier");

        client.send("{\"type\":\"submit\",\"request_id\":\"b1\",\"task\":" + TASK + "}");
        JsonNode accepted = client.next();
        assertThat(accepted.path("type").asText()).isEqualTo("accepted");
    }

    @Test
    void upgradeWithoutAValidKeyIsRefused() {
        assertThatThrownBy(() -> new Client(BasicWebSocketConnector.create())).hasStackTraceContaining("401");
        assertThatThrownBy(() -> connect("wrong-key-0123456789abcdef")).hasStackTraceContaining("401");
        String wrongCarrier = URLEncoder.encode("quarkus-http-upgrade#Authorization#Bearer wrong-key-0123456789abcdef",
                StandardCharsets.UTF_8).replace("+", "%20");
        assertThatThrownBy(() -> new Client(BasicWebSocketConnector.create()
                .addSubprotocol("bearer-token-carrier").addSubprotocol(wrongCarrier))).hasStackTraceContaining("401");
    }

    @Test
    void upgradeFromAForeignOriginIsRefused() {
        assertThatThrownBy(() -> new Client(BasicWebSocketConnector.create()
                .addHeader("Authorization", bearer(TestKeys.DEV))
                .addHeader("Origin", "https://evil.example"))).hasStackTraceContaining("403");
    }

    @Test
    void theServerSendsHeartbeats() throws Exception {
        Client client = connect(TestKeys.DEV);
        // Every second in the test profile (dspy-suite.ws.heartbeat-interval).
        assertThat(client.heartbeats.poll(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(HEARTBEAT);
        assertThat(client.heartbeats.poll(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(HEARTBEAT);
        assertThat(client.frames).isEmpty();
    }

    @Test
    void cancelFrameRequestsCancellationAndTheCancelledEventFollows() throws Exception {
        UUID taskId = submitOverRest();
        Client client = connect(TestKeys.DEV);
        client.send("{\"type\":\"subscribe\",\"task_id\":\"" + taskId + "\"}");
        client.send("{\"type\":\"cancel\",\"request_id\":\"c1\",\"task_id\":\"" + taskId + "\"}");
        JsonNode requested = client.nextFor(taskId);
        assertThat(requested.path("type").asText()).isEqualTo("cancel_requested");
        assertThat(requested.path("request_id").asText()).isEqualTo("c1");
        assertThat(requested.path("task_id").asText()).isEqualTo(taskId.toString());
        assertThat(KafkaTestClient.controlsFor(taskId, WAIT)).singleElement()
                .satisfies(control -> assertThat(control.hasCancel()).isTrue());

        KafkaTestClient.send(KafkaTestClient.status(taskId, 1, TaskStatus.TASK_STATUS_CANCELLED, 0));
        JsonNode cancelled = client.nextFor(taskId);
        assertThat(cancelled.path("type").asText()).isEqualTo("event");
        assertThat(cancelled.path("data").path("status").asText()).isEqualTo("cancelled");

        // Final now: a second cancel is refused with a clear code, and nothing more is published.
        await().atMost(WAIT).untilAsserted(() -> given().header("Authorization", bearer(TestKeys.DEV))
                .when().get("/api/v1/tasks/" + taskId).then().body("status", equalTo("cancelled")));
        client.send("{\"type\":\"cancel\",\"request_id\":\"c2\",\"task_id\":\"" + taskId + "\"}");
        JsonNode finished = client.nextFor(taskId);
        assertThat(finished.path("type").asText()).isEqualTo("error");
        assertThat(finished.path("code").asText()).isEqualTo("TASK_FINISHED");
        assertThat(finished.path("request_id").asText()).isEqualTo("c2");
        assertThat(KafkaTestClient.controlsFor(taskId, WAIT)).hasSize(1);
    }

    @Test
    void anotherTenantsTaskCannotBeCancelled() throws Exception {
        UUID taskId = submitOverRest();
        Client other = connect(TestKeys.OTHER);
        other.send("{\"type\":\"cancel\",\"request_id\":\"x\",\"task_id\":\"" + taskId + "\"}");
        JsonNode error = other.next();
        assertThat(error.path("type").asText()).isEqualTo("error");
        assertThat(error.path("code").asText()).isEqualTo("TASK_NOT_FOUND");
        other.send("{\"type\":\"cancel\",\"request_id\":\"y\"}");
        assertThat(other.next().path("code").asText()).isEqualTo("TASK_NOT_FOUND");
        assertThat(KafkaTestClient.controlsFor(taskId, Duration.ofSeconds(2))).isEmpty();
    }

    private UUID submitOverRest() {
        String id = given().header("Authorization", bearer(TestKeys.DEV)).contentType(ContentType.JSON).body(TASK)
                .when().post("/api/v1/tasks").then().statusCode(202).extract().path("id");
        return UUID.fromString(id);
    }
}
