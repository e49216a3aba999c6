package io.dspysuite.orchestration.dspy.client;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

import org.jboss.logging.Logger;

import io.grpc.EquivalentAddressGroup;
import io.grpc.NameResolver;
import io.grpc.NameResolverProvider;
import io.grpc.Status;
import io.grpc.StatusOr;
import io.smallrye.stork.Stork;
import io.smallrye.stork.api.Service;
import io.smallrye.stork.api.ServiceInstance;

/**
 * A gRPC name resolver ({@code stork-addresses://<service>}) that takes the addresses of a service from SmallRye Stork
 * discovery and leaves balancing to gRPC's own policy ({@code quarkus.grpc.clients.<name>.load-balancing-policy},
 * {@code round_robin} for the Python replicas).
 * <p>
 * Why not Quarkus' {@code name-resolver=stork}: with the classic gRPC client it also forces Quarkus' Stork load
 * balancer, which connects a subchannel only when it is created and then picks among the READY ones. A replica that
 * was killed leaves an IDLE subchannel that nothing asks to reconnect while another replica is READY, so a restarted
 * replica got no calls for minutes (and every re-resolution leaks subchannels: quarkusio/quarkus#54869, fixed upstream
 * after 3.33 by quarkusio/quarkus#55185). gRPC's {@code round_robin} keeps one subchannel per address, sends calls only
 * to READY ones (a dead replica gets none) and reconnects an IDLE or failed subchannel with gRPC's connection backoff,
 * so a restarted replica is back in the rotation as soon as it accepts connections.
 * <p>
 * Registered through {@code META-INF/services/io.grpc.NameResolverProvider}.
 */
public final class StorkAddressesNameResolverProvider extends NameResolverProvider {

    public static final String SCHEME = "stork-addresses";

    private static final Logger LOG = Logger.getLogger(StorkAddressesNameResolverProvider.class);

    @Override
    protected boolean isAvailable() {
        return true;
    }

    @Override
    protected int priority() {
        return 4; // below the default DNS resolver (5): used only for its own scheme
    }

    @Override
    public String getDefaultScheme() {
        return SCHEME;
    }

    @Override
    public Collection<Class<? extends SocketAddress>> getProducedSocketAddressTypes() {
        return List.of(InetSocketAddress.class);
    }

    @Override
    public NameResolver newNameResolver(URI target, NameResolver.Args args) {
        if (!SCHEME.equals(target.getScheme())) {
            return null;
        }
        return new StorkAddressesResolver(target.getHost(), target.getAuthority());
    }

    /** Resolves on start and whenever the balancer asks (a subchannel failed); every answer reaches the listener. */
    static final class StorkAddressesResolver extends NameResolver {

        private final String serviceName;
        private final String authority;
        private volatile Listener2 listener;
        private volatile boolean shutdown;

        StorkAddressesResolver(String serviceName, String authority) {
            this.serviceName = serviceName;
            this.authority = authority;
        }

        @Override
        public String getServiceAuthority() {
            return authority;
        }

        @Override
        public void start(Listener2 listener) {
            this.listener = listener;
            resolve();
        }

        @Override
        public void refresh() {
            resolve();
        }

        @Override
        public void shutdown() {
            shutdown = true;
        }

        private void resolve() {
            if (shutdown) {
                return;
            }
            Service service = Stork.getInstance().getServiceOptional(serviceName).orElse(null);
            if (service == null) {
                listener.onError(Status.UNAVAILABLE.withDescription("no Stork service named " + serviceName));
                return;
            }
            service.getServiceDiscovery().getServiceInstances().subscribe().with(this::publish, failure -> {
                LOG.warnf(failure, "Stork discovery of %s failed", serviceName);
                if (!shutdown) {
                    listener.onError(Status.UNAVAILABLE.withDescription("Stork discovery of " + serviceName + " failed")
                            .withCause(failure));
                }
            });
        }

        private void publish(List<ServiceInstance> instances) {
            if (shutdown) {
                return;
            }
            if (instances.isEmpty()) {
                // Reported as an error: gRPC re-resolves (with backoff) only after onResult or onError.
                listener.onError(Status.UNAVAILABLE.withDescription("no instances of " + serviceName));
                return;
            }
            List<EquivalentAddressGroup> addresses = new ArrayList<>();
            for (ServiceInstance instance : instances) {
                List<SocketAddress> sockets = new ArrayList<>();
                try {
                    for (InetAddress address : InetAddress.getAllByName(instance.getHost())) {
                        sockets.add(new InetSocketAddress(address, instance.getPort()));
                    }
                } catch (UnknownHostException e) {
                    LOG.warnf("ignoring instance %s:%d of %s: unknown host", instance.getHost(), instance.getPort(),
                            serviceName);
                    continue;
                }
                // One group per instance: gRPC connects to one of its addresses, round_robin balances the groups.
                addresses.add(new EquivalentAddressGroup(sockets));
            }
            if (addresses.isEmpty()) {
                listener.onError(Status.UNAVAILABLE.withDescription("no resolvable instances of " + serviceName));
                return;
            }
            listener.onResult(ResolutionResult.newBuilder().setAddressesOrError(StatusOr.fromValue(addresses)).build());
        }
    }
}
