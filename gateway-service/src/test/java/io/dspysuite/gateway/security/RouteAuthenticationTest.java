package io.dspysuite.gateway.security;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.dspysuite.gateway.security.DeclaredRoutes.Operation;
import io.dspysuite.gateway.support.TestKeys;
import io.dspysuite.gateway.support.TestTenants;
import io.dspysuite.localstack.testing.SuiteInfraTestResource;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import jakarta.inject.Inject;

/**
 * Authentication on every route of the gateway. The routes are not a hand-written list: they are every operation of
 * the OpenAPI document, which must itself cover every JAX-RS method compiled into the service (so a route hidden from
 * the document fails here too), plus every {@code @WebSocket} endpoint. Only the documented public routes (health,
 * metrics, OpenAPI, Swagger UI, the browser app and its {@code ui-config}) answer without a key.
 */
@QuarkusTest
@WithTestResource(value = SuiteInfraTestResource.class, scope = TestResourceScope.GLOBAL)
class RouteAuthenticationTest {

    /** API routes that are public on purpose (README: the browser app needs its settings before a key is entered). */
    private static final Set<Operation> PUBLIC = Set.of(new Operation("GET", "/api/v1/ui-config"));
    private static final Pattern PARAM = Pattern.compile("\\{([^}]+)}");
    /** Well-formed keys that no tenant has, and headers that are not a bearer key at all. */
    private static final List<String> BAD_AUTHORIZATIONS = List.of(
            "Bearer dsk_" + "0".repeat(40),
            "Bearer " + TestKeys.DEV + "x",
            "Bearer " + TestKeys.DEV.toUpperCase(),
            "Bearer short",
            "Bearer ",
            "Basic " + java.util.Base64.getEncoder().encodeToString(("dev:" + TestKeys.DEV).getBytes()),
            TestKeys.DEV);

    @TestHTTPResource("/")
    URI baseUri;

    @Inject
    TestTenants tenants;

    @BeforeEach
    void tenants() {
        tenants.ensureOtherTenant();
    }

    /** method + path template of every operation in /q/openapi, less the test-only imitation of the orchestrator. */
    private static Set<Operation> documentedOperations() {
        Map<String, Map<String, Object>> paths = given().when().get("/q/openapi?format=json").then().statusCode(200)
                .extract().jsonPath().getMap("paths");
        Set<Operation> operations = new TreeSet<>();
        paths.forEach((path, item) -> item.keySet().stream()
                .filter(k -> Set.of("get", "put", "post", "delete", "patch", "head", "options").contains(k))
                .forEach(verb -> operations.add(new Operation(verb.toUpperCase(), path))));
        operations.removeAll(DeclaredRoutes.restOperations(DeclaredRoutes.TEST));
        return operations;
    }

    private static Set<Operation> protectedOperations() {
        Set<Operation> operations = new TreeSet<>(documentedOperations());
        operations.removeAll(PUBLIC);
        return operations;
    }

    @Test
    void theDocumentListsEveryDeclaredOperation() {
        Set<Operation> declared = DeclaredRoutes.restOperations(DeclaredRoutes.MAIN);
        Set<Operation> documented = documentedOperations();

        // The enumeration below is only as good as the document: nothing compiled into the service may be missing.
        assertThat(declared).as("JAX-RS methods of target/classes").hasSizeGreaterThan(15);
        assertThat(documented).containsAll(declared);
        // Every documented operation is under /api/v1: nothing else needs an exemption from the tenant-api policy.
        assertThat(documented).allSatisfy(op -> assertThat(op.path()).startsWith("/api/v1/"));
        assertThat(documented).containsAll(PUBLIC);
    }

    @Test
    void everyOperationButThePublicOnesAnswers401ProblemJsonWithoutAKey() {
        List<String> wrong = new ArrayList<>();
        for (Operation op : protectedOperations()) {
            Response response = call(given(), op);
            if (!isUnauthenticated(response)) {
                wrong.add(op + " -> " + response.statusCode() + " " + response.asString());
            }
        }
        assertThat(wrong).as("operations that did not answer 401 UNAUTHENTICATED without a key").isEmpty();
        assertThat(protectedOperations()).hasSizeGreaterThan(15);
    }

    @Test
    void everyOperationButThePublicOnesAnswers401ProblemJsonToABadKey() {
        List<String> wrong = new ArrayList<>();
        for (Operation op : protectedOperations()) {
            for (String authorization : BAD_AUTHORIZATIONS) {
                Response response = call(given().header("Authorization", authorization), op);
                if (!isUnauthenticated(response)) {
                    wrong.add(op + " [" + authorization.length() + "-char header] -> " + response.statusCode() + " "
                            + response.asString());
                }
            }
        }
        assertThat(wrong).as("operations that accepted or mis-answered a bad key").isEmpty();
    }

    @Test
    void memberKeysAreRefused403OnEveryAdminOperation() {
        Set<Operation> admin = new TreeSet<>(protectedOperations());
        admin.removeIf(op -> !op.path().startsWith("/api/v1/admin"));
        assertThat(admin).as("admin operations").hasSizeGreaterThan(8);

        List<String> wrong = new ArrayList<>();
        for (Operation op : admin) {
            Response response = call(given().header("Authorization", TestKeys.bearer(TestKeys.OTHER)), op);
            if (response.statusCode() != 403 || !response.contentType().startsWith("application/problem+json")
                    || !"FORBIDDEN".equals(response.path("code"))) {
                wrong.add(op + " -> " + response.statusCode() + " " + response.asString());
            }
        }
        assertThat(wrong).as("admin operations a member key was not refused 403 FORBIDDEN").isEmpty();
    }

