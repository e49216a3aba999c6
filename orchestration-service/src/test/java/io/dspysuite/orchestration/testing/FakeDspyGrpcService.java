package io.dspysuite.orchestration.testing;

import io.dspysuite.protos.dspy.v1.Catalog;
import io.dspysuite.protos.dspy.v1.DspyService;
import io.dspysuite.protos.dspy.v1.ExecuteClientMessage;
import io.dspysuite.protos.dspy.v1.GetCatalogRequest;
import io.dspysuite.protos.dspy.v1.ExecuteRequest;
import io.dspysuite.protos.dspy.v1.ExecuteUpdate;
import io.dspysuite.protos.dspy.v1.TaskResult;
import io.grpc.Status;
import io.quarkus.grpc.GrpcService;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;

/** Serves {@link FakeDspy} on the test gRPC server, where the orchestration service's client is pointed. */
@GrpcService
public class FakeDspyGrpcService implements DspyService {

    private final FakeDspy fake;

    FakeDspyGrpcService(FakeDspy fake) {
        this.fake = fake;
    }

    @Override
    public Multi<ExecuteUpdate> execute(ExecuteRequest request) {
        return fake.execute(request);
    }

    @Override
    public Uni<TaskResult> predict(ExecuteRequest request) {
        return Uni.createFrom().failure(unused());
    }

    @Override
    public Uni<Catalog> getCatalog(GetCatalogRequest request) {
        return fake.catalog();
    }

    @Override
    public Multi<ExecuteUpdate> executeInteractive(Multi<ExecuteClientMessage> messages) {
        return fake.executeInteractive(messages);
    }

    private static RuntimeException unused() {
        return Status.UNIMPLEMENTED.withDescription("not used by these tests").asRuntimeException();
    }
}
