package io.dspysuite.systemtests;

import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

import com.fasterxml.jackson.databind.node.ObjectNode;

import io.dspysuite.localstack.process.HealthProbe;
import io.dspysuite.localstack.process.SupervisedProcess;
import io.dspysuite.localstack.suite.Suite;
import io.dspysuite.localstack.suite.SuiteConfig;

/**
 * The chaos soak's fault schedule: rounds of every fault kind in a seeded random order (so a run can be replayed),
 * each injected into the real processes, then awaited until the suite is whole again, then a pause. The first round
 * always runs to the end; further rounds start while time is left.
 */
final class ChaosFaults {

    enum Fault {
        /** SIGKILL of a gateway replica (its SSE clients lose their connections). */
        KILL_GATEWAY,
        /** SIGKILL of an orchestration replica (its running jobs lose their lease). */
        KILL_ORCHESTRATION,
        /** SIGKILL of a Python replica (its gRPC calls break). */
        KILL_PYTHON,
        RESTART_KAFKA,
        RESTART_POSTGRES,
        /** SIGSTOP of a Python replica for a while, then SIGCONT: alive, connected, silent. */
        STALL_PYTHON
    }

    private static final String GATEWAY = "gateway-service";
    private static final String ORCHESTRATION = "orchestration-service";

    private final Suite suite;
    private final ChaosLog log;
    private final Random random;
    private final Duration gap;
    private final Duration stall;
    private final Duration recoveryTimeout;
    private final Consumer<AttemptLogChecker.Kill> onOrchestrationKill;
    private final Map<Fault, Integer> injected = Collections.synchronizedMap(new EnumMap<>(Fault.class));
    private volatile boolean running = true;

    /**
     * @param gap the pause after the suite recovered from one fault, before the next
     * @param stall how long a stalled Python replica stays stopped
     * @param recoveryTimeout how long a killed service may take to be restarted and healthy again
     * @param onOrchestrationKill told of every killed orchestration replica (the attempt checker excuses its jobs)
     */
    ChaosFaults(Suite suite, ChaosLog log, Random random, Duration gap, Duration stall, Duration recoveryTimeout,
            Consumer<AttemptLogChecker.Kill> onOrchestrationKill) {
        this.suite = suite;
        this.log = log;
        this.random = random;
        this.gap = gap;
        this.stall = stall;
        this.recoveryTimeout = recoveryTimeout;
        this.onOrchestrationKill = onOrchestrationKill;
    }

    /** Runs the schedule: one whole round, then more while {@code deadline} is ahead. */
    void run(Instant deadline) {
        try {
            boolean first = true;
            while (first || Instant.now().isBefore(deadline)) {
                List<Fault> round = new ArrayList<>(Arrays.asList(Fault.values()));
                Collections.shuffle(round, random);
                for (Fault fault : round) {
                    if (!first && !Instant.now().isBefore(deadline)) {
                        return;
                    }
                    inject(fault);
                    pause(gap);
                }
                first = false;
            }
        } finally {
            running = false;
        }
    }

    /** False once the schedule has ended. */
    BooleanSupplier running() {
        return () -> running;
    }

    Map<Fault, Integer> injected() {
        synchronized (injected) {
            return Map.copyOf(injected);
        }
    }

    private void inject(Fault fault) {
        Instant at = Instant.now();
        String target = switch (fault) {
            case KILL_GATEWAY -> kill(Suite.replicaName(GATEWAY, replica(suite.config().gatewayPorts())),
                    GATEWAY);
            case KILL_ORCHESTRATION -> kill(Suite.replicaName(ORCHESTRATION,
                    replica(suite.config().orchestrationPorts())), ORCHESTRATION);
            case KILL_PYTHON -> kill(Suite.pythonName(replica(suite.config().dspyPorts())), "python");
            case RESTART_KAFKA -> {
                logFault(fault, "kafka", "inject", at);
                suite.restartKafka();
                yield "kafka";
            }
            case RESTART_POSTGRES -> {
                logFault(fault, "postgres", "inject", at);
                suite.restartPostgres();
                yield "postgres";
            }
            case STALL_PYTHON -> {
                String name = Suite.pythonName(replica(suite.config().dspyPorts()));
                SupervisedProcess python = suite.services().get(name);
                logFault(fault, name, "inject", at);
                python.pause();
                try {
                    pause(stall);
                } finally {
                    python.resume();
                }
                yield name;
            }
        };
        injected.merge(fault, 1, Integer::sum);
        logFault(fault, target, "recovered", at);
    }

    /** SIGKILL of {@code name}, then waits until its supervisor restarted it and it is healthy again. */
    private String kill(String name, String service) {
        SupervisedProcess victim = suite.services().get(name);
        int restarts = victim.restarts();
        Instant at = Instant.now();
        Fault fault = switch (service) {
            case GATEWAY -> Fault.KILL_GATEWAY;
            case ORCHESTRATION -> Fault.KILL_ORCHESTRATION;
            default -> Fault.KILL_PYTHON;
        };
        logFault(fault, name, "inject", at);
        victim.process().destroyForcibly();
        if (service.equals(ORCHESTRATION)) {
            onOrchestrationKill.accept(new AttemptLogChecker.Kill(name, at));
        }
        await().atMost(recoveryTimeout).pollInterval(Duration.ofMillis(100)).until(() -> victim.restarts() > restarts);
        HealthProbe.await(name, probe(name, service), recoveryTimeout, victim);
        return name;
    }

    private BooleanSupplier probe(String name, String service) {
        SuiteConfig config = suite.config();
        for (int replica = 0; replica < 8; replica++) {
            if (service.equals(GATEWAY) && name.equals(Suite.replicaName(GATEWAY, replica))) {
                return HealthProbe.http200(config.gatewayUrl(replica) + "/q/health/ready");
            }
            if (service.equals(ORCHESTRATION) && name.equals(Suite.replicaName(ORCHESTRATION, replica))) {
                return HealthProbe.http200(
                        "http://localhost:" + config.orchestrationPorts().get(replica) + "/q/health/ready");
            }
            if (name.equals(Suite.pythonName(replica))) {
                return HealthProbe.tcp(config.dspyPorts().get(replica));
            }
        }
        throw new IllegalArgumentException(name);
    }

    private int replica(List<Integer> ports) {
        return random.nextInt(ports.size());
    }

    private void logFault(Fault fault, String target, String phase, Instant at) {
        ObjectNode line = ChaosLog.line("fault");
        line.put("fault", fault.name()).put("target", target).put("phase", phase)
                .put("ms", Duration.between(at, Instant.now()).toMillis());
        log.write(line);
        System.out.printf("[chaos] %s %s %s (%d ms)%n", fault, target, phase,
                Duration.between(at, Instant.now()).toMillis());
    }

    /** A deliberate span of time (the spacing between faults, the length of a stall): nothing to await. */
    private static void pause(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
