package io.dspysuite.gateway.tenant.model;

import java.util.List;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** A tenant's keys, oldest first (revoked ones included, at most {@code TenantStore.MAX_KEYS_LISTED}). */
@Schema(name = "ApiKeyList")
public record ApiKeyList(@Schema(example = "acme") String tenantId, List<ApiKeyInfo> items) {
}
