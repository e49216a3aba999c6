package io.dspysuite.gateway.task.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * The linear checks agree with the documented patterns (the OpenAPI document shows the patterns, the server runs the
 * checks), and refuse a huge value without backtracking through it.
 */
class TaskRulesTest {

    private static final List<String> CORPUS = List.of("", " ", "\t", "\n", "\u000B", "\f", "\r", " \t\r\n ", "a",
            " a ", "a b", "\u00A0", "\u2003", "é", "😀", "a\u0000", "\u0000", "\u0000 a", "a\nb", "a\r", "\na", "x\ty",
            "a\u0000b\n", "  \u0000  ");

    @Test
    void notBlankAgreesWithItsPattern() {
        for (String text : CORPUS) {
            assertThat(TaskRules.notBlank(text)).as("notBlank(%s)", escape(text))
                    .isEqualTo(text.matches(TaskRules.NOT_BLANK));
        }
        assertThat(TaskRules.notBlank(null)).isFalse();
    }

    @Test
    void enumValueAgreesWithItsPattern() {
        for (String text : CORPUS) {
            assertThat(TaskRules.enumValue(text)).as("enumValue(%s)", escape(text))
                    .isEqualTo(text.matches(TaskRules.ENUM_VALUE));
        }
    }

    @Test
    void idempotencyKeyIsStrippedAndAgreesWithItsPattern() {
        for (String key : List.of("k", " k", "k\t", " \tk-1_A.b~! ", "", " ", "a b", "ü", "k\u0000",
                "x".repeat(255), "x".repeat(256), " " + "x".repeat(255) + " ")) {
            String stored = TaskRules.idempotencyKey(key);
            assertThat(stored != null).as("idempotencyKey(%s)", escape(key))
                    .isEqualTo(key.matches(TaskRules.IDEMPOTENCY_KEY));
            if (stored != null) {
                assertThat(stored).isEqualTo(key.strip());
            }
        }
        // Spaces do not count toward the limit of the pattern, but they are not stored either.
        assertThat(TaskRules.idempotencyKey(" ".repeat(100_000) + "k")).isEqualTo("k");
    }

    @Test
    void aMillionCharacterValueIsRefusedByOnePass() {
        // With String.matches(NOT_BLANK) this input takes minutes (quadratic backtracking); the check reads it once.
        String huge = "a".repeat(1_000_000) + "\u0000";
        assertThat(TaskRules.notBlank(huge)).isFalse();
        assertThat(TaskRules.enumValue(huge)).isFalse();
        assertThat(TaskRules.notBlank(" ".repeat(1_000_000))).isFalse();
    }

    private static String escape(String text) {
        StringBuilder out = new StringBuilder();
        text.codePoints().forEach(c -> out.append(c < 0x20 || c > 0x7E ? String.format("\\u%04X", c) : (char) c));
        return out.toString();
    }
}
