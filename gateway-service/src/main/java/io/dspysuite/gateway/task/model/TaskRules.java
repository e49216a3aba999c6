package io.dspysuite.gateway.task.model;

/**
 * The limits and formats of a task submission, in one place: the parser ({@code task/service}) checks requests with
 * them and the OpenAPI annotations ({@link SubmitTaskRequest}) document them, so the document cannot drift from what
 * the server accepts. Patterns are anchored ({@code ^...$}): JSON Schema patterns match anywhere in the value, while
 * the server matches the whole value.
 */
public final class TaskRules {

    /** A registered program's name. */
    public static final String PROGRAM_NAME = "^[A-Za-z0-9][A-Za-z0-9_.-]*$";
    public static final int MAX_PROGRAM_NAME = 128;
    /** A program version number (besides "latest" and "promoted"). */
    public static final String VERSION_NUMBER = "^[1-9][0-9]{0,8}$";
    /**
     * The string form of a signature, in characters (code points, as JSON Schema counts them). 1024 characters are
     * at most 4 KiB of UTF-8, the DSPy service's own limit.
     */
    public static final int MAX_SIGNATURE_LENGTH = 1024;
    /** The string form must contain the arrow. */
    public static final String SIGNATURE = "->";
    public static final int MAX_INSTRUCTIONS = 16384;
    /** A signature field or tool name: a Python identifier. */
    public static final String IDENTIFIER = "^[A-Za-z][A-Za-z0-9_]{0,63}$";
    public static final int MAX_FIELDS = 64;
    /** A field description, in characters: at most 1 KiB of UTF-8, the DSPy service's own limit. */
    public static final int MAX_DESCRIPTION_LENGTH = 256;
    public static final int MAX_ENUM_VALUES = 64;
    public static final int MAX_ENUM_VALUE_LENGTH = 256;
    /** An enum label: one line with something on it. */
    public static final String ENUM_VALUE = "^[^\\x00\\r\\n]*[^\\x00\\t\\n\\x0B\\f\\r ][^\\x00\\r\\n]*$";
    public static final int MAX_TOOLS = 32;
    /** Optimize: the program name a compiled version is stored under. */
    public static final String TARGET_PROGRAM = "^[a-z][a-z0-9_-]{0,63}$";
    public static final int MAX_EXAMPLES = 200;
    public static final int MAX_EXAMPLE_BYTES = 64 * 1024;
    /** Optimizer and metric names (checked against the catalog by the DSPy service). */
    public static final int MAX_NAME_LENGTH = 128;
    /**
     * Text with something besides ASCII white space on it and no NUL character (PostgreSQL cannot store one), written
     * so that Java's {@code matches()} and a JSON Schema pattern read it alike.
     */
    public static final String NOT_BLANK = "^[^\\x00]*[^\\x00\\t\\n\\x0B\\f\\r ][^\\x00]*$";
    public static final int MAX_MODEL_NAME = 200;
    public static final int MAX_TOKENS = 1_000_000;
    /**
     * The Idempotency-Key header: 1-255 printable ASCII characters, no spaces. Spaces and tabs around a header value
     * are not part of it (HTTP strips them before the server sees the value), which the pattern admits.
     */
    public static final String IDEMPOTENCY_KEY = "^[ \\t]*[!-~]{1,255}[ \\t]*$";
    public static final int MAX_IDEMPOTENCY_KEY_LENGTH = 255;

    private TaskRules() {
    }

    // The patterns above document the rules (JSON Schema); the server checks the text ones below in linear time.
    // Java's matches() on NOT_BLANK/ENUM_VALUE backtracks quadratically on a value it refuses (measured: 323 ms for
    // 16,000 characters and a NUL), and a request body may hold a million characters: a stalled event loop.

    /** {@link #NOT_BLANK}: something besides ASCII white space, and no NUL character. */
    public static boolean notBlank(String text) {
        return text != null && text.indexOf('\0') < 0 && hasNonSpace(text);
    }

    /** {@link #ENUM_VALUE}: {@link #notBlank} on one line. */
    public static boolean enumValue(String text) {
        return notBlank(text) && text.indexOf('\r') < 0 && text.indexOf('\n') < 0;
    }

    /**
     * {@link #IDEMPOTENCY_KEY} after stripping the spaces and tabs around it: 1-255 printable ASCII characters.
     *
     * @return the key as stored, or {@code null} if it is not valid
     */
    public static String idempotencyKey(String raw) {
        if (raw == null) {
            return null;
        }
        int start = 0;
        int end = raw.length();
        while (start < end && isSpaceOrTab(raw.charAt(start))) {
            start++;
        }
        while (end > start && isSpaceOrTab(raw.charAt(end - 1))) {
            end--;
        }
        if (end == start || end - start > MAX_IDEMPOTENCY_KEY_LENGTH) {
            return null;
        }
        for (int i = start; i < end; i++) {
            char c = raw.charAt(i);
            if (c < '!' || c > '~') {
                return null;
            }
        }
        return raw.substring(start, end);
    }

    private static boolean hasNonSpace(String text) {
        for (int i = 0; i < text.length(); i++) {
            switch (text.charAt(i)) {
                case '\t', '\n', '\u000B', '\f', '\r', ' ' -> {
                }
                default -> {
                    return true;
                }
            }
        }
        return false;
    }

    private static boolean isSpaceOrTab(char c) {
        return c == ' ' || c == '\t';
    }
}
