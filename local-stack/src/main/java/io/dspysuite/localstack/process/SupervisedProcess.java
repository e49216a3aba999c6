package io.dspysuite.localstack.process;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * One service of the suite as a child process, supervised: when it dies without being asked to stop, it is started
 * again after a growing back-off, and every restart is reported. Output (stdout and stderr) is appended to a log file,
 * so a restart keeps the history of the crash.
 */
public final class SupervisedProcess implements AutoCloseable {

    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);
    private static final Duration STOP_GRACE = Duration.ofSeconds(20);

    private final String name;
    private final List<String> command;
    private final Map<String, String> environment;
    private final Path workDir;
    private final Path logFile;
    private final Consumer<String> reporter;
    private final AtomicInteger restarts = new AtomicInteger();

    private volatile Process process;
    private volatile boolean stopping;
    private volatile boolean paused;

    public SupervisedProcess(String name, List<String> command, Map<String, String> environment, Path workDir,
            Path logFile, Consumer<String> reporter) {
        this.name = name;
        this.command = List.copyOf(command);
        this.environment = Map.copyOf(environment);
        this.workDir = workDir;
        this.logFile = logFile;
        this.reporter = reporter;
    }

    public String name() {
        return name;
    }

    public Path logFile() {
        return logFile;
    }

    public int restarts() {
        return restarts.get();
    }

    /** The running process, e.g. for a test that kills it to prove supervision. */
    public Process process() {
        return process;
    }

    /**
     * Stalls the running process with SIGSTOP: it stays alive, its sockets stay open, but it answers nothing until
     * {@link #resume()} (a hung process, as a long GC pause or an overloaded host shows it). POSIX only.
     */
    public void pause() {
        signal("STOP");
        paused = true;
    }

    /** Lets a {@link #pause() paused} process run again (SIGCONT). */
    public void resume() {
        signal("CONT");
        paused = false;
    }

    private void signal(String name) {
        Process current = process;
        if (current == null || !current.isAlive()) {
            throw new IllegalStateException(this.name + " is not running");
        }
        try {
            // The JDK sends SIGTERM and SIGKILL only; kill(1) is there on every POSIX host.
            Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(current.pid()))
                    .redirectErrorStream(true).start();
            if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                throw new IllegalStateException("kill -" + name + " " + current.pid() + " failed: "
                        + new String(kill.getInputStream().readAllBytes()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot signal " + this.name, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public synchronized void start() {
        stopping = false;
        launch();
    }

    private synchronized void launch() {
        try {
            Files.createDirectories(logFile.getParent());
            ProcessBuilder builder = new ProcessBuilder(command)
                    .directory(workDir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(Redirect.appendTo(logFile.toFile()));
            builder.environment().putAll(environment);
            Process started = builder.start();
            process = started;
            Instant startedAt = Instant.now();
            started.onExit().thenAccept(exited -> onExit(exited, startedAt));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name + ": " + command, e);
        }
    }

    private void onExit(Process exited, Instant startedAt) {
        if (stopping || exited != process) {
            return;
        }
        int attempt = restarts.incrementAndGet();
        // A process that ran for a while before dying starts again at once; one that keeps dying backs off.
        boolean ranLong = Duration.between(startedAt, Instant.now()).compareTo(MAX_BACKOFF) > 0;
        long delayMs = ranLong ? 0 : Math.min(MAX_BACKOFF.toMillis(), 500L << Math.min(attempt, 6));
        reporter.accept("[supervisor] " + name + " exited with code " + exited.exitValue() + "; restart #" + attempt
                + " in " + delayMs + " ms (log: " + logFile + ")");
        try {
            Thread.sleep(delayMs);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        synchronized (this) {
            if (!stopping) {
                launch();
            }
        }
    }

    /** Stops the process: SIGTERM, then SIGKILL if it has not ended within the grace period. */
    @Override
    public void close() {
        Process current;
        synchronized (this) {
            stopping = true;
            current = process;
        }
        if (current == null || !current.isAlive()) {
            return;
        }
        if (paused) {
            // A stopped process would not act on SIGTERM until the grace period ran out.
            resume();
        }
        current.destroy();
        try {
            if (!current.waitFor(STOP_GRACE.toSeconds(), TimeUnit.SECONDS)) {
                reporter.accept("[supervisor] " + name + " did not stop within " + STOP_GRACE + "; killing it");
                current.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            current.destroyForcibly();
        }
    }
}
