package io.dspysuite.gateway.tenant.model;

import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;

import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

import io.dspysuite.gateway.task.model.TaskRules;
import io.dspysuite.gateway.validation.NotBlankText;

/** Body of {@code POST /api/v1/admin/tenants/{tenant}/keys}. */
@Schema(name = "CreateApiKeyRequest", description = "A new API key for the tenant")
public record CreateApiKeyRequest(
        @Schema(description = "What the key is for (shown in listings)", example = "ci", maxLength = 100,
                pattern = TaskRules.NOT_BLANK)
        @NotNull @Size(max = 100) @NotBlankText String name,
        @Schema(description = "member (default): the tenant's own tasks and programs; admin: also /api/v1/admin",
                type = SchemaType.STRING, enumeration = { "member", "admin" }, defaultValue = "member", nullable = true)
        @Pattern(regexp = "^(member|admin)$", message = "must be member or admin") String role) {
}
