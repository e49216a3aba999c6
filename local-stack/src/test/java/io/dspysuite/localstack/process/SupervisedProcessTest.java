package io.dspysuite.localstack.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Supervision as the fault tests use it: a paused process makes no progress until resumed, and is not restarted. */
class SupervisedProcessTest {

    @TempDir
    Path dir;

    @Test
    void aPausedProcessStallsWithoutDyingAndRunsOnWhenResumed() throws IOException {
        Path log = dir.resolve("ticker.log");
        // A ticker: one line every 50 ms while it runs.
        try (SupervisedProcess ticker = new SupervisedProcess("ticker",
                List.of("sh", "-c", "while true; do echo tick; sleep 0.05; done"), Map.of(), dir, log, line -> {
                })) {
            ticker.start();
            await().atMost(Duration.ofSeconds(10)).until(() -> lines(log) > 2);

            ticker.pause();
            long atPause = lines(log);
            // Stopped: over a second (20 ticks' worth) not one more line (at most the one in flight at the signal).
            await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3))
                    .until(() -> lines(log) <= atPause + 1);
            assertThat(ticker.process().isAlive()).isTrue();

            ticker.resume();
            await().atMost(Duration.ofSeconds(10)).until(() -> lines(log) > atPause + 5);
            assertThat(ticker.restarts()).as("a stall is not a crash").isZero();
        }
    }

    @Test
    void closingAPausedProcessStopsItWithoutWaitingForTheGracePeriod() {
        SupervisedProcess sleeper = new SupervisedProcess("sleeper", List.of("sleep", "600"), Map.of(), dir,
                dir.resolve("sleeper.log"), line -> {
                });
        sleeper.start();
        sleeper.pause();
        long started = System.nanoTime();
        sleeper.close();
        assertThat(sleeper.process().isAlive()).isFalse();
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
    }

    private static long lines(Path log) throws IOException {
        return Files.exists(log) ? Files.readAllLines(log).size() : 0;
    }
}
