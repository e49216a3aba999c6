package io.dspysuite.orchestration.job.worker;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import io.dspysuite.orchestration.job.model.ClaimedJob;

/**
 * This replica's view of the lease of one running attempt, on its monotonic clock ({@link System#nanoTime()}): when
 * the lease was last confirmed (the claim, then every renewal the database answered), and whether the attempt was
 * fenced. A confirmation is the moment its statement was <em>sent</em>: the database's {@code now()} that started the
 * renewed lease came later, so the lease lasts at least {@code lease} from there, whatever the offset between the two
 * clocks.
 */
final class AttemptLease {

    private final long leaseNanos;
    private final AtomicLong confirmedAt;
    private final AtomicBoolean fenced = new AtomicBoolean();

    AttemptLease(ClaimedJob job) {
        this.leaseNanos = job.lease().toNanos();
        this.confirmedAt = new AtomicLong(job.claimSentNanos());
    }

    /** A renewal sent at {@code sentNanos} was answered: the lease runs from then (an older answer changes nothing). */
    void renewed(long sentNanos) {
        confirmedAt.accumulateAndGet(sentNanos, Math::max);
    }

    /** How long the lease has gone without confirmation at {@code nowNanos}. */
    long unconfirmedNanos(long nowNanos) {
        return nowNanos - confirmedAt.get();
    }

    /** Nanoseconds from {@code nowNanos} until the lease has less than {@code marginNanos} left (≤ 0: already). */
    long nanosUntilFence(long nowNanos, long marginNanos) {
        return confirmedAt.get() + leaseNanos - marginNanos - nowNanos;
    }

    /** Marks the attempt fenced; {@code true} for the first caller only. */
    boolean fence() {
        return fenced.compareAndSet(false, true);
    }

    boolean fenced() {
        return fenced.get();
    }
}
