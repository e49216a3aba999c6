package io.dspysuite.orchestration.tool.api;

/**
 * A tool call that cannot be answered, with a stable code ({@code INVALID_ARGUMENTS}, ...) and a message for the LM:
 * it says what was wrong and how to call the tool right, and carries no secrets.
 */
public class ToolException extends RuntimeException {

    public static final String INVALID_ARGUMENTS = "INVALID_ARGUMENTS";

    private final String code;

    public ToolException(String code, String message) {
        super(message, null, false, false);
        this.code = code;
    }

    public static ToolException invalidArguments(String message) {
        return new ToolException(INVALID_ARGUMENTS, message);
    }

    public String code() {
        return code;
    }
}
