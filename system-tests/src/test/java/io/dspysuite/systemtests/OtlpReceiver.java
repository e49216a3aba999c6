package io.dspysuite.systemtests;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.zip.GZIPInputStream;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;

/**
 * A minimal OTLP/HTTP receiver on loopback, standing in for the OpenTelemetry collector: it decodes the
 * {@code ExportTraceServiceRequest}s the services POST to {@code /v1/traces} and keeps every span. Metrics and logs
 * posts are acknowledged and dropped.
 */
final class OtlpReceiver implements AutoCloseable {

    /** One received span, flattened: hex ids, the exporting service, kind and attributes as text. */
    record ReceivedSpan(String service, String traceId, String spanId, String parentSpanId, String name,
            Span.SpanKind kind, Map<String, String> attributes, boolean error) {
    }

    private final HttpServer server;
    private final List<ReceivedSpan> spans = new CopyOnWriteArrayList<>();

    OtlpReceiver() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/v1/traces", this::traces);
        server.createContext("/", exchange -> respond(exchange, 200));
        server.setExecutor(Executors.newFixedThreadPool(2));
        server.start();
    }

    String endpoint() {
        return "http://localhost:" + server.getAddress().getPort();
    }

    List<ReceivedSpan> spansOfTrace(String traceId) {
        return spans.stream().filter(span -> span.traceId().equals(traceId)).toList();
    }

    private void traces(HttpExchange exchange) throws IOException {
        try (InputStream body = exchange.getRequestBody()) {
            byte[] bytes = body.readAllBytes();
            if ("gzip".equalsIgnoreCase(exchange.getRequestHeaders().getFirst("Content-Encoding"))) {
                bytes = new GZIPInputStream(new ByteArrayInputStream(bytes)).readAllBytes();
            }
            ExportTraceServiceRequest request = ExportTraceServiceRequest.parseFrom(bytes);
            for (ResourceSpans resourceSpans : request.getResourceSpansList()) {
                String service = text(resourceSpans.getResource().getAttributesList()).getOrDefault("service.name", "?");
                for (ScopeSpans scopeSpans : resourceSpans.getScopeSpansList()) {
                    for (Span span : scopeSpans.getSpansList()) {
                        spans.add(new ReceivedSpan(service, hex(span.getTraceId().toByteArray()),
                                hex(span.getSpanId().toByteArray()), hex(span.getParentSpanId().toByteArray()),
                                span.getName(), span.getKind(), text(span.getAttributesList()),
                                span.getStatus().getCode() == io.opentelemetry.proto.trace.v1.Status.StatusCode.STATUS_CODE_ERROR));
                    }
                }
            }
            respond(exchange, 200);
        } catch (IOException | RuntimeException e) {
            respond(exchange, 400);
        }
    }

    private static Map<String, String> text(List<KeyValue> attributes) {
        Map<String, String> map = new TreeMap<>();
        for (KeyValue kv : attributes) {
            map.put(kv.getKey(), text(kv.getValue()));
        }
        return map;
    }

    private static String text(AnyValue value) {
        return switch (value.getValueCase()) {
            case STRING_VALUE -> value.getStringValue();
            case INT_VALUE -> Long.toString(value.getIntValue());
            case DOUBLE_VALUE -> Double.toString(value.getDoubleValue());
            case BOOL_VALUE -> Boolean.toString(value.getBoolValue());
            case ARRAY_VALUE -> value.getArrayValue().getValuesList().stream().map(OtlpReceiver::text).toList().toString();
            default -> value.toString();
        };
    }

    private static String hex(byte[] bytes) {
        return bytes.length == 0 ? "" : HexFormat.of().formatHex(bytes);
    }

    private static void respond(HttpExchange exchange, int status) throws IOException {
        exchange.getRequestBody().readAllBytes();
        exchange.sendResponseHeaders(status, -1);
        exchange.close();
    }

    /** A readable tree of a trace's spans (service: name [kind]), for failure messages and the closing note. */
    static String tree(List<ReceivedSpan> spans) {
        StringBuilder out = new StringBuilder();
        List<ReceivedSpan> roots = new ArrayList<>(spans.stream()
                .filter(s -> s.parentSpanId().isEmpty() || spans.stream().noneMatch(p -> p.spanId().equals(s.parentSpanId())))
                .toList());
        for (ReceivedSpan root : roots) {
            append(out, root, spans, 0);
        }
        return out.toString();
    }

    private static void append(StringBuilder out, ReceivedSpan span, List<ReceivedSpan> all, int depth) {
        out.append("  ".repeat(depth)).append(span.service()).append(": ").append(span.name()).append(" [")
                .append(span.kind().name().replace("SPAN_KIND_", "")).append("]\n");
        for (ReceivedSpan child : all) {
            if (child.parentSpanId().equals(span.spanId())) {
                append(out, child, all, depth + 1);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
