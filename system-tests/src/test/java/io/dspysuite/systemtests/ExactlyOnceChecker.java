package io.dspysuite.systemtests;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.LongStream;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * An independent check of what clients saw, read back from the gateway's event stream of every accepted task: each
 * task has a gap-free event sequence from 1, exactly one final status event (the last one), a result exactly when it
 * succeeded, and a final status that is one of the expected ones.
 */
final class ExactlyOnceChecker {

    /** What the check found, per task and in total. */
    record Report(int tasks, Map<String, Integer> byStatus, List<String> violations, int events) {

        boolean clean() {
            return violations.isEmpty();
        }

        @Override
        public String toString() {
            return tasks + " tasks, " + events + " events, final statuses " + byStatus + ", "
                    + violations.size() + " violation(s)" + (violations.isEmpty() ? "" : ": " + violations);
        }
    }

    private final SuiteClient client;

    ExactlyOnceChecker(SuiteClient client) {
        this.client = client;
    }

    /** Reads every task's whole event stream (they must all be final by now) and checks it. */
    Report check(List<String> taskIds, java.time.Duration perTaskTimeout) {
        Map<String, Integer> byStatus = new TreeMap<>();
        List<String> violations = new ArrayList<>();
        int events = 0;
        for (String id : taskIds) {
            List<SuiteClient.SseEvent> stream = client.readEventStream(id, perTaskTimeout);
            events += stream.size();
            List<Long> seqs = stream.stream().map(e -> Long.parseLong(e.id())).toList();
            if (!seqs.equals(LongStream.rangeClosed(1, seqs.size()).boxed().toList())) {
                violations.add(id + ": seqs not gap-free from 1: " + seqs);
            }
            List<JsonNode> finals = stream.stream().map(SuiteClient.SseEvent::data)
                    .filter(SuiteClient::isFinalStatusEvent).toList();
            if (finals.size() != 1) {
                violations.add(id + ": " + finals.size() + " final status events");
                continue;
            }
            if (!SuiteClient.isFinalStatusEvent(stream.get(stream.size() - 1).data())) {
                violations.add(id + ": events after the final status");
            }
            String status = finals.get(0).path("data").path("status").asText();
            byStatus.merge(status, 1, Integer::sum);
            long results = stream.stream().filter(e -> e.event().equals("result")).count();
            if (results != (status.equals("succeeded") ? 1 : 0)) {
                violations.add(id + ": " + results + " result events for a " + status + " task");
            }
        }
        return new Report(taskIds.size(), byStatus, violations, events);
    }
}
