package io.dspysuite.gateway.security;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import jakarta.ws.rs.HttpMethod;

import io.quarkus.websockets.next.WebSocket;

/**
 * Every HTTP operation and WebSocket endpoint the gateway's own code declares, read from its compiled classes
 * ({@code target/classes}) by reflection: the security tests' second source besides the OpenAPI document, so an
 * operation hidden from the document (or a new WebSocket endpoint) cannot escape them.
 */
final class DeclaredRoutes {

    /** One JAX-RS resource method: {@code GET /api/v1/tasks/{id}}. */
    record Operation(String method, String path) implements Comparable<Operation> {
        @Override
        public int compareTo(Operation other) {
            return toString().compareTo(other.toString());
        }

        @Override
        public String toString() {
            return method + " " + path;
        }
    }

    /** The service's own classes; {@code target/test-classes} holds the tests' imitations (a fake orchestrator). */
    static final Path MAIN = Path.of("target", "classes");
    static final Path TEST = Path.of("target", "test-classes");

    private DeclaredRoutes() {
    }

    static Set<Operation> restOperations(Path root) {
        Set<Operation> operations = new TreeSet<>();
        for (Class<?> type : classes(root)) {
            jakarta.ws.rs.Path base = type.getAnnotation(jakarta.ws.rs.Path.class);
            // Interfaces with @Path are REST clients of other services (OrchestrationClient), not routes served here.
            if (base == null || type.isInterface()) {
                continue;
            }
            for (Method method : type.getDeclaredMethods()) {
                String verb = httpMethod(method);
                if (verb == null) {
                    continue;
                }
                jakarta.ws.rs.Path sub = method.getAnnotation(jakarta.ws.rs.Path.class);
                operations.add(new Operation(verb, join(base.value(), sub == null ? "" : sub.value())));
            }
        }
        return operations;
    }

    static Set<String> webSocketPaths() {
        Set<String> paths = new TreeSet<>();
        for (Class<?> type : classes(MAIN)) {
            WebSocket socket = type.getAnnotation(WebSocket.class);
            if (socket != null) {
                paths.add(socket.path());
            }
        }
        return paths;
    }

    private static String httpMethod(Method method) {
        for (var annotation : method.getAnnotations()) {
            HttpMethod verb = annotation.annotationType().getAnnotation(HttpMethod.class);
            if (verb != null) {
                return verb.value();
            }
        }
        return null;
    }

    static String join(String base, String sub) {
        String path = ("/" + base + "/" + sub).replaceAll("/+", "/");
        return path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    }

    private static List<Class<?>> classes(Path root) {
        if (!Files.isDirectory(root.resolve("io"))) {
            throw new IllegalStateException("no compiled classes under " + root.toAbsolutePath());
        }
        List<Class<?>> classes = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root.resolve("io"))) {
            for (Path file : files.filter(f -> f.toString().endsWith(".class")).toList()) {
                String name = root.relativize(file).toString().replace('/', '.').replaceAll("\\.class$", "");
                if (name.contains("$")) {
                    continue;
                }
                classes.add(Class.forName(name, false, Thread.currentThread().getContextClassLoader()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException(e);
        }
        return classes;
    }
}
