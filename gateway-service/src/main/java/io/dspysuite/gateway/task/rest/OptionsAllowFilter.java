package io.dspysuite.gateway.task.rest;

import jakarta.ws.rs.HttpMethod;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerResponseContext;
import jakarta.ws.rs.core.HttpHeaders;

import org.jboss.resteasy.reactive.server.ServerResponseFilter;

import io.dspysuite.gateway.problem.AllowedMethods;
import io.vertx.core.http.HttpServerRequest;

/**
 * The {@code Allow} header of RESTEasy Reactive's automatic OPTIONS answer lists methods of neighbouring paths too
 * ({@code OPTIONS /api/v1/admin/jobs/{id}} advertised POST, which only {@code .../{id}/retry} serves; schemathesis
 * allow_header_conformance): it is replaced with the path's own methods, the same table the 405 answers use.
 */
public class OptionsAllowFilter {

    private final AllowedMethods allowedMethods;

    public OptionsAllowFilter(AllowedMethods allowedMethods) {
        this.allowedMethods = allowedMethods;
    }

    @ServerResponseFilter
    public void allow(ContainerRequestContext request, ContainerResponseContext response, HttpServerRequest http) {
        if (HttpMethod.OPTIONS.equals(request.getMethod()) && response.getHeaders().containsKey(HttpHeaders.ALLOW)) {
            allowedMethods.allow(http.path()).ifPresent(allow -> response.getHeaders()
                    .putSingle(HttpHeaders.ALLOW, allow + ", " + HttpMethod.OPTIONS));
        }
    }
}
