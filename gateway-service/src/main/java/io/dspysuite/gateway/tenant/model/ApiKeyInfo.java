package io.dspysuite.gateway.tenant.model;

import java.time.OffsetDateTime;
import java.util.UUID;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** A key as listings show it: never the secret, never its hash. */
@Schema(name = "ApiKey")
public record ApiKeyInfo(
        UUID keyId,
        @Schema(example = "acme") String tenantId,
        @Schema(description = "What the key is for", example = "ci", nullable = true) String name,
        @Schema(description = "The key's first characters (null for keys created before prefixes were recorded)",
                example = "dsk_Qm9hcmQ0", nullable = true) String prefix,
        @Schema(enumeration = { "member", "admin" }) String role,
        OffsetDateTime createdAt,
        @Schema(description = "When the key was revoked; a revoked key is refused (401)", nullable = true)
        OffsetDateTime revokedAt,
        @Schema(description = "When the key last authenticated a request (to within a minute)", nullable = true)
        OffsetDateTime lastUsedAt) {
}
