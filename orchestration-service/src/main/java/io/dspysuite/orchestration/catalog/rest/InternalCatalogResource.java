package io.dspysuite.orchestration.catalog.rest;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import com.fasterxml.jackson.databind.node.ObjectNode;

import io.dspysuite.orchestration.catalog.service.CatalogCache;
import io.dspysuite.orchestration.internalapi.ProtoJson;
import io.smallrye.mutiny.Uni;

/**
 * {@code GET /internal/v1/catalog}: the DSPy service's catalog for the gateway (which never calls Python), as the
 * {@code dspysuite.dspy.v1.Catalog} message in JSON with proto field names (snake_case) and every field present, plus
 * {@code fetched_at} and {@code stale} (true while refreshes fail and the last good catalog is served).
 */
@Path("/internal/v1/catalog")
public class InternalCatalogResource {

    private final CatalogCache catalog;

    InternalCatalogResource(CatalogCache catalog) {
        this.catalog = catalog;
    }

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    public Uni<ObjectNode> catalog() {
        return catalog.get().map(snapshot -> {
            ObjectNode json = (ObjectNode) ProtoJson.tree(snapshot.catalog());
            json.put("fetched_at", snapshot.fetchedAt().toString());
            json.put("stale", snapshot.stale());
            return json;
        });
    }
}
