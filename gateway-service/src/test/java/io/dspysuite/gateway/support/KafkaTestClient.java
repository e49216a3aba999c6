package io.dspysuite.gateway.support;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Struct;
import com.google.protobuf.Timestamp;
import com.google.protobuf.Value;

import io.dspysuite.localstack.testing.SuiteInfraTestResource;
import io.dspysuite.protos.dspy.v1.Usage;
import io.dspysuite.protos.events.v1.Error;
import io.dspysuite.protos.events.v1.Result;
import io.dspysuite.protos.events.v1.StatusChanged;
import io.dspysuite.protos.events.v1.TaskControl;
import io.dspysuite.protos.events.v1.TaskEvent;
import io.dspysuite.protos.events.v1.TaskRequested;
import io.dspysuite.protos.events.v1.TaskStatus;

/**
 * Plays the orchestration service against the real broker: reads what the gateway published, produces task events.
 */
public final class KafkaTestClient {

    public static final String REQUESTED = "dspy.tasks.requested";
    public static final String EVENTS = "dspy.tasks.events";
    public static final String CONTROL = "dspy.tasks.control";

    /** Parses a record value. */
    public interface Parser<T> {
        T parse(byte[] value) throws InvalidProtocolBufferException;
    }

    private static KafkaProducer<String, byte[]> producer;

    private KafkaTestClient() {
    }

    private static String bootstrap() {
        return SuiteInfraTestResource.infra().kafkaBootstrapServers();
    }

    private static synchronized KafkaProducer<String, byte[]> producer() {
        if (producer == null) {
            Map<String, Object> config = Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap(),
                    ProducerConfig.ACKS_CONFIG, "all",
                    ProducerConfig.LINGER_MS_CONFIG, 0,
                    ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                    ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
            producer = new KafkaProducer<>(config);
        }
        return producer;
    }

    private static KafkaConsumer<String, byte[]> consumer() {
        Map<String, Object> config = new HashMap<>();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        return new KafkaConsumer<>(config);
    }

    /** Every TaskRequested keyed by this task id on dspy.tasks.requested, waiting up to the timeout for the first. */
    public static List<TaskRequested> requestsFor(UUID taskId, Duration timeout) {
        return recordsFor(REQUESTED, taskId, timeout, TaskRequested::parseFrom);
    }

    /** Every TaskControl keyed by this task id on dspy.tasks.control, waiting up to the timeout for the first. */
    public static List<TaskControl> controlsFor(UUID taskId, Duration timeout) {
        return recordsFor(CONTROL, taskId, timeout, TaskControl::parseFrom);
    }

    /** The value of the tenant header of every TaskRequested keyed by this task id (null where it is missing). */
    public static List<String> tenantHeadersFor(UUID taskId, Duration timeout) {
        return matching(REQUESTED, taskId, timeout, record -> {
            org.apache.kafka.common.header.Header header = record.headers().lastHeader("dspy-tenant-id");
            return header == null ? null : new String(header.value(), java.nio.charset.StandardCharsets.UTF_8);
        });
    }

    /** Every record keyed by this task id on the topic, waiting up to the timeout for the first. */
    public static <T> List<T> recordsFor(String topic, UUID taskId, Duration timeout, Parser<T> parser) {
        return matching(topic, taskId, timeout, record -> parser.parse(record.value()));
    }

    private interface RecordParser<T> {
        T parse(ConsumerRecord<String, byte[]> record) throws InvalidProtocolBufferException;
    }

