package io.dspysuite.systemtests;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import static org.awaitility.Awaitility.await;

/** A partner's view of the suite: plain JDK HTTP and WebSocket clients, JSON via Jackson. */
final class SuiteClient {

    static final ObjectMapper JSON = new ObjectMapper();

    private final String baseUrl;
    private final String apiKey;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    SuiteClient(String baseUrl, String apiKey) {
        this.baseUrl = baseUrl;
        this.apiKey = apiKey;
    }

    record Response(int status, String contentType, JsonNode body, HttpResponse<String> raw) {
    }

    String apiKey() {
        return apiKey;
    }

    Response post(String path, String json) {
        return send(HttpRequest.newBuilder(URI.create(baseUrl + path)).header("Authorization", "Bearer " + apiKey)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)));
    }

    Response get(String path) {
        return send(HttpRequest.newBuilder(URI.create(baseUrl + path)).header("Authorization", "Bearer " + apiKey).GET());
    }

    Response send(HttpRequest.Builder request) {
        try {
            HttpResponse<String> response = http.send(request.timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofString());
            String body = response.body();
            JsonNode json = body == null || body.isBlank() ? JSON.nullNode() : JSON.readTree(body);
            return new Response(response.statusCode(), response.headers().firstValue("Content-Type").orElse(""), json,
                    response);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Polls the task until it is final (succeeded, failed, cancelled) and returns its last view. */
    JsonNode awaitFinished(String id, Duration timeout) {
        AtomicReference<JsonNode> last = new AtomicReference<>();
        await().atMost(timeout).pollInterval(Duration.ofMillis(200)).until(() -> {
            Response response = get("/api/v1/tasks/" + id);
            if (response.status() != 200) {
                throw new AssertionError("GET task " + id + " answered " + response.status() + ": " + response.body());
            }
            last.set(response.body());
            return isFinal(response.body().path("status").asText());
        });
        return last.get();
    }

    static boolean isFinal(String status) {
        return status.equals("succeeded") || status.equals("failed") || status.equals("cancelled");
    }

    /** True for the status event that ends a task's event sequence. */
    static boolean isFinalStatusEvent(JsonNode event) {
        return event.path("event").asText().equals("status") && isFinal(event.path("data").path("status").asText());
    }

    /** One Server-Sent Event as received: its id, event type and parsed data, in arrival order. */
    record SseEvent(String id, String event, JsonNode data) {
    }

    /**
     * Reads {@code GET /api/v1/tasks/{id}/events} until the server completes the stream (after the final status
     * event) and returns the events in arrival order.
     */
    List<SseEvent> readEventStream(String taskId, Duration timeout) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(baseUrl + "/api/v1/tasks/" + taskId + "/events"))
                .header("Authorization", "Bearer " + apiKey).header("Accept", "text/event-stream").timeout(timeout)
                .GET().build();
        try {
            HttpResponse<Stream<String>> response = http.send(request, HttpResponse.BodyHandlers.ofLines());
            if (response.statusCode() != 200) {
                throw new AssertionError("SSE answered " + response.statusCode());
            }
            List<SseEvent> events = new ArrayList<>();
            String[] current = {null, null};
            StringBuilder data = new StringBuilder();
            try (Stream<String> lines = response.body()) {
                for (String line : (Iterable<String>) lines::iterator) {
                    if (line.isEmpty()) {
                        if (data.length() > 0) {
                            events.add(new SseEvent(current[0], current[1], JSON.readTree(data.toString())));
                        }
                        current[0] = null;
                        current[1] = null;
                        data.setLength(0);
                    } else if (line.startsWith("id:")) {
                        current[0] = line.substring(3).strip();
                    } else if (line.startsWith("event:")) {
                        current[1] = line.substring(6).strip();
                    } else if (line.startsWith("data:")) {
                        data.append(line.substring(5).strip());
                    }
                }
            }
            return events;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Opens {@code /ws/v1} as a server-side partner does: the API key in the Authorization header. */
    Frames openWebSocket() {
        return connect(http.newWebSocketBuilder().header("Authorization", "Bearer " + apiKey));
    }

    /**
     * Opens {@code /ws/v1} as a browser must, since browsers cannot set headers on the upgrade: the API key rides in
     * the Sec-WebSocket-Protocol header, in the form Quarkus propagates into an Authorization header.
     */
    Frames openBrowserWebSocket() {
        return connect(http.newWebSocketBuilder().subprotocols("bearer-token-carrier",
                BROWSER_TOKEN_PREFIX + apiKey));
    }

    // What a browser sends: encodeURIComponent("quarkus-http-upgrade#Authorization#Bearer " + key).
    static final String BROWSER_TOKEN_PREFIX = "quarkus-http-upgrade%23Authorization%23Bearer%20";

    private Frames connect(WebSocket.Builder builder) {
        Frames frames = new Frames();
        String wsUrl = baseUrl.replaceFirst("^http", "ws") + "/ws/v1";
        frames.socket = builder.connectTimeout(Duration.ofSeconds(10)).buildAsync(URI.create(wsUrl), frames).join();
        return frames;
    }

    /** Collects the text frames a WebSocket receives, in order. */
    static final class Frames implements WebSocket.Listener {

        private final BlockingQueue<JsonNode> received = new LinkedBlockingQueue<>();
        private final StringBuilder partial = new StringBuilder();
        private WebSocket socket;

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                try {
                    received.add(JSON.readTree(partial.toString()));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                partial.setLength(0);
            }
            webSocket.request(1);
            return null;
        }

        void send(String json) {
            socket.sendText(json, true).join();
        }

        /** The next frame, or fails after {@code timeout}. */
        JsonNode next(Duration timeout) {
            try {
                JsonNode frame = received.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
                if (frame == null) {
                    throw new AssertionError("no WebSocket frame within " + timeout);
                }
                return frame;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }

        /** The task's event frames in arrival order, up to and including its final status event. */
        List<JsonNode> eventsUntilFinal(String taskId, Duration timeout) {
            List<JsonNode> events = new ArrayList<>();
            while (events.isEmpty() || !isFinalStatusEvent(events.get(events.size() - 1))) {
                JsonNode frame = next(timeout);
                if (frame.path("type").asText().equals("heartbeat")) {
                    // The server's keep-alive on an idle connection (a slow task on a crowded host): not an event.
                    continue;
                }
                if (!frame.path("type").asText().equals("event") || !frame.path("task_id").asText().equals(taskId)) {
                    throw new AssertionError("unexpected frame " + frame);
                }
                events.add(frame);
            }
            return events;
        }

        void close() {
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "done").join();
        }
    }
}
