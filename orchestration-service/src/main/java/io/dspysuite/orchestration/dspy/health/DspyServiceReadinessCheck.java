package io.dspysuite.orchestration.dspy.health;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

import grpc.health.v1.HealthOuterClass.HealthCheckRequest;
import grpc.health.v1.HealthOuterClass.HealthCheckResponse.ServingStatus;
import grpc.health.v1.MutinyHealthGrpc;
import io.grpc.Channel;
import io.grpc.Status;
import io.quarkus.grpc.GrpcClient;
import io.smallrye.health.api.AsyncHealthCheck;
import io.smallrye.mutiny.Uni;

/**
 * Readiness covers the DSPy service: the standard {@code grpc.health.v1.Health/Check} (overall server status, service
 * {@code ""}) over the same client channel the jobs use. UP when it answers SERVING; DOWN when it answers anything else
 * (the Python service reports NOT_SERVING until its default LM is loaded, and while it shuts down), fails, or does not
 * answer within {@code dspy-suite.dspy.health.timeout}.
 * <p>
 * Non-blocking, and the outcome is cached for {@code dspy-suite.dspy.health.cache-for}: probes of every replica (and
 * of several probers) cost at most one call per period; concurrent probes share the call in flight. With several
 * Python replicas behind the channel's load balancer, each call asks the replica the balancer picks.
 * <p>
 * Note: this takes the replica out of its Kubernetes Service while the DSPy service is away. Jobs are not affected
 * (they wait durably; see {@code DspyBreakerHealthCheck}), but the internal API the gateway reads becomes unreachable
 * through that Service for as long.
 */
@Readiness
@ApplicationScoped
public class DspyServiceReadinessCheck implements AsyncHealthCheck {

    static final String NAME = "DSPy service (gRPC health)";

    private final MutinyHealthGrpc.MutinyHealthStub stub;
    private final Duration timeout;
    private final Uni<HealthCheckResponse> cached;

    DspyServiceReadinessCheck(@GrpcClient("dspy") Channel channel,
            @ConfigProperty(name = "dspy-suite.dspy.health.timeout", defaultValue = "1s") Duration timeout,
            @ConfigProperty(name = "dspy-suite.dspy.health.cache-for", defaultValue = "5s") Duration cacheFor) {
        this.stub = MutinyHealthGrpc.newMutinyStub(channel);
        this.timeout = timeout;
        Uni<HealthCheckResponse> probe = Uni.createFrom().deferred(this::probe);
        this.cached = cacheFor.isZero() ? probe : probe.memoize().atLeast(cacheFor);
    }

    @Override
    public Uni<HealthCheckResponse> call() {
        return cached;
    }

    /** One Health/Check call; never fails (a failure is a DOWN response). */
    Uni<HealthCheckResponse> probe() {
        return Uni.createFrom()
                .deferred(() -> stub.withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
                        .check(HealthCheckRequest.getDefaultInstance()))
                .map(answer -> answer.getStatus() == ServingStatus.SERVING
                        ? HealthCheckResponse.named(NAME).up().withData("status", "SERVING").build()
                        : down(answer.getStatus().name()))
                .onFailure().recoverWithItem(failure -> down(Status.fromThrowable(failure).getCode().name()));
    }

    private static HealthCheckResponse down(String status) {
        return HealthCheckResponse.named(NAME).down().withData("status", status).build();
    }
}
