package io.dspysuite.orchestration.job.worker;

import java.time.Duration;
import java.util.Map;

import io.dspysuite.orchestration.job.model.TaskKinds;
import io.dspysuite.protos.dspy.v1.TaskKind;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithParentName;

/**
 * Per-kind settings, e.g. {@code dspy-suite.kinds.predict.max-attempts=5} (env
 * {@code DSPY_SUITE_KINDS_PREDICT_MAX_ATTEMPTS}). Every kind (predict, evaluate, optimize) must be configured.
 */
@ConfigMapping(prefix = "dspy-suite.kinds")
public interface KindsConfig {

    @WithParentName
    Map<String, Kind> kinds();

    default Kind of(TaskKind kind) {
        String name = TaskKinds.dbValue(kind);
        Kind config = kinds().get(name);
        if (config == null) {
            throw new IllegalStateException("no configuration for task kind " + name + " (dspy-suite.kinds." + name
                    + ".*)");
        }
        return config;
    }

    interface Kind {

        /** Attempts a job of this kind gets before it fails for good (transient failures only are retried). */
        int maxAttempts();

        /**
         * How long one attempt may run: the gRPC deadline of the call, which also cancels the work in the DSPy
         * service. Independent of the lease, which heartbeats keep alive for as long as the attempt runs.
         */
        Duration timeout();
    }
}
