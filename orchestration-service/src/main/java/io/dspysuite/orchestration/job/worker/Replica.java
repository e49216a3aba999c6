package io.dspysuite.orchestration.job.worker;

import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * This process as a lease owner: {@code <name>/<incarnation>}. The name is stable for a replica across restarts (the
 * pod name on Kubernetes, where a killed container comes back in the same pod; set explicitly per replica locally) and
 * must be unique among the live replicas; the incarnation is new for every start. That lets a restarted replica
 * recognise the jobs its previous incarnation was running and rescue them at once, instead of waiting for their
 * leases to expire.
 */
@ApplicationScoped
public class Replica {

    private final String name;
    private final String id;

    Replica(@ConfigProperty(name = "dspy-suite.replica.name") String name) {
        if (name.isBlank() || name.contains("/")) {
            throw new IllegalStateException("dspy-suite.replica.name must be non-blank and contain no '/': " + name);
        }
        this.name = name;
        this.id = name + "/" + ProcessHandle.current().pid() + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** The stable name of this replica. */
    public String name() {
        return name;
    }

    /** This incarnation's lease-owner id. */
    public String id() {
        return id;
    }
}
