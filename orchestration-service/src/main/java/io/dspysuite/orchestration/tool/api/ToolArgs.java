package io.dspysuite.orchestration.tool.api;

import java.math.BigDecimal;
import java.util.Set;
import java.util.TreeSet;

import io.vertx.core.json.JsonObject;

/**
 * Reading a tool's arguments as an LM sends them: numbers may come as JSON numbers or as numeric strings (LMs do
 * both), every problem is a {@link ToolException} saying which argument is wrong and what it should be.
 */
public final class ToolArgs {

    /** Longest text argument accepted (units, dates, operation names are all short). */
    public static final int MAX_TEXT = 64;
    /** Decimal numbers are accepted up to this power of ten either way (keeps exact arithmetic cheap). */
    private static final int MAX_EXPONENT = 100;

    private ToolArgs() {
    }

    /** Rejects arguments the tool does not take (a misspelt name should not be silently ignored). */
    public static void onlyKnown(JsonObject args, Set<String> known) {
        Set<String> unknown = new TreeSet<>(args.fieldNames());
        unknown.removeAll(known);
        if (!unknown.isEmpty()) {
            throw ToolException.invalidArguments("unknown argument(s) " + String.join(", ", unknown)
                    + "; the arguments are " + String.join(", ", new TreeSet<>(known)));
        }
    }

    public static String text(JsonObject args, String name) {
        Object value = args.getValue(name);
        if (value == null) {
            throw ToolException.invalidArguments("missing argument '" + name + "'");
        }
        if (!(value instanceof String text) || text.isBlank()) {
            throw ToolException.invalidArguments("argument '" + name + "' must be a non-empty string");
        }
        if (text.length() > MAX_TEXT) {
            throw ToolException.invalidArguments("argument '" + name + "' is longer than " + MAX_TEXT + " characters");
        }
        return text.strip();
    }

    /** A decimal number, exactly as written (a JSON number or a numeric string such as "42.5" or "1e3"). */
    public static BigDecimal decimal(JsonObject args, String name) {
        Object value = args.getValue(name);
        if (value == null) {
            throw ToolException.invalidArguments("missing argument '" + name + "'");
        }
        String text = value instanceof Number || value instanceof String ? value.toString().strip().replace("_", "")
                : null;
        if (text == null || text.isEmpty() || text.length() > MAX_TEXT) {
            throw ToolException.invalidArguments("argument '" + name + "' must be a number");
        }
        BigDecimal number;
        try {
            number = new BigDecimal(text);
        } catch (NumberFormatException e) {
            throw ToolException.invalidArguments("argument '" + name + "' must be a number, got '" + text + "'");
        }
        int exponent = number.precision() - number.scale() - 1;
        if (number.signum() != 0 && Math.abs(exponent) > MAX_EXPONENT) {
            throw ToolException.invalidArguments("argument '" + name + "' is out of range (|exponent| > "
                    + MAX_EXPONENT + ")");
        }
        return number;
    }

    /** A whole number in [min, max] (a JSON number without fraction, or an integer string). */
    public static long integer(JsonObject args, String name, long min, long max) {
        BigDecimal number = decimal(args, name);
        try {
            long value = number.stripTrailingZeros().longValueExact();
            if (value < min || value > max) {
                throw ToolException.invalidArguments("argument '" + name + "' must be between " + min + " and "
                        + max);
            }
            return value;
        } catch (ArithmeticException e) {
            throw ToolException.invalidArguments("argument '" + name + "' must be a whole number");
        }
    }
}