    private static <T> List<T> matching(String topic, UUID taskId, Duration timeout, RecordParser<T> parser) {
        Instant deadline = Instant.now().plus(timeout);
        try (KafkaConsumer<String, byte[]> consumer = consumer()) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            java.util.ArrayList<T> found = new java.util.ArrayList<>();
            while (Instant.now().isBefore(deadline)) {
                boolean caughtUp = true;
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    if (taskId.toString().equals(record.key())) {
                        try {
                            found.add(parser.parse(record));
                        } catch (InvalidProtocolBufferException e) {
                            throw new IllegalStateException("not a " + topic + " record", e);
                        }
                    }
                }
                Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
                for (TopicPartition partition : partitions) {
                    caughtUp &= consumer.position(partition) >= end.get(partition);
                }
                if (caughtUp && !found.isEmpty()) {
                    return found;
                }
            }
            return found;
        }
    }

    /** The first TaskRequested on the topic that matches, waiting up to the timeout (for tests that lack the id). */
    public static Optional<TaskRequested> awaitRequestMatching(java.util.function.Predicate<TaskRequested> match,
            Duration timeout) {
        Instant deadline = Instant.now().plus(timeout);
        try (KafkaConsumer<String, byte[]> consumer = consumer()) {
            List<TopicPartition> partitions = consumer.partitionsFor(REQUESTED).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            while (Instant.now().isBefore(deadline)) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    try {
                        TaskRequested request = TaskRequested.parseFrom(record.value());
                        if (match.test(request)) {
                            return Optional.of(request);
                        }
                    } catch (InvalidProtocolBufferException e) {
                        throw new IllegalStateException("not a TaskRequested", e);
                    }
                }
            }
            return Optional.empty();
        }
    }

    public static Optional<TaskRequested> awaitRequest(UUID taskId) {
        return requestsFor(taskId, Duration.ofSeconds(20)).stream().findFirst();
    }

    /** Sum of the end offsets of a topic: grows by one per record published. */
    public static long endOffsetSum(String topic) {
        try (KafkaConsumer<String, byte[]> consumer = consumer()) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            return consumer.endOffsets(partitions).values().stream().mapToLong(Long::longValue).sum();
        }
    }

    public static void send(TaskEvent... events) {
        for (TaskEvent event : events) {
            try {
                producer().send(new ProducerRecord<>(EVENTS, event.getTaskId(), event.toByteArray()))
                        .get(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            } catch (ExecutionException | TimeoutException e) {
                throw new IllegalStateException("producing a task event failed", e);
            }
        }
    }

    /** Raw bytes on the events topic (a record that is not a TaskEvent). */
    public static void sendRaw(String key, byte[] value) throws Exception {
        producer().send(new ProducerRecord<>(EVENTS, key, value)).get(10, TimeUnit.SECONDS);
    }


    // ---- TaskEvent builders: what the orchestration service publishes --------------------------------------------

    private static TaskEvent.Builder event(UUID taskId, long seq) {
        Instant now = Instant.now();
        return TaskEvent.newBuilder()
                .setTaskId(taskId.toString())
                .setTenantId("dev")
                .setSeq(seq)
                .setOccurredAt(Timestamp.newBuilder().setSeconds(now.getEpochSecond()).setNanos(now.getNano()));
    }

    public static TaskEvent status(UUID taskId, long seq, TaskStatus status, int attempt) {
        return event(taskId, seq).setStatus(StatusChanged.newBuilder().setStatus(status).setAttempt(attempt)).build();
    }

    public static TaskEvent result(UUID taskId, long seq, String field, String value) {
        return event(taskId, seq).setResult(Result.newBuilder()
                .setOutputs(Struct.newBuilder().putFields(field, Value.newBuilder().setStringValue(value).build()))
                .setUsage(Usage.newBuilder().setInputTokens(42).setOutputTokens(7).setLmCalls(1))
                .setModel("smollm2-135m"))
                .build();
    }

    public static TaskEvent error(UUID taskId, long seq, String code, boolean retryable) {
        return event(taskId, seq).setError(Error.newBuilder().setCode(code).setMessage("it broke").setRetryable(retryable))
                .build();
    }

    /** The happy path of a predict task: queued, running, result, succeeded. */
    public static TaskEvent[] succeeded(UUID taskId, String field, String value) {
        return new TaskEvent[] {
                status(taskId, 1, TaskStatus.TASK_STATUS_QUEUED, 0),
                status(taskId, 2, TaskStatus.TASK_STATUS_RUNNING, 1),
                result(taskId, 3, field, value),
                status(taskId, 4, TaskStatus.TASK_STATUS_SUCCEEDED, 0) };
    }
}
