package io.dspysuite.orchestration.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.UUID;

import io.dspysuite.protos.events.v1.TaskEvent;
import io.dspysuite.protos.events.v1.TaskStatus;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;

/** Checks the component tests share: a task's job row and its status events. */
public final class TaskAssertions {

    private TaskAssertions() {
    }

    /** The one job row of the task (fails if there is none or more than one). */
    public static Row job(Pool pool, String id) {
        RowSet<Row> rows = pool.preparedQuery("SELECT * FROM orchestration.jobs WHERE id = $1")
                .execute(Tuple.of(UUID.fromString(id))).await().atMost(Duration.ofSeconds(10));
        assertThat(rows.rowCount()).as("job rows for %s", id).isEqualTo(1);
        return rows.iterator().next();
    }

    public static void assertStatus(TaskEvent event, TaskStatus status) {
        assertThat(event.getPayloadCase()).isEqualTo(TaskEvent.PayloadCase.STATUS);
        assertThat(event.getStatus().getStatus()).isEqualTo(status);
    }
}
