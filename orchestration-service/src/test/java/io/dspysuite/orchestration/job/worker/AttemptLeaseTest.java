package io.dspysuite.orchestration.job.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.dspysuite.orchestration.job.model.ClaimedJob;
import io.dspysuite.orchestration.job.model.JobQueue;
import io.dspysuite.orchestration.testing.TaskRequests;

class AttemptLeaseTest {

    private static final long SECOND = Duration.ofSeconds(1).toNanos();

    @Test
    void theFenceIsDueWhenOnlyTheMarginOfTheLeaseIsLeftSinceTheClaimWasSent() {
        AttemptLease lease = new AttemptLease(claimedAt(100 * SECOND, Duration.ofSeconds(15)));

        assertThat(lease.nanosUntilFence(100 * SECOND, 2 * SECOND)).isEqualTo(13 * SECOND);
        assertThat(lease.nanosUntilFence(112 * SECOND, 2 * SECOND)).isEqualTo(SECOND);
        assertThat(lease.nanosUntilFence(114 * SECOND, 2 * SECOND)).isEqualTo(-SECOND);
        assertThat(lease.unconfirmedNanos(114 * SECOND)).isEqualTo(14 * SECOND);
    }

    @Test
    void aRenewalMovesTheFenceFromWhenItWasSentAndAnOlderAnswerNeverMovesItBack() {
        AttemptLease lease = new AttemptLease(claimedAt(100 * SECOND, Duration.ofSeconds(15)));

        lease.renewed(110 * SECOND);
        assertThat(lease.nanosUntilFence(111 * SECOND, 2 * SECOND)).isEqualTo(12 * SECOND);
        // A heartbeat sent earlier that answers late confirms less than the one already counted.
        lease.renewed(105 * SECOND);
        assertThat(lease.nanosUntilFence(111 * SECOND, 2 * SECOND)).isEqualTo(12 * SECOND);
    }

    @Test
    void anAttemptIsFencedOnce() {
        AttemptLease lease = new AttemptLease(claimedAt(0, Duration.ofSeconds(3)));

        assertThat(lease.fenced()).isFalse();
        assertThat(lease.fence()).isTrue();
        assertThat(lease.fence()).isFalse();
        assertThat(lease.fenced()).isTrue();
    }

    private static ClaimedJob claimedAt(long sentNanos, Duration lease) {
        return new ClaimedJob(UUID.randomUUID(), TaskRequests.TENANT, JobQueue.INTERACTIVE, 1, 5,
                TaskRequests.predict("q"), null, lease, Instant.now(), "replica/1", null, sentNanos);
    }
}
