package io.dspysuite.orchestration.admin.service;

import java.util.Locale;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

import io.dspysuite.orchestration.job.worker.DspyCircuit;

/**
 * Reports the DSPy circuit breaker in {@code /q/health} (and {@code /q/health/ready}) as data:
 * {@code dspy_breaker: closed|open|half_open}.
 * <p>
 * The check is always UP, on purpose. An open breaker is a state the engine handles: queues stop claiming and jobs
 * wait durably in PostgreSQL, spending no attempt, until the breaker lets a probe through. Making the replica unready
 * would only take its internal API away from the gateway (and, in Kubernetes, from its Service) without helping the
 * DSPy service recover, and it would fail on every replica at once; a liveness failure would even restart healthy
 * replicas in a loop. So operators see the state here and alert on the {@code dspy_suite_dspy_breaker_state} gauge.
 */
@Readiness
@ApplicationScoped
public class DspyBreakerHealthCheck implements HealthCheck {

    private final DspyCircuit circuit;

    DspyBreakerHealthCheck(DspyCircuit circuit) {
        this.circuit = circuit;
    }

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("DSPy circuit breaker").up()
                .withData("dspy_breaker", circuit.currentState().name().toLowerCase(Locale.ROOT))
                .build();
    }
}
