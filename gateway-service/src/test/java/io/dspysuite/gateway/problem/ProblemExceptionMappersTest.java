package io.dspysuite.gateway.problem;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.ws.rs.core.Response;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.vertx.pgclient.PgException;

/**
 * {@link ProblemExceptionMappers#databaseRefusedValue}: only PostgreSQL's data exceptions (SQLSTATE class 22) are the
 * client's fault; every other database failure stays an internal error. The database's own message never reaches the
 * client (it can name tables, columns and the offending value).
 */
class ProblemExceptionMappersTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    // The database mapper does not answer 405s, so it needs no table of allowed methods.
    private final ProblemExceptionMappers mappers = new ProblemExceptionMappers(new ProblemWriter(JSON), null);

    /** 22021: a NUL byte in text; 22001: value too long; 22003: numeric out of range; 22P05: NUL in jsonb. */
    @ParameterizedTest
    @ValueSource(strings = { "22021", "22001", "22003", "22P05", "22000" })
    void aDataExceptionIs422ValidationFailed(String sqlState) throws Exception {
        Response response = mappers.databaseRefusedValue(pgException(sqlState));

        assertThat(response.getStatus()).isEqualTo(422);
        assertThat(response.getMediaType()).hasToString(Problem.MEDIA_TYPE);
        JsonNode body = JSON.readTree((String) response.getEntity());
        assertThat(body.path("status").asInt()).isEqualTo(422);
        assertThat(body.path("code").asText()).isEqualTo("VALIDATION_FAILED");
        assertThat(body.path("violations").path(0).path("field").asText()).isEqualTo("body");
        assertThat(body.toString()).doesNotContain("gateway.tenants", "0x00", sqlState);
    }

    /** Unique violations, lost connections, missing tables, a missing SQLSTATE: not the client's fault. */
    @ParameterizedTest
    @ValueSource(strings = { "23505", "57P01", "42P01", "08006", "X22" })
    void anyOtherDatabaseFailureStaysAnInternalError(String sqlState) throws Exception {
        Response response = mappers.databaseRefusedValue(pgException(sqlState));

        assertThat(response.getStatus()).isEqualTo(500);
        JsonNode body = JSON.readTree((String) response.getEntity());
        assertThat(body.path("code").asText()).isEqualTo("INTERNAL");
        assertThat(body.toString()).doesNotContain("gateway.tenants");
    }

    @Test
    void aDatabaseFailureWithoutSqlStateStaysAnInternalError() {
        assertThat(mappers.databaseRefusedValue(pgException(null)).getStatus()).isEqualTo(500);
    }

    private static PgException pgException(String sqlState) {
        return new PgException("invalid byte sequence for encoding \"UTF8\": 0x00 (in gateway.tenants)", "ERROR",
                sqlState, "detail naming gateway.tenants");
    }
}
