package io.dspysuite.orchestration.dspy.client;

import org.jboss.logging.Logger;

import io.dspysuite.protos.dspy.v1.ExecuteUpdate;
import io.dspysuite.protos.dspy.v1.TaskResult;

/**
 * What {@code Execute} and {@code ExecuteInteractive} share: the handling of one stream of {@link ExecuteUpdate}s
 * (intermediate updates go to the caller's handle, the result is kept), of its end (a result, or INTERNAL when the
 * stream ended without one) and of its failure (mapped by {@link DspyErrorMapper}, knowing whether the service had sent
 * anything, or "cancelled" when the caller cancelled). Tool calls are not its business: the interactive call answers them before they get here.
 */
final class UpdateStream {

    private static final Logger LOG = Logger.getLogger(UpdateStream.class);

    private final String taskId;
    private final DspyCallHandle handle;
    private volatile TaskResult result;
    /** Whether the service sent anything (its first message is a status update as the program starts). */
    private volatile boolean responded;

    UpdateStream(String taskId, DspyCallHandle handle) {
        this.taskId = taskId;
        this.handle = handle;
    }

    /** Takes one update; {@code true} when it was the result (by contract the stream's last message). */
    boolean onNext(ExecuteUpdate update) {
        responded = true;
        if (update.hasResult()) {
            result = update.getResult();
            return true;
        }
        try {
            handle.update(update);
        } catch (RuntimeException e) {
            LOG.warnf(e, "task %s: handling an update failed", taskId);
        }
        return false;
    }

    /** The service sent a message this class does not handle (a tool call): it is there. */
    void heard() {
        responded = true;
    }

    /** The outcome of a stream that completed: its result, or the failure to report. */
    Outcome onCompleted() {
        TaskResult last = result;
        return last == null
                ? new Outcome(null, DspyCallException.of(DspyErrorCodes.INTERNAL,
                        "the DSPy service ended the stream without a result", false))
                : new Outcome(last, null);
    }

    /** The failure to report for a stream that failed with {@code failure} (a gRPC status, as received). */
    RuntimeException onError(Throwable failure) {
        return handle.cancelled() ? new DspyCallCancelledException() : DspyErrorMapper.fromGrpc(failure, responded);
    }

    record Outcome(TaskResult result, RuntimeException failure) {
    }
}
