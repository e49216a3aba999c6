package io.dspysuite.orchestration.dspy.client;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import io.dspysuite.protos.dspy.v1.Catalog;
import io.dspysuite.protos.dspy.v1.GetCatalogRequest;
import io.dspysuite.protos.dspy.v1.MutinyDspyServiceGrpc;
import io.dspysuite.protos.dspy.v1.MutinyDspyServiceGrpc.MutinyDspyServiceStub;
import io.grpc.Channel;
import io.quarkus.grpc.GrpcClient;
import io.smallrye.mutiny.Uni;

/**
 * The DSPy service's {@code GetCatalog}: unary, cheap, with a short deadline ({@code dspy-suite.catalog.timeout}).
 * Not behind the execute circuit breaker: a catalog read is served stale by {@code CatalogCache} when it fails.
 */
@ApplicationScoped
public class DspyCatalogClient {

    private final MutinyDspyServiceStub stub;
    private final Duration timeout;

    DspyCatalogClient(@GrpcClient("dspy") Channel channel,
            @ConfigProperty(name = "dspy-suite.catalog.timeout", defaultValue = "5s") Duration timeout) {
        this.stub = MutinyDspyServiceGrpc.newMutinyStub(channel);
        this.timeout = timeout;
    }

    /** The catalog, or a failure mapped to a {@link DspyCallException}. */
    public Uni<Catalog> catalog() {
        return Uni.createFrom().deferred(() -> stub.withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
                .getCatalog(GetCatalogRequest.getDefaultInstance()))
                .onFailure().transform(DspyErrorMapper::fromFailure);
    }
}
