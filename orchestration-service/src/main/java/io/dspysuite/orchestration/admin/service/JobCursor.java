package io.dspysuite.orchestration.admin.service;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.UUID;

import io.dspysuite.orchestration.internalapi.InternalApiException;
import io.dspysuite.orchestration.job.model.JobFilter.Position;

/**
 * The admin listing's opaque cursor: the last item's position ({@code inserted_at} in microseconds, as PostgreSQL
 * stores it, and the id) in base64url. Opaque so that the order key can change without breaking clients' contract.
 */
final class JobCursor {

    private static final String VERSION = "j1";
    private static final int MAX_LENGTH = 200;

    private JobCursor() {
    }

    static String encode(Position position) {
        long micros = ChronoUnit.MICROS.between(Instant.EPOCH, position.insertedAt().toInstant());
        String plain = VERSION + ":" + micros + ":" + position.id();
        return Base64.getUrlEncoder().withoutPadding().encodeToString(plain.getBytes(StandardCharsets.UTF_8));
    }

    static Position decode(String cursor) {
        if (cursor.length() > MAX_LENGTH) {
            throw invalid();
        }
        try {
            String[] parts = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8).split(":", -1);
            if (parts.length != 3 || !parts[0].equals(VERSION)) {
                throw invalid();
            }
            Instant at = Instant.EPOCH.plus(Long.parseLong(parts[1]), ChronoUnit.MICROS);
            return new Position(OffsetDateTime.ofInstant(at, ZoneOffset.UTC), UUID.fromString(parts[2]));
        } catch (IllegalArgumentException | ArithmeticException | java.time.DateTimeException e) {
            throw invalid();
        }
    }

    private static InternalApiException invalid() {
        return InternalApiException.badRequest("INVALID_CURSOR", "cursor is not one this API returned");
    }
}
