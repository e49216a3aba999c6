package io.dspysuite.orchestration.catalog.rest;

import java.util.HashSet;
import java.util.Set;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.dspysuite.orchestration.catalog.service.CatalogCache;
import io.dspysuite.orchestration.internalapi.ProtoJson;
import io.dspysuite.orchestration.tool.registry.JavaToolRegistry;
import io.dspysuite.orchestration.tool.registry.JavaToolRegistry.RegisteredTool;
import io.dspysuite.orchestration.tool.service.JavaToolRunner;
import io.smallrye.mutiny.Uni;

/**
 * {@code GET /internal/v1/catalog}: the DSPy service's catalog for the gateway (which never calls Python), as the
 * {@code dspysuite.dspy.v1.Catalog} message in JSON with proto field names (snake_case) and every field present, plus
 * {@code fetched_at} and {@code stale} (true while refreshes fail and the last good catalog is served).
 * <p>
 * {@code tools} lists every tool a ReAct program may name: the DSPy service's built-ins ({@code "side": "python"})
 * and this service's Java tools ({@code "side": "java"}, with {@code timeout_ms}), same shape otherwise.
 */
@Path("/internal/v1/catalog")
public class InternalCatalogResource {

    private static final Logger LOG = Logger.getLogger(InternalCatalogResource.class);

    private final CatalogCache catalog;
    private final JavaToolRegistry javaTools;

    InternalCatalogResource(CatalogCache catalog, JavaToolRegistry javaTools) {
        this.catalog = catalog;
        this.javaTools = javaTools;
    }

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    public Uni<ObjectNode> catalog() {
        return catalog.get().map(snapshot -> {
            ObjectNode json = (ObjectNode) ProtoJson.tree(snapshot.catalog());
            addJavaTools((ArrayNode) json.get("tools"));
            json.put("fetched_at", snapshot.fetchedAt().toString());
            json.put("stale", snapshot.stale());
            return json;
        });
    }

    private void addJavaTools(ArrayNode tools) {
        Set<String> python = new HashSet<>();
        for (JsonNode tool : tools) {
            ((ObjectNode) tool).put("side", "python");
            python.add(tool.path("name").asText());
        }
        for (RegisteredTool tool : javaTools.all()) {
            if (python.contains(tool.name())) {
                // The DSPy service refuses a caller tool named like a built-in: the built-in is what a program gets.
                LOG.warnf("Java tool %s is shadowed by the DSPy service's built-in of that name", tool.name());
                continue;
            }
            ObjectNode entry = (ObjectNode) ProtoJson.tree(JavaToolRunner.spec(tool));
            entry.remove("timeout_ms");
            entry.put("side", "java");
            entry.put("timeout_ms", tool.timeout().toMillis());
            tools.add(entry);
        }
    }
}
