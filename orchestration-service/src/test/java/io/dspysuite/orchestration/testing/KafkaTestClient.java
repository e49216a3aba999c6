package io.dspysuite.orchestration.testing;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;

import com.google.protobuf.InvalidProtocolBufferException;

import io.dspysuite.localstack.infra.SuiteTopics;
import io.dspysuite.protos.events.v1.TaskEvent;
import io.dspysuite.protos.events.v1.TaskRequested;
import io.dspysuite.protos.events.v1.TaskStatus;

/**
 * The gateway's side of the topics, for tests: produces requests (or any bytes) and reads what the service wrote.
 * Readers are plain assigned consumers starting at the beginning of the topic, so nothing published before a test
 * looked is missed; each task's records are collected by key. Not thread-safe: poll from the test thread.
 */
public final class KafkaTestClient implements AutoCloseable {

    public static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
    public static final String TRACEPARENT = "00-" + TRACE_ID + "-00f067aa0ba902b7-01";

    private final String bootstrapServers;
    private final KafkaProducer<String, byte[]> producer;
    private final Reader events;
    private final Reader deadLetters;

    public KafkaTestClient(String bootstrapServers) {
        this.bootstrapServers = bootstrapServers;
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        this.producer = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
        this.events = new Reader(bootstrapServers, SuiteTopics.TASKS_EVENTS);
        this.deadLetters = new Reader(bootstrapServers, SuiteTopics.TASKS_REQUESTED_DLQ);
    }

    /** Publishes a request as the gateway does (key = task id, traceparent header), waiting for the broker's ack. */
    public RecordMetadata request(TaskRequested request) {
        return send(SuiteTopics.TASKS_REQUESTED, request.getTaskId(), request.toByteArray());
    }

    /** Publishes many requests at once (no wait per record), then waits until the broker acknowledged them all. */
    public void requestAll(List<TaskRequested> requests) {
        List<java.util.concurrent.Future<RecordMetadata>> sent = new ArrayList<>();
        for (TaskRequested request : requests) {
            ProducerRecord<String, byte[]> record = new ProducerRecord<>(SuiteTopics.TASKS_REQUESTED,
                    request.getTaskId(), request.toByteArray());
            sent.add(producer.send(record));
        }
        producer.flush();
        try {
            for (java.util.concurrent.Future<RecordMetadata> ack : sent) {
                ack.get(30, TimeUnit.SECONDS);
            }
        } catch (InterruptedException | ExecutionException | TimeoutException e) {
            throw new IllegalStateException("producing requests failed", e);
        }
    }

    /** Publishes a control record as the gateway does (key = task id). */
    public RecordMetadata control(io.dspysuite.protos.events.v1.TaskControl control) {
        return send(SuiteTopics.TASKS_CONTROL, control.getTaskId(), control.toByteArray());
    }

    /** Waits until the task's events include a final status (SUCCEEDED, FAILED or CANCELLED); returns all seen. */
    public List<TaskEvent> awaitFinal(String taskId) {
        return await().until(() -> events(taskId), events -> events.stream().anyMatch(KafkaTestClient::isFinal));
    }

    /** Whether a status event with {@code status} has been published for the task. */
    public boolean hasStatus(String taskId, TaskStatus status) {
        return events(taskId).stream()
                .anyMatch(event -> event.hasStatus() && event.getStatus().getStatus() == status);
    }

    public static boolean isFinal(TaskEvent event) {
        return event.hasStatus() && switch (event.getStatus().getStatus()) {
            case TASK_STATUS_SUCCEEDED, TASK_STATUS_FAILED, TASK_STATUS_CANCELLED -> true;
            default -> false;
        };
    }

    public RecordMetadata send(String topic, String key, byte[] value) {
        return send(topic, key, value, Map.of());
    }

    /** Sends with the traceparent header and {@code headers} (UTF-8 values). */
    public RecordMetadata send(String topic, String key, byte[] value, Map<String, String> headers) {
        ProducerRecord<String, byte[]> record = new ProducerRecord<>(topic, key, value);
        record.headers().add("traceparent", TRACEPARENT.getBytes(StandardCharsets.UTF_8));
        headers.forEach((name, text) -> record.headers().add(name, text.getBytes(StandardCharsets.UTF_8)));
        try {
            return producer.send(record).get(30, TimeUnit.SECONDS);
        } catch (InterruptedException | ExecutionException | TimeoutException e) {
            throw new IllegalStateException("producing to " + topic + " failed", e);
        }
    }

    /** Every event of the task read so far (polls once), in topic order, with its Kafka key. */
    public List<ConsumerRecord<String, byte[]>> eventRecords(String taskId) {
        return events.poll(taskId);
    }

    public List<TaskEvent> events(String taskId) {
        return eventRecords(taskId).stream().map(KafkaTestClient::parseEvent).toList();
    }

    /** Waits until at least {@code count} events of the task arrived; returns all seen. */
    public List<TaskEvent> awaitEvents(String taskId, int count) {
        return await().until(() -> events(taskId), events -> events.size() >= count);
    }

    /** Awaitility polling in the caller's thread, since the consumers here belong to the test thread. */
    public static ConditionFactory await() {
        return Awaitility.await().pollInSameThread().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50));
    }

    public List<ConsumerRecord<String, byte[]>> deadLetters(String key) {
        return deadLetters.poll(key);
    }

    /** The next offset the consumer group will read from the record's partition (-1 when none committed). */
    public long committedOffset(String groupId, RecordMetadata record) {
        TopicPartition partition = new TopicPartition(record.topic(), record.partition());
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
            OffsetAndMetadata committed = admin.listConsumerGroupOffsets(groupId).partitionsToOffsetAndMetadata()
                    .get(30, TimeUnit.SECONDS).get(partition);
            return committed == null ? -1 : committed.offset();
        } catch (InterruptedException | ExecutionException | TimeoutException e) {
            throw new IllegalStateException("reading offsets of group " + groupId + " failed", e);
        }
    }

    private static TaskEvent parseEvent(ConsumerRecord<String, byte[]> record) {
        try {
            return TaskEvent.parseFrom(record.value());
        } catch (InvalidProtocolBufferException e) {
            throw new AssertionError("an event on " + record.topic() + " is not a TaskEvent", e);
        }
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
        events.close();
        deadLetters.close();
    }

    /** Reads a whole topic from its beginning, collecting records by key. */
    private static final class Reader implements AutoCloseable {

        private final KafkaConsumer<String, byte[]> consumer;
        private final Map<String, List<ConsumerRecord<String, byte[]>>> byKey = new ConcurrentHashMap<>();

        Reader(String bootstrapServers, String topic) {
            Properties props = new Properties();
            props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
            props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
            consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
            List<TopicPartition> partitions = new ArrayList<>();
            for (PartitionInfo info : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
                partitions.add(new TopicPartition(topic, info.partition()));
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
        }

        List<ConsumerRecord<String, byte[]>> poll(String key) {
            for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                byKey.computeIfAbsent(String.valueOf(record.key()), k -> new ArrayList<>()).add(record);
            }
            return List.copyOf(byKey.getOrDefault(key, List.of()));
        }

        @Override
        public void close() {
            consumer.close();
        }
    }
}
