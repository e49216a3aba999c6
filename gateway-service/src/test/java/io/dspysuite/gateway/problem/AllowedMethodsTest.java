package io.dspysuite.gateway.problem;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class AllowedMethodsTest {

    @Test
    void templatesMatchConcretePathsSegmentBySegment() {
        assertThat(AllowedMethods.regex("/api/v1/tasks/{id}").matcher("/api/v1/tasks/0193-x").matches()).isTrue();
        assertThat(AllowedMethods.regex("/api/v1/tasks/{id}").matcher("/api/v1/tasks/a/cancel").matches()).isFalse();
        assertThat(AllowedMethods.regex("/api/v1/tasks/{id}").matcher("/api/v1/tasks/").matches()).isFalse();
        assertThat(AllowedMethods.regex("/api/v1/tasks").matcher("/api/v1/tasks/").matches()).isTrue();
        assertThat(AllowedMethods.regex("/a/{v: [0-9]+}/b").matcher("/a/12/b").matches()).isTrue();
        assertThat(AllowedMethods.regex("/a/{v: [0-9]+}/b").matcher("/a/x/b").matches()).isFalse();
        // Literal parts are literal: a dot is not "any character".
        assertThat(AllowedMethods.regex("/q.x").matcher("/qax").matches()).isFalse();
    }

    @Test
    void joinNormalisesSlashes() {
        assertThat(AllowedMethods.join("/api/v1/tasks", "{id}/cancel")).isEqualTo("/api/v1/tasks/{id}/cancel");
        assertThat(AllowedMethods.join("/api/v1", "/catalog/")).isEqualTo("/api/v1/catalog");
    }
}
