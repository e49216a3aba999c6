package io.dspysuite.gateway.ratelimit;

import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;

import jakarta.enterprise.context.ApplicationScoped;

import io.dspysuite.gateway.problem.ApiException;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Per-tenant token buckets (Bucket4j) for task submissions, REST and WebSocket alike. Buckets live in this replica's
 * memory: with R replicas behind a balancer a tenant gets up to R times the configured rate.
 */
@ApplicationScoped
public class SubmitRateLimiter {

    private final RateLimitConfig config;
    private final ConcurrentMap<String, Bucket> buckets = new ConcurrentHashMap<>();
    private final MeterRegistry registry;

    public SubmitRateLimiter(RateLimitConfig config, MeterRegistry registry) {
        this.config = config;
        this.registry = registry;
    }

    /**
     * Takes one submission from the tenant's bucket.
     *
     * @throws ApiException RATE_LIMITED with the seconds until the next token when the bucket is empty
     */
    public void acquire(String tenantId) {
        if (!config.enabled()) {
            return;
        }
        ConsumptionProbe probe = buckets.computeIfAbsent(tenantId, this::bucket).tryConsumeAndReturnRemaining(1);
        if (!probe.isConsumed()) {
            Counter.builder("dspy_suite_rate_limited_submissions")
                    .description("Submissions refused with 429 RATE_LIMITED")
                    .tag("tenant", tenantId)
                    .register(registry)
                    .increment();
            long seconds = (long) Math.ceil(probe.getNanosToWaitForRefill() / (double) TimeUnit.SECONDS.toNanos(1));
            throw ApiException.rateLimited("Too many task submissions; retry in " + Math.max(1, seconds) + " s", seconds);
        }
    }

    private Bucket bucket(String tenantId) {
        RateLimitConfig.TenantLimit override = config.tenants().get(tenantId);
        int perMinute = override != null && override.submitsPerMinute().isPresent()
                ? override.submitsPerMinute().getAsInt()
                : config.submitsPerMinute();
        int burst = override != null && override.burst().isPresent() ? override.burst().getAsInt() : config.burst();
        return Bucket.builder()
                .addLimit(Bandwidth.builder()
                        .capacity(Math.max(1, burst))
                        .refillGreedy(Math.max(1, perMinute), Duration.ofMinutes(1))
                        .build())
                .build();
    }
}
