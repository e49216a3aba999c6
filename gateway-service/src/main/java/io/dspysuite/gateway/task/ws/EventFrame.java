package io.dspysuite.gateway.task.ws;

/**
 * One {@code event} frame, encoded once and sent to every subscriber as is.
 *
 * @param terminal true for the status event that ends the task
 */
public record EventFrame(long seq, boolean terminal, String json) {
}
