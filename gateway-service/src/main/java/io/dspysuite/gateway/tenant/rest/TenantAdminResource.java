package io.dspysuite.gateway.tenant.rest;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.UUID;

import jakarta.annotation.security.RolesAllowed;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;

import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.headers.Header;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.ExampleObject;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.RestResponse;

import io.dspysuite.gateway.auth.ApiKeyRole;
import io.dspysuite.gateway.auth.ApiKeys;
import io.dspysuite.gateway.json.Uuids;
import io.dspysuite.gateway.problem.ApiException;
import io.dspysuite.gateway.problem.ErrorCode;
import io.dspysuite.gateway.problem.Problem;
import io.dspysuite.gateway.task.rest.GatewayOpenApi;
import io.dspysuite.gateway.tenant.model.ApiKeyList;
import io.dspysuite.gateway.tenant.model.CreateApiKeyRequest;
import io.dspysuite.gateway.tenant.model.CreateTenantRequest;
import io.dspysuite.gateway.tenant.model.CreatedApiKey;
import io.dspysuite.gateway.tenant.model.Tenant;
import io.dspysuite.gateway.tenant.model.TenantPage;
import io.dspysuite.gateway.tenant.store.TenantStore;
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpServerRequest;

/**
 * Operator API for tenants and their API keys (admin keys only). A key's secret is generated here, answered once in
 * the 201 body and never stored, logged or shown again: the store keeps its SHA-256.
 */
