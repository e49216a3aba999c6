package io.dspysuite.localstack.infra;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/** The local infrastructure is real: records round-trip through the broker, SQL runs on PostgreSQL, data survives. */
class LocalInfraTest {

    @Test
    void kafkaBrokerRoundTripsRecordsAndKeepsThemAcrossRestart() throws Exception {
        Path logDir = Files.createTempDirectory("kafka-test");
        String value = "hello-" + UUID.randomUUID();
        try (KafkaBroker broker = KafkaBroker.start(0, logDir)) {
            broker.createSuiteTopics();
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                    ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), new StringSerializer())) {
                producer.send(new ProducerRecord<>(SuiteTopics.TASKS_EVENTS, "k", value)).get();
            }
        }
        try (KafkaBroker restarted = KafkaBroker.start(0, logDir)) {
            assertThat(readAll(restarted.bootstrapServers(), SuiteTopics.TASKS_EVENTS)).contains(value);
        }
    }

    @Test
    void postgresRunsSqlInTheSuiteDatabase() throws Exception {
        try (PostgresServer postgres = PostgresServer.start(0, null);
                Connection connection = DriverManager.getConnection(postgres.jdbcUrl(), PostgresServer.USER,
                        PostgresServer.PASSWORD);
                ResultSet rs = connection.createStatement().executeQuery("SELECT current_database(), 40 + 2")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString(1)).isEqualTo(PostgresServer.DATABASE);
            assertThat(rs.getInt(2)).isEqualTo(42);
        }
    }

    @Test
    void postgresCommitsDurably() throws Exception {
        try (PostgresServer postgres = PostgresServer.start(0, null);
                Connection connection = DriverManager.getConnection(postgres.jdbcUrl(), PostgresServer.USER,
                        PostgresServer.PASSWORD);
                ResultSet rs = connection.createStatement().executeQuery(
                        "SELECT current_setting('fsync'), current_setting('synchronous_commit')")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString(1)).isEqualTo("on");
            assertThat(rs.getString(2)).isEqualTo("on");
        }
    }

    private static List<String> readAll(String bootstrap, String topic) {
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG, "test-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (values.isEmpty() && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
                    values.add(record.value());
                }
            }
        }
        return values;
    }
}
