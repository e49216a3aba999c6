package io.dspysuite.orchestration.program.rest;

import java.time.OffsetDateTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.dspysuite.orchestration.catalog.service.CatalogCache;
import io.dspysuite.orchestration.catalog.service.CatalogCache.CatalogUnavailableException;
import io.dspysuite.orchestration.catalog.service.CatalogCache.Snapshot;
import io.dspysuite.orchestration.internalapi.InternalApiException;
import io.dspysuite.orchestration.internalapi.ProtoJson;
import io.dspysuite.orchestration.program.model.ProgramSummary;
import io.dspysuite.orchestration.program.model.ProgramVersion;
import io.dspysuite.orchestration.program.store.ProgramStore;
import io.dspysuite.protos.dspy.v1.FieldSpec;
import io.dspysuite.protos.dspy.v1.NamedProgramInfo;
import io.dspysuite.protos.dspy.v1.NamedProgramRef;
import io.dspysuite.protos.dspy.v1.ProgramSpec;
import io.smallrye.mutiny.Uni;

/**
 * The program registry for the gateway ({@code /internal/v1/tenants/{tenant}/programs...}): the programs registered
 * in the DSPy service's code (from the cached catalog) and those the tenant's optimizations created, their versions,
 * and promotion. {@code tenant} is the tenant the gateway authenticated. JSON keys are snake_case; errors are problem
 * documents with stable codes ({@code PROGRAM_NOT_FOUND}, {@code PROGRAM_VERSION_NOT_FOUND}, {@code INVALID_VERSION},
 * {@code CATALOG_UNAVAILABLE}).
 */
@Path("/internal/v1/tenants/{tenant}/programs")
@Produces(MediaType.APPLICATION_JSON)
public class InternalProgramsResource {

    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private final ProgramStore store;
    private final CatalogCache catalog;

    InternalProgramsResource(ProgramStore store, CatalogCache catalog) {
        this.store = store;
        this.catalog = catalog;
    }

    /** Registered programs (from the catalog) and tenant-born ones, each with its latest and promoted version. */
    @GET
    public Uni<ObjectNode> programs(@PathParam("tenant") String tenant) {
        requireTenant(tenant);
        return Uni.combine().all().unis(catalogIfAny(), store.programs(tenant)).asTuple().map(both -> {
            Optional<Snapshot> snapshot = both.getItem1();
            Map<String, ProgramSummary> stored = new LinkedHashMap<>();
            both.getItem2().forEach(summary -> stored.put(summary.name(), summary));
            ArrayNode programs = JSON.arrayNode();
            snapshot.ifPresent(s -> s.catalog().getProgramsList()
                    .forEach(info -> programs.add(registered(info, stored.remove(info.getName())))));
            stored.values().forEach(summary -> programs.add(stored(summary)));
            ObjectNode json = JSON.objectNode().put("tenant_id", tenant)
                    .put("catalog_available", snapshot.isPresent())
                    .put("catalog_stale", snapshot.map(Snapshot::stale).orElse(false));
            json.set("programs", programs);
            return json;
        });
    }

