package io.dspysuite.gateway.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.dspysuite.gateway.problem.ApiException;
import io.dspysuite.gateway.problem.ErrorCode;
import io.dspysuite.gateway.problem.Violation;

/**
 * Regression (issue 9 fuzzing): a task nested deeper than protobuf's parsers accept used to be answered 202 and then
 * never ran. Bodies and frames nested deeper than {@link StrictJson#MAX_DEPTH} are now refused with 422.
 */
class StrictJsonTest {

    private final StrictJson json = new StrictJson(new ObjectMapper());

    @Test
    void nestingUpToTheLimitIsAccepted() throws Exception {
        assertThat(json.parse(nested(StrictJson.MAX_DEPTH).getBytes()).isObject()).isTrue();
        assertThat(json.parse(nested(StrictJson.MAX_DEPTH)).isObject()).isTrue();
    }

    @Test
    void deeperBodiesAndFramesAreValidationFailures() {
        for (int depth : new int[] { StrictJson.MAX_DEPTH + 1, 5_000 }) {
            assertThatThrownBy(() -> json.parse(nested(depth).getBytes())).isInstanceOfSatisfying(ApiException.class,
                    e -> {
                        assertThat(e.code()).isEqualTo(ErrorCode.VALIDATION_FAILED);
                        assertThat(e.violations()).extracting(Violation::field).containsExactly("body");
                    });
            assertThatThrownBy(() -> json.parse(nested(depth))).isInstanceOf(ApiException.class);
        }
    }

    @Test
    void malformedJsonIsStillMalformed() {
        assertThatThrownBy(() -> json.parse("{\"a\":".getBytes())).isInstanceOfSatisfying(ApiException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_JSON));
    }

    /** {"a":{"a":...{"a":1}}} with {@code depth} objects. */
    private static String nested(int depth) {
        return "{\"a\":".repeat(depth - 1) + "{\"a\":1}" + "}".repeat(depth - 1);
    }
}
