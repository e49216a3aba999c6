"""Writes results.json, results.md and (when matplotlib is installed) PNG plots into the results folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if 0 < abs(value) < 0.1:
            return f"{value:.3f}"
        return f"{value:.2f}" if abs(value) < 100 else f"{value:.0f}"
    return str(value)


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(_fmt(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def markdown(results: dict[str, Any]) -> str:
    machine = results["machine"]
    out = [
        f"# DSPy Suite benchmark results ({results['mode']} run)",
        "",
        f"Started {results['started_at']}, took {results['wall_seconds']:.0f} s (scenarios "
        f"{results['scenario_seconds']:.0f} s; suite starts {results['suite_start_seconds']} s). "
        "Loopback only. The LM is SIMULATED (no model runs; `dspy_service.lm.simulated.SimulatedLM`) except in (f), "
        "which uses the real local model. Figures are only meaningful as ratios within one run.",
        "",
        "## Machine",
        "",
        _table(
            ["cores", "CPU", "memory GiB", "OS", "load avg at start", "Java", "Python", "DSPy", "commit"],
            [
                [
                    machine["cores"],
                    machine["cpu_model"],
                    machine["memory_gib"],
                    machine["os"],
                    " / ".join(str(x) for x in machine["load_average_at_start"]),
                    machine["java"],
                    machine["python"],
                    machine["dspy"],
                    machine["commit"],
                ]
            ],
        ),
    ]
    for merged in results.get("merged_runs", []):
        m = merged["machine"]
        out += [
            "",
            f"Scenarios {', '.join(merged['scenarios'])} were rerun on {merged['started_at']} (commit {m['commit']}, "
            f"load average at start {' / '.join(str(x) for x in m['load_average_at_start'])}, "
            f"{merged['wall_seconds']:.0f} s, suite starts {merged['suite_start_seconds']} s, open-file limit "
            f"{merged.get('open_file_limit')}) and merged here; each scenario below names its own run.",
        ]
    for scenario in results["scenarios"]:
        out += ["", f"## {scenario['title']}", ""]
        run = scenario.get("run")
        if run:
            out += [
                f"Run {run['started_at']}, {run['seconds']:.0f} s, commit {run['commit']}, load average "
                f"{' / '.join(str(x) for x in run['load_average_at_start'])} at start and "
                f"{' / '.join(str(x) for x in run['load_average_at_end'])} at the end.",
                "",
            ]
        out += [scenario["description"], ""]
        rate_rows = [r for r in scenario["runs"] if r["mode"] == "rate"]
        closed_rows = [r for r in scenario["runs"] if r["mode"] == "closed"]
        burst_rows = [r for r in scenario["runs"] if r["mode"] == "burst"]
        if rate_rows:
            out += [
                "### Latency at fixed request rates (open loop)",
                "",
                _table(
                    ["path", "offered req/s", "s", "ok", "errors", "achieved req/s", "p50 ms", "p99 ms"],
                    [
                        [
                            r["path"],
                            r["load"],
                            r["seconds"],
                            r["ok"],
                            r["errors"],
                            r["throughput"],
                            r["p50_ms"],
                            r["p99_ms"],
                        ]
                        for r in rate_rows
                    ],
                ),
                "",
            ]
        if closed_rows:
            out += [
                "### Throughput (closed loop, N clients)",
                "",
                _table(
                    ["path", "clients", "s", "ok", "errors", "req/s", "p50 ms", "p99 ms"],
                    [
                        [
                            r["path"],
                            int(r["load"]),
                            r["seconds"],
                            r["ok"],
                            r["errors"],
                            r["throughput"],
                            r["p50_ms"],
                            r["p99_ms"],
                        ]
                        for r in closed_rows
                    ],
                ),
                "",
            ]
        if burst_rows:
            out += [
                "### Requests in flight at once (burst)",
                "",
                _table(
                    ["path", "in flight", "s to last answer", "ok", "errors", "req/s", "p50 ms", "p99 ms"],
                    [
                        [
                            r["path"],
                            int(r["load"]),
                            *(r[k] for k in ("seconds", "ok", "errors", "throughput")),
                            r["p50_ms"],
                            r["p99_ms"],
                        ]
                        for r in burst_rows
                    ],
                ),
                "",
            ]
        sequential_rows = [r for r in scenario["runs"] if r["mode"] == "sequential"]
        if sequential_rows:
            out += [
                "### Sequential calls (one at a time)",
                "",
                _table(
                    ["path", "calls", "s", "ok", "errors", "p50 ms", "p99 ms"],
                    [
                        [r["path"], int(r["load"]), r["seconds"], r["ok"], r["errors"], r["p50_ms"], r["p99_ms"]]
                        for r in sequential_rows
                    ],
                ),
                "",
            ]
        fan_rows = [r for r in scenario["runs"] if r["mode"] == "fan-out"]
        if fan_rows:
            out += [
                "### Fan-out of live events",
                "",
                _table(
                    ["path", "subscribers", "live events", "deliveries timed", "missed", "p50 ms", "p99 ms"],
                    [
                        [r["path"], int(r["load"]), r["events"], r["ok"], r["errors"], r["p50_ms"], r["p99_ms"]]
                        for r in fan_rows
                    ],
                ),
                "",
            ]
        for held in scenario.get("sessions", []):
            out += [
                f"### Idle sessions: {held['path']}",
                "",
                f"Target {held['target']}, opened {held['opened']}, failed handshakes {held['failed']}, "
                f"{held['seconds']:.0f} s" + (f"; first error: {held['first_error']}" if held["first_error"] else ""),
                "",
                _table(
                    ["sessions", "counted by the server", "heap MB after GC", "heap max MB", "RSS MB", "s to open"],
                    [
                        [
                            smp["sessions"],
                            smp.get("gateway_count"),
                            smp.get("heap_mb"),
                            smp.get("heap_max_mb"),
                            smp["rss_mb"],
                            smp.get("open_seconds"),
                        ]
                        for smp in held["samples"]
                    ],
                ),
                "",
            ]
        compiled = scenario.get("compile") or {}
        if compiled.get("plain_python") and compiled.get("suite"):
            keys = list(dict.fromkeys([*compiled["plain_python"], *compiled["suite"]]))
            out += [
                "### BootstrapFewShot compile",
                "",
                _table(
                    ["path", *keys],
                    [
                        [label, *(compiled[k].get(key) for key in keys)]
                        for label, k in (("plain Python", "plain_python"), ("suite (optimize task)", "suite"))
                    ],
                ),
                "",
            ]
        if scenario.get("summary"):
            out += [
                "### Summary",
                "",
                _table(
                    ["measure", "value", "target (issue 8)"],
                    [[s["measure"], s["value"], s.get("target", "")] for s in scenario["summary"]],
                ),
                "",
            ]
        errors = [
            f"- {r['path']} ({r['mode']} {r['load']}): {r['first_error']}" for r in scenario["runs"] if r["first_error"]
        ]
        if errors:
            out += ["First error per run:", "", *errors, ""]
    return "\n".join(out).rstrip() + "\n"


def plots(results: dict[str, Any], folder: Path) -> list[str]:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    written: list[str] = []
    for scenario in results["scenarios"]:
        runs = scenario["runs"]
        paths = list(dict.fromkeys(r["path"] for r in runs))
        closed = [r for r in runs if r["mode"] == "closed"]
        if closed:
            fig, ax = plt.subplots(figsize=(8, 4.5))
            for path in paths:
                mine = [r for r in closed if r["path"] == path]
                ax.plot([r["load"] for r in mine], [r["throughput"] for r in mine], marker="o", label=path)
            ax.set_xlabel("concurrent clients")
            ax.set_ylabel("successful requests / s")
            ax.set_title(f"{scenario['title']}: throughput")
            ax.set_xscale("log", base=2)
            ax.grid(alpha=0.3)
            ax.legend()
            name = f"{scenario['id']}-throughput.png"
            fig.tight_layout()
            fig.savefig(folder / name, dpi=110)
            plt.close(fig)
            written.append(name)
        bursts = [r for r in runs if r["mode"] == "burst"]
        if bursts:
            fig, ax = plt.subplots(figsize=(8, 4.5))
            ax.bar([r["path"].split(" (")[0] for r in bursts], [r["throughput"] for r in bursts], label="achieved")
            ideal = scenario.get("ideal_throughput")
            if ideal:
                ax.axhline(ideal, color="red", linestyle="--", label=f"ideal {ideal:g} req/s")
            ax.set_ylabel("answered requests / s")
            ax.set_title(f"{scenario['title']}: {int(bursts[0]['load'])} in flight")
            ax.grid(alpha=0.3, axis="y")
            ax.legend()
            fig.tight_layout()
            name = f"{scenario['id']}-throughput.png"
            fig.savefig(folder / name, dpi=110)
            plt.close(fig)
            written.append(name)
        sessions = scenario.get("sessions") or []
        if sessions:
            fig, ax = plt.subplots(figsize=(8, 4.5))
            for held in sessions:
                samples = [smp for smp in held["samples"] if "after_hold_s" not in smp]
                label = held["path"].split(" (")[0]
                xs = [smp["sessions"] for smp in samples]
                if all("heap_mb" in smp for smp in samples):
                    ax.plot(xs, [smp["heap_mb"] for smp in samples], marker="o", label=f"{label}: heap after GC")
                ax.plot(xs, [smp["rss_mb"] for smp in samples], marker="s", linestyle="--", label=f"{label}: RSS")
            ax.set_xlabel("open idle WebSocket sessions")
            ax.set_ylabel("MB")
            ax.set_title(f"{scenario['title']}: memory per open sessions")
            ax.grid(alpha=0.3)
            ax.legend(fontsize=8)
            fig.tight_layout()
            name = f"{scenario['id']}-memory.png"
            fig.savefig(folder / name, dpi=110)
            plt.close(fig)
            written.append(name)
        singles = [r for r in runs if r["mode"] in ("sequential", "fan-out") and r["p50_ms"] is not None]
        if singles:
            fig, ax = plt.subplots(figsize=(8, 4.5))
            labels = [r["path"].replace(" (", "\n(") for r in singles]
            xs = range(len(singles))
            ax.bar([x - 0.2 for x in xs], [r["p50_ms"] for r in singles], width=0.4, label="p50")
            ax.bar([x + 0.2 for x in xs], [r["p99_ms"] for r in singles], width=0.4, label="p99")
            ax.set_xticks(list(xs), labels, fontsize=8)
            ax.set_ylabel("ms")
            kind = "fan-out latency" if singles[0]["mode"] == "fan-out" else "latency of one call"
            ax.set_title(f"{scenario['title']}: {kind}")
            ax.grid(alpha=0.3, axis="y")
            ax.legend()
            fig.tight_layout()
            name = f"{scenario['id']}-latency.png"
            fig.savefig(folder / name, dpi=110)
            plt.close(fig)
            written.append(name)
        rated = [r for r in runs if r["mode"] == "rate" and r["p50_ms"] is not None]
        if rated:
            rates = sorted({r["load"] for r in rated})
            fig, axes = plt.subplots(1, len(rates), figsize=(4.5 * len(rates), 4.5), squeeze=False)
            for ax, rate in zip(axes[0], rates, strict=True):
                mine = [r for r in rated if r["load"] == rate]
                labels = [r["path"].split(" (")[0] for r in mine]
                xs = range(len(mine))
                ax.bar([x - 0.2 for x in xs], [r["p50_ms"] for r in mine], width=0.4, label="p50")
                ax.bar([x + 0.2 for x in xs], [r["p99_ms"] for r in mine], width=0.4, label="p99")
                ax.set_xticks(list(xs), labels, rotation=20, ha="right", fontsize=8)
                ax.set_yscale("log")
                ax.set_ylabel("ms")
                ax.set_title(f"{rate:g} req/s")
                ax.grid(alpha=0.3, axis="y")
                ax.legend()
            fig.suptitle(f"{scenario['title']}: latency at fixed rates")
            fig.tight_layout()
            name = f"{scenario['id']}-latency.png"
            fig.savefig(folder / name, dpi=110)
            plt.close(fig)
            written.append(name)
    return written


def write(results: dict[str, Any], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.png"):
        stale.unlink()
    results["plots"] = plots(results, folder)
    (folder / "results.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    (folder / "results.md").write_text(markdown(results))
