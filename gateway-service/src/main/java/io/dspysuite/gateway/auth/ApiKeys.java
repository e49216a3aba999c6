package io.dspysuite.gateway.auth;

import java.security.SecureRandom;
import java.util.Base64;

import io.dspysuite.gateway.json.Hashes;

/** API key format, generation and hashing. Keys are never stored or logged, only their SHA-256. */
public final class ApiKeys {

    /** Recognisable by secret scanners; the rest is 256 random bits. */
    public static final String PREFIX = "dsk_";

    private static final int MIN_LENGTH = 16;
    private static final int MAX_LENGTH = 256;
    private static final SecureRandom RANDOM = new SecureRandom();

    private ApiKeys() {
    }

    /**
     * A new random key. Base64url without padding: only token characters, so the key also travels inside a
     * WebSocket subprotocol (no spaces, commas or '=').
     */
    public static String generate() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /**
     * The start of the key an operator may see (admin key listings): {@code dsk_} plus 8 characters of a generated
     * key (48 of its 256 random bits), only 4 characters of a pinned key, which may be as short as 16.
     */
    public static String displayPrefix(String key) {
        boolean generated = key.startsWith(PREFIX) && key.length() >= PREFIX.length() + 40;
        return key.substring(0, generated ? PREFIX.length() + 8 : 4);
    }

    /** Lower-case hex SHA-256 of the key, as stored in {@code api_keys.key_hash}. */
    public static String hash(String key) {
        return Hashes.sha256Hex(key);
    }

    /** Cheap shape check before any database lookup: printable ASCII without spaces, of a sane length. */
    public static boolean isWellFormed(String key) {
        if (key == null || key.length() < MIN_LENGTH || key.length() > MAX_LENGTH) {
            return false;
        }
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (c < 0x21 || c > 0x7e) {
                return false;
            }
        }
        return true;
    }
}
