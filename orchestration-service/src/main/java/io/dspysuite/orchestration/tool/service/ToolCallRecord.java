package io.dspysuite.orchestration.tool.service;

import java.time.Duration;

/**
 * One answered tool call, for the task's record: which tool, how long it took, and its error code ({@code null} when
 * it answered). Never the arguments or the output: they may hold the tenant's data.
 */
public record ToolCallRecord(String callId, String tool, Duration duration, String errorCode) {

    public boolean ok() {
        return errorCode == null;
    }
}
