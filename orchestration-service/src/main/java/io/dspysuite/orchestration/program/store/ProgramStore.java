package io.dspysuite.orchestration.program.store;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;

import io.dspysuite.orchestration.program.model.ProgramSummary;
import io.dspysuite.orchestration.program.model.ProgramVersion;
import io.dspysuite.protos.dspy.v1.ProgramSpec;
import io.smallrye.mutiny.Uni;
import io.vertx.core.json.JsonObject;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlClient;
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * The program registry's tables ({@code program_versions}, {@code program_promotions}) through the reactive client.
 * Versions of one (tenant, name) are numbered under a transaction-scoped advisory lock, so concurrent optimizations of
 * the same program get consecutive numbers.
 */
@ApplicationScoped
public class ProgramStore {

    private static final String LOCK_PROGRAM = "SELECT pg_advisory_xact_lock(hashtext('program:' || $1 || '/' || $2))";

    private static final String POINTERS = """
            SELECT (SELECT max(version) FROM orchestration.program_versions WHERE tenant_id = $1 AND name = $2) AS latest,
                   (SELECT version FROM orchestration.program_promotions WHERE tenant_id = $1 AND name = $2) AS promoted
            """;

    private static final String COLUMNS = "tenant_id, name, version, program, state_json, metadata, task_id, created_at";

    private static final String VERSION = "SELECT " + COLUMNS
            + " FROM orchestration.program_versions WHERE tenant_id = $1 AND name = $2 AND version = $3";

    private static final String VERSIONS = "SELECT " + COLUMNS
            + " FROM orchestration.program_versions WHERE tenant_id = $1 AND name = $2 ORDER BY version";

    private static final String INSERT = """
            INSERT INTO orchestration.program_versions (tenant_id, name, version, program, state_json, metadata, task_id)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            """;

    private static final String PROGRAMS = """
            WITH stored AS (SELECT tenant_id, name, max(version) AS latest, count(*) AS stored, max(created_at) AS updated
                              FROM orchestration.program_versions WHERE tenant_id = $1 GROUP BY tenant_id, name),
                 names AS (SELECT name FROM stored
                           UNION SELECT name FROM orchestration.program_promotions WHERE tenant_id = $1)
            SELECT n.name, s.latest, s.stored, p.version AS promoted, v.program AS latest_program,
                   greatest(s.updated, p.promoted_at) AS updated
              FROM names n
              LEFT JOIN stored s ON s.name = n.name
              LEFT JOIN orchestration.program_promotions p ON p.tenant_id = $1 AND p.name = n.name
              LEFT JOIN orchestration.program_versions v ON v.tenant_id = $1 AND v.name = n.name AND v.version = s.latest
             ORDER BY n.name
            """;

    private static final String PROMOTE = """
            INSERT INTO orchestration.program_promotions (tenant_id, name, version) VALUES ($1, $2, $3)
            ON CONFLICT (tenant_id, name) DO UPDATE SET version = EXCLUDED.version, promoted_at = now()
            """;

    private final Pool pool;

    ProgramStore(Pool pool) {
        this.pool = pool;
    }

    /** The latest stored and the promoted version of a program (either {@code null} when there is none). */
    public record Pointers(Integer latest, Integer promoted) {
    }

    public Uni<Pointers> pointers(String tenantId, String name) {
        return pool.preparedQuery(POINTERS).execute(Tuple.of(tenantId, name)).map(rows -> {
            Row row = rows.iterator().next();
            return new Pointers(row.getInteger("latest"), row.getInteger("promoted"));
        });
    }

    public Uni<Optional<ProgramVersion>> version(String tenantId, String name, int version) {
        return pool.preparedQuery(VERSION).execute(Tuple.of(tenantId, name, version))
                .map(rows -> rows.rowCount() == 0 ? Optional.empty() : Optional.of(toVersion(rows.iterator().next())));
    }

    public Uni<List<ProgramVersion>> versions(String tenantId, String name) {
        return pool.preparedQuery(VERSIONS).execute(Tuple.of(tenantId, name)).map(rows -> {
            List<ProgramVersion> versions = new ArrayList<>(rows.rowCount());
            rows.forEach(row -> versions.add(toVersion(row)));
            return versions;
        });
    }

