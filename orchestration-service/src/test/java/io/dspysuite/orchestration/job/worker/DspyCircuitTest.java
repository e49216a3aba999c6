package io.dspysuite.orchestration.job.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.function.Consumer;

import org.junit.jupiter.api.Test;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.smallrye.faulttolerance.api.CircuitBreakerMaintenance;
import io.smallrye.faulttolerance.api.CircuitBreakerState;

/** The breaker-state gauge follows what SmallRye Fault Tolerance reports, half-open included. */
class DspyCircuitTest {

    private CircuitBreakerState reported = CircuitBreakerState.CLOSED;
    private boolean exists = true;

    private final CircuitBreakerMaintenance maintenance = new CircuitBreakerMaintenance() {
        @Override
        public CircuitBreakerState currentState(String name) {
            if (!exists) {
                throw new IllegalArgumentException("no circuit breaker " + name);
            }
            return reported;
        }

        @Override
        public void onStateChange(String name, Consumer<CircuitBreakerState> callback) {
        }

        @Override
        public void reset(String name) {
        }

        @Override
        public void resetAll() {
        }
    };

    @Test
    void gaugeIsZeroClosedOneHalfOpenTwoOpen() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        DspyCircuit circuit = new DspyCircuit(maintenance, registry, Duration.ofSeconds(10));

        assertThat(gauge(registry)).isEqualTo(0);
        reported = CircuitBreakerState.HALF_OPEN;
        assertThat(gauge(registry)).isEqualTo(1);
        assertThat(circuit.currentState()).isEqualTo(CircuitBreakerState.HALF_OPEN);
        reported = CircuitBreakerState.OPEN;
        assertThat(gauge(registry)).isEqualTo(2);
    }

    @Test
    void aBreakerNotCreatedYetIsClosed() {
        exists = false;
        DspyCircuit circuit = new DspyCircuit(maintenance, new SimpleMeterRegistry(), Duration.ofSeconds(10));

        assertThat(circuit.currentState()).isEqualTo(CircuitBreakerState.CLOSED);
    }

    private static double gauge(SimpleMeterRegistry registry) {
        return registry.get("dspy.suite.dspy.breaker.state").gauge().value();
    }
}
