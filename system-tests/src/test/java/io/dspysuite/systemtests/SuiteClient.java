package io.dspysuite.systemtests;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

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

        void close() {
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "done").join();
        }
    }
}
