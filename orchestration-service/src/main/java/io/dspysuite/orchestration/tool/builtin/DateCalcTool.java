package io.dspysuite.orchestration.tool.builtin;

import java.time.DateTimeException;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.time.format.TextStyle;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;

import io.dspysuite.orchestration.tool.api.JavaTool;
import io.dspysuite.orchestration.tool.api.ToolArgs;
import io.dspysuite.orchestration.tool.api.ToolException;
import io.smallrye.mutiny.Uni;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * {@code date_calc}: calendar arithmetic on ISO dates with {@code java.time} (proleptic Gregorian calendar, no time
 * zones): the days between two dates, a date plus or minus days, the weekday of a date. LMs are bad at exactly this.
 * Pure and fast: it runs on the calling thread.
 */
@ApplicationScoped
public class DateCalcTool implements JavaTool {

    public static final String NAME = "date_calc";
    /** Bounds the arithmetic to about ±2700 years. */
    static final long MAX_DAYS = 1_000_000;

    private static final Set<String> ARGUMENTS = Set.of("operation", "date", "other_date", "days");

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "Calendar arithmetic on ISO dates (YYYY-MM-DD). operation \"days_between\" (date, other_date): the "
                + "number of days from date to other_date; \"add_days\" (date, days; days may be negative): the date "
                + "that many days later; \"weekday\" (date): the day of the week.";
    }

    @Override
    public JsonObject argsSchema() {
        return new JsonObject()
                .put("type", "object")
                .put("properties", new JsonObject()
                        .put("operation", new JsonObject().put("type", "string")
                                .put("enum", new JsonArray().add("days_between").add("add_days").add("weekday")))
                        .put("date", new JsonObject().put("type", "string").put("description", "an ISO date, e.g. 2024-03-01"))
                        .put("other_date", new JsonObject().put("type", "string")
                                .put("description", "days_between only: the second ISO date"))
                        .put("days", new JsonObject().put("type", "integer")
                                .put("description", "add_days only: days to add (negative to subtract)")))
                .put("required", new JsonArray().add("operation").add("date"));
    }

    @Override
    public Duration timeout() {
        return Duration.ofSeconds(2);
    }

    @Override
    public Uni<String> call(JsonObject args) {
        return Uni.createFrom().item(() -> calculate(args));
    }

    String calculate(JsonObject args) {
        ToolArgs.onlyKnown(args, ARGUMENTS);
        String operation = ToolArgs.text(args, "operation").toLowerCase(Locale.ROOT);
        LocalDate date = date(args, "date");
        return switch (operation) {
            case "days_between" -> {
                LocalDate other = date(args, "other_date");
                long days = ChronoUnit.DAYS.between(date, other);
                yield "From " + date + " to " + other + " is " + days + (Math.abs(days) == 1 ? " day." : " days.");
            }
            case "add_days" -> {
                long days = ToolArgs.integer(args, "days", -MAX_DAYS, MAX_DAYS);
                LocalDate result;
                try {
                    result = date.plusDays(days);
                } catch (DateTimeException e) {
                    throw ToolException.invalidArguments("the resulting date is out of range");
                }
                yield date + (days < 0 ? " minus " + -days : " plus " + days) + (Math.abs(days) == 1 ? " day" : " days")
                        + " is " + result + " (" + weekday(result.getDayOfWeek()) + ").";
            }
            case "weekday" -> date + " is a " + weekday(date.getDayOfWeek()) + ".";
            default -> throw ToolException.invalidArguments("unknown operation '" + operation
                    + "'; use days_between, add_days or weekday");
        };
    }

    private static LocalDate date(JsonObject args, String name) {
        String text = ToolArgs.text(args, name);
        try {
            return LocalDate.parse(text);
        } catch (DateTimeParseException e) {
            throw ToolException.invalidArguments("argument '" + name + "' must be an ISO date like 2024-03-01, got '"
                    + text + "'");
        }
    }

    private static String weekday(DayOfWeek day) {
        return day.getDisplayName(TextStyle.FULL, Locale.ENGLISH);
    }
}
