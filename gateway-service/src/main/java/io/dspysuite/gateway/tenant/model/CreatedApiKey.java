package io.dspysuite.gateway.tenant.model;

import java.time.OffsetDateTime;
import java.util.UUID;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** The answer to a key creation: the only place the secret ever appears. */
@Schema(name = "CreatedApiKey", description = "The new key. `key` is shown only in this response: store it now; the "
        + "gateway keeps only its SHA-256 hash.")
public record CreatedApiKey(
        UUID keyId,
        @Schema(example = "acme") String tenantId,
        @Schema(example = "ci") String name,
        @Schema(description = "The secret: send it as Authorization: Bearer <key>",
                example = "dsk_Qm9hcmQ0cGFzc3dvcmRzYXJlbm90a2V5c2J1dHRoaXNvbmVpcw") String key,
        @Schema(description = "The key's first characters, to recognise it in listings", example = "dsk_Qm9hcmQ0")
        String prefix,
        @Schema(enumeration = { "member", "admin" }) String role,
        OffsetDateTime createdAt) {
}
