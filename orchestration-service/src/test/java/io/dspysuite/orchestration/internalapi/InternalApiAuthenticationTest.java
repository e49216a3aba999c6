package io.dspysuite.orchestration.internalapi;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import jakarta.ws.rs.HttpMethod;

import org.junit.jupiter.api.Test;

import io.dspysuite.localstack.testing.SuiteInfraTestResource;
import io.dspysuite.orchestration.testing.FakeDspyPort;
import io.grpc.BindableService;
import io.quarkus.grpc.GrpcService;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * The orchestration service's HTTP API is internal: every operation compiled into the service (read from
 * {@code target/classes}, not a hand-written list) lives under {@code /internal/} and answers 401
 * {@code INTERNAL_TOKEN_INVALID} without the shared token, with a wrong one, and under path spellings that a router
 * might normalise differently from the filter. Only health and metrics ({@code /q/*}) are open. It serves no gRPC:
 * the Java-tool channel is a stream this service opens to the Python service, never one it accepts.
 */
@QuarkusTest
@WithTestResource(SuiteInfraTestResource.class)
@WithTestResource(FakeDspyPort.class)
class InternalApiAuthenticationTest {

    private static final String TOKEN = "test-internal-token";
    private static final Path CLASSES = Path.of("target", "classes");
    private static final Pattern PARAM = Pattern.compile("\\{([^}]+)}");

    record Operation(String method, String path) implements Comparable<Operation> {
        @Override
        public int compareTo(Operation other) {
            return (method + path).compareTo(other.method + other.path);
        }
    }

    @TestHTTPResource("/")
    URL base;

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void everyOperationIsInternalAndRefusedWithoutTheToken() throws Exception {
        Set<Operation> operations = declaredOperations();
        assertThat(operations).as("JAX-RS methods of target/classes").hasSizeGreaterThanOrEqualTo(9);
        assertThat(operations).allSatisfy(op -> assertThat(op.path()).startsWith("/internal/v1/"));

        List<String> wrong = new ArrayList<>();
        for (Operation op : operations) {
            // (Surrounding blanks are not part of an HTTP header value: " token " is the token, rightly.)
            for (String token : new String[] {null, "", "wrong", TOKEN + "x", TOKEN.substring(1), TOKEN.toUpperCase()}) {
                HttpResponse<String> response = send(op.method(), concrete(op.path()), token);
                if (response.statusCode() != 401 || !response.body().contains("\"INTERNAL_TOKEN_INVALID\"")
                        || !response.headers().firstValue("Content-Type").orElse("").startsWith("application/problem+json")) {
                    wrong.add(op.method() + " " + op.path() + " token=" + (token == null ? "none" : token.length() + " chars") + " -> "
                            + response.statusCode() + " " + response.body());
                }
            }
            // The control: with the token the request reaches the resource (anything but the token problem).
            HttpResponse<String> allowed = send(op.method(), concrete(op.path()), TOKEN);
            if (allowed.statusCode() == 401 || allowed.statusCode() >= 500) {
                wrong.add(op.method() + " " + op.path() + " with the token -> " + allowed.statusCode() + " " + allowed.body());
            }
        }
        assertThat(wrong).as("internal operations not guarded by the token").isEmpty();
    }

    @Test
    void pathSpellingsDoNotSlipPastTheFilter() throws Exception {
        List<String> spellings = List.of("//internal/v1/catalog", "/internal//v1/catalog", "/./internal/v1/catalog",
                "/x/../internal/v1/catalog", "/%69nternal/v1/catalog", "/internal/v1/%63atalog",
                "/internal/v1/catalog/", "/internal;x=1/v1/catalog", "/q/../internal/v1/admin/queues",
                "/q/health/..%2f..%2finternal/v1/admin/queues", "/INTERNAL/v1/catalog");
        List<String> wrong = new ArrayList<>();
        for (String path : spellings) {
            HttpResponse<String> response = send("GET", path, null);
            if (response.statusCode() == 200 || response.statusCode() >= 500) {
                wrong.add("GET " + path + " -> " + response.statusCode() + " " + response.body());
            }
        }
        assertThat(wrong).as("spellings that reached an internal resource without the token").isEmpty();
        // Health and metrics stay open for probes and scrapers.
        assertThat(send("GET", "/q/health/live", null).statusCode()).isEqualTo(200);
        assertThat(send("GET", "/q/metrics", null).statusCode()).isEqualTo(200);
    }

    @Test
    void theServiceOffersNoGrpcServer() {
        List<String> services = new ArrayList<>();
        for (Class<?> type : classes()) {
            if (type.isAnnotationPresent(GrpcService.class)
                    || (BindableService.class.isAssignableFrom(type) && !type.isInterface()
                            && !java.lang.reflect.Modifier.isAbstract(type.getModifiers())
                            && !type.getName().startsWith("io.dspysuite.protos"))) {
                services.add(type.getName());
            }
        }
        assertThat(services).as("gRPC services this service would expose (each needs authentication)").isEmpty();
    }

    private HttpResponse<String> send(String method, String path, String token) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base.toString().replaceAll("/$", "") + path))
                .method(method, "POST".equals(method) ? HttpRequest.BodyPublishers.ofString("{}")
                        : HttpRequest.BodyPublishers.noBody())
                .header("Content-Type", "application/json");
        if (token != null) {
            request.header(InternalTokenFilter.HEADER, token);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String concrete(String template) {
        Matcher matcher = PARAM.matcher(template);
        StringBuilder path = new StringBuilder();
        while (matcher.find()) {
            String value = switch (matcher.group(1)) {
                case "tenant" -> "tenant-" + UUID.randomUUID();
                case "name" -> "qa";
                case "version" -> "1";
                case "action" -> "retry";
                default -> UUID.randomUUID().toString();
            };
            matcher.appendReplacement(path, value);
        }
        matcher.appendTail(path);
        return path.toString();
    }

    private static Set<Operation> declaredOperations() {
        Set<Operation> operations = new TreeSet<>();
        for (Class<?> type : classes()) {
            jakarta.ws.rs.Path base = type.getAnnotation(jakarta.ws.rs.Path.class);
            if (base == null || type.isInterface()) { // an interface would be a REST client, not a route
                continue;
            }
            for (Method method : type.getDeclaredMethods()) {
                for (var annotation : method.getAnnotations()) {
                    HttpMethod verb = annotation.annotationType().getAnnotation(HttpMethod.class);
                    if (verb != null) {
                        jakarta.ws.rs.Path sub = method.getAnnotation(jakarta.ws.rs.Path.class);
                        String path = ("/" + base.value() + "/" + (sub == null ? "" : sub.value())).replaceAll("/+", "/");
                        operations.add(new Operation(verb.value(), path.endsWith("/") ? path.substring(0, path.length() - 1) : path));
                    }
                }
            }
        }
        return operations;
    }

    private static List<Class<?>> classes() {
        List<Class<?>> classes = new ArrayList<>();
        try (Stream<Path> files = Files.walk(CLASSES.resolve("io"))) {
            for (Path file : files.filter(f -> f.toString().endsWith(".class")).toList()) {
                String name = CLASSES.relativize(file).toString().replace('/', '.').replaceAll("\\.class$", "");
                if (!name.contains("$")) {
                    classes.add(Class.forName(name, false, Thread.currentThread().getContextClassLoader()));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException(e);
        }
        return classes;
    }
}
