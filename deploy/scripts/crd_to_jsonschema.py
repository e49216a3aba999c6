"""Turn a CustomResourceDefinition's openAPIV3Schema into strict JSON schemas for kubeconform, offline.

    python crd_to_jsonschema.py <crd.yaml> <output dir>

Writes `<output dir>/<group>/<kind>_<version>.json` (kind lower-case) for every served version, matching kubeconform's
`-schema-location '<output dir>/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json'`. "Strict" as in
kubeconform's own CRD conversion: objects that list their properties reject unknown ones, unless the CRD preserves
unknown fields there.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml


def _strict(node: object) -> object:
    if isinstance(node, dict):
        out = {key: _strict(value) for key, value in node.items()}
        if (
            "properties" in out
            and "additionalProperties" not in out
            and not out.get("x-kubernetes-preserve-unknown-fields")
        ):
            out["additionalProperties"] = False
        if out.get("x-kubernetes-int-or-string"):
            out.pop("type", None)
            out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
        return out
    if isinstance(node, list):
        return [_strict(item) for item in node]
    return node


def convert(crd_file: Path, out_dir: Path) -> int:
    written = 0
    for crd in yaml.safe_load_all(crd_file.read_text(encoding="utf-8")):
        if not crd or crd.get("kind") != "CustomResourceDefinition":
            continue
        spec = crd["spec"]
        group, kind = spec["group"], spec["names"]["kind"].lower()
        for version in spec["versions"]:
            schema = version.get("schema", {}).get("openAPIV3Schema")
            if not version.get("served", True) or schema is None:
                continue
            target = out_dir / group / f"{kind}_{version['name']}.json"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(_strict(schema)), encoding="utf-8")
            print(f"{target}")
            written += 1
    if not written:
        print(f"no CustomResourceDefinition schema in {crd_file}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        raise SystemExit(2)
    raise SystemExit(convert(Path(sys.argv[1]), Path(sys.argv[2])))
