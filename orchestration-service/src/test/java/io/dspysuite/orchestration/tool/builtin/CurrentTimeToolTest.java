package io.dspysuite.orchestration.tool.builtin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;

import org.junit.jupiter.api.Test;

import io.dspysuite.orchestration.tool.api.ToolException;
import io.vertx.core.json.JsonObject;

class CurrentTimeToolTest {

    private final CurrentTimeTool tool = new CurrentTimeTool(
            Clock.fixed(Instant.parse("2026-11-24T23:30:15.250Z"), ZoneOffset.UTC));

    @Test
    void answersTheDateTimeAndWeekdayInUtcByDefault() {
        assertThat(tool.call(new JsonObject()).await().atMost(Duration.ofSeconds(1)))
                .isEqualTo("2026-11-24T23:30:15Z (UTC), Tuesday");
    }

    @Test
    void answersInTheRequestedZoneWhereTheDateMayDiffer() {
        assertThat(tool.now(new JsonObject().put("zone", "Asia/Tokyo")))
                .isEqualTo("2026-11-25T08:30:15+09:00 (Asia/Tokyo), Wednesday");
    }

    @Test
    void rejectsUnknownZonesAndArguments() {
        assertThatThrownBy(() -> tool.now(new JsonObject().put("zone", "Mars/Olympus")))
                .isInstanceOf(ToolException.class).hasMessageContaining("unknown time zone");
        assertThatThrownBy(() -> tool.now(new JsonObject().put("zone", 5)))
                .isInstanceOf(ToolException.class);
        assertThatThrownBy(() -> tool.now(new JsonObject().put("when", "now")))
                .isInstanceOf(ToolException.class);
    }
}
