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
}
