package io.dspysuite.orchestration.testing;

import java.time.Duration;

import jakarta.enterprise.context.ApplicationScoped;

import io.dspysuite.orchestration.tool.api.JavaTool;
import io.smallrye.mutiny.Uni;
import io.vertx.core.json.JsonObject;

/** Java tools that misbehave, registered in the test application only. */
public final class TestTools {

    private TestTools() {
    }

    /** Never answers: its calls must be answered as TIMEOUT after 300 ms. */
    @ApplicationScoped
    public static class SlowTool implements JavaTool {

        public static final String NAME = "test_slow";

        @Override
        public String name() {
            return NAME;
        }

        @Override
        public String description() {
            return "never answers";
        }

        @Override
        public JsonObject argsSchema() {
            return new JsonObject().put("type", "object").put("properties", new JsonObject());
        }

        @Override
        public Duration timeout() {
            return Duration.ofMillis(300);
        }

        @Override
        public Uni<String> call(JsonObject args) {
            return Uni.createFrom().nothing();
        }
    }

    /** Throws: its calls must be answered as TOOL_FAILED, without the exception's message. */
    @ApplicationScoped
    public static class BrokenTool implements JavaTool {

        public static final String NAME = "test_broken";

        @Override
        public String name() {
            return NAME;
        }

        @Override
        public String description() {
            return "always throws";
        }

        @Override
        public JsonObject argsSchema() {
            return new JsonObject().put("type", "object").put("properties", new JsonObject());
        }

        @Override
        public Duration timeout() {
            return Duration.ofSeconds(1);
        }

        @Override
        public Uni<String> call(JsonObject args) {
            throw new IllegalStateException("internal detail that must not reach the LM");
        }
    }
}
