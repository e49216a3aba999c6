package io.dspysuite.gateway.task.ws;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;

class WebSocketOriginCheckTest {

    private final WebSocketOriginCheck check = new WebSocketOriginCheck(Optional.of(List.of("https://app.example.com/")));

    @Test
    void allowsTheSameOrigin() {
        assertThat(check.isAllowed("http://localhost:8080", "localhost:8080")).isTrue();
        assertThat(check.isAllowed("https://gw.example.com", "gw.example.com")).isTrue();
        assertThat(check.isAllowed("https://gw.example.com", "gw.example.com:443")).isTrue();
        assertThat(check.isAllowed("http://LOCALHOST:8080", "localhost:8080")).isTrue();
    }

    @Test
    void allowsConfiguredOrigins() {
        assertThat(check.isAllowed("https://app.example.com", "gw.example.com")).isTrue();
        assertThat(check.isAllowed("https://app.example.com:443", "gw.example.com")).isTrue();
    }

    @Test
    void refusesOtherOrigins() {
        assertThat(check.isAllowed("http://evil.example", "localhost:8080")).isFalse();
        assertThat(check.isAllowed("http://localhost:9999", "localhost:8080")).isFalse();
        assertThat(check.isAllowed("null", "localhost:8080")).isFalse();
        assertThat(check.isAllowed("http://app.example.com", "gw.example.com")).isFalse();
    }
}
