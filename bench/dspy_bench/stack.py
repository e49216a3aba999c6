"""Starts the whole suite through the Java launcher (``io.dspysuite.localstack.LocalStackMain``, as ``./suite run``
does) on free loopback ports, in a throw-away home, with the SIMULATED LM enabled, and stops it again."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Self

START_TIMEOUT_S = 300.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class SuitePorts:
    gateway: int
    orchestration: int
    dspy: int
    kafka: int
    postgres: int


class LaunchedSuite:
    """The suite, started by ``LocalStackMain`` in a child JVM. Every service process inherits this process's
    environment (the launcher's ProcessBuilder starts from it), which is how ``DSPY_SERVICE_SIMULATED_LM*`` reaches
    the Python service and ``DSPY_SUITE_RATE_LIMIT_ENABLED=false`` the gateway."""

    def __init__(self, repo_root: Path, classpath: str, python: str, *, lm_latency_ms: float, work_dir: Path) -> None:
        self.repo_root = repo_root
        self.classpath = classpath
        self.python = python
        self.lm_latency_ms = lm_latency_ms
        self.home = Path(tempfile.mkdtemp(prefix="suite-", dir=work_dir))
        self.ports = SuitePorts(free_port(), free_port(), free_port(), free_port(), free_port())
        self.api_key = "dsk_bench_" + secrets.token_urlsafe(18)
        self.launcher_log = self.home / "launcher.log"
        self.start_seconds: float | None = None
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.gateway}"

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            {
                "DSPY_SUITE_ROOT": str(self.repo_root),
                "DSPY_SUITE_PYTHON": self.python,
                "DSPY_SUITE_HOME": str(self.home),
                "DSPY_SUITE_API_KEY": self.api_key,
                "DSPY_SUITE_GATEWAY_PORT": str(self.ports.gateway),
                "DSPY_SUITE_ORCHESTRATION_PORT": str(self.ports.orchestration),
                "DSPY_SUITE_DSPY_PORT": str(self.ports.dspy),
                "DSPY_SUITE_KAFKA_PORT": str(self.ports.kafka),
                "DSPY_SUITE_POSTGRES_PORT": str(self.ports.postgres),
                "DSPY_SERVICE_SIMULATED_LM": "true",
                "DSPY_SERVICE_SIMULATED_LM_LATENCY_MS": str(self.lm_latency_ms),
                # The default bucket (120 submits/min, burst 30) would measure the rate limiter, not the suite.
                "DSPY_SUITE_RATE_LIMIT_ENABLED": "false",
            }
        )
        env.pop("OTEL_EXPORTER_OTLP_ENDPOINT", None)
        return env

    def __enter__(self) -> Self:
        started = time.monotonic()
        with self.launcher_log.open("ab") as log:
            self._process = subprocess.Popen(  # noqa: S603 -- the machine's java and the checkout's classpath
                [
                    shutil.which("java") or "java",
                    "-Xmx1g",
                    "-Djava.util.logging.manager=org.jboss.logmanager.LogManager",
                    "-cp",
                    self.classpath,
                    "io.dspysuite.localstack.LocalStackMain",
                ],
                env=self._env(),
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.repo_root,
            )
        try:
            self._await_ready(started)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        self.start_seconds = round(time.monotonic() - started, 1)
        return self

    def _await_ready(self, started: float) -> None:
        assert self._process is not None
        url = f"{self.gateway_url}/q/health/ready"
        while True:
            if self._process.poll() is not None:
                raise RuntimeError(f"the suite launcher exited ({self._process.returncode}); see {self.launcher_log}")
            # The launcher prints this line once every service answered its health check.
            if b"DSPy Suite is up." in self.launcher_log.read_bytes():
                try:
                    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 -- loopback http
                        if response.status == 200:
                            return
                except (urllib.error.URLError, OSError):
                    pass
            if time.monotonic() - started > START_TIMEOUT_S:
                raise RuntimeError(f"the suite did not start within {START_TIMEOUT_S:.0f} s; see {self.launcher_log}")
            time.sleep(1)

    def service_pid(self, jar_dir: str) -> int:
        """The pid of the launcher's child process whose command line mentions ``jar_dir`` (e.g.
        ``orchestration-service``): the supervisor starts each service as a direct child."""
        assert self._process is not None
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
                if ppid == self._process.pid and jar_dir.encode() in (stat.parent / "cmdline").read_bytes():
                    return int(stat.parent.name)
            except (OSError, ValueError, IndexError):
                continue
        raise RuntimeError(f"no child process of the launcher runs {jar_dir}")

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._process is None or self._process.poll() is not None:
            return
        # SIGTERM runs the launcher's shutdown hook, which stops every service and the infrastructure.
        self._process.send_signal(signal.SIGTERM)
        try:
            self._process.wait(timeout=90)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
