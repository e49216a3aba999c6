package io.dspysuite.orchestration.job.worker;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * When a failed attempt runs again: exponential backoff {@code base * 2^(attempt-1)}, capped at {@code max-delay}, with
 * ±{@code jitter} (a fraction) of random spread so that jobs failing together do not come back together.
 * <p>
 * While the DSPy service is unavailable (not there at all, or the circuit breaker open), jobs are postponed without
 * consuming an attempt, like Oban's snooze: each wait is as long as the outage has lasted so far (so waits double),
 * at least {@code base-delay}, at most {@code circuit-open-delay} (the breaker's own delay: a job comes back about when
 * the breaker lets probes through), jittered. An outage that lasts {@code unavailable-max-wait} ends the job.
 */
@ApplicationScoped
public class RetryPolicy {

    private final Duration baseDelay;
    private final Duration maxDelay;
    private final double jitter;
    private final Duration circuitOpenDelay;
    private final Duration unavailableMaxWait;

    @Inject
    RetryPolicy(@ConfigProperty(name = "dspy-suite.retry.base-delay", defaultValue = "2s") Duration baseDelay,
            @ConfigProperty(name = "dspy-suite.retry.max-delay", defaultValue = "5m") Duration maxDelay,
            @ConfigProperty(name = "dspy-suite.retry.jitter", defaultValue = "0.2") double jitter,
            @ConfigProperty(name = "dspy-suite.retry.circuit-open-delay", defaultValue = "10s") Duration circuitOpenDelay,
            @ConfigProperty(name = "dspy-suite.retry.unavailable-max-wait", defaultValue = "30m") Duration unavailableMaxWait) {
        if (jitter < 0 || jitter >= 1) {
            throw new IllegalArgumentException("dspy-suite.retry.jitter must be in [0, 1)");
        }
        this.baseDelay = baseDelay;
        this.maxDelay = maxDelay;
        this.jitter = jitter;
        this.circuitOpenDelay = circuitOpenDelay;
        this.unavailableMaxWait = unavailableMaxWait;
    }

    public RetryPolicy(Duration baseDelay, Duration maxDelay, double jitter) {
        this(baseDelay, maxDelay, jitter, Duration.ofSeconds(10), Duration.ofMinutes(30));
    }

    /** The delay before the attempt after {@code failedAttempt} (1-based). */
    public Duration backoff(int failedAttempt) {
        int exponent = Math.min(Math.max(failedAttempt - 1, 0), 30);
        double nominal = Math.min((double) baseDelay.toMillis() * (1L << exponent), maxDelay.toMillis());
        return Duration.ofMillis(Math.round(jittered(nominal)));
    }

    /**
     * How long to postpone a job that met an unavailable DSPy service, the outage having lasted {@code away} so far
     * for it: {@code away} clamped to [base-delay, circuit-open-delay], jittered.
     */
    public Duration unavailableDelay(Duration away) {
        long millis = Math.max(baseDelay.toMillis(), Math.min(away.toMillis(), circuitOpenDelay.toMillis()));
        return Duration.ofMillis(Math.round(jittered(millis)));
    }

    /** How long an outage may postpone a job for free before the job fails DSPY_SERVICE_UNAVAILABLE. */
    public Duration unavailableMaxWait() {
        return unavailableMaxWait;
    }

    public Duration baseDelay() {
        return baseDelay;
    }

    public double jitter() {
        return jitter;
    }

    private double jittered(double millis) {
        return millis * (1 + jitter * (2 * ThreadLocalRandom.current().nextDouble() - 1));
    }
}
