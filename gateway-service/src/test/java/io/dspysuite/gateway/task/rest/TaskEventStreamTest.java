package io.dspysuite.gateway.task.rest;

import static io.dspysuite.gateway.support.TestKeys.bearer;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import jakarta.inject.Inject;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.dspysuite.gateway.support.KafkaTestClient;
import io.dspysuite.gateway.support.TestKeys;
import io.dspysuite.gateway.support.TestTenants;
import io.dspysuite.localstack.testing.SuiteInfraTestResource;
import io.dspysuite.protos.events.v1.TaskStatus;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

/** GET /api/v1/tasks/{id}/events (Server-Sent Events) against the real broker and database. */
@QuarkusTest
@WithTestResource(value = SuiteInfraTestResource.class, scope = TestResourceScope.GLOBAL)
class TaskEventStreamTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String END = "\u0000end";

    @TestHTTPResource("/")
    URI baseUri;

    @Inject
    ObjectMapper mapper;

    @Inject
    TestTenants tenants;

    private final HttpClient http = HttpClient.newHttpClient();
    private final List<Stream<String>> open = new ArrayList<>();

    @BeforeEach
    void tenants() {
        tenants.ensureOtherTenant();
    }

    @AfterEach
    void closeStreams() {
        open.forEach(Stream::close);
    }

    /** One SSE message: its fields, or a comment. */
    record Sse(String id, String event, String data, String comment) {
    }

    /** A live SSE connection read line by line on its own thread. */
    final class Stream_ {
        final HttpResponse<Stream<String>> response;
        final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();

        Stream_(HttpResponse<Stream<String>> response) {
            this.response = response;
            open.add(response.body());
            Thread reader = new Thread(() -> {
                try {
                    response.body().forEach(lines::add);
                } catch (RuntimeException e) {
                    // closed by the test
                }
                lines.add(END);
            }, "sse-reader");
            reader.setDaemon(true);
            reader.start();
        }

        /** The next message (comments included), or null at the end of the stream. */
        Sse next() throws Exception {
            Map<String, String> fields = new LinkedHashMap<>();
            while (true) {
                String line = lines.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
                assertThat(line).as("an SSE line within " + WAIT).isNotNull();
                if (line.equals(END)) {
                    return null;
                }
                if (line.isEmpty()) {
                    if (!fields.isEmpty()) {
                        return new Sse(fields.get("id"), fields.get("event"), fields.get("data"), fields.get(""));
                    }
                    continue;
                }
                int colon = line.indexOf(':');
                String name = colon < 0 ? line : line.substring(0, colon);
                String value = colon < 0 ? "" : line.substring(colon + 1);
                if (value.startsWith(" ")) {
                    value = value.substring(1);
                }
                fields.merge(name, value, (a, b) -> a + "\n" + b);
            }
        }

        /** The next event, skipping comments. */
        Sse nextEvent() throws Exception {
            while (true) {
                Sse message = next();
                if (message == null || message.comment() == null || message.id() != null) {
                    return message;
                }
            }
        }
    }

    private Stream_ connect(String key, UUID taskId, String query, Map<String, String> headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(baseUri.resolve("/api/v1/tasks/" + taskId + "/events" + query))
                .header("Authorization", bearer(key))
                .header("Accept", "text/event-stream");
        headers.forEach(request::header);
        return new Stream_(http.send(request.build(), HttpResponse.BodyHandlers.ofLines()));
    }

    private UUID submit() {
        return UUID.fromString(given().header("Authorization", bearer(TestKeys.DEV)).contentType("application/json")
                .body(TaskRestTest.PREDICT).when().post("/api/v1/tasks").then().statusCode(202).extract().path("id"));
    }

    private void awaitLastSeq(UUID id, int seq) {
        await().atMost(WAIT).untilAsserted(() -> TaskRestTest.get(TestKeys.DEV, id).then().body("last_seq", equalTo(seq)));
    }

    @Test
    void replaysRecordedEventsThenLiveOnesAndCompletesAfterTheFinalStatus() throws Exception {
        UUID id = submit();
        KafkaTestClient.send(
                KafkaTestClient.status(id, 1, TaskStatus.TASK_STATUS_QUEUED, 0),
                KafkaTestClient.status(id, 2, TaskStatus.TASK_STATUS_RUNNING, 1));
        awaitLastSeq(id, 2);

        Stream_ stream = connect(TestKeys.DEV, id, "", Map.of());
        assertThat(stream.response.statusCode()).isEqualTo(200);
        assertThat(stream.response.headers().firstValue("Content-Type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("text/event-stream"));

        Sse first = stream.nextEvent();
        assertThat(first.id()).isEqualTo("1");
        assertThat(first.event()).isEqualTo("status");
        JsonNode data = mapper.readTree(first.data());
        assertThat(data.path("seq").asLong()).isEqualTo(1);
        assertThat(data.path("task_id").asText()).isEqualTo(id.toString());
        assertThat(data.path("data").path("status").asText()).isEqualTo("queued");
        assertThat(stream.nextEvent().id()).isEqualTo("2");

        // Live from here on.
        KafkaTestClient.send(KafkaTestClient.result(id, 3, "answer", "Paris"),
                KafkaTestClient.status(id, 4, TaskStatus.TASK_STATUS_SUCCEEDED, 0));
        Sse result = stream.nextEvent();
        assertThat(result.id()).isEqualTo("3");
        assertThat(result.event()).isEqualTo("result");
        assertThat(mapper.readTree(result.data()).path("data").path("outputs").path("answer").asText()).isEqualTo("Paris");
        Sse last = stream.nextEvent();
        assertThat(last.id()).isEqualTo("4");
        assertThat(mapper.readTree(last.data()).path("data").path("status").asText()).isEqualTo("succeeded");
        assertThat(stream.nextEvent()).as("the stream ends after the final status").isNull();
    }

    @Test
    void lastEventIdAndAfterSeqResumeWithoutGapsOrDuplicates() throws Exception {
        UUID id = submit();
        KafkaTestClient.send(KafkaTestClient.succeeded(id, "answer", "Paris"));
        awaitLastSeq(id, 4);

        Stream_ resumed = connect(TestKeys.DEV, id, "", Map.of("Last-Event-ID", "2"));
        assertThat(List.of(resumed.nextEvent().id(), resumed.nextEvent().id())).containsExactly("3", "4");
        assertThat(resumed.nextEvent()).isNull();

        Stream_ byQuery = connect(TestKeys.DEV, id, "?after_seq=3", Map.of());
        assertThat(byQuery.nextEvent().id()).isEqualTo("4");
        assertThat(byQuery.nextEvent()).isNull();

        // The header (what EventSource sends on reconnect) wins over the query of the original URL.
        Stream_ both = connect(TestKeys.DEV, id, "?after_seq=0", Map.of("Last-Event-ID", "3"));
        assertThat(both.nextEvent().id()).isEqualTo("4");
        assertThat(both.nextEvent()).isNull();

        // Caught up with a finished task: an empty stream that ends at once.
        Stream_ done = connect(TestKeys.DEV, id, "", Map.of("Last-Event-ID", "4"));
        assertThat(done.nextEvent()).isNull();
    }

    @Test
    void idleStreamsGetKeepAliveComments() throws Exception {
        UUID id = submit();
        Stream_ stream = connect(TestKeys.DEV, id, "", Map.of());
        Sse message = stream.next();
        assertThat(message.id()).isNull();
        assertThat(message.comment()).isEqualTo("keep-alive");

        // Still live after the comment.
        KafkaTestClient.send(KafkaTestClient.status(id, 1, TaskStatus.TASK_STATUS_QUEUED, 0));
        assertThat(stream.nextEvent().id()).isEqualTo("1");
    }

    @Test
    void badRequestsAreProblemJsonNotStreams() {
        UUID id = submit();
        given().header("Authorization", bearer(TestKeys.OTHER)).accept("text/event-stream")
                .when().get("/api/v1/tasks/" + id + "/events").then()
                .statusCode(404).contentType("application/problem+json").body("code", equalTo("TASK_NOT_FOUND"));
        given().header("Authorization", bearer(TestKeys.DEV)).accept("text/event-stream")
                .when().get("/api/v1/tasks/" + UUID.randomUUID() + "/events").then()
                .statusCode(404).body("code", equalTo("TASK_NOT_FOUND"));
        given().header("Authorization", bearer(TestKeys.DEV)).accept("text/event-stream")
                .when().get("/api/v1/tasks/nope/events").then()
                .statusCode(404).body("code", equalTo("TASK_NOT_FOUND"));
        given().header("Authorization", bearer(TestKeys.DEV)).header("Last-Event-ID", "abc").accept("text/event-stream")
                .when().get("/api/v1/tasks/" + id + "/events").then()
                .statusCode(400).contentType("application/problem+json")
                .body("code", equalTo("INVALID_PARAMETER"))
                .body("violations[0].field", equalTo("Last-Event-ID"));
        given().header("Authorization", bearer(TestKeys.DEV)).accept("text/event-stream")
                .when().get("/api/v1/tasks/" + id + "/events?after_seq=-1").then()
                .statusCode(400).body("violations[0].field", equalTo("after_seq"));
        given().accept("text/event-stream").when().get("/api/v1/tasks/" + id + "/events").then()
                .statusCode(401).body("code", equalTo("UNAUTHENTICATED"));
    }
}
