package io.dspysuite.gateway.support;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import org.jboss.logmanager.ExtLogRecord;

import io.dspysuite.gateway.observability.TaskLogContext;

/**
 * An in-memory log handler on one logger: keeps each record's message and the task fields of the MDC as they were
 * when the line was written (what the JSON console log prints under {@code mdc}).
 */
public final class LogCapture extends Handler implements AutoCloseable {

    public record Line(String message, String taskId, String tenant) {
    }

    private final List<Line> lines = new CopyOnWriteArrayList<>();
    private final Logger logger;
    private final Level previousLevel;

    private LogCapture(String loggerName, Level level) {
        this.logger = Logger.getLogger(loggerName);
        this.previousLevel = logger.getLevel();
        logger.setLevel(level);
        logger.addHandler(this);
    }

    public static LogCapture of(Class<?> source) {
        return new LogCapture(source.getName(), Level.INFO);
    }

    /** A logger by name (for classes the test cannot see, e.g. a framework's package-private ones). */
    public static LogCapture of(String loggerName) {
        return new LogCapture(loggerName, Level.INFO);
    }

    /** Also debug lines of that logger. */
    public static LogCapture debugOf(Class<?> source) {
        return new LogCapture(source.getName(), Level.FINE);
    }

    @Override
    public void publish(LogRecord record) {
        if (record instanceof ExtLogRecord ext) {
            lines.add(new Line(ext.getFormattedMessage(), ext.getMdc(TaskLogContext.TASK_ID),
                    ext.getMdc(TaskLogContext.TENANT)));
        }
    }

    /** The first captured line whose message contains {@code text}. */
    public Optional<Line> lineContaining(String text) {
        return lines.stream().filter(line -> line.message() != null && line.message().contains(text)).findFirst();
    }

    public List<Line> lines() {
        return List.copyOf(lines);
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
        logger.removeHandler(this);
        logger.setLevel(previousLevel);
    }
}
