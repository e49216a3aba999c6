package io.dspysuite.systemtests;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodySubscribers;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import org.awaitility.core.ConditionTimeoutException;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The chaos soak's client: a partner that submits a paced, seeded mix of predictions, evaluations and short
 * optimizations through any gateway replica, retries a submission that got no answer with the same
 * {@code Idempotency-Key} (on the other replica), and follows every accepted task's Server-Sent Events to the end,
 * resuming with {@code Last-Event-ID} (on the other replica) whenever a stream breaks. Everything it sends and
 * receives goes to the {@link ChaosLog}, nothing is judged here.
 */
final class ChaosLoad implements AutoCloseable {

    enum Kind {
        PREDICT, EVALUATE, OPTIMIZE
    }

    private static final String EXAMPLES = """
            [{"question":"What is the capital of France?","answer":"Paris"},
             {"question":"What is the capital of Italy?","answer":"Rome"},
             {"question":"What is the capital of Spain?","answer":"Madrid"}]""";
    /** How long a submission is retried before the client gives up on it (then it was never accepted). */
    private static final Duration SUBMIT_PATIENCE = Duration.ofSeconds(90);
    /** A stream that delivered its final event but stays open this long is closed by the client. */
    private static final Duration OPEN_AFTER_FINAL = Duration.ofSeconds(20);
    /** How long the task view may trail the final events the client saw (a gateway crash moves its partitions). */
    private static final Duration VIEW_SETTLE = Duration.ofSeconds(60);
    private static final java.util.Set<String> FINAL_STATUSES = java.util.Set.of("succeeded", "failed", "cancelled");

    private final List<String> gateways;
    private final String apiKey;
    private final ChaosLog log;
    private final Random random;
    private final Duration idleTimeout;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private final ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(2, daemon("chaos-streams"));
    private final ExecutorService submitters = Executors.newFixedThreadPool(4, daemon("chaos-submit"));
    private final Map<String, Follower> followers = new ConcurrentHashMap<>();
    private final AtomicInteger nextGateway = new AtomicInteger();

    /**
     * @param random seeded: the same seed gives the same sequence of task kinds
     * @param idleTimeout a stream that delivers no event for this long is given up and resumed elsewhere
     */
    ChaosLoad(List<String> gateways, String apiKey, ChaosLog log, Random random, Duration idleTimeout) {
        this.gateways = List.copyOf(gateways);
        this.apiKey = apiKey;
        this.log = log;
        this.random = random;
        this.idleTimeout = idleTimeout;
        scheduler.scheduleAtFixedRate(this::watchIdleStreams, 5, 5, TimeUnit.SECONDS);
    }

    /**
     * Submits up to {@code tasks} tasks, one every {@code duration / tasks}, and stops at the count, or once
     * {@code duration} has passed and {@code moreWanted} says no more (the fault schedule is done).
     */
    void run(int tasks, Duration duration, BooleanSupplier moreWanted) {
        long intervalNanos = duration.toNanos() / Math.max(1, tasks);
        long start = System.nanoTime();
        List<CompletableFuture<?>> submissions = new ArrayList<>();
        for (int i = 0; i < tasks; i++) {
            long due = start + i * intervalNanos;
            if (System.nanoTime() - start > duration.toNanos() && !moreWanted.getAsBoolean()) {
                break;
            }
            // Pacing: the submissions are the load's clock.
            sleepNanos(due - System.nanoTime());
            Kind kind = pick();
            String body = body(kind, i);
            submissions.add(CompletableFuture.runAsync(() -> submit(kind, body), submitters));
        }
        CompletableFuture.allOf(submissions.toArray(CompletableFuture[]::new)).join();
    }

