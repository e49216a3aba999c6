package io.dspysuite.orchestration.dspy.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.dspysuite.protos.dspy.v1.Catalog;
import io.dspysuite.protos.dspy.v1.DspyServiceGrpc;
import io.dspysuite.protos.dspy.v1.GetCatalogRequest;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.smallrye.stork.Stork;
import io.smallrye.stork.api.ServiceDefinition;
import io.smallrye.stork.servicediscovery.staticlist.StaticConfiguration;

/**
 * Two real gRPC servers on loopback ports behind a Stork static list, called through a channel that resolves
 * {@code stork-addresses://...} (found through the service file, as in production) and balances with gRPC's
 * {@code round_robin}: both serve; one that is stopped gets no calls (none fail); restarted on its port, it serves again.
 */
class StorkAddressesNameResolverProviderTest {

    private final Replica first = new Replica();
    private final Replica second = new Replica();
    private ManagedChannel channel;

    @AfterEach
    void stop() throws InterruptedException {
        if (channel != null) {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        first.stop();
        second.stop();
    }

    @Test
    void aRestartedReplicaIsBalancedAgain() throws Exception {
        first.start(0);
        second.start(0);
        String service = "replicas-" + System.nanoTime();
        storkDefine(service, "localhost:" + first.port + ",localhost:" + second.port);
        channel = ManagedChannelBuilder.forTarget(StorkAddressesNameResolverProvider.SCHEME + "://" + service)
                .defaultLoadBalancingPolicy("round_robin").usePlaintext().build();
        var stub = DspyServiceGrpc.newBlockingStub(channel);

        await().atMost(Duration.ofSeconds(20)).until(() -> {
            stub.withDeadlineAfter(5, TimeUnit.SECONDS).getCatalog(GetCatalogRequest.getDefaultInstance());
            return first.calls.get() > 0 && second.calls.get() > 0;
        });

        first.stop();
        // A call picked before the channel saw the stop may fail; after that, none does.
        await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() -> callsSucceed(stub, 1));
        int secondBefore = second.calls.get();
        assertThat(callsSucceed(stub, 10)).as("a stopped replica gets no calls").isTrue();
        assertThat(second.calls.get()).isEqualTo(secondBefore + 10);

        long restarted = System.nanoTime();
        first.start(first.port);
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50)).until(() -> {
            stub.withDeadlineAfter(5, TimeUnit.SECONDS).getCatalog(GetCatalogRequest.getDefaultInstance());
            return first.calls.get() > 0;
        });
        System.out.printf("[stork-addresses] restarted replica served its first call %d ms after its restart%n",
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - restarted));
    }

    private static boolean callsSucceed(DspyServiceGrpc.DspyServiceBlockingStub stub, int count) {
        for (int i = 0; i < count; i++) {
            stub.withDeadlineAfter(5, TimeUnit.SECONDS).getCatalog(GetCatalogRequest.getDefaultInstance());
        }
        return true;
    }

    private static void storkDefine(String service, String addresses) {
        if (Stork.getInstance() == null) { // not yet initialized by a Quarkus test of this JVM
            Stork.initialize();
        }
        Stork.getInstance().defineIfAbsent(service,
                ServiceDefinition.of(new StaticConfiguration().withAddressList(addresses)));
    }

    /** A gRPC server that counts GetCatalog calls; it can be stopped and started again on the same port. */
    private static final class Replica {
        final AtomicInteger calls = new AtomicInteger();
        int port;
        Server server;

        void start(int onPort) throws IOException {
            // A hand-built definition, not a DspyServiceImplBase subclass: Quarkus would register such a class of the
            // test sources as a gRPC service of the module's other tests.
            ServerServiceDefinition service = ServerServiceDefinition.builder(DspyServiceGrpc.SERVICE_NAME)
                    .addMethod(DspyServiceGrpc.getGetCatalogMethod(),
                            ServerCalls.asyncUnaryCall((GetCatalogRequest request, StreamObserver<Catalog> response) -> {
                                calls.incrementAndGet();
                                response.onNext(Catalog.getDefaultInstance());
                                response.onCompleted();
                            }))
                    .build();
            server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", onPort)).addService(service)
                    .build().start();
            port = server.getPort();
        }

        void stop() throws InterruptedException {
            if (server != null) {
                server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
                server = null;
            }
        }
    }
}