@Path("/api/v1/admin/tenants")
@Produces(MediaType.APPLICATION_JSON)
@RolesAllowed(ApiKeyRole.ADMIN_ROLE)
@Tag(name = "Admin: tenants and keys")
@SecurityRequirement(name = GatewayOpenApi.BEARER)
@APIResponse(responseCode = "401", description = "Missing, invalid or revoked API key (UNAUTHENTICATED)",
        content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
// Every operation checks its path and query parameters (tenant ids, UUIDs, limits, cursors) before acting.
@APIResponse(responseCode = "400",
        description = "A malformed path or query parameter (INVALID_PARAMETER, with violations)",
        content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
@APIResponse(responseCode = "403", description = "The key is not an admin key (FORBIDDEN)",
        content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
public class TenantAdminResource {

    /** Any tenant id the database accepts (older tenants may use '_' or a single character). */
    static final String STORED_TENANT_ID = "^[a-z0-9][a-z0-9_-]{0,62}$";
    /** Cursors are base64url (no padding). */
    static final String CURSOR = "^[A-Za-z0-9_-]{0,128}$";
    static final int DEFAULT_LIMIT = 50;
    static final int MAX_LIMIT = 200;

    private static final Logger LOG = Logger.getLogger(TenantAdminResource.class);

    private final TenantStore store;
    private final SecurityIdentity identity;

    public TenantAdminResource(TenantStore store, SecurityIdentity identity) {
        this.store = store;
        this.identity = identity;
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Create a tenant", description = "A tenant owns tasks, programs and API keys. Create keys for "
            + "it with POST /api/v1/admin/tenants/{tenant}/keys.")
    @RequestBody(required = true, content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = CreateTenantRequest.class),
            examples = @ExampleObject(name = "tenant", value = "{\"id\": \"acme\", \"name\": \"Acme Corp\"}")))
    @APIResponse(responseCode = "201", description = "Created",
            headers = @Header(name = "Location", description = "/api/v1/admin/tenants/{id}"),
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = Tenant.class),
                    examples = @ExampleObject(name = "tenant",
                            value = "{\"id\": \"acme\", \"name\": \"Acme Corp\", \"created_at\": \"2026-11-24T08:00:00Z\"}")))
    @APIResponse(responseCode = "409", description = "The id is taken (TENANT_EXISTS)",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "422", description = "Invalid body (VALIDATION_FAILED, with violations)",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Uni<RestResponse<Tenant>> createTenant(@NotNull @Valid CreateTenantRequest request) {
        return store.create(request.id(), request.name().strip())
                .map(created -> {
                    Tenant tenant = created.orElseThrow(() -> new ApiException(ErrorCode.TENANT_EXISTS,
                            "A tenant with id '" + request.id() + "' already exists"));
                    LOG.infof("admin tenant %s created tenant %s", actor(), tenant.id());
                    return RestResponse.ResponseBuilder.<Tenant> created(
                            URI.create("/api/v1/admin/tenants/" + tenant.id())).entity(tenant).build();
                });
    }

    @GET
    @Operation(summary = "List tenants", description = "Tenants ordered by id, a page at a time.")
    @APIResponse(responseCode = "200", description = "A page of tenants",
            content = @Content(mediaType = MediaType.APPLICATION_JSON,
                    schema = @Schema(implementation = TenantPage.class),
                    examples = @ExampleObject(name = "page", value = """
                            {"items": [{"id": "acme", "name": "Acme Corp", "created_at": "2026-11-24T08:00:00Z"},
                                       {"id": "dev", "name": "Development tenant", "created_at": "2026-11-24T07:00:00Z"}],
                             "next_cursor": "ZGV2"}""")))
    @APIResponse(responseCode = "400", description = "Invalid limit or cursor (INVALID_PARAMETER)",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Uni<TenantPage> listTenants(
            @Parameter(description = "Page size, 1-200 (default 50)", schema = @Schema(type = SchemaType.INTEGER,
                    minimum = "1", maximum = "200")) @QueryParam("limit") String limit,
            @Parameter(description = "next_cursor of the previous page (an opaque token)",
                    schema = @Schema(type = SchemaType.STRING, pattern = CURSOR)) @QueryParam("cursor") String cursor,
            @Context HttpServerRequest request) {
        // The raw value: RESTEasy hands "limit=" over as no value, but an empty text is no number.
        int pageSize = limit(request.getParam("limit"));
        String after = cursor == null || cursor.isEmpty() ? null : decodeCursor(cursor);
        return store.list(after, pageSize + 1).map(rows -> {
            boolean more = rows.size() > pageSize;
            List<Tenant> page = more ? rows.subList(0, pageSize) : rows;
            return new TenantPage(List.copyOf(page), more ? encodeCursor(page.get(page.size() - 1).id()) : null);
        });
    }

    @GET
    @Path("/{tenant}")
    @Operation(summary = "A tenant")
    @APIResponse(responseCode = "200", description = "The tenant",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = Tenant.class)))
    @APIResponse(responseCode = "404", description = "No such tenant (TENANT_NOT_FOUND)",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Uni<Tenant> getTenant(@Parameter(description = "Tenant id", example = "acme",
                    schema = @Schema(type = SchemaType.STRING, pattern = STORED_TENANT_ID)) @PathParam("tenant") String tenant) {
        checkTenant(tenant);
        return store.find(tenant).map(found -> found.orElseThrow(TenantAdminResource::tenantNotFound));
    }

    @POST
    @Path("/{tenant}/keys")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Create an API key",
            description = "Generates a random key (dsk_ + 256 random bits, base64url) for the tenant. The key is in "
                    + "this response only: the gateway stores its SHA-256 hash and can never show it again. The key "
                    + "works at once on every replica.")
    @RequestBody(required = true, content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = CreateApiKeyRequest.class),
            examples = @ExampleObject(name = "key", value = "{\"name\": \"ci\", \"role\": \"member\"}")))
    @APIResponse(responseCode = "201", description = "Created; `key` is shown only here",
            headers = @Header(name = "Location", description = "/api/v1/admin/tenants/{tenant}/keys"),
            content = @Content(mediaType = MediaType.APPLICATION_JSON,
                    schema = @Schema(implementation = CreatedApiKey.class),
                    examples = @ExampleObject(name = "key", value = """
                            {"key_id": "0b0e8b7e-5a57-4c1e-9d0a-3f1f6f4b2c11", "tenant_id": "acme", "name": "ci",
                             "key": "dsk_Qm9hcmQ0cGFzc3dvcmRzYXJlbm90a2V5c2J1dHRoaXNvbmVpcw",
                             "prefix": "dsk_Qm9hcmQ0", "role": "member", "created_at": "2026-11-24T08:00:00Z"}""")))
    @APIResponse(responseCode = "404", description = "No such tenant (TENANT_NOT_FOUND)",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "422", description = "Invalid body (VALIDATION_FAILED, with violations)",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Uni<RestResponse<CreatedApiKey>> createKey(
            @Parameter(description = "Tenant id", example = "acme",
                    schema = @Schema(type = SchemaType.STRING, pattern = STORED_TENANT_ID)) @PathParam("tenant") String tenant,
            @NotNull @Valid CreateApiKeyRequest request) {
        checkTenant(tenant);
        ApiKeyRole role = request.role() == null ? ApiKeyRole.MEMBER
                : ApiKeyRole.fromWire(request.role()).orElseThrow();
        String key = ApiKeys.generate();
        String prefix = ApiKeys.displayPrefix(key);
        return store.createKey(tenant, request.name().strip(), role, ApiKeys.hash(key), prefix)
                .map(created -> {
                    var info = created.orElseThrow(TenantAdminResource::tenantNotFound);
                    // The key id and prefix identify the key in the log; the secret never goes there.
                    LOG.infof("admin tenant %s created %s key %s (%s) for tenant %s", actor(), role.wire(),
                            info.keyId(), prefix, tenant);
                    return RestResponse.ResponseBuilder
                            .<CreatedApiKey> created(URI.create("/api/v1/admin/tenants/" + tenant + "/keys"))
                            .entity(new CreatedApiKey(info.keyId(), info.tenantId(), info.name(), key, prefix,
                                    info.role(), info.createdAt()))
                            // The body carries a secret: no cache on the way may keep it.
                            .header("Cache-Control", "no-store")
                            .build();
                });
    }

    @GET
    @Path("/{tenant}/keys")
    @Operation(summary = "List a tenant's API keys",
            description = "Every key of the tenant, oldest first, revoked ones included (at most 1000), without "
                    + "secrets or hashes.")
    @APIResponse(responseCode = "200", description = "The keys",
            content = @Content(mediaType = MediaType.APPLICATION_JSON,
                    schema = @Schema(implementation = ApiKeyList.class),
                    examples = @ExampleObject(name = "keys", value = """
                            {"tenant_id": "acme", "items": [{"key_id": "0b0e8b7e-5a57-4c1e-9d0a-3f1f6f4b2c11",
                              "tenant_id": "acme", "name": "ci", "prefix": "dsk_Qm9hcmQ0", "role": "member",
                              "created_at": "2026-11-24T08:00:00Z", "revoked_at": null,
                              "last_used_at": "2026-11-24T08:05:00Z"}]}""")))
    @APIResponse(responseCode = "404", description = "No such tenant (TENANT_NOT_FOUND)",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Uni<ApiKeyList> listKeys(
            @Parameter(description = "Tenant id", example = "acme",
                    schema = @Schema(type = SchemaType.STRING, pattern = STORED_TENANT_ID)) @PathParam("tenant") String tenant) {
        checkTenant(tenant);
        return store.keys(tenant).map(keys -> new ApiKeyList(tenant,
                keys.orElseThrow(TenantAdminResource::tenantNotFound)));
    }

    @DELETE
    @Path("/{tenant}/keys/{key_id}")
    @Operation(summary = "Revoke an API key",
            description = "The key is refused (401) from the moment this answers, on every replica: authentication "
                    + "looks keys up on every request and caches none. A WebSocket connection opened with the key "
                    + "before is closed with code 4401 within dspy-suite.ws.key-check-interval (10 s). Idempotent.")
    @APIResponse(responseCode = "204", description = "Revoked (or already revoked)")
    @APIResponse(responseCode = "400", description = "key_id is not a UUID (INVALID_PARAMETER)",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    @APIResponse(responseCode = "404", description = "No such tenant or key (TENANT_NOT_FOUND, API_KEY_NOT_FOUND)",
            content = @Content(mediaType = Problem.MEDIA_TYPE, schema = @Schema(implementation = Problem.class)))
    public Uni<RestResponse<Void>> revokeKey(
            @Parameter(description = "Tenant id", example = "acme",
                    schema = @Schema(type = SchemaType.STRING, pattern = STORED_TENANT_ID)) @PathParam("tenant") String tenant,
            @Parameter(description = "The key's key_id", example = "0b0e8b7e-5a57-4c1e-9d0a-3f1f6f4b2c11",
                    schema = @Schema(type = SchemaType.STRING, format = "uuid"))
            @PathParam("key_id") String keyId) {
        checkTenant(tenant);
        UUID id = parseKeyId(keyId);
        return store.revokeKey(tenant, id).map(outcome -> switch (outcome) {
            case REVOKED -> {
                LOG.infof("admin tenant %s revoked key %s of tenant %s", actor(), id, tenant);
                yield RestResponse.<Void> noContent();
            }
            case NO_SUCH_TENANT -> throw tenantNotFound();
            case NO_SUCH_KEY -> throw new ApiException(ErrorCode.API_KEY_NOT_FOUND,
                    "Tenant '" + tenant + "' has no key " + id);
        });
    }

    private String actor() {
        return identity.getPrincipal().getName();
    }

    private static void checkTenant(String tenant) {
        if (tenant == null || !tenant.matches(STORED_TENANT_ID)) {
            throw ApiException.invalidParameter("tenant", "must be a tenant id (" + STORED_TENANT_ID + ")");
        }
    }

    private static UUID parseKeyId(String keyId) {
        return Uuids.parse(keyId).orElseThrow(() -> ApiException.invalidParameter("key_id", "must be a UUID"));
    }

    // A String, not an Integer: JAX-RS answers an unconvertible query parameter with a bare 404.
    private static int limit(String limit) {
        if (limit == null) {
            return DEFAULT_LIMIT;
        }
        if (!limit.matches("[0-9]{1,4}") || Integer.parseInt(limit) < 1 || Integer.parseInt(limit) > MAX_LIMIT) {
            throw ApiException.invalidParameter("limit", "must be between 1 and " + MAX_LIMIT);
        }
        return Integer.parseInt(limit);
    }

    private static String encodeCursor(String lastId) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(lastId.getBytes(StandardCharsets.UTF_8));
    }

    private static String decodeCursor(String cursor) {
        try {
            String id = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
            if (id.matches(STORED_TENANT_ID)) {
                return id;
            }
        } catch (IllegalArgumentException e) {
            // reported below
        }
        throw ApiException.invalidParameter("cursor", "is not a cursor this API returned");
    }

    private static ApiException tenantNotFound() {
        return new ApiException(ErrorCode.TENANT_NOT_FOUND, "No such tenant");
    }
}
