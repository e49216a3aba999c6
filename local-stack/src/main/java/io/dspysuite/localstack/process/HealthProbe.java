package io.dspysuite.localstack.process;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.function.BooleanSupplier;

/** Ways to ask whether a started service is ready, and a bounded wait for it. */
public final class HealthProbe {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private HealthProbe() {
    }

    /** True when {@code url} answers 200 (a Quarkus {@code /q/health/ready}). */
    public static BooleanSupplier http200(String url) {
        return () -> {
            try {
                HttpRequest request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).GET().build();
                return HTTP.send(request, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
            } catch (IOException e) {
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        };
    }

    /** True when something accepts TCP connections on the loopback port. */
    public static BooleanSupplier tcp(int port) {
        return () -> {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
                return true;
            } catch (IOException e) {
                return false;
            }
        };
    }

    /**
     * Waits until {@code probe} holds, polling every 250 ms, or fails after {@code timeout} naming the service and
     * its log so the reason is one file away.
     */
    public static void await(String what, BooleanSupplier probe, Duration timeout, SupervisedProcess process) {
        Instant deadline = Instant.now().plus(timeout);
        while (!probe.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                String log = process == null ? "" : " (see " + process.logFile() + ")";
                throw new IllegalStateException(what + " was not ready within " + timeout + log);
            }
            try {
                Thread.sleep(250);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for " + what, e);
            }
        }
    }
}
