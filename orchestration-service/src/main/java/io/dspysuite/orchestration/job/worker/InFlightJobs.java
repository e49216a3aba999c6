package io.dspysuite.orchestration.job.worker;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.enterprise.context.ApplicationScoped;

import io.dspysuite.orchestration.dspy.client.DspyCallHandle;
import io.dspysuite.orchestration.job.model.ClaimedJob;

/**
 * The attempts this replica is running right now, with the handles that cancel their DSPy calls and this replica's
 * view of their leases ({@link AttemptLease}). Keyed by job and attempt: after a rescue, a newer attempt of the same
 * job may run here while the old one is being stopped.
 */
@ApplicationScoped
public class InFlightJobs {

    record Running(ClaimedJob job, DspyCallHandle call, AttemptLease lease) {
    }

    private record Key(UUID id, int attempt) {
    }

    private final Map<Key, Running> running = new ConcurrentHashMap<>();

    Running add(ClaimedJob job, DspyCallHandle call) {
        Running added = new Running(job, call, new AttemptLease(job));
        running.put(new Key(job.id(), job.attempt()), added);
        return added;
    }

    /** Whether {@code attempt} still runs here (it is removed when it ends). */
    boolean contains(Running attempt) {
        return running.get(new Key(attempt.job().id(), attempt.job().attempt())) == attempt;
    }

    void remove(ClaimedJob job) {
        running.remove(new Key(job.id(), job.attempt()));
    }

    List<Running> snapshot() {
        return List.copyOf(running.values());
    }

    /** Whether an attempt of the job runs here. */
    public boolean isRunning(UUID id) {
        return running.keySet().stream().anyMatch(key -> key.id().equals(id));
    }

    /** Cancels the running DSPy calls of the job on this replica; {@code true} when there was one. */
    public boolean cancel(UUID id) {
        boolean found = false;
        for (Map.Entry<Key, Running> entry : running.entrySet()) {
            if (entry.getKey().id().equals(id)) {
                entry.getValue().call().cancel();
                found = true;
            }
        }
        return found;
    }

    /** Cancels the call of exactly this attempt, if it still runs here. */
    void cancel(ClaimedJob job) {
        Running r = running.get(new Key(job.id(), job.attempt()));
        if (r != null) {
            r.call().cancel();
        }
    }
}
