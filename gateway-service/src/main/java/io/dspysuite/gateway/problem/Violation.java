package io.dspysuite.gateway.problem;

/** One invalid field of a request: {@code field} is a dotted path such as {@code program.signature}. */
public record Violation(String field, String message) {
}
