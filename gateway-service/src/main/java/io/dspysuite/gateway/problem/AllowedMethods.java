package io.dspysuite.gateway.problem;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Any;
import jakarta.enterprise.inject.spi.Bean;
import jakarta.enterprise.inject.spi.BeanManager;
import jakarta.ws.rs.HttpMethod;

/**
 * The methods each REST path serves, for the {@code Allow} header of a 405 (RFC 9110 §15.5.6 requires it). RESTEasy
 * Reactive answers a known path with an unknown method by throwing a bare {@code NotAllowedException} without
 * {@code Allow}, so the table is built here, once, from the same JAX-RS annotations that route the requests: the
 * resource beans' {@code @Path} and HTTP method annotations. GET also serves HEAD (JAX-RS does that implicitly).
 */
@ApplicationScoped
public class AllowedMethods {

    private static final Pattern TEMPLATE = Pattern.compile("\\{\\s*[\\w.-]+\\s*(?::\\s*((?:[^{}]|\\{[^{}]*})+))?}");

    private record Route(Pattern path, Set<String> methods) {
    }

    private final List<Route> routes;

    public AllowedMethods(BeanManager beans) {
        List<Route> table = new ArrayList<>();
        for (Bean<?> bean : beans.getBeans(Object.class, Any.Literal.INSTANCE)) {
            Class<?> type = bean.getBeanClass();
            jakarta.ws.rs.Path base = type.getAnnotation(jakarta.ws.rs.Path.class);
            if (base == null || type.isInterface()) {
                continue;
            }
            for (Method method : type.getMethods()) {
                String verb = httpMethod(method);
                if (verb == null) {
                    continue;
                }
                jakarta.ws.rs.Path sub = method.getAnnotation(jakarta.ws.rs.Path.class);
                Pattern path = regex(join(base.value(), sub == null ? "" : sub.value()));
                Route route = table.stream().filter(r -> r.path().pattern().equals(path.pattern())).findFirst()
                        .orElseGet(() -> {
                            Route created = new Route(path, new TreeSet<>());
                            table.add(created);
                            return created;
                        });
                route.methods().add(verb);
                if (verb.equals(HttpMethod.GET)) {
                    route.methods().add(HttpMethod.HEAD);
                }
            }
        }
        this.routes = List.copyOf(table);
    }

    /** The {@code Allow} value for a request path, e.g. {@code "GET, HEAD, POST"}; empty if no resource serves it. */
    public Optional<String> allow(String requestPath) {
        Set<String> methods = new TreeSet<>();
        for (Route route : routes) {
            if (route.path().matcher(requestPath).matches()) {
                methods.addAll(route.methods());
            }
        }
        return methods.isEmpty() ? Optional.empty() : Optional.of(String.join(", ", methods));
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

    /** {@code /api/v1/tasks/{id}} → a regex matching concrete paths; {@code {name: regex}} keeps its regex. */
    static Pattern regex(String template) {
        StringBuilder regex = new StringBuilder();
        Matcher parameter = TEMPLATE.matcher(template);
        int last = 0;
        while (parameter.find()) {
            regex.append(Pattern.quote(template.substring(last, parameter.start())));
            regex.append('(').append(parameter.group(1) == null ? "[^/]+" : parameter.group(1).strip()).append(')');
            last = parameter.end();
        }
        regex.append(Pattern.quote(template.substring(last))).append("/?");
        return Pattern.compile(regex.toString());
    }
}
