package io.dspysuite.orchestration.admin.service;

import io.dspysuite.orchestration.job.model.QueueDepth;

/** A queue's depth across all replicas, plus this replica's limit and use. */
public record QueueStats(QueueDepth depth, int concurrencyLimit, int inFlightHere) {
}
