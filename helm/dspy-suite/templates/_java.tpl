{{/*
Deployment of a Quarkus service (fast-jar image). Arguments:
  root: $, component: gateway|orchestration, image: gateway-service|orchestration-service, port: HTTP port,
  pgSecret: PostgreSQL Secret, env: extra env list (already rendered YAML, may be empty)
*/}}
{{- define "dspy-suite.javaDeployment" -}}
{{- $root := .root }}
{{- $values := index $root.Values .component }}
{{- $ctx := dict "root" $root "component" .component }}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "dspy-suite.componentName" $ctx }}
  labels:
    {{- include "dspy-suite.componentLabels" $ctx | nindent 4 }}
spec:
  {{- if not $values.autoscaling.enabled }}
  replicas: {{ $values.replicaCount }}
  {{- end }}
  revisionHistoryLimit: 5
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxUnavailable: 0
      maxSurge: 1
  selector:
    matchLabels:
      {{- include "dspy-suite.selectorLabels" $ctx | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "dspy-suite.componentLabels" $ctx | nindent 8 }}
      annotations:
        checksum/config: {{ include "dspy-suite.checksum" (dict "root" $root "file" (printf "configmap-%s.yaml" .component)) }}
        {{- with $root.Values.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ include "dspy-suite.serviceAccountName" $root }}
      automountServiceAccountToken: false
      {{- with $root.Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext:
        {{- toYaml $root.Values.podSecurityContext | nindent 8 }}
        runAsUser: 185
        runAsGroup: 185
        fsGroup: 185
      terminationGracePeriodSeconds: 60
      containers:
        - name: {{ .component }}
          image: {{ include "dspy-suite.image" (dict "root" $root "component" .component "image" .image) }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          securityContext:
            {{- toYaml $root.Values.containerSecurityContext | nindent 12 }}
          ports:
            - name: http
              containerPort: {{ .port }}
              protocol: TCP
          env:
            - name: QUARKUS_HTTP_PORT
              value: {{ .port | quote }}
            - name: JAVA_TOOL_OPTIONS
              value: {{ printf "%s -Djava.io.tmpdir=/tmp -Dvertx.cacheDirBase=/tmp/vertx-cache" $values.javaOpts | quote }}
            {{- include "dspy-suite.javaSecretEnv" (dict "root" $root "secret" .pgSecret) | nindent 12 }}
            {{- with .env }}
            {{- . | nindent 12 }}
            {{- end }}
            {{- with $values.extraEnv }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          volumeMounts:
            - name: config
              mountPath: /deployments/config
              readOnly: true
            - name: tmp
              mountPath: /tmp
            {{- if and (eq (include "dspy-suite.kafkaTls" $root) "true") $root.Values.kafka.tls.caSecret }}
            - name: kafka-tls
              mountPath: /etc/dspy-suite/kafka-tls
              readOnly: true
            {{- end }}
          startupProbe:
            httpGet:
              path: /q/health/started
              port: http
            periodSeconds: 5
            failureThreshold: 36
          livenessProbe:
            httpGet:
              path: /q/health/live
              port: http
            periodSeconds: 10
            timeoutSeconds: 3
            failureThreshold: 3
          readinessProbe:
            httpGet:
              path: /q/health/ready
              port: http
            periodSeconds: 5
            timeoutSeconds: 3
            failureThreshold: 3
          resources:
            {{- toYaml $values.resources | nindent 12 }}
      volumes:
        - name: config
          configMap:
            name: {{ include "dspy-suite.componentName" $ctx }}
        - name: tmp
          emptyDir:
            sizeLimit: 256Mi
        {{- if and (eq (include "dspy-suite.kafkaTls" $root) "true") $root.Values.kafka.tls.caSecret }}
        - name: kafka-tls
          secret:
            secretName: {{ $root.Values.kafka.tls.caSecret }}
            items:
              - key: {{ $root.Values.kafka.tls.caKey }}
                path: {{ $root.Values.kafka.tls.caKey }}
        {{- end }}
      {{- with $values.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $values.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- if $values.affinity }}
      affinity:
        {{- toYaml $values.affinity | nindent 8 }}
      {{- else }}
      affinity:
        podAntiAffinity:
          preferredDuringSchedulingIgnoredDuringExecution:
            - weight: 100
              podAffinityTerm:
                topologyKey: kubernetes.io/hostname
                labelSelector:
                  matchLabels:
                    {{- include "dspy-suite.selectorLabels" $ctx | nindent 20 }}
      {{- end }}
      {{- with $values.topologySpreadConstraints }}
      topologySpreadConstraints:
        {{- toYaml . | nindent 8 }}
      {{- end }}
{{- end }}

{{/* HPA, PDB: the same for every component. (dict "root" $ "component" "gateway") */}}
{{- define "dspy-suite.hpa" -}}
{{- $values := index .root.Values .component }}
{{- if $values.autoscaling.enabled }}
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ include "dspy-suite.componentName" . }}
  labels:
    {{- include "dspy-suite.componentLabels" . | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ include "dspy-suite.componentName" . }}
  minReplicas: {{ $values.autoscaling.minReplicas }}
  maxReplicas: {{ $values.autoscaling.maxReplicas }}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ $values.autoscaling.targetCPUUtilizationPercentage }}
  behavior:
    scaleDown:
      stabilizationWindowSeconds: 300
{{- end }}
{{- end }}

{{- define "dspy-suite.pdb" -}}
{{- $values := index .root.Values .component }}
{{- if $values.podDisruptionBudget.enabled }}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "dspy-suite.componentName" . }}
  labels:
    {{- include "dspy-suite.componentLabels" . | nindent 4 }}
spec:
  {{- if hasKey $values.podDisruptionBudget "minAvailable" }}
  minAvailable: {{ $values.podDisruptionBudget.minAvailable }}
  {{- else }}
  maxUnavailable: {{ $values.podDisruptionBudget.maxUnavailable | default 1 }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "dspy-suite.selectorLabels" . | nindent 6 }}
{{- end }}
{{- end }}