    @Test
    void thePublicRoutesAnswerWithoutAKey() {
        for (Operation op : PUBLIC) {
            call(given(), op).then().statusCode(200);
        }
        for (String open : List.of("/q/health", "/q/health/ready", "/q/metrics", "/q/openapi", "/q/swagger-ui/")) {
            given().when().get(open).then().statusCode(200);
        }
    }

    /** Spellings of a protected path that a router might normalise differently from the security policy. */
    @Test
    void pathSpellingsDoNotBypassThePolicies() {
        List<String> unauthenticated = List.of("/api//v1/tasks", "/api/v1/./tasks", "/api/v1/x/../tasks", "/api/v1/tasks/",
                "/%61pi/v1/tasks", "/api/v1/%74asks", "/api/v1/tasks;x=1", "//api/v1/tasks", "/ws/v1",
                "/api/v1/ui-config/../tasks", "/api/v1/ui-config/..%2ftasks", "/api/v1/ui-config%2f..%2ftasks");
        List<String> wrong = new ArrayList<>();
        for (String path : unauthenticated) {
            Response response = given().urlEncodingEnabled(false).when().get(path);
            // 401 (the policy saw the real path) or 404/400 (nothing is served there) are both safe; 200 is not.
            if (response.statusCode() == 200 || response.statusCode() >= 500) {
                wrong.add("GET " + path + " without a key -> " + response.statusCode() + " " + response.asString());
            }
        }
        List<String> adminOnly = List.of("/api//v1/admin/queues", "/api/v1/./admin/queues", "/api/v1/x/../admin/queues",
                "/api/v1/admin/queues/", "/api/v1/%61dmin/queues", "/api/v1/admin;x=1/queues", "/api/v1/admin//tenants",
                "/api/v1/tasks/../admin/tenants", "/api/v1/ADMIN/tenants");
        for (String path : adminOnly) {
            Response response = given().urlEncodingEnabled(false).header("Authorization", TestKeys.bearer(TestKeys.OTHER))
                    .when().get(path);
            if (response.statusCode() == 200 || response.statusCode() >= 500) {
                wrong.add("GET " + path + " with a member key -> " + response.statusCode() + " " + response.asString());
            }
        }
        assertThat(wrong).as("spellings that reached a protected resource").isEmpty();
    }

    @Test
    void everyWebSocketEndpointRefusesTheUpgradeWithoutAValidKey() {
        Set<String> sockets = DeclaredRoutes.webSocketPaths();
        assertThat(sockets).contains("/ws/v1");
        HttpClient client = HttpClient.newHttpClient();
        for (String path : sockets) {
            assertThat(upgradeStatus(client, path, null)).as(path + " without a key").isEqualTo(401);
            for (String authorization : BAD_AUTHORIZATIONS) {
                assertThat(upgradeStatus(client, path, authorization)).as(path + " with a bad key").isEqualTo(401);
            }
        }
        // The control: the same upgrade with a valid key succeeds, so the 401s above are about the key.
        assertThat(upgradeStatus(client, "/ws/v1", TestKeys.bearer(TestKeys.OTHER))).isEqualTo(101);
    }

    private int upgradeStatus(HttpClient client, String path, String authorization) {
        WebSocket.Builder builder = client.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10));
        if (authorization != null && !authorization.isBlank()) {
            builder.header("Authorization", authorization);
        }
        URI uri = URI.create(baseUri.toString().replaceFirst("^http", "ws").replaceAll("/$", "") + path);
        try {
            WebSocket socket = builder.buildAsync(uri, new WebSocket.Listener() {
            }).get(15, TimeUnit.SECONDS);
            socket.abort();
            return 101;
        } catch (java.util.concurrent.ExecutionException | CompletionException e) {
            if (e.getCause() instanceof WebSocketHandshakeException handshake) {
                return handshake.getResponse().statusCode();
            }
            throw new AssertionError("upgrade of " + path + " failed", e);
        } catch (Exception e) {
            throw new AssertionError("upgrade of " + path + " failed", e);
        }
    }

    private static boolean isUnauthenticated(Response response) {
        return response.statusCode() == 401
                && response.contentType().startsWith("application/problem+json")
                && "UNAUTHENTICATED".equals(response.path("code"))
                && response.header("WWW-Authenticate") != null;
    }

    /** Calls {@code op} with plausible parameters (a real-looking body too, so nothing fails before authentication). */
    private static Response call(RequestSpecification request, Operation op) {
        String path = concrete(op.path());
        if (op.path().endsWith("/events")) {
            request.accept("text/event-stream");
        }
        if (Set.of("POST", "PUT", "PATCH").contains(op.method())) {
            request.contentType("application/json").body("{}");
        }
        return request.when().request(op.method(), path);
    }

    private static String concrete(String template) {
        Matcher matcher = PARAM.matcher(template);
        StringBuilder path = new StringBuilder();
        while (matcher.find()) {
            String value = switch (matcher.group(1)) {
                case "tenant" -> "dev";
                case "name" -> "qa";
                case "version" -> "1";
                default -> UUID.randomUUID().toString();
            };
            matcher.appendReplacement(path, value);
        }
        matcher.appendTail(path);
        return path.toString();
    }
}