    /** Every program name the tenant has stored versions of or promoted, by name. */
    public Uni<List<ProgramSummary>> programs(String tenantId) {
        return pool.preparedQuery(PROGRAMS).execute(Tuple.of(tenantId)).map(rows -> {
            List<ProgramSummary> programs = new ArrayList<>(rows.rowCount());
            for (Row row : rows) {
                Object latestProgram = row.getValue("latest_program");
                Long stored = row.getLong("stored");
                programs.add(new ProgramSummary(row.getString("name"), row.getInteger("latest"),
                        row.getInteger("promoted"), stored == null ? 0 : stored.intValue(),
                        latestProgram == null ? null : parseSpec((JsonObject) latestProgram),
                        row.getOffsetDateTime("updated")));
            }
            return programs;
        });
    }

    /** Points the program's promotion at {@code version} (which the caller checked exists). */
    public Uni<Void> promote(String tenantId, String name, int version) {
        return pool.preparedQuery(PROMOTE).execute(Tuple.of(tenantId, name, version)).replaceWithVoid();
    }

    /**
     * Stores the next version of {@code (tenantId, name)} on {@code conn} (the caller's transaction): max + 1, where
     * version 1 is the program as defined. When the program has no stored version yet and its source is ad hoc, that
     * version 1 (the source without state) is stored first, so the name resolves on its own from now on. Returns the
     * new version number.
     */
    public Uni<Integer> insertNext(SqlClient conn, String tenantId, String name, ProgramSpec source, String stateJson,
            JsonObject metadata, UUID taskId) {
        JsonObject program = specJson(source);
        return conn.preparedQuery(LOCK_PROGRAM).execute(Tuple.of(tenantId, name))
                .chain(() -> conn.preparedQuery("SELECT max(version) AS latest FROM orchestration.program_versions"
                        + " WHERE tenant_id = $1 AND name = $2").execute(Tuple.of(tenantId, name)))
                .chain(rows -> {
                    Integer latest = rows.iterator().next().getInteger("latest");
                    Uni<Void> base = Uni.createFrom().voidItem();
                    if (latest == null && source.hasAdHoc()) {
                        base = conn.preparedQuery(INSERT).execute(Tuple.tuple().addString(tenantId).addString(name)
                                .addInteger(1).addJsonObject(program).addString(null)
                                .addJsonObject(new JsonObject().put("origin", "ad_hoc")
                                        .put("task_id", taskId.toString()))
                                .addUUID(taskId)).replaceWithVoid();
                    }
                    int next = (latest == null ? 1 : latest) + 1;
                    return base.chain(() -> conn.preparedQuery(INSERT).execute(Tuple.tuple().addString(tenantId)
                            .addString(name).addInteger(next).addJsonObject(program).addString(stateJson)
                            .addJsonObject(metadata).addUUID(taskId)))
                            .replaceWith(next);
                });
    }

    /** The stored (protobuf JSON, snake_case) form of a program source. */
    public static JsonObject specJson(ProgramSpec source) {
        try {
            return new JsonObject(JsonFormat.printer().preservingProtoFieldNames().omittingInsignificantWhitespace()
                    .print(source.toBuilder().clearProgramStateJson()));
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("program spec cannot be printed as JSON", e);
        }
    }

    public static ProgramSpec parseSpec(JsonObject json) {
        ProgramSpec.Builder spec = ProgramSpec.newBuilder();
        try {
            JsonFormat.parser().ignoringUnknownFields().merge(json.encode(), spec);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("stored program spec is not a valid ProgramSpec", e);
        }
        return spec.build();
    }

    private static ProgramVersion toVersion(Row row) {
        return new ProgramVersion(row.getString("tenant_id"), row.getString("name"), row.getInteger("version"),
                parseSpec((JsonObject) row.getValue("program")), row.getString("state_json"),
                (JsonObject) row.getValue("metadata"), row.getUUID("task_id"), row.getOffsetDateTime("created_at"));
    }
}
