package io.dspysuite.orchestration.tool.builtin;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import jakarta.enterprise.context.ApplicationScoped;

import io.dspysuite.orchestration.tool.api.JavaTool;
import io.dspysuite.orchestration.tool.api.ToolArgs;
import io.dspysuite.orchestration.tool.api.ToolException;
import io.smallrye.mutiny.Uni;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * {@code unit_convert}: converts a value between units of length, mass, time or temperature with exact decimal
 * arithmetic (the definitions are exact: 1 mi = 1609.344 m, 1 lb = 0.45359237 kg, 0 °C = 273.15 K, ...). Each unit is
 * {@code base = (x + offset) * num / den}; a conversion multiplies exactly and divides once, so a result that has a
 * finite decimal expansion is exact, and any other is rounded to 15 significant digits (and shown with "≈").
 * Pure and fast: it runs on the calling thread.
 */
@ApplicationScoped
public class UnitConvertTool implements JavaTool {

    public static final String NAME = "unit_convert";
    private static final int SIGNIFICANT_DIGITS = 15;
    private static final MathContext DIVISION = MathContext.DECIMAL128;

    private record Unit(String symbol, String dimension, BigDecimal offset, BigDecimal num, BigDecimal den) {
    }

    /** Unit symbols and their aliases (lower case) in display order. */
    private static final Map<String, Unit> UNITS = new LinkedHashMap<>();
    private static final Map<String, Unit> ALIASES = new LinkedHashMap<>();

    static {
        linear("length", "m", "1", "meter", "meters", "metre", "metres");
        linear("length", "km", "1000", "kilometer", "kilometers", "kilometre", "kilometres");
        linear("length", "cm", "0.01", "centimeter", "centimeters", "centimetre", "centimetres");
        linear("length", "mm", "0.001", "millimeter", "millimeters", "millimetre", "millimetres");
        linear("length", "mi", "1609.344", "mile", "miles");
        linear("length", "yd", "0.9144", "yard", "yards");
        linear("length", "ft", "0.3048", "foot", "feet");
        linear("length", "in", "0.0254", "inch", "inches");
        linear("length", "nmi", "1852", "nautical_mile", "nautical_miles");
        linear("mass", "kg", "1", "kilogram", "kilograms");
        linear("mass", "g", "0.001", "gram", "grams");
        linear("mass", "mg", "0.000001", "milligram", "milligrams");
        linear("mass", "t", "1000", "tonne", "tonnes", "metric_ton", "metric_tons");
        linear("mass", "lb", "0.45359237", "lbs", "pound", "pounds");
        linear("mass", "oz", "0.028349523125", "ounce", "ounces");
        linear("mass", "st", "6.35029318", "stone", "stones");
        linear("time", "s", "1", "sec", "secs", "second", "seconds");
        linear("time", "ms", "0.001", "millisecond", "milliseconds");
        linear("time", "min", "60", "mins", "minute", "minutes");
        linear("time", "h", "3600", "hr", "hrs", "hour", "hours");
        linear("time", "d", "86400", "day", "days");
        linear("time", "wk", "604800", "week", "weeks");
        unit(new Unit("K", "temperature", BigDecimal.ZERO, BigDecimal.ONE, BigDecimal.ONE), "kelvin");
        unit(new Unit("C", "temperature", new BigDecimal("273.15"), BigDecimal.ONE, BigDecimal.ONE), "°c", "degc",
                "celsius", "degrees_celsius");
        // F: K = (F + 459.67) * 5 / 9
        unit(new Unit("F", "temperature", new BigDecimal("459.67"), BigDecimal.valueOf(5), BigDecimal.valueOf(9)),
                "°f", "degf", "fahrenheit", "degrees_fahrenheit");
    }

    private static void linear(String dimension, String symbol, String factor, String... aliases) {
        unit(new Unit(symbol, dimension, BigDecimal.ZERO, new BigDecimal(factor), BigDecimal.ONE), aliases);
    }

