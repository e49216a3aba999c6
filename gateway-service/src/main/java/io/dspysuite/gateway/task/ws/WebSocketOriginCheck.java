package io.dspysuite.gateway.task.ws;

import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import io.quarkus.websockets.next.HttpUpgradeCheck;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpHeaders;

/**
 * Cross-site WebSocket hijacking guard: a browser always sends {@code Origin} on an upgrade, and a page of another
 * site must not ride on a key it got hold of. Same-origin pages and the configured
 * {@code dspy-suite.ws.allowed-origins} pass; requests without {@code Origin} (non-browser clients) pass; everything
 * else gets 403.
 */
@ApplicationScoped
public class WebSocketOriginCheck implements HttpUpgradeCheck {

    private static final Logger LOG = Logger.getLogger(WebSocketOriginCheck.class);

    private final Set<String> allowedOrigins;

    public WebSocketOriginCheck(@ConfigProperty(name = "dspy-suite.ws.allowed-origins") Optional<List<String>> allowed) {
        this.allowedOrigins = allowed.orElse(List.of()).stream()
                .map(String::trim)
                .filter(o -> !o.isEmpty())
                .map(WebSocketOriginCheck::normalize)
                .collect(Collectors.toUnmodifiableSet());
    }

    @Override
    public Uni<CheckResult> perform(HttpUpgradeContext context) {
        String origin = context.httpRequest().getHeader(HttpHeaders.ORIGIN);
        if (origin == null || isAllowed(origin, context.httpRequest().getHeader(HttpHeaders.HOST))) {
            return CheckResult.permitUpgrade();
        }
        LOG.debugf("WebSocket upgrade from origin %s refused", origin);
        return CheckResult.rejectUpgrade(403);
    }

    boolean isAllowed(String origin, String host) {
        String normalized = normalize(origin);
        if (allowedOrigins.contains(normalized)) {
            return true;
        }
        URI uri = parse(origin);
        if (uri == null || uri.getHost() == null || host == null) {
            return false;
        }
        int port = uri.getPort() != -1 ? uri.getPort() : defaultPort(uri.getScheme());
        return authority(uri.getHost(), port).equals(hostAuthority(host.trim().toLowerCase(Locale.ROOT), uri.getScheme()));
    }

    /** {@code scheme://host[:port]}, lower case, default ports dropped, no trailing slash. */
    static String normalize(String origin) {
        URI uri = parse(origin.trim());
        if (uri == null || uri.getScheme() == null || uri.getHost() == null) {
            return origin.trim().toLowerCase(Locale.ROOT);
        }
        String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
        int port = uri.getPort();
        boolean defaultPort = port == -1 || port == defaultPort(scheme);
        return scheme + "://" + uri.getHost().toLowerCase(Locale.ROOT) + (defaultPort ? "" : ":" + port);
    }

    private static String hostAuthority(String hostHeader, String scheme) {
        int colon = hostHeader.lastIndexOf(':');
        boolean hasPort = colon > 0 && hostHeader.indexOf(']') < colon;
        String hostName = hasPort ? hostHeader.substring(0, colon) : hostHeader;
        int port = hasPort ? parsePort(hostHeader.substring(colon + 1)) : defaultPort(scheme);
        return authority(hostName, port);
    }

    private static String authority(String host, int port) {
        return host.toLowerCase(Locale.ROOT) + ":" + port;
    }

    private static int defaultPort(String scheme) {
        return "https".equalsIgnoreCase(scheme) || "wss".equalsIgnoreCase(scheme) ? 443 : 80;
    }

    private static int parsePort(String text) {
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static URI parse(String text) {
        try {
            return URI.create(text);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