    /**
     * Waits until every followed task's stream delivered its final event and closed, at most {@code timeout};
     * every stream still open then is logged as {@code gave_up} (a task the client never saw finish).
     */
    void drain(Duration timeout) {
        CompletableFuture<?>[] all = followers.values().stream().map(f -> f.done).toArray(CompletableFuture[]::new);
        try {
            CompletableFuture.allOf(all).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            followers.values().stream().filter(f -> !f.done.isDone()).forEach(Follower::giveUp);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * Logs what the API says about every accepted task at the end: the task view and its job's attempt history
     * (admin API: attempts made, the retry budget {@code max_attempts}, one error per failed attempt). Read page by
     * page from the listings (a few requests, not two per task); a task missing from them is read on its own.
     */
    void logFinalViews() {
        SuiteClient client = new SuiteClient(gateways.get(0), apiKey);
        // The task view is a consumer of the event stream, so it may trail the final events the client already saw
        // (e.g. ~10 s after a gateway kill -9, until its partitions move): wait, bounded, for it to settle. A view
        // still disagreeing after VIEW_SETTLE is reported by the checker.
        java.util.concurrent.atomic.AtomicReference<Map<String, JsonNode>> listed =
                new java.util.concurrent.atomic.AtomicReference<>();
        try {
            await().atMost(VIEW_SETTLE).pollInterval(Duration.ofSeconds(2))
                    .until(() -> viewsSettled(listed.updateAndGet(
                            previous -> listAll(client, "/api/v1/tasks?limit=100", "id"))));
        } catch (ConditionTimeoutException e) {
            // left for the checker, which names each task whose view disagrees with its stream
        }
        Map<String, JsonNode> taskViews = listed.get();
        Map<String, JsonNode> jobViews = listAll(client, "/api/v1/admin/jobs?limit=200", "task_id");
        for (String taskId : followers.keySet()) {
            ObjectNode line = ChaosLog.line("view");
            line.put("task_id", taskId);
            line.set("task", taskViews.containsKey(taskId) ? taskViews.get(taskId)
                    : getWhenUp(client, "/api/v1/tasks/" + taskId));
            line.set("job", jobViews.containsKey(taskId) ? jobViews.get(taskId)
                    : getWhenUp(client, "/api/v1/admin/jobs/" + taskId));
            log.write(line);
        }
    }

    /** True when every task whose stream ended in a final event also has a final status in the listing. */
    private boolean viewsSettled(Map<String, JsonNode> taskViews) {
        return followers.values().stream().filter(Follower::sawFinal).allMatch(f -> {
            JsonNode view = taskViews.get(f.taskId);
            return view != null && FINAL_STATUSES.contains(view.path("status").asText());
        });
    }

    private static Map<String, JsonNode> listAll(SuiteClient client, String path, String idField) {
        Map<String, JsonNode> byId = new java.util.HashMap<>();
        String cursor = null;
        do {
            JsonNode page = getWhenUp(client, path + (cursor == null ? "" : "&cursor="
                    + java.net.URLEncoder.encode(cursor, java.nio.charset.StandardCharsets.UTF_8)));
            page.path("items").forEach(item -> byId.put(item.path(idField).asText(), item));
            cursor = page.path("next_cursor").isTextual() ? page.path("next_cursor").asText() : null;
        } while (cursor != null);
        return byId;
    }

    int accepted() {
        return followers.size();
    }

    private Kind pick() {
        double r = random.nextDouble();
        return r < 0.6 ? Kind.PREDICT : r < 0.85 ? Kind.EVALUATE : Kind.OPTIMIZE;
    }

    private String body(Kind kind, int i) {
        String module = random.nextBoolean() ? "predict" : "chain_of_thought";
        String program = """
                {"signature":"question -> answer","module":"%s"}""".formatted(module);
        String options = """
                {"model":"simulated"}""";
        return switch (kind) {
            case PREDICT -> """
                    {"kind":"predict","program":%s,"inputs":{"question":"chaos question %d"},"options":%s}"""
                    .formatted(program, i, options);
            case EVALUATE -> """
                    {"kind":"evaluate","program":%s,"metric":"exact_match","devset":%s,"options":%s}"""
                    .formatted(program, EXAMPLES, options);
            // Short optimizations, a few into the same program names (concurrent versions of one program).
            case OPTIMIZE -> (random.nextBoolean()
                    ? """
                            {"kind":"optimize","program":%s,"optimizer":"labeled_few_shot","params":{"k":2},"""
                    : """
                            {"kind":"optimize","program":%s,"optimizer":"bootstrap_few_shot",\
                            "params":{"max_bootstrapped_demos":1,"max_labeled_demos":1},""")
                    .formatted(program) + """
                            "metric":"exact_match","trainset":%s,"devset":%s,"target_program":"chaos-%d","options":%s}"""
                    .formatted(EXAMPLES, EXAMPLES, i % 4, options);
        };
    }

    /** One submission: retried with the same key until a gateway answers it, or {@link #SUBMIT_PATIENCE} runs out. */
    private void submit(Kind kind, String body) {
        String key = UUID.randomUUID().toString();
        try {
            await().atMost(SUBMIT_PATIENCE).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(500))
                    .until(() -> trySubmit(kind, key, body));
        } catch (ConditionTimeoutException e) {
            ObjectNode line = ChaosLog.line("submit_abandoned");
            line.put("key", key).put("kind", kind.name());
            log.write(line);
        }
    }

    /** True when the submission is settled: accepted, or refused for good. */
    private boolean trySubmit(Kind kind, String key, String body) {
        int gateway = Math.floorMod(nextGateway.getAndIncrement(), gateways.size());
        ObjectNode attempt = ChaosLog.line("submit");
        attempt.put("key", key).put("kind", kind.name()).put("gateway", gateway);
        log.write(attempt);
        HttpRequest request = HttpRequest.newBuilder(URI.create(gateways.get(gateway) + "/api/v1/tasks"))
                .header("Authorization", "Bearer " + apiKey).header("Content-Type", "application/json")
                .header("Idempotency-Key", key).timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        try {
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
            int status = response.statusCode();
            if (status == 202 || status == 200) {
                String taskId = SuiteClient.JSON.readTree(response.body()).path("id").asText();
                ObjectNode ack = ChaosLog.line("ack");
                ack.put("key", key).put("kind", kind.name()).put("task_id", taskId).put("status", status)
                        .put("gateway", gateway);
                log.write(ack);
                follow(taskId, gateway);
                return true;
            }
            ObjectNode refused = ChaosLog.line("submit_error");
            refused.put("key", key).put("gateway", gateway).put("status", status).put("body", response.body());
            log.write(refused);
            // Overloaded or briefly without a dependency: try again. Anything else is the answer.
            boolean retry = status >= 500 || status == 429 || status == 408;
            if (!retry) {
                ObjectNode rejected = ChaosLog.line("submit_rejected");
                rejected.put("key", key).put("kind", kind.name()).put("status", status);
                log.write(rejected);
            }
            return !retry;
        } catch (IOException e) {
            ObjectNode failed = ChaosLog.line("submit_error");
            failed.put("key", key).put("gateway", gateway).put("error", e.toString());
            log.write(failed);
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return true;
        }
    }

    private void follow(String taskId, int gateway) {
        Follower follower = followers.computeIfAbsent(taskId, id -> new Follower(id, gateway));
        follower.openOnce();
    }

    private void watchIdleStreams() {
        Instant now = Instant.now();
        for (Follower follower : followers.values()) {
            follower.checkIdle(now);
        }
    }

    private static JsonNode getWhenUp(SuiteClient client, String path) {
        JsonNode[] body = {null};
        try {
            await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(500)).ignoreExceptions()
                    .until(() -> {
                        SuiteClient.Response response = client.get(path);
                        body[0] = response.body();
                        return response.status() == 200;
                    });
        } catch (ConditionTimeoutException e) {
            ObjectNode missing = SuiteClient.JSON.createObjectNode();
            missing.put("unavailable", String.valueOf(body[0]));
            return missing;
        }
        return body[0];
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
        submitters.shutdownNow();
    }

