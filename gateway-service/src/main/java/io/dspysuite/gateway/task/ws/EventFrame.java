package io.dspysuite.gateway.task.ws;

/**
 * One task event, encoded once as the WebSocket {@code event} frame and sent to every subscriber as is (SSE sends
 * the same JSON as its {@code data}).
 *
 * @param event the event type's wire name (status, progress, chunk, result, error)
 * @param terminal true for the status event that ends the task
 */
public record EventFrame(long seq, String event, boolean terminal, String json) {
}
