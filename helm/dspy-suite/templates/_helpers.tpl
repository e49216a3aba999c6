{{/* Chart name, truncated to the DNS label limit. */}}
{{- define "dspy-suite.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Release-scoped full name. */}}
{{- define "dspy-suite.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Name of one component's objects: <fullname>-<component>. Call with (dict "root" $ "component" "gateway"). */}}
{{- define "dspy-suite.componentName" -}}
{{- printf "%s-%s" (include "dspy-suite.fullname" .root | trunc 50 | trimSuffix "-") .component }}
{{- end }}

{{- define "dspy-suite.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels common to every object. */}}
{{- define "dspy-suite.labels" -}}
helm.sh/chart: {{ include "dspy-suite.chart" . }}
app.kubernetes.io/part-of: dspy-suite
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Selector labels of one component. (dict "root" $ "component" "gateway") */}}
{{- define "dspy-suite.selectorLabels" -}}
app.kubernetes.io/name: {{ include "dspy-suite.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "dspy-suite.componentLabels" -}}
{{ include "dspy-suite.labels" .root }}
{{ include "dspy-suite.selectorLabels" . }}
{{- end }}

{{- define "dspy-suite.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "dspy-suite.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Image of one component. (dict "root" $ "component" "gateway" "image" "gateway-service") */}}
{{- define "dspy-suite.image" -}}
{{- $values := index .root.Values .component }}
{{- $repository := $values.image.repository | default (printf "%s%s" .root.Values.image.repositoryPrefix .image) }}
{{- $tag := $values.image.tag | default .root.Values.image.tag | default .root.Chart.AppVersion }}
{{- if .root.Values.image.registry }}
{{- printf "%s/%s:%s" .root.Values.image.registry $repository $tag }}
{{- else }}
{{- printf "%s:%s" $repository $tag }}
{{- end }}
{{- end }}

{{/* The Kafka topics of the suite. */}}
{{- define "dspy-suite.topics" -}}
{{- list "dspy.tasks.requested" "dspy.tasks.control" "dspy.tasks.events" "dspy.tasks.requested.dlq" | toJson }}
{{- end }}

{{- define "dspy-suite.kafkaSasl" -}}
{{- has .Values.kafka.securityProtocol (list "SASL_PLAINTEXT" "SASL_SSL") }}
{{- end }}

{{- define "dspy-suite.kafkaTls" -}}
{{- has .Values.kafka.securityProtocol (list "SSL" "SASL_SSL") }}
{{- end }}

{{/* JAAS login module for the configured SASL mechanism. */}}
{{- define "dspy-suite.kafkaLoginModule" -}}
{{- if eq .Values.kafka.sasl.mechanism "PLAIN" -}}
org.apache.kafka.common.security.plain.PlainLoginModule
{{- else -}}
org.apache.kafka.common.security.scram.ScramLoginModule
{{- end }}
{{- end }}

{{/*
Quarkus properties shared by both Java services: Kafka (with TLS/SASL; the SASL credentials are expanded from
environment variables that come from the Secret) and the PostgreSQL URLs.
*/}}
{{- define "dspy-suite.javaCommonProperties" -}}
kafka.bootstrap.servers={{ .Values.kafka.bootstrapServers }}
{{- if ne .Values.kafka.securityProtocol "PLAINTEXT" }}
kafka.security.protocol={{ .Values.kafka.securityProtocol }}
{{- end }}
{{- if eq (include "dspy-suite.kafkaSasl" .) "true" }}
kafka.sasl.mechanism={{ .Values.kafka.sasl.mechanism }}
kafka.sasl.jaas.config={{ include "dspy-suite.kafkaLoginModule" . }} required username="${DSPY_SUITE_KAFKA_USERNAME}" password="${DSPY_SUITE_KAFKA_PASSWORD}";
{{- end }}
{{- if and (eq (include "dspy-suite.kafkaTls" .) "true") .Values.kafka.tls.caSecret }}
kafka.ssl.truststore.type=PEM
kafka.ssl.truststore.location=/etc/dspy-suite/kafka-tls/{{ .Values.kafka.tls.caKey }}
{{- end }}
{{- $pg := .Values.postgresql }}
quarkus.datasource.reactive.url=postgresql://{{ $pg.host }}:{{ $pg.port }}/{{ $pg.database }}?sslmode={{ $pg.sslMode }}
quarkus.datasource.jdbc.url=jdbc:postgresql://{{ $pg.host }}:{{ $pg.port }}/{{ $pg.database }}?sslmode={{ $pg.sslMode }}
{{- if .Values.otel.endpoint }}
quarkus.otel.exporter.otlp.endpoint={{ .Values.otel.endpoint }}
quarkus.otel.exporter.otlp.protocol=http/protobuf
dspy-suite.otel.export=true
{{- end }}
{{- end }}

{{/*
Environment variables of a Java service from Secrets. (dict "root" $ "secret" <postgres secret name>)
DSPY_SUITE_INTERNAL_TOKEN: the same Secret for both services (the gateway sends it, the orchestration service checks it).
*/}}
{{- define "dspy-suite.javaSecretEnv" -}}
{{- $root := .root -}}
{{- $token := $root.Values.internalToken.existingSecret -}}
- name: DSPY_SUITE_INTERNAL_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ required "internalToken.existingSecret.name is required (a Secret shared by the gateway and the orchestration service)" $token.name }}
      key: {{ required "internalToken.existingSecret.key is required" $token.key }}
- name: QUARKUS_DATASOURCE_USERNAME
  valueFrom:
    secretKeyRef:
      name: {{ .secret }}
      key: {{ $root.Values.postgresql.usernameKey }}
- name: QUARKUS_DATASOURCE_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ .secret }}
      key: {{ $root.Values.postgresql.passwordKey }}
{{- if eq (include "dspy-suite.kafkaSasl" $root) "true" }}
- name: DSPY_SUITE_KAFKA_USERNAME
  valueFrom:
    secretKeyRef:
      name: {{ required "kafka.sasl.existingSecret is required with a SASL security protocol" $root.Values.kafka.sasl.existingSecret }}
      key: {{ $root.Values.kafka.sasl.usernameKey }}
- name: DSPY_SUITE_KAFKA_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $root.Values.kafka.sasl.existingSecret }}
      key: {{ $root.Values.kafka.sasl.passwordKey }}
{{- end }}
{{- end }}

{{/* Base URL of the orchestration service's HTTP port (internal API), as the gateway reaches it in-cluster. */}}
{{- define "dspy-suite.orchestrationUrl" -}}
{{- printf "http://%s.%s.svc:%v" (include "dspy-suite.componentName" (dict "root" . "component" "orchestration")) .Release.Namespace .Values.orchestration.service.port }}
{{- end }}

{{/* Checksum of a rendered template, to roll pods when their configuration changes. */}}
{{- define "dspy-suite.checksum" -}}
{{- include (print .root.Template.BasePath "/" .file) .root | sha256sum }}
{{- end }}
