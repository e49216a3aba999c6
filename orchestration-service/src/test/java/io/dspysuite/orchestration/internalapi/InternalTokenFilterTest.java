package io.dspysuite.orchestration.internalapi;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;

import jakarta.ws.rs.core.Response;

import org.junit.jupiter.api.Test;

class InternalTokenFilterTest {

    @Test
    void withoutAConfiguredTokenTheInternalApiIsDisabled() {
        InternalTokenFilter filter = new InternalTokenFilter(Optional.empty());

        Optional<Response> answer = filter.check("/internal/v1/catalog", "anything");

        assertThat(answer).isPresent();
        assertThat(answer.get().getStatus()).isEqualTo(503);
        assertThat(answer.get().getMediaType().toString()).isEqualTo("application/problem+json");
        assertThat((String) answer.get().getEntity()).contains("\"code\":\"INTERNAL_API_DISABLED\"");
        // Other paths are not the filter's business.
        assertThat(filter.check("/q/health", null)).isEmpty();
        assertThat(new InternalTokenFilter(Optional.of(" ")).check("/internal/v1/catalog", " ")).isPresent();
    }

    @Test
    void theTokenMustMatchExactly() {
        InternalTokenFilter filter = new InternalTokenFilter(Optional.of("s3cret"));

        assertThat(filter.check("/internal/v1/catalog", "s3cret")).isEmpty();
        assertThat(filter.check("/internal/v1/catalog", null).map(Response::getStatus)).contains(401);
        assertThat(filter.check("/internal/v1/catalog", "s3cret ").map(Response::getStatus)).contains(401);
        assertThat(filter.check("/internal/v1/tenants/t/programs", "S3CRET").map(Response::getStatus)).contains(401);
    }
}
