package io.dspysuite.orchestration.job.worker;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * When a failed attempt runs again: exponential backoff {@code base * 2^(attempt-1)}, capped at {@code max-delay}, with
 * ±{@code jitter} (a fraction) of random spread so that jobs failing together do not come back together.
 * While the DSPy circuit breaker is open, jobs are postponed by {@code circuit-open-delay} (jittered) without
 * consuming an attempt, for at most {@code circuit-open-max-age} after they were stored.
 */
@ApplicationScoped
public class RetryPolicy {

    private final Duration baseDelay;
    private final Duration maxDelay;
    private final double jitter;
    private final Duration circuitOpenDelay;
    private final Duration circuitOpenMaxAge;

    @Inject
    RetryPolicy(@ConfigProperty(name = "dspy-suite.retry.base-delay", defaultValue = "2s") Duration baseDelay,
            @ConfigProperty(name = "dspy-suite.retry.max-delay", defaultValue = "5m") Duration maxDelay,
            @ConfigProperty(name = "dspy-suite.retry.jitter", defaultValue = "0.2") double jitter,
            @ConfigProperty(name = "dspy-suite.retry.circuit-open-delay", defaultValue = "5s") Duration circuitOpenDelay,
            @ConfigProperty(name = "dspy-suite.retry.circuit-open-max-age", defaultValue = "30m") Duration circuitOpenMaxAge) {
        if (jitter < 0 || jitter >= 1) {
            throw new IllegalArgumentException("dspy-suite.retry.jitter must be in [0, 1)");
        }
        this.baseDelay = baseDelay;
        this.maxDelay = maxDelay;
        this.jitter = jitter;
        this.circuitOpenDelay = circuitOpenDelay;
        this.circuitOpenMaxAge = circuitOpenMaxAge;
    }

    public RetryPolicy(Duration baseDelay, Duration maxDelay, double jitter) {
        this(baseDelay, maxDelay, jitter, Duration.ofSeconds(5), Duration.ofMinutes(30));
    }

    /** The delay before the attempt after {@code failedAttempt} (1-based). */
    public Duration backoff(int failedAttempt) {
        int exponent = Math.min(Math.max(failedAttempt - 1, 0), 30);
        double nominal = Math.min((double) baseDelay.toMillis() * (1L << exponent), maxDelay.toMillis());
        return Duration.ofMillis(Math.round(jittered(nominal)));
    }

    public Duration circuitOpenDelay() {
        return Duration.ofMillis(Math.round(jittered(circuitOpenDelay.toMillis())));
    }

    public Duration circuitOpenMaxAge() {
        return circuitOpenMaxAge;
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
