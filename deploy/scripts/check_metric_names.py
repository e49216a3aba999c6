"""Every metric the Grafana dashboard or the alert rules query is one the services really expose.

A renamed metric would otherwise leave an empty panel or an alert that can never fire. For the suite's own metrics,
Prometheus suffixes (_total, _bucket, _count, _sum, _seconds) are stripped and the base name, or its Micrometer
spelling with dots, must appear in the Java or Python sources. Third-party metrics (Kafka client metrics of the
Micrometer binder) must be listed in THIRD_PARTY with their exact exposed name, and the end-to-end test that proves
they are exposed (MetricsEndToEndTest) must name them; Prometheus' own `up` needs nothing.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OWN = re.compile(r"\b(dspy_(?:suite|service|jobs|circuit)[a-z_]*)")
SUFFIXES = ("_bucket", "_count", "_sum", "_total", "_seconds", "_max")
THIRD_PARTY_PATTERN = re.compile(r"\b(kafka_[a-z_]+)")
# Exact names as /q/metrics exposes them (asserted after a task by the end-to-end test below).
THIRD_PARTY = {"kafka_consumer_fetch_manager_records_lag_max"}
E2E_TEST = "system-tests/src/test/java/io/dspysuite/systemtests/MetricsEndToEndTest.java"


def base(name: str) -> str:
    changed = True
    while changed:
        changed = False
        for suffix in SUFFIXES:
            if name.endswith(suffix):
                name, changed = name[: -len(suffix)], True
    return name


def queries() -> list[str]:
    dashboard = json.loads((ROOT / "deploy/observability/grafana/dashboards/dspy-suite.json").read_text())
    texts = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    texts += [p.read_text() for p in (ROOT / "deploy/observability/prometheus/rules").glob("*.yml")]
    return texts


def queried() -> set[str]:
    return {base(m) for text in queries() for m in OWN.findall(text)}


def third_party_problems() -> list[str]:
    used = {m for text in queries() for m in THIRD_PARTY_PATTERN.findall(text)}
    test = (ROOT / E2E_TEST).read_text()
    problems = [f"{n} is not a known exposed metric (THIRD_PARTY)" for n in sorted(used - THIRD_PARTY)]
    problems += [f"{n} is not asserted by {E2E_TEST}" for n in sorted(THIRD_PARTY) if n not in test]
    return problems


def sources() -> str:
    files = [*ROOT.glob("*-service/src/main/java/**/*.java"), *ROOT.glob("dspy-python-service/src/dspy_service/**/*.py")]
    return "\n".join(f.read_text() for f in files)


def main() -> int:
    code = sources()
    missing = sorted(n for n in queried() if n not in code and n.replace("_", ".") not in code)
    if missing:
        print("metrics queried by the dashboard or alert rules but defined nowhere: " + ", ".join(missing))
        return 1
    problems = third_party_problems()
    if problems:
        print("third-party metrics of the dashboard or alert rules: " + "; ".join(problems))
        return 1
    print(
        f"{len(queried())} metric names of the dashboard and alert rules are defined in the services, "
        f"{len(THIRD_PARTY)} third-party name(s) are asserted by the end-to-end metrics test"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
