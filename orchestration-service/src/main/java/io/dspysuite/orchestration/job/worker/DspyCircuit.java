package io.dspysuite.orchestration.job.worker;

import java.time.Duration;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import io.dspysuite.orchestration.dspy.client.DspyGrpcCall;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.faulttolerance.api.CircuitBreakerMaintenance;
import io.smallrye.faulttolerance.api.CircuitBreakerState;

/**
 * Watches the DSPy circuit breaker. While it is open, queues stop claiming: waiting jobs stay waiting, consume no
 * attempt and publish nothing. After {@code dspy-suite.retry.circuit-open-delay} (the breaker's own delay) claims
 * resume, the first calls probe the service (half-open), and the breaker closes or opens again.
 */
@ApplicationScoped
public class DspyCircuit {

    private static final Logger LOG = Logger.getLogger(DspyCircuit.class);

    private final CircuitBreakerMaintenance maintenance;
    private final long probeAfterNanos;
    private volatile CircuitBreakerState state = CircuitBreakerState.CLOSED;
    private volatile long openedAt;

    DspyCircuit(CircuitBreakerMaintenance maintenance, MeterRegistry registry,
            @ConfigProperty(name = "dspy-suite.retry.circuit-open-delay", defaultValue = "10s") Duration probeAfter) {
        this.maintenance = maintenance;
        this.probeAfterNanos = probeAfter.toNanos();
        // 0 closed, 1 half-open, 2 open: one series an alert can compare (`> 0` = the service is in trouble).
        Gauge.builder("dspy.suite.dspy.breaker.state", () -> switch (currentState()) {
            case CLOSED -> 0;
            case HALF_OPEN -> 1;
            case OPEN -> 2;
        }).description("State of the circuit breaker around DSPy calls: 0 closed, 1 half-open, 2 open")
                .register(registry);
    }

    void onStart(@Observes StartupEvent event) {
        maintenance.onStateChange(DspyGrpcCall.CIRCUIT, this::changed);
    }

    private void changed(CircuitBreakerState next) {
        if (next == CircuitBreakerState.OPEN) {
            openedAt = System.nanoTime();
        }
        state = next;
        LOG.infof("DSPy circuit breaker %s", next);
    }

    /** {@code true} while the breaker is open and not yet due for a probe. */
    public boolean holdsClaims() {
        return state == CircuitBreakerState.OPEN && System.nanoTime() - openedAt < probeAfterNanos;
    }

    public CircuitBreakerState state() {
        return state;
    }

    /**
     * The breaker's state as SmallRye Fault Tolerance reports it now (including half-open, which the state-change
     * callback above only learns on the next call); CLOSED before the breaker exists.
     */
    public CircuitBreakerState currentState() {
        try {
            return maintenance.currentState(DspyGrpcCall.CIRCUIT);
        } catch (IllegalArgumentException notYetCreated) {
            return CircuitBreakerState.CLOSED;
        }
    }
}
