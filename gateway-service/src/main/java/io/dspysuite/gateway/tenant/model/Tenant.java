package io.dspysuite.gateway.tenant.model;

import java.time.OffsetDateTime;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

@Schema(name = "Tenant")
public record Tenant(
        @Schema(example = "acme") String id,
        @Schema(example = "Acme Corp") String name,
        @Schema(example = "2026-11-24T08:00:00Z") OffsetDateTime createdAt) {
}
