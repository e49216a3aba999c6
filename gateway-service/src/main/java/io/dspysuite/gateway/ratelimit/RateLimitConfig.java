package io.dspysuite.gateway.ratelimit;

import java.util.Map;
import java.util.OptionalInt;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/**
 * Per-tenant submission limits ({@code dspy-suite.rate-limit.*}): a token bucket per tenant holding {@code burst}
 * submissions, refilled at {@code submits-per-minute}. {@code tenants."<id>".*} overrides either for one tenant.
 */
@ConfigMapping(prefix = "dspy-suite.rate-limit")
public interface RateLimitConfig {

    /** DSPY_SUITE_RATE_LIMIT_ENABLED */
    @WithDefault("true")
    boolean enabled();

    /** DSPY_SUITE_RATE_LIMIT_SUBMITS_PER_MINUTE: sustained submissions per minute per tenant (REST and WebSocket). */
    @WithDefault("120")
    int submitsPerMinute();

    /** DSPY_SUITE_RATE_LIMIT_BURST: submissions a tenant may make at once after being idle. */
    @WithDefault("30")
    int burst();

    Map<String, TenantLimit> tenants();

    interface TenantLimit {
        OptionalInt submitsPerMinute();

        OptionalInt burst();
    }
}
