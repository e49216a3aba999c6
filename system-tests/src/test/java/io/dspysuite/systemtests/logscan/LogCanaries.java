package io.dspysuite.systemtests.logscan;

import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * What no log line of a test run may contain, collected while the run goes on: each end-to-end suite registers the
 * API key and internal token it started with, prompts carry {@link #PROMPT_MARKER}, and the Python service gets a
 * fake hosted-LM key ({@link #LM_API_KEY}) that it must hold without ever printing.
 */
public final class LogCanaries {

    /**
     * Put into the prompts (questions) the tests send, here and in the services' component tests (same literal there:
     * modules do not share test code). A prompt in a log line shows up as this marker.
     */
    public static final String PROMPT_MARKER = "canary-prompt-5d1f";
    /** DSPY_LM_API_KEY of the end-to-end Python services (unused by the local model, but configured, like in prod). */
    public static final String LM_API_KEY = "sk-canary-lm-" + UUID.randomUUID().toString().replace("-", "");

    /**
     * Any API key of the suite's format ({@code dsk_} + at least 16 characters; the 12-character display prefix that
     * admin listings show is not a secret), a bearer credential, an internal-token header with its value.
     */
    public static final Map<String, Pattern> PATTERNS = Map.of(
            "an API key (dsk_...)", Pattern.compile("dsk_[A-Za-z0-9_-]{16,}"),
            "a bearer credential", Pattern.compile("(?i)bearer\\s+[A-Za-z0-9_.~+/-]{12,}"),
            "an X-Internal-Token value", Pattern.compile("(?i)x-internal-token\"?\\s*[:=]\\s*\"?[A-Za-z0-9_-]{8,}"));

    private static final Map<String, String> SECRETS = new ConcurrentHashMap<>(Map.of(
            "the prompt marker", PROMPT_MARKER,
            "the hosted-LM API key", LM_API_KEY));

    private LogCanaries() {
    }

    /** Registers a secret of this run under a label (the label, never the value, appears in a finding). */
    public static void secret(String label, String value) {
        SECRETS.put(label, value);
    }

    public static Map<String, String> secrets() {
        return Map.copyOf(SECRETS);
    }
}
