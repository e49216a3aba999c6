"""Every suite metric the Grafana dashboard or the alert rules query is defined somewhere in the services' code.

A renamed metric would otherwise leave an empty panel or an alert that can never fire. Prometheus suffixes
(_total, _bucket, _count, _sum, _seconds) are stripped and the base name, or its Micrometer spelling with dots, must
appear in the Java or Python sources. Third-party metrics (kafka_*, up) are not checked.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OWN = re.compile(r"\b(dspy_(?:suite|service|jobs|circuit)[a-z_]*)")
SUFFIXES = ("_bucket", "_count", "_sum", "_total", "_seconds", "_max")


def base(name: str) -> str:
    changed = True
    while changed:
        changed = False
        for suffix in SUFFIXES:
            if name.endswith(suffix):
                name, changed = name[: -len(suffix)], True
    return name


def queried() -> set[str]:
    dashboard = json.loads((ROOT / "deploy/observability/grafana/dashboards/dspy-suite.json").read_text())
    texts = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    texts += [p.read_text() for p in (ROOT / "deploy/observability/prometheus/rules").glob("*.yml")]
    return {base(m) for text in texts for m in OWN.findall(text)}


def sources() -> str:
    files = [*ROOT.glob("*-service/src/main/java/**/*.java"), *ROOT.glob("dspy-python-service/src/dspy_service/**/*.py")]
    return "\n".join(f.read_text() for f in files)


def main() -> int:
    code = sources()
    missing = sorted(n for n in queried() if n not in code and n.replace("_", ".") not in code)
    if missing:
        print("metrics queried by the dashboard or alert rules but defined nowhere: " + ", ".join(missing))
        return 1
    print(f"{len(queried())} metric names of the dashboard and alert rules are defined in the services")
    return 0


if __name__ == "__main__":
    sys.exit(main())
