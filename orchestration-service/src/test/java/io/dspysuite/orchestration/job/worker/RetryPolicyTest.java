package io.dspysuite.orchestration.job.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.stream.IntStream;

import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {

    @RepeatedTest(20)
    void backoffDoublesPerAttemptWithinTheJitter() {
        RetryPolicy policy = new RetryPolicy(Duration.ofSeconds(1), Duration.ofMinutes(1), 0.2);

        assertThat(policy.backoff(1).toMillis()).isBetween(800L, 1200L);
        assertThat(policy.backoff(2).toMillis()).isBetween(1600L, 2400L);
        assertThat(policy.backoff(4).toMillis()).isBetween(6400L, 9600L);
    }

    @RepeatedTest(20)
    void backoffIsCappedEvenForHugeAttemptNumbers() {
        RetryPolicy policy = new RetryPolicy(Duration.ofSeconds(1), Duration.ofSeconds(30), 0.2);

        assertThat(policy.backoff(10).toMillis()).isBetween(24_000L, 36_000L);
        assertThat(policy.backoff(1_000).toMillis()).isBetween(24_000L, 36_000L);
    }

    @RepeatedTest(20)
    void outageWaitsGrowWithTheOutageBetweenTheBaseDelayAndTheBreakersDelay() {
        RetryPolicy policy = new RetryPolicy(Duration.ofSeconds(2), Duration.ofMinutes(5), 0.2,
                Duration.ofSeconds(10), Duration.ofMinutes(30));

        assertThat(policy.unavailableDelay(Duration.ZERO).toMillis()).isBetween(1600L, 2400L);
        assertThat(policy.unavailableDelay(Duration.ofSeconds(4)).toMillis()).isBetween(3200L, 4800L);
        assertThat(policy.unavailableDelay(Duration.ofMinutes(20)).toMillis()).isBetween(8000L, 12_000L);
        assertThat(policy.unavailableMaxWait()).isEqualTo(Duration.ofMinutes(30));
    }

    @Test
    void jitterSpreadsJobsThatFailedTogether() {
        RetryPolicy policy = new RetryPolicy(Duration.ofSeconds(10), Duration.ofMinutes(1), 0.2);

        long distinct = IntStream.range(0, 50).mapToObj(i -> policy.backoff(1)).distinct().count();
        assertThat(distinct).isGreaterThan(10);
    }
}
