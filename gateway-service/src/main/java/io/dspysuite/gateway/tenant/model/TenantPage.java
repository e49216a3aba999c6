package io.dspysuite.gateway.tenant.model;

import java.util.List;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** A page of tenants by id; {@code next_cursor} is null on the last page. */
@Schema(name = "TenantPage")
public record TenantPage(
        List<Tenant> items,
        @Schema(description = "Pass as ?cursor= for the next page; null on the last page", nullable = true)
        String nextCursor) {
}
