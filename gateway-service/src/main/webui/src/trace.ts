/**
 * The link to a task's trace from the configured template (dspy-suite.ui.trace-url-template, e.g.
 * "https://jaeger.example.com/trace/{trace_id}"), or null when there is none: no template, or one that does not make
 * an http(s) URL (a template is configuration, but a javascript: URL must never become clickable).
 */
export function traceLink(template: string, traceId: string): string | null {
  if (!template || !traceId) {
    return null;
  }
  const url = template.replaceAll('{trace_id}', encodeURIComponent(traceId));
  return /^https?:\/\/[^\s]+$/i.test(url) ? url : null;
}
