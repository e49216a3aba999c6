package io.dspysuite.orchestration.tool.registry;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Any;
import jakarta.enterprise.inject.Instance;

import org.eclipse.microprofile.config.Config;

import io.dspysuite.orchestration.tool.api.JavaTool;
import io.dspysuite.protos.dspy.v1.ProgramSpec;
import io.quarkus.runtime.Startup;

/**
 * The Java tools of this service: every {@link JavaTool} bean, by name, each with its effective timeout (the tool's
 * own, or {@code dspy-suite.tools.<name>.timeout}). Built at start-up: names and timeouts are checked then, so a bad
 * tool fails the deployment rather than a task, and the tools are initialised before their first call (which runs on
 * an event loop).
 */
@ApplicationScoped
@Startup
public class JavaToolRegistry {

    /** What the DSPy service accepts as a caller tool name (a Python identifier, at most 64 characters). */
    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,63}");
    /**
     * The longest tool timeout: the DSPy service waits at most 300 s for an answer, and the declared wait is the
     * tool's timeout plus a grace period for the answer to travel.
     */
    public static final Duration MAX_TIMEOUT = Duration.ofSeconds(290);

    /** A tool and the timeout it runs with. */
    public record RegisteredTool(JavaTool tool, Duration timeout) {

        public String name() {
            return tool.name();
        }
    }

    private final Map<String, RegisteredTool> tools = new TreeMap<>();

    JavaToolRegistry(@Any Instance<JavaTool> beans, Config config) {
        for (JavaTool tool : beans) {
            String name = tool.name();
            if (name == null || !NAME.matcher(name).matches() || name.equals("finish")) {
                throw new IllegalStateException("Java tool " + tool.getClass().getName() + ": invalid name '" + name
                        + "' (a Python identifier of at most 64 characters, not 'finish')");
            }
            if (tool.description() == null || tool.description().isBlank()
                    || !"object".equals(tool.argsSchema().getString("type"))) {
                throw new IllegalStateException("Java tool " + name + ": needs a description and an args schema of "
                        + "type object");
            }
            Duration timeout = config.getOptionalValue("dspy-suite.tools." + name + ".timeout", Duration.class)
                    .orElse(tool.timeout());
            if (timeout == null || timeout.isNegative() || timeout.isZero() || timeout.compareTo(MAX_TIMEOUT) > 0) {
                throw new IllegalStateException("Java tool " + name + ": timeout " + timeout + " is not in (0, "
                        + MAX_TIMEOUT + "]");
            }
            if (tools.put(name, new RegisteredTool(tool, timeout)) != null) {
                throw new IllegalStateException("two Java tools are named " + name);
            }
        }
    }

    public Optional<RegisteredTool> find(String name) {
        return Optional.ofNullable(tools.get(name));
    }

    /** Every tool, by name. */
    public Collection<RegisteredTool> all() {
        return List.copyOf(tools.values());
    }

    /**
     * The Java tools a program names in {@code module_options.tools}, in its order (other names are the DSPy
     * service's built-ins, or unknown, which the service reports). A program by name has no tool list here: the
     * registry resolves a stored version to its ad-hoc source before this is asked.
     */
    public List<RegisteredTool> usedBy(ProgramSpec program) {
        if (!program.hasAdHoc()) {
            return List.of();
        }
        return program.getAdHoc().getModuleOptions().getToolsList().stream()
                .distinct()
                .map(tools::get)
                .filter(tool -> tool != null)
                .toList();
    }
}
