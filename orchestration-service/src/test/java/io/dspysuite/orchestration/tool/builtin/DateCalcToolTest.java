package io.dspysuite.orchestration.tool.builtin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import io.dspysuite.orchestration.tool.api.ToolException;
import io.vertx.core.json.JsonObject;

class DateCalcToolTest {

    private final DateCalcTool tool = new DateCalcTool();

    @Test
    void countsDaysBetweenDatesAcrossLeapYears() {
        assertThat(calc(op("days_between").put("date", "2024-01-01").put("other_date", "2024-03-01")))
                .isEqualTo("From 2024-01-01 to 2024-03-01 is 60 days.");
        assertThat(calc(op("days_between").put("date", "2023-03-01").put("other_date", "2023-02-28")))
                .isEqualTo("From 2023-03-01 to 2023-02-28 is -1 day.");
    }

    @Test
    void addsAndSubtractsDays() {
        assertThat(calc(op("add_days").put("date", "2024-01-31").put("days", 30.0)))
                .isEqualTo("2024-01-31 plus 30 days is 2024-03-01 (Friday).");
        assertThat(calc(op("ADD_DAYS").put("date", "2024-03-01").put("days", "-1")))
                .isEqualTo("2024-03-01 minus 1 day is 2024-02-29 (Thursday).");
    }

    @Test
    void namesTheWeekday() {
        assertThat(tool.call(op("weekday").put("date", "2000-01-01")).await().atMost(Duration.ofSeconds(1)))
                .isEqualTo("2000-01-01 is a Saturday.");
    }

    @Test
    void rejectsBadArguments() {
        assertInvalid(op("weekday").put("date", "01/03/2024"), "argument 'date' must be an ISO date like 2024-03-01");
        assertInvalid(op("weekday").put("date", "2023-02-29"), "must be an ISO date");
        assertInvalid(op("days_between").put("date", "2024-01-01"), "missing argument 'other_date'");
        assertInvalid(op("add_days").put("date", "2024-01-01").put("days", 1.5), "must be a whole number");
        assertInvalid(op("add_days").put("date", "2024-01-01").put("days", 5_000_000),
                "argument 'days' must be between -1000000 and 1000000");
        assertInvalid(op("next_full_moon").put("date", "2024-01-01"),
                "unknown operation 'next_full_moon'; use days_between, add_days or weekday");
        assertInvalid(new JsonObject().put("date", "2024-01-01"), "missing argument 'operation'");
        assertInvalid(op("weekday").put("date", "2024-01-01").put("timezone", "UTC"), "unknown argument(s) timezone");
    }

    private String calc(JsonObject args) {
        return tool.calculate(args);
    }

    private static JsonObject op(String operation) {
        return new JsonObject().put("operation", operation);
    }

    private void assertInvalid(JsonObject args, String message) {
        assertThatThrownBy(() -> tool.calculate(args))
                .isInstanceOfSatisfying(ToolException.class, e -> {
                    assertThat(e.code()).isEqualTo(ToolException.INVALID_ARGUMENTS);
                    assertThat(e.getMessage()).contains(message);
                });
    }
}
