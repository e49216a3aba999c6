package io.dspysuite.gateway.task.rest;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import jakarta.ws.rs.NameBinding;

/**
 * Marks a streaming endpoint whose request is checked (parameters, task ownership) by
 * {@link StreamPrecheckFilter} before the stream starts: once an SSE response has begun its headers are out, and a
 * failure could no longer become a problem+json answer.
 */
@NameBinding
@Target({ ElementType.TYPE, ElementType.METHOD })
@Retention(RetentionPolicy.RUNTIME)
public @interface StreamPrecheck {
}
