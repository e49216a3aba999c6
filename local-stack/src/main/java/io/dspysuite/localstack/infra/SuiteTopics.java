package io.dspysuite.localstack.infra;

import java.util.List;

/** The Kafka topics of the suite (see protos/src/main/proto/dspysuite/events/v1/task_events.proto). */
public final class SuiteTopics {

    public static final String TASKS_REQUESTED = "dspy.tasks.requested";
    public static final String TASKS_CONTROL = "dspy.tasks.control";
    public static final String TASKS_EVENTS = "dspy.tasks.events";
    public static final String TASKS_REQUESTED_DLQ = "dspy.tasks.requested.dlq";

    /** Partitions per topic locally: more than one, so per-key ordering is exercised for real. */
    public static final int LOCAL_PARTITIONS = 3;

    public static final List<String> ALL = List.of(TASKS_REQUESTED, TASKS_CONTROL, TASKS_EVENTS, TASKS_REQUESTED_DLQ);

    private SuiteTopics() {
    }
}