    private static void sleepNanos(long nanos) {
        if (nanos > 0) {
            try {
                TimeUnit.NANOSECONDS.sleep(nanos);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, name + "-" + n.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    /**
     * Follows one task's events over as many SSE connections as it takes. Each connection is a generation: what
     * an abandoned one still delivers is ignored, as a real client that closed it would never see it.
     */
    private final class Follower {

        private final String taskId;
        private final CompletableFuture<Void> done = new CompletableFuture<>();
        private int gateway;
        private int generation;
        private long lastSeq;
        private boolean finalSeen;
        private boolean opened;
        private Instant lastEventAt = Instant.now();
        private Flow.Subscription subscription;

        synchronized boolean sawFinal() {
            return finalSeen;
        }

        Follower(String taskId, int gateway) {
            this.taskId = taskId;
            this.gateway = gateway;
        }

        synchronized void openOnce() {
            if (!opened) {
                opened = true;
                open();
            }
        }

        private synchronized void open() {
            if (done.isDone()) {
                return;
            }
            int gen = ++generation;
            lastEventAt = Instant.now();
            int replica = Math.floorMod(gateway, gateways.size());
            ObjectNode line = ChaosLog.line("stream_open");
            line.put("task_id", taskId).put("gateway", replica).put("after_seq", lastSeq).put("gen", gen);
            log.write(line);
            HttpRequest.Builder request = HttpRequest.newBuilder(
                    URI.create(gateways.get(replica) + "/api/v1/tasks/" + taskId + "/events"))
                    .header("Authorization", "Bearer " + apiKey).header("Accept", "text/event-stream").GET();
            if (lastSeq > 0) {
                request.header("Last-Event-ID", Long.toString(lastSeq));
            }
            http.sendAsync(request.build(), info -> info.statusCode() == 200
                    ? BodySubscribers.fromLineSubscriber(new Lines(gen))
                    : BodySubscribers.replacing(null))
                    .whenComplete((response, failure) -> ended(gen, response, failure));
        }

        private synchronized void subscribed(int gen, Flow.Subscription s) {
            if (gen == generation) {
                subscription = s;
            }
        }

        private synchronized void deliver(int gen, String id, String event, String data) {
            if (gen != generation || done.isDone()) {
                return;
            }
            ObjectNode line = ChaosLog.line("event");
            line.put("task_id", taskId).put("gen", gen).put("id", id).put("event", event);
            JsonNode json;
            try {
                json = SuiteClient.JSON.readTree(data);
            } catch (IOException e) {
                json = SuiteClient.JSON.getNodeFactory().textNode(data);
            }
            line.set("data", json);
            log.write(line);
            lastEventAt = Instant.now();
            try {
                lastSeq = Math.max(lastSeq, Long.parseLong(id));
            } catch (NumberFormatException | NullPointerException e) {
                // Logged as delivered; the checker reports an event without a sequence number.
            }
            if (SuiteClient.isFinalStatusEvent(json)) {
                finalSeen = true;
            }
        }

        private synchronized void ended(int gen, HttpResponse<Void> response, Throwable failure) {
            if (gen != generation || done.isDone()) {
                return;
            }
            String reason = failure != null ? "error" : response.statusCode() != 200 ? "status" : "completed";
            ObjectNode line = ChaosLog.line("stream_end");
            line.put("task_id", taskId).put("gen", gen).put("reason", reason).put("final_seen", finalSeen);
            if (failure != null) {
                line.put("detail", failure.toString());
            } else if (response.statusCode() != 200) {
                line.put("status", response.statusCode());
            }
            log.write(line);
            if (finalSeen) {
                done.complete(null);
                return;
            }
            // Resume on the other replica, as a client behind a load balancer would.
            gateway++;
            generation++;
            scheduler.schedule(this::open, failure != null ? 500 : 250, TimeUnit.MILLISECONDS);
        }

        synchronized void checkIdle(Instant now) {
            if (done.isDone() || !opened) {
                return;
            }
            Duration quiet = Duration.between(lastEventAt, now);
            if (finalSeen ? quiet.compareTo(OPEN_AFTER_FINAL) < 0 : quiet.compareTo(idleTimeout) < 0) {
                return;
            }
            ObjectNode line = ChaosLog.line("stream_end");
            line.put("task_id", taskId).put("gen", generation).put("reason", finalSeen ? "open_after_final" : "idle")
                    .put("final_seen", finalSeen).put("quiet_ms", quiet.toMillis());
            log.write(line);
            if (subscription != null) {
                subscription.cancel();
            }
            if (finalSeen) {
                generation++;
                done.complete(null);
                return;
            }
            gateway++;
            open();
        }

        synchronized void giveUp() {
            ObjectNode line = ChaosLog.line("gave_up");
            line.put("task_id", taskId).put("last_seq", lastSeq).put("final_seen", finalSeen);
            log.write(line);
            if (subscription != null) {
                subscription.cancel();
            }
            generation++;
            done.complete(null);
        }

        /** Server-Sent Events parsed from the lines of one connection. */
        private final class Lines implements Flow.Subscriber<String> {

            private final int gen;
            private String id;
            private String event;
            private final StringBuilder data = new StringBuilder();

            Lines(int gen) {
                this.gen = gen;
            }

            @Override
            public void onSubscribe(Flow.Subscription s) {
                subscribed(gen, s);
                s.request(Long.MAX_VALUE);
            }

            @Override
            public void onNext(String line) {
                if (line.isEmpty()) {
                    if (data.length() > 0) {
                        deliver(gen, id, event, data.toString());
                    }
                    id = null;
                    event = null;
                    data.setLength(0);
                } else if (line.startsWith("id:")) {
                    id = line.substring(3).strip();
                } else if (line.startsWith("event:")) {
                    event = line.substring(6).strip();
                } else if (line.startsWith("data:")) {
                    data.append(line.substring(5).strip());
                }
            }

            @Override
            public void onError(Throwable throwable) {
                // The connection's end is handled once, where the response completes.
            }

            @Override
            public void onComplete() {
                // Idem.
            }
        }
    }
}
