package io.dspysuite.gateway.tenant.model;

import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import io.dspysuite.gateway.task.model.TaskRules;
import io.dspysuite.gateway.validation.NotBlankText;

/** Body of {@code POST /api/v1/admin/tenants}. */
@Schema(name = "CreateTenantRequest", description = "A new tenant")
public record CreateTenantRequest(
        @Schema(description = "Tenant id: lower-case letters, digits and '-', 2-63 characters, starting with a letter "
                + "or digit; used in URLs and as the tasks' tenant_id", example = "acme",
                pattern = CreateTenantRequest.ID_PATTERN)
        @NotNull @Pattern(regexp = CreateTenantRequest.ID_PATTERN, message = "must match " + CreateTenantRequest.ID_PATTERN)
        String id,
        @Schema(description = "Display name: not blank, no NUL character", example = "Acme Corp", maxLength = 200,
                pattern = TaskRules.NOT_BLANK)
        @NotNull @Size(max = 200) @NotBlankText String name) {

    public static final String ID_PATTERN = "^[a-z0-9][a-z0-9-]{1,62}$";
}
