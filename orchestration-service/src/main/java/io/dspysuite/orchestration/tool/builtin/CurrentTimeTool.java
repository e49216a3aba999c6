package io.dspysuite.orchestration.tool.builtin;

import java.time.Clock;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.TextStyle;
import java.util.Locale;
import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.dspysuite.orchestration.tool.api.JavaTool;
import io.dspysuite.orchestration.tool.api.ToolArgs;
import io.dspysuite.orchestration.tool.api.ToolException;
import io.smallrye.mutiny.Uni;
import io.vertx.core.json.JsonObject;

/**
 * {@code current_time}: today's date, the time and the weekday, in UTC or an IANA time zone. A language model cannot
 * know the date; agents that reason about "today", deadlines or ages need it (often followed by {@code date_calc}).
 * Pure and fast: it runs on the calling thread.
 */
@ApplicationScoped
public class CurrentTimeTool implements JavaTool {

    public static final String NAME = "current_time";
    private static final Set<String> ARGUMENTS = Set.of("zone");

    private final Clock clock;

    @Inject
    public CurrentTimeTool() {
        this(Clock.systemUTC());
    }

    CurrentTimeTool(Clock clock) {
        this.clock = clock;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "The current date, time and weekday. Optional zone: an IANA time zone such as Europe/Paris "
                + "(default UTC).";
    }

    @Override
    public JsonObject argsSchema() {
        return new JsonObject()
                .put("type", "object")
                .put("properties", new JsonObject()
                        .put("zone", new JsonObject().put("type", "string")
                                .put("description", "IANA time zone, e.g. Europe/Paris; default UTC")));
    }

    @Override
    public Duration timeout() {
        return Duration.ofSeconds(2);
    }

    @Override
    public Uni<String> call(JsonObject args) {
        return Uni.createFrom().item(() -> now(args));
    }

    String now(JsonObject args) {
        ToolArgs.onlyKnown(args, ARGUMENTS);
        ZoneId zone = zone(args.getValue("zone"));
        ZonedDateTime now = ZonedDateTime.now(clock.withZone(zone)).withNano(0);
        return now.format(DateTimeFormatter.ISO_OFFSET_DATE_TIME) + " (" + zone.getId() + "), "
                + now.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.ENGLISH);
    }

    private static ZoneId zone(Object value) {
        if (value == null || (value instanceof String text && text.isBlank())) {
            return ZoneId.of("UTC");
        }
        if (!(value instanceof String text) || text.length() > 64) {
            throw ToolException.invalidArguments("zone must be an IANA time zone name such as Europe/Paris");
        }
        try {
            return ZoneId.of(text.strip());
        } catch (DateTimeException e) {
            throw ToolException.invalidArguments("unknown time zone '" + text.strip()
                    + "'; use an IANA name such as Europe/Paris or UTC");
        }
    }
}
