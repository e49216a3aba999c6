package io.dspysuite.gateway.json;

import java.security.SecureRandom;
import java.util.Optional;
import java.util.UUID;

/** Task ids. */
public final class Uuids {

    private static final SecureRandom RANDOM = new SecureRandom();

    private Uuids() {
    }

    /**
     * A version 7 UUID (RFC 9562): 48-bit Unix milliseconds then 74 random bits. Time-ordered, so task ids sort by
     * creation and inserts stay local in the primary-key index; still unguessable enough not to be enumerable.
     */
    public static UUID v7() {
        long millis = System.currentTimeMillis();
        long randA = RANDOM.nextInt() & 0xFFFL;
        long msb = (millis << 16) | (0x7L << 12) | randA;
        long lsb = (RANDOM.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
        return new UUID(msb, lsb);
    }

    /** A task id from a path or frame; anything that is not a UUID simply names no task. */
    public static Optional<UUID> parse(String text) {
        if (text == null || text.length() != 36) {
            return Optional.empty();
        }
        try {
            return Optional.of(UUID.fromString(text));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
