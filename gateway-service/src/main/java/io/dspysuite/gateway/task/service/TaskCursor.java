package io.dspysuite.gateway.task.service;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.Optional;
import java.util.UUID;

import io.dspysuite.gateway.json.Uuids;
import io.dspysuite.gateway.task.store.TaskStore.ListPosition;

/**
 * The opaque list cursor: base64url of {@code v1:<created_at in epoch microseconds>:<task id>}, the position of the
 * last task of a page. Clients must not build or parse it; the format may change with its version prefix.
 */
final class TaskCursor {

    private static final String VERSION = "v1";

    private TaskCursor() {
    }

    static String encode(ListPosition position) {
        Instant at = position.createdAt().toInstant();
        long micros = ChronoUnit.MICROS.between(Instant.EPOCH, at);
        String text = VERSION + ":" + micros + ":" + position.id();
        return Base64.getUrlEncoder().withoutPadding().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    static Optional<ListPosition> decode(String cursor) {
        if (cursor == null || cursor.length() > 200) {
            return Optional.empty();
        }
        try {
            String text = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
            String[] parts = text.split(":", -1);
            if (parts.length != 3 || !VERSION.equals(parts[0])) {
                return Optional.empty();
            }
            long micros = Long.parseLong(parts[1]);
            Optional<UUID> id = Uuids.parse(parts[2]);
            Instant at = Instant.EPOCH.plus(micros, ChronoUnit.MICROS);
            return id.map(uuid -> new ListPosition(at.atOffset(ZoneOffset.UTC), uuid));
        } catch (IllegalArgumentException | ArithmeticException | java.time.DateTimeException e) {
            return Optional.empty();
        }
    }
}