    private static void unit(Unit unit, String... aliases) {
        UNITS.put(unit.symbol(), unit);
        ALIASES.put(unit.symbol().toLowerCase(Locale.ROOT), unit);
        for (String alias : aliases) {
            ALIASES.put(alias, unit);
        }
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "Converts a value between units of the same kind, exactly. Units: " + unitList()
                + ". Arguments: value (a number), from_unit, to_unit. Example: {\"value\": 42, \"from_unit\": \"km\", "
                + "\"to_unit\": \"mi\"}.";
    }

    @Override
    public JsonObject argsSchema() {
        // The units are listed once, in the description: the schema is shown to the LM too, and small models have
        // small context windows.
        return new JsonObject()
                .put("type", "object")
                .put("properties", new JsonObject()
                        .put("value", new JsonObject().put("type", "number").put("description", "the value to convert"))
                        .put("from_unit", new JsonObject().put("type", "string")
                                .put("description", "the unit of value, e.g. km"))
                        .put("to_unit", new JsonObject().put("type", "string")
                                .put("description", "the unit to convert to, e.g. mi")))
                .put("required", new JsonArray().add("value").add("from_unit").add("to_unit"));
    }

    @Override
    public Duration timeout() {
        return Duration.ofSeconds(2);
    }

    @Override
    public Uni<String> call(JsonObject args) {
        return Uni.createFrom().item(() -> convert(args));
    }

    /** The conversion as the LM reads it, e.g. "42 km = 26.0975981132822 mi". */
    String convert(JsonObject args) {
        ToolArgs.onlyKnown(args, Set.of("value", "from_unit", "to_unit"));
        BigDecimal value = ToolArgs.decimal(args, "value");
        Unit from = unit(ToolArgs.text(args, "from_unit"), "from_unit");
        Unit to = unit(ToolArgs.text(args, "to_unit"), "to_unit");
        if (!from.dimension().equals(to.dimension())) {
            throw ToolException.invalidArguments("cannot convert " + from.dimension() + " (" + from.symbol() + ") to "
                    + to.dimension() + " (" + to.symbol() + ")");
        }
        // y = (x + off_f) * num_f * den_t / (den_f * num_t) - off_t: exact products, one division.
        BigDecimal numerator = value.add(from.offset()).multiply(from.num());
        if (from.dimension().equals("temperature") && numerator.signum() < 0) {
            throw ToolException.invalidArguments(plain(value) + " " + from.symbol() + " is below absolute zero");
        }
        numerator = numerator.multiply(to.den());
        BigDecimal denominator = from.den().multiply(to.num());
        BigDecimal exact;
        boolean rounded = false;
        try {
            exact = numerator.divide(denominator);
        } catch (ArithmeticException nonTerminating) {
            exact = numerator.divide(denominator, DIVISION);
            rounded = true;
        }
        BigDecimal result = exact.subtract(to.offset());
        BigDecimal shown = result.round(new MathContext(SIGNIFICANT_DIGITS, RoundingMode.HALF_EVEN));
        rounded |= shown.compareTo(result) != 0;
        return plain(value) + " " + from.symbol() + (rounded ? " ≈ " : " = ") + plain(shown) + " " + to.symbol();
    }

    private static Unit unit(String text, String argument) {
        String key = text.toLowerCase(Locale.ROOT).replaceFirst("^degrees? ", "degrees_").replace(' ', '_');
        Unit unit = ALIASES.get(key);
        if (unit == null) {
            throw ToolException.invalidArguments("unknown unit '" + text + "' in " + argument + "; known units: "
                    + unitList());
        }
        return unit;
    }

    private static String unitList() {
        return UNITS.values().stream()
                .collect(Collectors.groupingBy(Unit::dimension, LinkedHashMap::new,
                        Collectors.mapping(Unit::symbol, Collectors.joining(", "))))
                .entrySet().stream().map(e -> e.getKey() + " (" + e.getValue() + ")")
                .collect(Collectors.joining(", "));
    }

    private static String plain(BigDecimal number) {
        BigDecimal stripped = number.signum() == 0 ? BigDecimal.ZERO : number.stripTrailingZeros();
        int exponent = stripped.precision() - stripped.scale() - 1;
        return Math.abs(exponent) > 20 ? stripped.toString() : stripped.toPlainString();
    }
}
