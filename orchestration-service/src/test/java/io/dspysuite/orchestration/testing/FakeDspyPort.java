package io.dspysuite.orchestration.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.Map;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * Puts the test gRPC server (which serves {@link FakeDspyGrpcService}) on a free port and points the DSPy client at
 * it, so parallel builds on one machine do not fight over a fixed port.
 */
public class FakeDspyPort implements QuarkusTestResourceLifecycleManager {

    @Override
    public Map<String, String> start() {
        String port = String.valueOf(freePort());
        return Map.of(
                "quarkus.grpc.server.test-port", port,
                "quarkus.grpc.clients.dspy.host", "localhost",
                "quarkus.grpc.clients.dspy.port", port,
                // In test mode Quarkus points clients at their test-port instead of their port.
                "quarkus.grpc.clients.dspy.test-port", port);
    }

    @Override
    public void stop() {
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
