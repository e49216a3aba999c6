"""What the figures were measured on: they only mean something as ratios within one run on one machine."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path


def _run(command: list[str], cwd: Path | None = None) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=30, cwd=cwd, check=False)  # noqa: S603
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return (done.stdout + done.stderr).strip()


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def describe(repo_root: Path) -> dict[str, object]:
    import dspy

    java = _run(["java", "-version"]).splitlines()
    commit = _run(["git", "rev-parse", "--short=12", "HEAD"], repo_root)
    dirty = _run(["git", "status", "--porcelain", "--untracked-files=no"], repo_root)
    return {
        "cores": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "memory_gib": _memory_gib(),
        "os": f"{platform.system()} {platform.release()}",
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "java": java[0] if java else "unknown",
        "python": sys.version.split()[0],
        "dspy": getattr(dspy, "__version__", "unknown"),
        "commit": commit + (" (with uncommitted changes)" if dirty and dirty != "unknown" else ""),
    }
