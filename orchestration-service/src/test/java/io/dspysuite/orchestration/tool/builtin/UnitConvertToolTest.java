package io.dspysuite.orchestration.tool.builtin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import io.dspysuite.orchestration.tool.api.ToolException;
import io.vertx.core.json.JsonObject;

class UnitConvertToolTest {

    private final UnitConvertTool tool = new UnitConvertTool();

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "42       | km         | mi     | 42 km ≈ 26.097590073968 mi",
            "1        | mi         | km     | 1 mi = 1.609344 km",
            "12       | in         | ft     | 12 in = 1 ft",
            "0.1      | m          | cm     | 0.1 m = 10 cm",
            "3        | lb         | kg     | 3 lb = 1.36077711 kg",
            "16       | oz         | lb     | 16 oz = 1 lb",
            "1        | t          | g      | 1 t = 1000000 g",
            "90       | minutes    | h      | 90 min = 1.5 h",
            "2        | wk         | s      | 2 wk = 1209600 s",
            "100      | celsius    | F      | 100 C = 212 F",
            "-40      | °F         | °C     | -40 F = -40 C",
            "98.6     | F          | C      | 98.6 F = 37 C",
            "0        | K          | C      | 0 K = -273.15 C",
            "100      | F          | C      | 100 F ≈ 37.7777777777778 C",
            "1e3      | Nautical mile | km  | 1000 nmi = 1852 km",
    })
    void convertsExactlyWhereTheResultIsFinite(String value, String from, String to, String expected) {
        assertThat(convert(value, from, to)).isEqualTo(expected);
    }

    @Test
    void takesJsonNumbersAsTheLmSendsThem() {
        // A protobuf Struct carries numbers as doubles: 42 arrives as 42.0.
        assertThat(tool.convert(new JsonObject().put("value", 42.0).put("from_unit", "kg").put("to_unit", "g")))
                .isEqualTo("42 kg = 42000 g");
        assertThat(tool.call(new JsonObject().put("value", 2).put("from_unit", "h").put("to_unit", "min"))
                .await().atMost(Duration.ofSeconds(1))).isEqualTo("2 h = 120 min");
    }

    @Test
    void rejectsIncompatibleAndUnknownUnits() {
        assertInvalid(args("1", "kg", "km"), "cannot convert mass (kg) to length (km)");
        assertInvalid(args("1", "furlong", "m"), "unknown unit 'furlong' in from_unit; known units: length (m, km");
        assertInvalid(args("1", "m", ""), "argument 'to_unit' must be a non-empty string");
    }

    @Test
    void rejectsBadValues() {
        assertInvalid(args("forty-two", "km", "mi"), "argument 'value' must be a number, got 'forty-two'");
        assertInvalid(new JsonObject().put("from_unit", "km").put("to_unit", "mi"), "missing argument 'value'");
        assertInvalid(new JsonObject().put("value", true).put("from_unit", "km").put("to_unit", "mi"),
                "argument 'value' must be a number");
        assertInvalid(args("1e999999", "km", "mi"), "out of range");
        assertInvalid(args("-300", "C", "K"), "-300 C is below absolute zero");
        assertInvalid(args("1", "km", "mi").put("precision", 3), "unknown argument(s) precision");
    }

    @Test
    void failuresAreToolExceptionsOnTheUni() {
        assertThatThrownBy(() -> tool.call(args("x", "km", "mi")).await().atMost(Duration.ofSeconds(1)))
                .isInstanceOf(ToolException.class)
                .extracting(e -> ((ToolException) e).code()).isEqualTo(ToolException.INVALID_ARGUMENTS);
    }

    @Test
    void describesItselfForTheLm() {
        assertThat(tool.name()).isEqualTo("unit_convert");
        assertThat(tool.description()).contains("temperature (K, C, F)", "length (m, km, cm, mm, mi, yd, ft, in, nmi)");
        assertThat(tool.argsSchema().getJsonArray("required").getList()).containsExactly("value", "from_unit",
                "to_unit");
    }

    private String convert(String value, String from, String to) {
        return tool.convert(args(value, from, to));
    }

    private static JsonObject args(String value, String from, String to) {
        return new JsonObject().put("value", value).put("from_unit", from).put("to_unit", to);
    }

    private void assertInvalid(JsonObject args, String message) {
        assertThatThrownBy(() -> tool.convert(args))
                .isInstanceOfSatisfying(ToolException.class, e -> {
                    assertThat(e.code()).isEqualTo(ToolException.INVALID_ARGUMENTS);
                    assertThat(e.getMessage()).contains(message);
                });
    }
}