    /** Every version of one program, oldest first (version 1, the program as defined, included). */
    @GET
    @Path("{name}/versions")
    public Uni<ObjectNode> versions(@PathParam("tenant") String tenant, @PathParam("name") String name,
            @QueryParam("include_state") @DefaultValue("false") boolean includeState) {
        requireTenant(tenant);
        return Uni.combine().all().unis(store.versions(tenant, name), store.pointers(tenant, name)).asTuple()
                .chain(both -> {
                    List<ProgramVersion> versions = both.getItem1();
                    ProgramStore.Pointers pointers = both.getItem2();
                    Uni<Optional<NamedProgramInfo>> registered = versions.isEmpty() || !versions.get(0).program()
                            .hasAdHoc() ? registeredProgram(name, versions.isEmpty() && pointers.promoted() == null)
                                    : Uni.createFrom().item(Optional.empty());
                    return registered.map(info -> {
                        if (versions.isEmpty() && pointers.promoted() == null && info.isEmpty()) {
                            throw InternalApiException.notFound("PROGRAM_NOT_FOUND",
                                    "no program '" + name + "' is registered or was optimized by this tenant");
                        }
                        int promoted = pointers.promoted() == null ? 1 : pointers.promoted();
                        int latest = pointers.latest() == null ? 1 : pointers.latest();
                        ArrayNode list = JSON.arrayNode();
                        if (versions.isEmpty() || versions.get(0).version() != 1) {
                            list.add(implicitFirst(name, promoted == 1));
                        }
                        versions.forEach(v -> list.add(version(v, v.version() == promoted, includeState)));
                        ObjectNode json = JSON.objectNode().put("tenant_id", tenant).put("name", name)
                                .put("source", info.isPresent() || versions.isEmpty()
                                        || versions.get(0).program().hasNamed() ? "registered" : "tenant")
                                .put("latest_version", latest)
                                .put("promoted_version", promoted);
                        json.set("versions", list);
                        return json;
                    });
                });
    }

    /**
     * Makes {@code version} the one requests without a version (or with {@code "promoted"}) run. Idempotent; answers
     * the promotion with the version promoted before ({@code previous_version}, 1 when none was).
     */
    @POST
    @Path("{name}/versions/{version}/promote")
    public Uni<ObjectNode> promote(@PathParam("tenant") String tenant, @PathParam("name") String name,
            @PathParam("version") String versionText) {
        requireTenant(tenant);
        int version = parseVersion(versionText);
        return Uni.combine().all().unis(store.version(tenant, name, version), store.pointers(tenant, name)).asTuple()
                .chain(both -> {
                    ProgramStore.Pointers pointers = both.getItem2();
                    Uni<Boolean> exists;
                    if (both.getItem1().isPresent()) {
                        exists = Uni.createFrom().item(true);
                    } else if (version != 1) {
                        exists = Uni.createFrom().item(false);
                    } else if (pointers.latest() != null) {
                        // Stored versions without a stored version 1: a registered program, whose 1 is implicit.
                        exists = Uni.createFrom().item(true);
                    } else {
                        exists = registeredProgram(name, true).map(Optional::isPresent);
                    }
                    return exists.chain(found -> {
                        if (!found) {
                            throw InternalApiException.notFound("PROGRAM_VERSION_NOT_FOUND",
                                    "program '" + name + "' has no version " + version + " for this tenant");
                        }
                        return store.promote(tenant, name, version);
                    }).map(ignored -> JSON.objectNode().put("tenant_id", tenant).put("name", name)
                            .put("promoted_version", version)
                            .put("previous_version", pointers.promoted() == null ? 1 : pointers.promoted())
                            .put("promoted_at", OffsetDateTime.now().toString()));
                });
    }

    private Uni<Optional<Snapshot>> catalogIfAny() {
        return catalog.get().map(Optional::of)
                .onFailure(CatalogUnavailableException.class).recoverWithItem(Optional.empty());
    }

    /**
     * The catalog's entry for {@code name}; when the catalog is unavailable, a failure if the answer decides the
     * request ({@code required}), else empty.
     */
    private Uni<Optional<NamedProgramInfo>> registeredProgram(String name, boolean required) {
        Uni<Optional<Snapshot>> snapshot = required ? catalog.get().map(Optional::of) : catalogIfAny();
        return snapshot.map(s -> s.flatMap(found -> found.program(name)));
    }

    private static ObjectNode registered(NamedProgramInfo info, ProgramSummary summary) {
        ObjectNode json = JSON.objectNode().put("name", info.getName()).put("source", "registered")
                .put("description", info.getDescription()).put("module", info.getModule())
                .put("instructions", info.getInstructions()).put("default_metric", info.getDefaultMetric());
        json.set("inputs", fields(info.getInputsList()));
        json.set("outputs", fields(info.getOutputsList()));
        ArrayNode tools = json.putArray("tools");
        info.getToolsList().forEach(tools::add);
        json.set("program", ProtoJson.tree(ProgramSpec.newBuilder()
                .setNamed(NamedProgramRef.newBuilder().setName(info.getName()))));
        return pointers(json, summary);
    }

