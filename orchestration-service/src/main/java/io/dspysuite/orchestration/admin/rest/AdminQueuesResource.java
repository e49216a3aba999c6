package io.dspysuite.orchestration.admin.rest;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import com.fasterxml.jackson.databind.node.ObjectNode;

import io.dspysuite.orchestration.admin.service.JobAdministration;
import io.smallrye.mutiny.Uni;

/**
 * {@code GET /internal/v1/admin/queues}: every configured queue with its depth per state (all replicas), how long
 * its oldest claimable job has waited, and this replica's limit and running jobs. Guarded by the internal token like
 * all of {@code /internal/v1}.
 */
@Path("/internal/v1/admin/queues")
@Produces(MediaType.APPLICATION_JSON)
public class AdminQueuesResource {

    private final JobAdministration admin;

    AdminQueuesResource(JobAdministration admin) {
        this.admin = admin;
    }

    @GET
    public Uni<ObjectNode> queues() {
        return admin.queues().map(AdminJson::queues);
    }
}
