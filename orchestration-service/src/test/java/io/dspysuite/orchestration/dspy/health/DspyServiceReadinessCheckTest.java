package io.dspysuite.orchestration.dspy.health;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.eclipse.microprofile.health.HealthCheckResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import grpc.health.v1.HealthGrpc;
import grpc.health.v1.HealthOuterClass;
import grpc.health.v1.HealthOuterClass.HealthCheckResponse.ServingStatus;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.stub.StreamObserver;

/**
 * The readiness check against real gRPC over TCP: a port nobody listens on, and a health server whose answer the test
 * sets (the Python service's NOT_SERVING while it loads its model, then SERVING).
 */
class DspyServiceReadinessCheckTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    /** Generous: the first call on a loaded machine also connects and warms up both sides. */
    private static final Duration DEADLINE = Duration.ofSeconds(20);

    private ManagedChannel channel;
    private Server server;

    @AfterEach
    void close() throws InterruptedException {
        if (channel != null) {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        if (server != null) {
            server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void anUnreachableServiceIsDownWithinTheDeadline() throws IOException {
        channel = ManagedChannelBuilder.forAddress("127.0.0.1", freePort()).usePlaintext().build();
        DspyServiceReadinessCheck check = new DspyServiceReadinessCheck(channel, Duration.ofMillis(500),
                Duration.ofSeconds(5));

        long started = System.nanoTime();
        HealthCheckResponse response = check.call().await().atMost(WAIT);

        assertThat(response.getStatus()).isEqualTo(HealthCheckResponse.Status.DOWN);
        assertThat(response.getName()).isEqualTo(DspyServiceReadinessCheck.NAME);
        assertThat(response.getData().orElseThrow().get("status")).isIn("UNAVAILABLE", "DEADLINE_EXCEEDED");
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(3));
    }

    @Test
    void servingIsUpNotServingIsDownAndAnswersAreCached() throws IOException {
        AtomicReference<ServingStatus> status = new AtomicReference<>(ServingStatus.NOT_SERVING);
        AtomicInteger calls = new AtomicInteger();
        server = ServerBuilder.forPort(0).addService(new HealthGrpc.HealthImplBase() {
            @Override
            public void check(HealthOuterClass.HealthCheckRequest request,
                    StreamObserver<HealthOuterClass.HealthCheckResponse> observer) {
                calls.incrementAndGet();
                observer.onNext(HealthOuterClass.HealthCheckResponse.newBuilder().setStatus(status.get()).build());
                observer.onCompleted();
            }
        }).build().start();
        channel = ManagedChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();

        DspyServiceReadinessCheck loading = new DspyServiceReadinessCheck(channel, DEADLINE, Duration.ofMinutes(1));
        HealthCheckResponse notServing = loading.call().await().atMost(WAIT);
        assertThat(notServing.getStatus()).isEqualTo(HealthCheckResponse.Status.DOWN);
        assertThat(notServing.getData().orElseThrow().get("status")).isEqualTo("NOT_SERVING");
        status.set(ServingStatus.SERVING);
        // Within the cache period the probe is not repeated: still the first answer, still one call.
        assertThat(loading.call().await().atMost(WAIT).getStatus()).isEqualTo(HealthCheckResponse.Status.DOWN);
        assertThat(calls).hasValue(1);

        DspyServiceReadinessCheck ready = new DspyServiceReadinessCheck(channel, DEADLINE, Duration.ZERO);
        HealthCheckResponse up = ready.call().await().atMost(WAIT);
        assertThat(up.getStatus()).as("%s", up.getData()).isEqualTo(HealthCheckResponse.Status.UP);
        assertThat(up.getData().orElseThrow().get("status")).isEqualTo("SERVING");
        status.set(ServingStatus.NOT_SERVING);
        assertThat(ready.call().await().atMost(WAIT).getStatus()).as("no caching with a zero period")
                .isEqualTo(HealthCheckResponse.Status.DOWN);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