    private static ObjectNode stored(ProgramSummary summary) {
        ProgramSpec program = summary.latestProgram() == null
                ? ProgramSpec.newBuilder().setNamed(NamedProgramRef.newBuilder().setName(summary.name())).build()
                : summary.latestProgram();
        ObjectNode json = JSON.objectNode().put("name", summary.name())
                .put("source", program.hasAdHoc() ? "tenant" : "registered")
                .put("description", program.hasAdHoc() ? program.getAdHoc().getInstructions() : "")
                .put("module", program.hasAdHoc() ? program.getAdHoc().getModule() : "");
        json.set("program", ProtoJson.tree(program));
        return pointers(json, summary);
    }

    private static ObjectNode pointers(ObjectNode json, ProgramSummary summary) {
        Integer latest = summary == null ? null : summary.latestVersion();
        Integer promoted = summary == null ? null : summary.promotedVersion();
        json.put("latest_version", latest == null ? 1 : latest);
        json.put("promoted_version", promoted == null ? 1 : promoted);
        json.put("stored_versions", summary == null ? 0 : summary.storedVersions());
        if (summary == null || summary.updatedAt() == null) {
            json.putNull("updated_at");
        } else {
            json.put("updated_at", summary.updatedAt().toString());
        }
        return json;
    }

    private static ArrayNode fields(List<FieldSpec> fields) {
        ArrayNode array = JSON.arrayNode();
        fields.forEach(field -> array.add(ProtoJson.tree(field)));
        return array;
    }

    private static ObjectNode implicitFirst(String name, boolean promoted) {
        ObjectNode json = JSON.objectNode().put("version", 1).put("implicit", true).put("compiled", false)
                .put("promoted", promoted);
        json.set("program", ProtoJson.tree(ProgramSpec.newBuilder()
                .setNamed(NamedProgramRef.newBuilder().setName(name))));
        json.putNull("created_at");
        json.putNull("task_id");
        json.putObject("metadata");
        json.put("state_bytes", 0);
        return json;
    }

    private static ObjectNode version(ProgramVersion version, boolean promoted, boolean includeState) {
        ObjectNode json = JSON.objectNode().put("version", version.version()).put("implicit", false)
                .put("compiled", version.stateJson() != null).put("promoted", promoted);
        ProgramSpec.Builder program = version.program().toBuilder().clearProgramStateJson();
        if (program.hasNamed()) {
            program.setNamed(NamedProgramRef.newBuilder().setName(program.getNamed().getName()));
        }
        json.set("program", ProtoJson.tree(program));
        json.put("created_at", version.createdAt().toString());
        if (version.taskId() == null) {
            json.putNull("task_id");
        } else {
            json.put("task_id", version.taskId().toString());
        }
        json.set("metadata", ProtoJson.parse(version.metadata().encode()));
        json.put("state_bytes", version.stateJson() == null ? 0 : version.stateJson().length());
        if (includeState) {
            if (version.stateJson() == null) {
                json.putNull("state");
            } else {
                json.set("state", ProtoJson.parse(version.stateJson()));
            }
        }
        return json;
    }

    private static int parseVersion(String text) {
        if (text == null || !text.matches("[0-9]{1,9}") || Integer.parseInt(text) < 1) {
            throw InternalApiException.badRequest("INVALID_VERSION", "a version is a number from 1, got '" + text
                    + "'");
        }
        return Integer.parseInt(text);
    }

    private static void requireTenant(String tenant) {
        if (tenant == null || tenant.isBlank()) {
            throw InternalApiException.badRequest("INVALID_TENANT", "the tenant id is empty");
        }
    }
}
