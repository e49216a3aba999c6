"""Structural check of docker-compose.yml when no docker-compose binary can be installed (deploy/validate.sh).

Weaker than `docker-compose config -q`: parses the YAML (with anchors and merge keys), then checks that every service
has an image or a build, that depends_on targets exist with a known condition, that named volumes are declared, and
that every ${VAR} reference has a default (so the file works without an .env).

    python check_compose.py docker-compose.yml
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}
VARIABLE = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)([^}]*)\}")


def check(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    doc = yaml.safe_load(text)
    errors: list[str] = []
    services = doc.get("services") or {}
    volumes = set((doc.get("volumes") or {}).keys())
    for name, service in services.items():
        if "image" not in service and "build" not in service:
            errors.append(f"{name}: neither image nor build")
        depends = service.get("depends_on") or {}
        items = depends.items() if isinstance(depends, dict) else ((d, {}) for d in depends)
        for target, spec in items:
            if target not in services:
                errors.append(f"{name}: depends_on unknown service {target}")
            condition = (spec or {}).get("condition", "service_started")
            if condition not in CONDITIONS:
                errors.append(f"{name}: unknown depends_on condition {condition}")
        for volume in service.get("volumes") or []:
            source = volume.split(":", 1)[0] if isinstance(volume, str) else volume.get("source", "")
            if source and not source.startswith((".", "/", "~")) and source not in volumes:
                errors.append(f"{name}: volume {source} is not declared under volumes:")
    for match in VARIABLE.finditer(text):
        if not match.group(2).startswith((":-", "-", ":?", "?")):
            errors.append(f"${{{match.group(1)}}} has no default")
    return errors


if __name__ == "__main__":
    problems = check(Path(sys.argv[1]))
    for problem in problems:
        print(f"docker-compose.yml: {problem}", file=sys.stderr)
    raise SystemExit(1 if problems else 0)
