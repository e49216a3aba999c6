package io.dspysuite.orchestration.job.worker;

import jakarta.enterprise.context.ApplicationScoped;

/** This process as a lease owner: {@code <host>/<pid>}, unique among the replicas sharing the job table. */
@ApplicationScoped
public class Replica {

    private final String id = System.getenv().getOrDefault("HOSTNAME", "localhost") + "/"
            + ProcessHandle.current().pid();

    public String id() {
        return id;
    }
}
