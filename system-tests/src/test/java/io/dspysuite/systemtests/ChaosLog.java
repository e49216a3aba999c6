package io.dspysuite.systemtests;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The chaos soak's client-side log: one JSON object per line for everything the client sent and received
 * (submissions, acknowledgements, every event as delivered, stream ends, faults, the final views). The
 * {@link ChaosChecker} reads nothing else. Flushed line by line, so a crashed run still leaves its evidence.
 */
final class ChaosLog implements AutoCloseable {

    private final Path file;
    private final BufferedWriter out;

    ChaosLog(Path file) {
        this.file = file;
        try {
            Files.createDirectories(file.getParent());
            out = Files.newBufferedWriter(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Path file() {
        return file;
    }

    /** A new log line of {@code type}, written by {@link #write}. */
    static ObjectNode line(String type) {
        ObjectNode line = SuiteClient.JSON.createObjectNode();
        line.put("type", type);
        return line;
    }

    synchronized void write(ObjectNode line) {
        try {
            line.put("t", Instant.now().toString());
            out.write(SuiteClient.JSON.writeValueAsString(line));
            out.newLine();
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public synchronized void close() {
        try {
            out.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
